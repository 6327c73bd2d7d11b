"""A moment as people type it: ISO 8601 text, Beijing time unless it says otherwise. One
parser for every ``at`` (the web's query parameters, the command line's ``--at``)."""

from __future__ import annotations

import datetime as dt

from locator.operations.hours import TZ
from locator.values.errors import InvalidQuery, shown

#: the years opening hours are evaluated for (the holiday calendars cover far less; outside
#: this range date arithmetic near the limits of ``datetime`` would overflow)
YEARS = (1900, 2199)


def parse_time(text: str, name: str = "at") -> dt.datetime:
    """``text`` (ISO 8601, e.g. ``2026-10-01T08:30`` or ``2026-10-01T08:30+08:00``) as an
    aware time in Asia/Shanghai; naive text is Beijing time. An InvalidQuery naming
    ``name`` (a query parameter or a command-line option) when it is not one."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidQuery(
            name,
            f"{name} must be an ISO 8601 date-time such as 2026-10-01T08:30 or "
            f"2026-10-01T08:30+08:00, got {shown(text)}",
        ) from None
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise InvalidQuery(
            name,
            f"{name} must be a date-time in the years {YEARS[0]} to {YEARS[1]}, got {shown(text)}",
        )
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)
