"""Opening hours in Asia/Shanghai with the Chinese holiday calendar."""

import datetime as dt

import pytest

from locator.operations.hours import (
    TZ,
    Calendar,
    day_kind,
    hours_status,
)

OFFICE = "Mo-Fr 08:30-12:00,14:30-17:30; PH off"
#: the libraries' schedule alone (no operator's file)
CAL = Calendar()


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=TZ)


def test_open_with_closing_time():
    s = hours_status(OFFICE, at("2026-11-24T10:00"), CAL)  # Tuesday
    assert s.state == "open" and s.closes_at == at("2026-11-24T12:00") and s.opens_at is None


def test_lunch_break_opens_at():
    s = hours_status(OFFICE, at("2026-11-24T12:30"), CAL)
    assert s.state == "closed" and s.opens_at == at("2026-11-24T14:30")


def test_friday_evening_opens_on_monday():
    s = hours_status(OFFICE, at("2026-11-27T18:00"), CAL)
    assert s.state == "closed" and s.opens_at == at("2026-11-30T08:30")


@pytest.mark.parametrize("day", ["2026-10-01", "2026-10-05", "2026-10-07", "2026-02-17"])
def test_public_holidays_of_the_whole_break(day):
    # 5 and 7 October 2026 are weekdays inside the National Day break: PH off applies
    assert day_kind(dt.date.fromisoformat(day), CAL) == "holiday"
    assert hours_status(OFFICE, at(f"{day}T10:00"), CAL).state == "closed"


def test_golden_week_reopens_after_the_break():
    s = hours_status(OFFICE, at("2026-10-05T10:00"), CAL)
    assert s.opens_at == at("2026-10-08T08:30")


def test_make_up_working_day_keeps_weekday_hours():
    # Saturday 10 October 2026 is worked in lieu of the National Day break
    assert day_kind(dt.date(2026, 10, 10), CAL) == "makeup"
    s = hours_status(OFFICE, at("2026-10-10T10:00"), CAL)
    assert s.state == "open" and s.closes_at == at("2026-10-10T12:00")
    # an ordinary Saturday stays closed
    assert hours_status(OFFICE, at("2026-10-17T10:00"), CAL).state == "closed"


def test_ph_with_own_hours():
    expr = "Mo-Su 09:00-21:00; PH 10:00-12:00"
    assert hours_status(expr, at("2026-10-03T09:30"), CAL).state == "closed"
    assert hours_status(expr, at("2026-10-03T11:00"), CAL).state == "open"
    assert hours_status(expr, at("2026-10-12T09:30"), CAL).state == "open"


def test_always_open_has_no_closing_time():
    s = hours_status("24/7", at("2026-10-01T03:00"), CAL)
    assert s.state == "open" and s.closes_at is None


@pytest.mark.parametrize("expr", [None, "", "Mo-Fr unknown"])
def test_unknown_is_never_closed(expr):
    assert hours_status(expr, at("2026-11-24T10:00"), CAL).state == "unknown"


def test_times_in_other_zones_are_converted():
    utc = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Jiangmen
    s = hours_status(OFFICE, utc, CAL)
    assert s.state == "open" and s.at.tzinfo == TZ and s.at.hour == 10


def test_years_beyond_chinesecalendar_fall_back_to_statutory_days():
    # chinesecalendar 1.11 covers up to 2026; New Year's Day 2027 is still a holiday
    assert day_kind(dt.date(2027, 1, 1), CAL) == "holiday"
    assert hours_status(OFFICE, at("2026-12-31T18:00"), CAL).opens_at == at("2027-01-04T08:30")
    assert day_kind(dt.date(2027, 3, 3), CAL) == "workday"
