"""Declared parameters: parsing, messages, and the odd inputs that must be a 400."""

import pytest
from werkzeug.datastructures import MultiDict

from locator.values.errors import InvalidQuery
from locator.web import params
from tests.both_stores import BOTH_STORES
from tests.helpers import assert_problem

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS


@pytest.mark.parametrize("raw", ["WGS84", "gcj02", " bd09 "])
def test_coord_system_any_case(raw):
    assert params.COORD.parse(MultiDict({"coord": raw})) == raw.strip().lower()


def test_coord_default_and_error():
    assert params.COORD.parse(MultiDict()) is None
    with pytest.raises(InvalidQuery) as err:
        params.COORD.parse(MultiDict({"coord": "mercator"}))
    assert err.value.param == "coord" and "wgs84, gcj02, bd09" in err.value.message


ODD = [
    # (query, parameter named)
    ("lon=１１３&lat=22.5", "lon"),  # full-width digits
    ("lon=١١٣&lat=22.5", "lon"),  # Arabic-Indic digits
    ("lon=1_13.08&lat=22.5", "lon"),  # underscores
    ("lon=113&lat=22.5&k=５", "k"),
    ("lon=113&lat=22.5&k=1_0", "k"),
    ("lon=113&lat=22.5&k=" + "9" * 5000, "k"),  # beyond Python's int conversion limit
    ("lon=113&lat=22.5&max_distance_m=1e999", "max_distance_m"),
    ("lon=113&lat=22.5&at=0001-01-01T00:00%2B14:00", "at"),
    ("lon=113&lat=22.5&at=9999-12-31T23:59", "at"),
    ("lon=113&lat=22.5&at=9999-12-31T23:59&open_now=true", "at"),
    ("lon=113&lat=22.5&bbox=1,2,3,４", None),  # bbox is not a nearest parameter: ignored
    ("town=４４０７０３００２", "town"),
]


@pytest.mark.parametrize(("query", "param"), ODD)
def test_odd_inputs_are_a_400_naming_the_parameter(client, query, param):
    resp = client.get(f"/api/v1/nearest?{query}")
    if param is None:
        assert resp.status_code == 200
        return
    assert_problem(resp, 400, param)


@pytest.mark.parametrize(
    "url",
    [
        "/?lon=113&lat=22.5&at=9999-12-31T23:59&open_now=true",
        "/?town=440703002&at=0001-01-01T00:00%2B14:00",
    ],
)
def test_odd_times_on_the_phone_page_are_a_400_page(client, url):
    resp = client.get(url, headers={"Accept": "text/html"})
    assert resp.status_code == 400 and "「at」" in resp.get_data(as_text=True)


def test_a_huge_bad_value_is_not_echoed_whole(client):
    junk = "x" * 100_000
    for url, param in (
        (f"/api/v1/nearest?lon={junk}&lat=22", "lon"),
        (f"/api/v1/nearest?lon=113&lat=22&layer={junk}", "layer"),
        (f"/api/v1/facilities/{junk}", None),
    ):
        resp = client.get(url)
        body = resp.get_json()
        assert resp.status_code in (400, 404) and body.get("param") == param
        assert len(body["detail"]) < 400 and "100000 characters" in body["detail"]
