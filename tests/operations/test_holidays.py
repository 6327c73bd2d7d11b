"""The official holiday schedule: libraries first, the operator's file for the years they
lack, validated; and every place that depends on it says when it is not known."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from locator.cli import cli
from locator.operations import hours
from locator.operations.hours import (
    TZ,
    Calendar,
    calendar_known,
    day_kind,
)
from locator.stores.files.read import read_holidays
from locator.values.errors import DataError
from locator.web import create_app
from tests.conftest import DEFAULT_DATA_DIR, facility, write_layer

#: a schedule for 2040 made up for these tests only (no real one exists yet)
TEST_2040 = {"2040-02-13": "测试假日 test holiday", "2040-02-14": "测试假日 test holiday"}
TEST_2040_WORKDAY = "2040-02-18"  # a Saturday worked in lieu
FAR = dt.datetime(2040, 2, 12, 12, 0, tzinfo=TZ)  # Sunday, the day before the test break


def write_holidays(data_dir, years: dict) -> None:
    (data_dir / "holidays.json").write_text(
        json.dumps({"source": "test", "years": years}, ensure_ascii=False), encoding="utf-8"
    )


def test_shipped_file_agrees_with_the_library_on_every_day_it_covers():
    schedule = read_holidays(DEFAULT_DATA_DIR / "holidays.json")
    assert min(schedule.years) == 2004 and max(schedule.years) >= 2026
    checked = 0
    for year in schedule.years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            assert hours._schedule_kind(day, schedule) == hours._library_kind(day), day
            day += dt.timedelta(days=1)
            checked += 1
    assert checked > 8000


def _calendar(data_dir) -> Calendar:
    """The calendar of the data version an app serves from ``data_dir``."""
    app = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False})
    return app.extensions["locator"].catalog.calendar


def test_a_year_from_the_file_is_used_where_the_library_has_none(data_dir):
    before = _calendar(data_dir)
    assert not calendar_known(dt.date(2040, 2, 13), before)
    assert day_kind(dt.date(2040, 2, 13), before) == "workday"  # a plain Monday, as known
    write_holidays(data_dir, {"2040": {"holidays": TEST_2040, "workdays": [TEST_2040_WORKDAY]}})
    cal = _calendar(data_dir)
    assert calendar_known(dt.date(2040, 2, 13), cal)
    assert day_kind(dt.date(2040, 2, 13), cal) == "holiday"
    assert day_kind(dt.date(2040, 2, 18), cal) == "makeup"
    assert day_kind(dt.date(2040, 2, 19), cal) == "weekend"
    office = "Mo-Fr 08:30-17:30; PH off"
    assert hours.hours_status(office, FAR + dt.timedelta(days=1), cal).state == "closed"  # PH
    assert hours.hours_status(office, FAR + dt.timedelta(days=6), cal).state == "open"  # make-up


def test_libraries_stay_the_default(data_dir):
    # a file that contradicts chinesecalendar for 2026 does not override it
    write_holidays(data_dir, {"2026": {"holidays": {"2026-03-03": "x"}, "workdays": []}})
    cal = _calendar(data_dir)
    assert day_kind(dt.date(2026, 3, 3), cal) == "workday"
    assert day_kind(dt.date(2026, 10, 1), cal) == "holiday"


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ({"27": {"holidays": {}}}, "year '27' is not a year from 1900 to 2199"),
        ({"0000": {"holidays": {"0000-01-01": "x"}}}, "year '0000' is not a year"),
        ({"2040": {"holidays": {}}}, "a year needs its days off"),
        ({"2040": {"holidays": {"20400101": "元旦"}}}, "'20400101' is not a date (YYYY-MM-DD)"),
        (
            {"2040": {"holidays": {"2041-01-01": "元旦"}}},
            "'2041-01-01' is not a date (YYYY-MM-DD) in 2040",
        ),
        ({"2040": {"holidays": {"2040-01-01": ""}}}, "holiday 2040-01-01 needs a name"),
        (
            {"2040": {"holidays": {"2040-02-18": "x"}, "workdays": ["2040-02-18"]}},
            "2040-02-18 is both a holiday and a make-up working day",
        ),
        (
            {"2040": {"holidays": {"2040-01-01": "元旦"}, "workdays": ["2040-02-15"]}},
            "make-up working day 2040-02-15 is a weekday",
        ),
        ({"2040": []}, "needs a 'holidays' object"),
    ],
)
def test_a_broken_schedule_is_one_clear_error(data_dir, years, message):
    write_holidays(data_dir, years)
    with pytest.raises(DataError) as err:
        read_holidays(data_dir / "holidays.json")
    assert err.value.message.startswith("holidays.json") and message in err.value.message
    with pytest.raises(DataError, match="holidays.json"):
        create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False})


def test_validate_warns_when_the_schedule_ends_within_60_days(runner, data_dir, monkeypatch):
    monkeypatch.setattr(hours, "now", lambda: dt.datetime(2040, 11, 20, 9, tzinfo=TZ))
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert result.exit_code == 0
    assert "warning: the official holiday schedule ends before today" in result.output
    write_holidays(data_dir, {"2040": {"holidays": TEST_2040, "workdays": []}})
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert "warning: the official holiday schedule ends 2040-12-31, within 60 days" in (
        result.output
    )
    write_holidays(
        data_dir,
        {
            "2040": {"holidays": TEST_2040, "workdays": []},
            "2041": {"holidays": {"2041-01-01": "元旦"}, "workdays": []},
        },
    )
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert "warning" not in result.output and "known until 2041-12-31" in result.output


def test_facility_page_says_when_holiday_hours_are_not_known(data_dir, monkeypatch):
    from locator.web import pages

    write_layer(
        data_dir,
        "service_centers",
        [facility("sc-t", 113.07, 22.57, opening_hours="Mo-Fr 08:30-17:30; PH off")],
    )
    monkeypatch.setattr(pages, "now", lambda: FAR)
    client = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False}).test_client()
    html = client.get("/f/sc-t").get_data(as_text=True)
    assert 'class="note calendar-unknown"' in html and html.count("假日安排未公布") == 7
    write_holidays(data_dir, {"2040": {"holidays": TEST_2040, "workdays": []}})
    client = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False}).test_client()
    html = client.get("/f/sc-t").get_data(as_text=True)
    assert "calendar-unknown" not in html and "法定假日" in html


def test_the_twin_says_it_too(data_dir, monkeypatch):
    from locator.web import api

    monkeypatch.setattr(api, "now", lambda: FAR)
    client = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False}).test_client()
    week = client.get("/api/v1/facilities/t-1").get_json()["properties"]["week"]
    assert [d["calendar_known"] for d in week] == [False] * 7
