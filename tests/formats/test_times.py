"""The one ISO 8601 time parser (the web's ``at``, the command line's ``--at``)."""

import datetime as dt

import pytest

from locator.formats.times import parse_time
from locator.operations.hours import TZ
from locator.values.errors import InvalidQuery


def test_naive_times_are_beijing_time_and_others_are_converted():
    assert parse_time("2026-10-01T08:30") == dt.datetime(2026, 10, 1, 8, 30, tzinfo=TZ)
    assert parse_time("2026-10-01T00:30Z") == dt.datetime(2026, 10, 1, 8, 30, tzinfo=TZ)
    assert parse_time(" 2026-10-01T08:30+08:00 ").utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "words"),
    [("tomorrow morning", "ISO 8601"), ("2300-01-01T00:00", "years 1900 to 2199")],
)
def test_bad_times_name_the_parameter_or_option(text, words):
    with pytest.raises(InvalidQuery) as err:
        parse_time(text, "--at")
    assert err.value.param == "--at" and words in err.value.message
