"""Opening hours: OpenStreetMap ``opening_hours`` evaluated in Asia/Shanghai time.

The expression is parsed and evaluated by ``opening-hours-py`` (the Rust ``opening-hours``
crate). Its own public-holiday calendar for China knows only the statutory days (e.g. 1 Oct
but not the whole Golden Week) and nothing of make-up working days (调休), so the calendar
comes from ``chinesecalendar`` instead, the maintained list of the State Council's notices:

- on a public holiday (any day of an official break), ``PH`` rules apply: the expression is
  evaluated with every ``PH`` selector made to match (``PH`` -> ``Mo-Su``), so a later
  ``PH off`` overrides the weekday rules as OSM intends;
- on a make-up working day (a weekend day worked in lieu) the place keeps a working day's
  hours: the day is evaluated as the latest regular working day (Mon-Fri, not a holiday)
  before it;
- for a year chinesecalendar does not cover yet (the State Council publishes each year's
  schedule late in the year before), the schedule an operator has put in the data
  directory's ``holidays.json`` (see :class:`HolidaySchedule`), which the data version's
  store holds as a :class:`Calendar` and passes to every function here — no release
  needed;
- for a year neither covers, the statutory days known to opening-hours' own CN calendar
  count as holidays, and the day is reported as not known (:func:`calendar_known`): the
  extra days of a break and the make-up days are not published yet.

A missing expression, or one that says ``unknown``, is reported as unknown: never closed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from opening_hours import OpeningHours, State

from locator.values.models import HolidaySchedule

TZ = ZoneInfo("Asia/Shanghai")
#: how far ahead "opens at" / "closes at" look (days)
LOOKAHEAD_DAYS = 8

OPEN, CLOSED, UNKNOWN = "open", "closed", "unknown"


@dataclass(frozen=True)
class HoursStatus:
    """The state of a place at ``at`` and the next change, all Asia/Shanghai aware times.

    ``closes_at`` is None for an open place that stays open for the whole look-ahead
    (e.g. ``24/7``); ``opens_at`` is None for a closed place that does not open within it.
    """

    state: str  # open | closed | unknown
    at: dt.datetime
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    comment: str = ""

    def __init__(
        self,
        state: str,
        at: dt.datetime,
        opens_at: dt.datetime | None = None,
        closes_at: dt.datetime | None = None,
        comment: str = "",
    ):
        # two of these for every nearest result: filling the instance dict directly costs
        # a third of the five object.__setattr__ calls a frozen dataclass's own __init__ makes
        d = self.__dict__
        d["state"] = state
        d["at"] = at
        d["opens_at"] = opens_at
        d["closes_at"] = closes_at
        d["comment"] = comment

    @property
    def is_closed(self) -> bool:
        return self.state == CLOSED


def now() -> dt.datetime:
    return dt.datetime.now(TZ)


class Calendar:
    """The holiday schedule of one data version and what is worked out from it.

    Every hours function takes the calendar of the data version it answers from, so two
    versions (say, one a request still holds and the one swapped in meanwhile) never see
    each other's schedule. The store of a data version owns one; what is worked out from
    it (a day's intervals, the state at a minute) is cached here, per calendar.
    ``Calendar()`` is the libraries' schedule alone.
    """

    __slots__ = ("schedule", "_intervals", "_status")

    def __init__(self, schedule: HolidaySchedule | None = None):
        self.schedule = schedule if schedule is not None else HolidaySchedule({})
        # plain dicts, emptied when full: a lookup is cheaper than an lru_cache's, and
        # facilities share a handful of expressions, so they rarely fill
        self._intervals: dict[tuple[str, dt.date], tuple[Interval, ...]] = {}
        self._status: dict[tuple[str, dt.datetime], tuple] = {}

    def __repr__(self) -> str:
        return f"Calendar({sorted(self.schedule.years)!r}, source={self.schedule.source!r})"


#: ``(start, end, state, comment)``, naive local times
Interval = tuple[dt.datetime, dt.datetime, str, str]
_MAX_INTERVALS = 8192
_MAX_STATUS = 4096


@lru_cache(maxsize=4096)
def _library_kind(day: dt.date) -> str | None:
    try:
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the library does not cover yet
        return None
    if is_holiday:
        return "holiday" if name else "weekend"
    return "makeup" if day.weekday() >= 5 else "workday"


def _schedule_kind(day: dt.date, schedule: HolidaySchedule) -> str | None:
    year = schedule.years.get(day.year)
    if year is None:
        return None
    if day in year.holidays:
        return "holiday"
    if day in year.workdays:
        return "makeup"
    return "weekend" if day.weekday() >= 5 else "workday"


def calendar_known(day: dt.date, calendar: Calendar) -> bool:
    """Whether the official schedule (library or the operator's file) covers ``day``."""
    return _library_kind(day) is not None or day.year in calendar.schedule.years


def calendar_covered_until(start: dt.date, calendar: Calendar) -> dt.date | None:
    """The last day of the unbroken run of covered days from ``start`` (None: not even
    ``start`` is covered). Looks at most three years ahead."""
    day, last = start, None
    while calendar_known(day, calendar) and day < start + dt.timedelta(days=3 * 366):
        last = day
        day = dt.date(day.year + 1, 1, 1)  # coverage is by whole years
        last = day - dt.timedelta(days=1)
    return last


def day_kind(day: dt.date, calendar: Calendar) -> str:
    """``holiday``, ``makeup`` (a weekend day worked in lieu), ``workday`` or ``weekend``."""
    kind = _library_kind(day) or _schedule_kind(day, calendar.schedule)
    if kind is not None:
        return kind
    if _statutory_holiday(day):
        return "holiday"
    return "weekend" if day.weekday() >= 5 else "workday"


@lru_cache(maxsize=1)
def _statutory_calendar() -> OpeningHours:
    return OpeningHours("PH", country="CN")


@lru_cache(maxsize=1024)
def _statutory_holiday(day: dt.date) -> bool:
    """Whether opening-hours' CN calendar (statutory days only) has ``day`` as a holiday."""
    noon = dt.datetime.combine(day, dt.time(12))
    return _statutory_calendar().state(noon)[0] == State.OPEN


_PH = re.compile(r"\bPH\b")


def _force_ph(expr: str) -> str:
    """Make every PH selector match, outside quoted comments."""
    parts = expr.split('"')
    parts[::2] = [_PH.sub("Mo-Su", p) for p in parts[::2]]
    return '"'.join(parts)


@lru_cache(maxsize=512)
def _parsed(expr: str, holiday: bool) -> OpeningHours:
    if holiday and _PH.search(expr):
        try:
            return OpeningHours(_force_ph(expr))
        except Exception:  # an exotic PH form ("PH +1 day"): fall back to the plain rules
            pass
    return OpeningHours(expr)


def _proxy_day(day: dt.date, calendar: Calendar) -> dt.date:
    """The latest regular working day before a make-up working day."""
    probe = day - dt.timedelta(days=1)
    for _ in range(21):
        if probe.weekday() < 5 and day_kind(probe, calendar) == "workday":
            return probe
        probe -= dt.timedelta(days=1)
    return day


def day_intervals(expr: str, day: dt.date, calendar: Calendar) -> tuple[Interval, ...]:
    """The ``(start, end, state, comment)`` intervals of one local day, naive local times."""
    key = (expr, day)
    found = calendar._intervals.get(key)
    if found is None:
        found = _day_intervals(expr, day, calendar)
        if len(calendar._intervals) >= _MAX_INTERVALS:
            calendar._intervals.clear()
        calendar._intervals[key] = found
    return found


def _day_intervals(expr: str, day: dt.date, calendar: Calendar) -> tuple[Interval, ...]:
    kind = day_kind(day, calendar)
    source_day = _proxy_day(day, calendar) if kind == "makeup" else day
    oh = _parsed(expr, kind == "holiday")
    start = dt.datetime.combine(source_day, dt.time())
    shift = day - source_day
    out = []
    for a, b, state, comment in oh.intervals(start, start + dt.timedelta(days=1)):
        label = OPEN if state == State.OPEN else CLOSED if state == State.CLOSED else UNKNOWN
        out.append((a + shift, b + shift, label, comment or ""))
    return tuple(out)


def hours_status(expr: str | None, at: dt.datetime, calendar: Calendar) -> HoursStatus:
    """Evaluate an ``opening_hours`` expression at an aware time (converted to Asia/Shanghai)
    with the holidays of ``calendar``."""
    at = at.astimezone(TZ)
    if not expr:
        return HoursStatus(UNKNOWN, at)
    # opening_hours has minute resolution, so the state at hh:mm:ss is the state at hh:mm;
    # facilities share a handful of expressions, so this cache is hit by most requests
    # (what at.replace(tzinfo=None, second=0, microsecond=0) gives, at a third of the cost)
    key = (expr, dt.datetime(at.year, at.month, at.day, at.hour, at.minute, fold=at.fold))
    found = calendar._status.get(key)
    if found is None:
        found = _status_at_minute(expr, key[1], calendar)
        if len(calendar._status) >= _MAX_STATUS:
            calendar._status.clear()
        calendar._status[key] = found
    state, opens_at, closes_at, comment = found
    return HoursStatus(state, at, opens_at, closes_at, comment)


def _status_at_minute(expr: str, local: dt.datetime, calendar: Calendar):
    """``(state, opens_at, closes_at, comment)`` at a naive local minute."""
    state, comment = UNKNOWN, ""
    for a, b, s, c in day_intervals(expr, local.date(), calendar):
        if a <= local < b:
            state, comment = s, c
            break
    if state == UNKNOWN:
        return UNKNOWN, None, None, comment
    change = _next_change(expr, local, state, calendar)
    aware = change.replace(tzinfo=TZ) if change else None
    if state == OPEN:
        return OPEN, None, aware, comment
    return CLOSED, aware, None, comment


def _next_change(
    expr: str, local: dt.datetime, state: str, calendar: Calendar
) -> dt.datetime | None:
    """The first time after ``local`` at which the state differs (within the look-ahead)."""
    day = local.date()
    for offset in range(LOOKAHEAD_DAYS):
        for a, b, s, _ in day_intervals(expr, day + dt.timedelta(days=offset), calendar):
            if b <= local:
                continue
            if s != state:
                return max(a, local)
    return None


@dataclass(frozen=True, slots=True)
class DaySchedule:
    """One local day's opening: ``kind`` is holiday / makeup / workday / weekend;
    ``calendar_known`` is False when the official holiday schedule of that day is not
    published yet (holidays and make-up days may then differ from what is shown)."""

    day: dt.date
    kind: str
    open_intervals: tuple[tuple[dt.time, dt.time], ...]
    unknown: bool
    calendar_known: bool = True


def week_schedule(
    expr: str | None, start: dt.date, calendar: Calendar, days: int = 7
) -> list[DaySchedule]:
    """The open intervals of ``days`` local days from ``start`` (for a weekly table)."""
    out = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        known = calendar_known(day, calendar)
        kind = day_kind(day, calendar)
        if not expr:
            out.append(DaySchedule(day, kind, (), True, known))
            continue
        spans, unknown = [], False
        for a, b, state, _ in day_intervals(expr, day, calendar):
            if state == OPEN:
                end = dt.time(23, 59) if b.date() > day else b.time()
                spans.append((a.time(), end))
            elif state == UNKNOWN:
                unknown = True
        out.append(DaySchedule(day, kind, tuple(spans), unknown and not spans, known))
    return out


@dataclass(frozen=True, slots=True)
class HoursPhrase:
    """What a card says about a place's hours, before it is put into words.

    ``key`` names the wording (the text is the web layer's, in each language):

    - ``open_until`` / ``open_always`` / ``closed_until`` / ``closed`` / ``hours_unknown``:
      the state now, which is also the state on arrival (or no trip is known);
    - ``arrive_closed``: open now, closed on arrival; ``time`` is when it closes;
    - ``arrive_open``: closed now, open on arrival; ``time`` is when it opens;
    - ``arrival_open`` / ``arrival_closed``: the hours now are not known, on arrival they
      are; ``arrival_unknown_state``: known now, not known on arrival.

    ``state`` is the state the words are about (on arrival when a trip is known), ``time``
    an aware Asia/Shanghai time or None, ``ref`` the time ``time`` is told relative to
    (today's ``HH:MM``, else a weekday or a date).
    """

    key: str
    state: str
    time: dt.datetime | None
    ref: dt.datetime


def hours_phrase(now: HoursStatus, on_arrival: HoursStatus | None = None) -> HoursPhrase:
    """The one rule for what a place's hours say on a card: the state on arrival first
    when it differs from the state now, else the state now with its next change.

    ``now`` is the status at the moment asked; ``on_arrival`` the status when the worker
    would get there (None: no trip, e.g. a details page without a starting point).
    """
    if on_arrival is not None and on_arrival.state != now.state:
        if now.state == OPEN and on_arrival.state == CLOSED and now.closes_at:
            return HoursPhrase("arrive_closed", CLOSED, now.closes_at, now.at)
        if now.state == CLOSED and on_arrival.state == OPEN and now.opens_at:
            return HoursPhrase("arrive_open", OPEN, now.opens_at, now.at)
        if on_arrival.state != UNKNOWN:
            return HoursPhrase(f"arrival_{on_arrival.state}", on_arrival.state, None, now.at)
        return HoursPhrase("arrival_unknown_state", UNKNOWN, None, now.at)
    if now.state == OPEN:
        if now.closes_at is None:
            return HoursPhrase("open_always", OPEN, None, now.at)
        return HoursPhrase("open_until", OPEN, now.closes_at, now.at)
    if now.state == CLOSED:
        if now.opens_at is None:
            return HoursPhrase("closed", CLOSED, None, now.at)
        return HoursPhrase("closed_until", CLOSED, now.opens_at, now.at)
    return HoursPhrase("hours_unknown", UNKNOWN, None, now.at)
