"""The phone page's second pass, below the browser: words for hours and durations, the
remembered choices, and what the map's caches key on."""

from __future__ import annotations

import json
import re

import pytest

from locator.web import create_app
from locator.web.format import duration_text, estimates, opening_hours_text
from tests.both_stores import BOTH_STORES

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS


@pytest.mark.parametrize(
    ("osm", "zh", "en"),
    [
        (
            "Mo-Fr 09:00-17:00; PH off",
            "周一至周五 09:00–17:00；法定节假日休息",
            "Mon–Fri 09:00–17:00; public holidays: closed",
        ),
        ("Mo-Su 09:00-21:00", "每天 09:00–21:00", "daily 09:00–21:00"),
        (
            "Mo-Fr 08:30-12:00,14:30-17:30; PH off",
            "周一至周五 08:30–12:00、14:30–17:30；法定节假日休息",
            "Mon–Fri 08:30–12:00, 14:30–17:30; public holidays: closed",
        ),
        ("Mo,We,Fr 09:00-17:00", "周一、周三、周五 09:00–17:00", "Mon, Wed, Fri 09:00–17:00"),
        ("24/7", "每天 24 小时", "24 hours, every day"),
    ],
)
def test_common_hours_in_words(osm, zh, en):
    assert opening_hours_text(osm, "zh") == zh
    assert opening_hours_text(osm, "en") == en


@pytest.mark.parametrize(
    "osm",
    [
        "Mo-Fr 08:00-12:00; Mo-Fr 14:00-18:00",  # the second rule replaces the first
        "Mo-Fr 08:00-18:00; Mo 09:00-10:00",
        "Mo-Fr",  # open all day: the week table says it
        "24/7; PH off",
        "sunrise-sunset",
        'Mo-Fr 08:00-18:00 "by appointment"',
    ],
)
def test_hours_words_never_contradict_the_rule(osm):
    assert opening_hours_text(osm, "zh") is None


def test_durations_and_estimates_read_cleanly():
    assert duration_text(60, "zh") == "1 小时" and duration_text(60, "en") == "1 h"
    assert duration_text(95, "zh") == "1 小时 35 分钟"
    assert estimates(0.1, 0.03, "walk", "zh") == ["步行约 1 分钟", "电动车约 1 分钟"]
    assert estimates(200, 60, "ebike", "en") == ["about 60 min by e-bike", "too far to walk"]
    assert estimates(40_000, 12_000, "walk", "zh") == ["太远，不作时间估算"]


def test_the_language_link_stays_on_this_site(client):
    html = client.get("/%5Cevil.example", headers={"Accept": "text/html"}).get_data(as_text=True)
    (href,) = re.findall(r'<a class="lang" href="([^"]+)"', html)
    assert href == "/?lang=en"


def test_remembered_choices_are_normalised(client):
    resp = client.get("/?travel=EBIKE&lang=EN&lon=113.0815&lat=22.5787")
    cookies = resp.headers.getlist("Set-Cookie")
    assert any(c.startswith("travel=ebike;") for c in cookies)
    assert any(c.startswith("lang=en;") for c in cookies)
    assert 'lang="en"' in resp.get_data(as_text=True)


def _etag(config: dict) -> str:
    app = create_app({"WATCH_DATA": False, **config})
    return app.test_client().get("/map").headers["ETag"]


def test_the_map_etag_follows_tiles_and_points_follow_the_drawing_limit():
    assert _etag({"TILES": "none"}) != _etag({"TILES": "amap"})
    few = create_app({"WATCH_DATA": False, "TILES": "none", "MAP_MAX_POINTS": 10})
    html = few.test_client().get("/map").get_data(as_text=True)
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', html, re.S)[1])
    assert config["points"].endswith("-none-10")


def test_the_manifest_names_the_app_in_both_languages_and_its_icons_exist(client):
    import struct

    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert "江门职工服务设施查询" in body["name"] and "Jiangmen" in body["name"]
    assert body["start_url"] == "/" and body["display"] == "standalone"
    for icon in body["icons"]:
        png = client.get(icon["src"]).data
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert f"{width}x{height}" == icon["sizes"]
    assert client.get("/icons/icon-7.png").status_code == 404
    assert '<link rel="manifest" href="/manifest.webmanifest">' in client.get("/").get_data(
        as_text=True
    )


def test_a_layer_too_large_for_a_phone_is_not_packed_and_the_pack_says_so():
    import datetime as dt

    from locator.operations.hours import Calendar
    from locator.operations.offline import build_pack
    from tests.helpers import make_layer

    small = make_layer("love_stations", [113.08], [22.58])
    big = make_layer("book_rooms", [113.08, 113.09, 113.1], [22.58, 22.59, 22.6])
    pack = build_pack(
        "v1",
        [(small.info(), small.facilities), (big.info(), big.facilities)],
        [],
        dt.date(2026, 11, 24),
        max_points=2,
        calendar=Calendar(),
    )
    assert [layer["id"] for layer in pack["layers"]] == ["love_stations"]
    assert pack["not_packed"] == [
        {
            "id": "book_rooms",
            "name_zh": big.info().name_zh,
            "name_en": big.info().name_en,
            "count": 3,
        }
    ]
    assert {row[0] for row in pack["facilities"]} == {0}
