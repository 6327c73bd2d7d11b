"""What a card says of the hours: the state on arrival first when it differs from now.

One rule (:func:`locator.operations.hours.hours_phrase`) decides, the server puts it into
words (:func:`locator.web.format.hours_text`) and the offline script mirrors both; here the
script runs in Node over a pack built by the server and must say the same words.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from locator.operations.hours import TZ, Calendar, hours_phrase, hours_status
from locator.operations.offline import build_pack
from locator.web import create_app
from locator.web.format import PHRASE_KEYS, hours_text
from locator.web.i18n import WEEKDAYS, translate
from tests.conftest import facility, write_layer

OFFLINE_JS = Path(__file__).resolve().parents[2] / "locator" / "web" / "static" / "offline.js"
NODE = shutil.which("node") or shutil.which("nodejs")

EXPRS = [
    "Mo-Su 07:00-21:00",
    "Mo-Fr 08:30-12:00,14:30-17:30; PH off",
    "24/7",
    "Mo-Fr 09:00-17:00; PH off",
    'Mo-Su 08:00-20:00; Sa unknown "call first"',
]
MON = dt.date(2026, 12, 7)  # a Monday, no holiday


def at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)


# (expression, departure, minutes on the way, the wording's key)
CASES = [
    (0, at(MON, 20, 50), 18.0, "arrive_closed"),  # the 20:50 rider, 18 min by e-bike
    (0, at(MON, 6, 50), 15.0, "arrive_open"),
    (0, at(MON, 12, 0), 10.0, "open_until"),
    (0, at(MON, 22, 0), 5.0, "closed_until"),
    (1, at(MON, 11, 55), 10.0, "arrive_closed"),
    (1, at(MON, 14, 20), 12.0, "arrive_open"),
    (1, at(MON + dt.timedelta(days=4), 18, 0), 3.0, "closed_until"),  # Friday: opens Monday
    (2, at(MON, 3, 0), 30.0, "open_always"),
    (3, at(MON + dt.timedelta(days=5), 10, 0), 3.0, "closed_until"),  # Saturday
    (4, at(MON + dt.timedelta(days=4), 23, 50), 15.0, "arrival_unknown_state"),  # into Sa
    (4, at(MON + dt.timedelta(days=5), 23, 50), 15.0, "arrival_closed"),  # into Su
    (4, at(MON + dt.timedelta(days=5), 12, 0), 15.0, "hours_unknown"),
]


def test_the_rule_puts_arrival_first():
    cal = Calendar()
    now = hours_status("Mo-Su 07:00-21:00", at(MON, 20, 50), cal)
    arrive = hours_status("Mo-Su 07:00-21:00", at(MON, 21, 8), cal)
    assert hours_text(now, "zh") == "营业中 · 21:00 关门"  # no trip: the state now
    assert hours_text(now, "zh", arrive) == "到达时已关门（21:00 关门）"
    assert hours_text(now, "en", arrive) == "Closed when you arrive (closes 21:00)"
    closed = hours_status("Mo-Su 07:00-21:00", at(MON, 6, 50), cal)
    opened = hours_status("Mo-Su 07:00-21:00", at(MON, 7, 5), cal)
    assert hours_text(closed, "zh", opened) == "到达时已开门（07:00 开门）"
    assert hours_phrase(closed, opened).state == "open"
    same = hours_status("Mo-Su 07:00-21:00", at(MON, 12, 0), cal)
    assert hours_text(same, "en", same) == "Open · closes 21:00"


@pytest.mark.skipif(NODE is None, reason="needs Node (installed with npm by make test)")
def test_offline_script_says_what_the_server_says():
    cal = Calendar()
    # a pack with one facility per expression, from the day before the cases
    pack = build_pack(
        "v",
        [(_info(), tuple(_fac(i, e) for i, e in enumerate(EXPRS)))],
        [],
        MON - dt.timedelta(days=1),
        calendar=cal,
    )
    index = {row[1]: row[9] for row in pack["facilities"]}
    cases, expected = [], []
    for expr_i, when, minutes, key in CASES:
        expr = EXPRS[expr_i]
        now = hours_status(expr, when, cal)
        arrive = hours_status(expr, when + dt.timedelta(minutes=minutes), cal)
        assert hours_phrase(now, arrive).key == key, (expr, when)
        cases.append([index[f"f{expr_i}"], when.timestamp() * 1000, minutes])
        expected.append({lang: hours_text(now, lang, arrive) for lang in ("zh", "en")})
    texts = {lang: {k: translate(k, lang) for k in PHRASE_KEYS} for lang in ("zh", "en")}
    script = """
      global.window = {};
      require(process.argv[1]);
      const O = window.LocatorOffline, input = JSON.parse(require('fs').readFileSync(0));
      const out = input.cases.map(([index, ms, minutes]) => {
        const now = O.statusAt(input.pack, index, ms);
        const arrive = O.statusAt(input.pack, index, ms + minutes * 60000);
        const phrase = O.hoursPhrase(now, arrive), words = {};
        for (const lang of ['zh', 'en']) {
          words[lang] = O.phraseText(phrase, input.texts[lang], input.weekdays[lang]);
        }
        return words;
      });
      process.stdout.write(JSON.stringify(out));
    """
    done = subprocess.run(
        [NODE, "-e", script, str(OFFLINE_JS)],
        input=json.dumps({"pack": pack, "cases": cases, "texts": texts, "weekdays": WEEKDAYS}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout) == expected


def _info():
    from locator.values.models import CollectionInfo

    return CollectionInfo(
        "love_stations",
        "爱心驿站",
        "Love stations",
        "point",
        "facility",
        len(EXPRS),
        True,
        (),
        None,
        "v",
    )


def _fac(i: int, expr: str):
    from locator.values.models import Facility

    return Facility(
        f"f{i}",
        "love_stations",
        f"站{i}",
        113.07,
        22.57,
        "440703",
        "440703002",
        "sample",
        {"opening_hours": expr},
    )


# ---------------------------------------------------------------- the pages and twins
#: 3.46 km east of the station: 18 minutes by e-bike (x 1.3 detour at 15 km/h)
STATION = (113.07, 22.57)


@pytest.fixture(scope="module")
def rider_client(tmp_path_factory):
    from tests.conftest import small_data_dir

    data = small_data_dir(tmp_path_factory.mktemp("rider"))
    write_layer(
        data,
        "love_stations",
        [facility("ls-late", *STATION, name="晚班驿站", opening_hours="Mo-Su 07:00-21:00")],
    )
    # east of the rider (3.46 km east of the station): two with no hours near, one
    # closed, one open further on
    rooms = [
        facility("mr-u1", _lon(3.76), STATION[1]),
        facility("mr-u2", _lon(4.06), STATION[1]),
        facility("mr-shut", _lon(4.26), STATION[1], opening_hours="Mo-Fr 08:00-09:00"),
        facility("mr-open", _lon(5.46), STATION[1], opening_hours="24/7"),
    ]
    for room in rooms[:2]:
        del room["properties"]["opening_hours"]
    write_layer(data, "mothers_rooms", rooms)
    return create_app({"DATA_DIR": str(data), "WATCH_DATA": False}).test_client()


def _lon(km_east: float) -> float:
    import math

    return STATION[0] + km_east * 1000 / (111_320 * math.cos(math.radians(STATION[1])))


def _from(lon_km: float) -> str:
    return f"lon={_lon(lon_km):.6f}&lat={STATION[1]}"


@pytest.mark.parametrize(
    ("lang", "words"),
    [("zh", "到达时已关门（21:00 关门）"), ("en", "Closed when you arrive (closes 21:00)")],
)
def test_every_page_and_twin_says_closed_on_arrival(rider_client, lang, words):
    query = f"{_from(3.46)}&travel=ebike&at=2026-12-07T20:50&layer=love_stations&lang={lang}"
    html = rider_client.get(f"/?{query}").get_data(as_text=True)
    card = re.search(r'<div class="hours state-(\w+)" data-phrase="(\w+)">([^<]*)<', html)
    assert card.groups() == ("closed", "arrive_closed", words)
    twin = rider_client.get(f"/api/v1/nearest?{query}&per_layer=true").get_json()
    (feature,) = twin["features"]
    assert feature["properties"]["hours_text"][lang] == words
    assert feature["properties"]["hours_phrase"] == "arrive_closed"
    # the card's details are those of the same trip
    details = re.search(r'class="btn alt details" href="([^"]+)"', html)[1].replace("&amp;", "&")
    page = rider_client.get(details)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-phrase="arrive_closed">{words}<' in text
    link = re.search(r'<([^>]+)>; rel="alternate"', page.headers["Link"])[1]
    props = rider_client.get(link).get_json()["properties"]
    assert props["hours_text"][lang] == words and props["trip"]["ebike_min"] == pytest.approx(
        18, abs=0.2
    )
    # nearer, open on arrival: the state now, as before
    near = rider_client.get(f"/?{_from(0.5)}&travel=ebike&at=2026-12-07T20:50&lang={lang}")
    assert 'data-phrase="open_until"' in near.get_data(as_text=True)


RIDER = f"{_from(3.46)}&travel=ebike&at=2026-12-07T20:50"


def _ids(answer: dict) -> list[str]:
    return [f["id"] for f in answer["features"]]


def test_open_on_arrival_leaves_unknown_hours_out_and_says_how_many(rider_client):
    query = f"/api/v1/nearest?{RIDER}&layer=mothers_rooms&open_now=true"
    strict = rider_client.get(query).get_json()
    assert _ids(strict) == ["mr-open"]
    assert strict["unknown_hours_left_out"] == 2
    assert strict["unknown_hours_left_out_by_layer"] == {"mothers_rooms": 2}
    shown = rider_client.get(query + "&include_unknown_hours=true").get_json()
    assert _ids(shown) == ["mr-u1", "mr-u2", "mr-open"]  # the closed one stays out
    assert [f["properties"]["hours_on_arrival"]["state"] for f in shown["features"]] == [
        "unknown",
        "unknown",
        "open",
    ]
    assert shown["unknown_hours_left_out"] == 0
    plain = rider_client.get(f"/api/v1/nearest?{RIDER}&layer=mothers_rooms").get_json()
    assert _ids(plain) == ["mr-u1", "mr-u2", "mr-shut", "mr-open"]
    assert plain["unknown_hours_left_out"] == 0
    # the page: the open one only, how many were left out, and a way to show them
    for lang, words in (("zh", "另有 2 个开放时间未登记"), ("en", "2 more with unknown hours")):
        html = rider_client.get(f"/?{RIDER}&open_now=true&lang={lang}").get_data(as_text=True)
        section = html.split('id="layer-mothers_rooms"')[1].split("</section>")[0]
        assert re.findall(r'<li class="facility" data-id="([^"]+)"', section) == ["mr-open"]
        assert words in section
        href = re.search(r'class="btn alt show-unknown" href="([^"]+)"', section)[1]
        more = rider_client.get("/" + href.replace("&amp;", "&")).get_data(as_text=True)
        section = more.split('id="layer-mothers_rooms"')[1].split("</section>")[0]
        ids = re.findall(r'<li class="facility" data-id="([^"]+)"', section)
        assert ids == ["mr-u1", "mr-u2", "mr-open"]
        assert section.count('data-phrase="hours_unknown"') == 2  # marked, never mixed in
        assert "show-unknown" not in section


@pytest.mark.skipif(NODE is None, reason="needs Node (installed with npm by make test)")
def test_offline_filter_leaves_out_what_the_server_leaves_out(rider_client):
    pack = rider_client.get("/offline/pack.json").get_json()
    at = dt.datetime(2026, 12, 7, 20, 50, tzinfo=TZ)
    if pack["start"] != at.date().isoformat():  # the pack starts today: ask in its days
        at = dt.datetime.fromisoformat(pack["start"] + "T20:50:00+08:00")
    cases, expected = [], []
    for keep in (False, True):
        query = (
            f"/api/v1/nearest?{_from(3.46)}&travel=ebike&at={at.isoformat()[:16]}"
            f"&per_layer=true&k=3&open_now=true&include_unknown_hours={str(keep).lower()}"
        )
        answer = rider_client.get(query.replace("+", "%2B")).get_json()
        cases.append([_lon(3.46), STATION[1], at.timestamp() * 1000, keep])
        expected.append([_ids(answer), answer["unknown_hours_left_out_by_layer"]])
    script = """
      global.window = {};
      require(process.argv[1]);
      const input = JSON.parse(require('fs').readFileSync(0));
      process.stdout.write(JSON.stringify(input.cases.map(([lon, lat, ms, keep]) => {
        const r = window.LocatorOffline.nearestByLayer(input.pack, lon, lat, 3, ms, 'ebike',
                                                       {open: true, keepUnknown: keep});
        return [r.map(x => x.id), r.unknownLeftOut];
      })));
    """
    done = subprocess.run(
        [NODE, "-e", script, str(OFFLINE_JS)],
        input=json.dumps({"pack": pack, "cases": cases}),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout) == expected
    assert expected[0][1] == {"mothers_rooms": 2} and "mr-u1" in expected[1][0]


def test_the_offline_details_page_is_kept_without_choosing_a_language(rider_client):
    """The worker keeps /offline/facility in each language: fetching the English one must
    not switch the visitor's pages to English (no lang cookie)."""
    client = rider_client.application.test_client()  # no cookies yet
    resp = client.get("/offline/facility?lang=en")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    config = json.loads(
        re.search(r'id="details-config">(.*?)</script>', resp.get_data(as_text=True), re.S)[1]
    )
    assert config["lang"] == "en" and config["texts"]["arrive_closed"].startswith("Closed")
    assert "Set-Cookie" in client.get("/?lang=en").headers  # a visitor's choice is kept
