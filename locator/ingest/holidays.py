"""Write the official holiday schedule file (``holidays.json``) from chinesecalendar.

The State Council publishes each year's schedule (the days off of each break and the
make-up working days) late in the year before; chinesecalendar carries it once a new
release is out. The file written here holds the years the installed chinesecalendar covers,
in the format an operator extends by hand for a year the library does not know yet (see
:func:`locator.stores.files.read.read_holidays`): no release of this app is needed for a new year.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants

from locator.stores.files.read import write_text_atomic

#: the Chinese names chinesecalendar knows, by its English value
CHINESE = {h.value: h.chinese for h in constants.Holiday}


def library_years() -> range:
    """The years the installed chinesecalendar covers."""
    first = min(chinese_calendar.holidays).year
    last = max(max(chinese_calendar.holidays), max(chinese_calendar.workdays)).year
    return range(first, last + 1)


def schedule_from_library(years: range) -> dict:
    """The holidays and make-up working days of ``years``, as the file's JSON document."""
    out: dict = {}
    for year in years:
        holidays, workdays = {}, []
        day = dt.date(year, 1, 1)
        while day.year == year:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if is_holiday and name:
                holidays[day.isoformat()] = f"{CHINESE.get(name, name)} {name}"
            elif not is_holiday and day.weekday() >= 5:
                workdays.append(day.isoformat())
            day += dt.timedelta(days=1)
        out[str(year)] = {"holidays": holidays, "workdays": workdays}
    return out


def build_holidays(path: Path) -> range:
    """Write ``path`` for every year the installed chinesecalendar covers; returns them."""
    years = library_years()
    version = getattr(chinese_calendar, "__version__", "")
    doc = {
        "source": f"State Council notices on public holidays, via PyPI chinesecalendar "
        f"{version}; add a year by hand when its notice is out and the library "
        "does not have it yet",
        "years": schedule_from_library(years),
    }
    write_text_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return years
