"""Another city is another data directory: with a profile that names another city, code,
area code, hotline and metric CRS (and data files that never say 江门 or Jiangmen), no
page or answer shows Jiangmen's, and the other city's appear where Jiangmen's did."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from locator.values.city import CITY_PROFILE_FILE
from locator.values.paths import PACKAGE_DIR
from locator.web import create_app
from tests.conftest import DEFAULT_DATA_DIR

TOKEN = "correct-horse-battery-staple-2026"

HAICHENG = {
    "code": "449900",
    "name": {"zh": "海城市", "en": "Haicheng"},
    "short_name": {"zh": "海城", "en": "Haicheng"},
    "title": {"zh": "海城职工服务设施查询", "en": "Haicheng worker service locator"},
    "map": {"centre": [112.8, 22.3], "zoom": 10},
    "metric_crs": {"epsg": 32650, "name": "UTM 50N"},
    "time_zone": "Asia/Shanghai",
    "area_codes": ["0799"],
    "hotlines": [
        {
            "number": "4008123456",
            "label": {"zh": "海城市总工会服务热线", "en": "the Haicheng federation's hotline"},
        }
    ],
    "attribution": {"zh": "边界：海城测绘院", "en": "Boundaries: Haicheng survey office"},
    "map_attribution": {"zh": "边界：海城测绘院地图", "en": "Boundaries: Haicheng survey map"},
}

#: Jiangmen's, as anything that reaches a user might show them; the area code only where
#: it stands as a number of its own (coordinates such as 22.07503 hold the digits)
JIANGMEN = re.compile(r"江门|Jiangmen|(?<![\d.])0750(?!\d)|19262012351", re.IGNORECASE)


def readable(text: str) -> str:
    """``text`` as a reader sees it: JSON ``\\uXXXX`` escapes, URL escapes (a link's query)
    and HTML entities undone, so that an escaped 江门 is found too."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return html.unescape(unquote(text))


@pytest.fixture(scope="module")
def haicheng(tmp_path_factory) -> Path:
    """The bundled data with the Haicheng profile, 江门/Jiangmen replaced in every file."""
    d = tmp_path_factory.mktemp("haicheng")
    for path in DEFAULT_DATA_DIR.iterdir():
        if path.name in ("SOURCES.md", CITY_PROFILE_FILE) or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        (d / path.name).write_text(
            text.replace("江门", "海城").replace("Jiangmen", "Haicheng"), encoding="utf-8"
        )
    (d / CITY_PROFILE_FILE).write_text(
        json.dumps(HAICHENG, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    assert not any(JIANGMEN.search(p.read_text(encoding="utf-8")) for p in d.iterdir())
    return d


@pytest.fixture(scope="module")
def client(haicheng):
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(haicheng),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_TOKEN": TOKEN,
        }
    )
    return app.test_client()


@pytest.fixture(scope="module")
def ids(client) -> dict[str, str]:
    svc = client.application.extensions["locator.services"].current()
    return {
        "facility": svc.page("love_stations", None, 1).features[0].id,
        "route": svc.routes().routes[0].id,
    }


def _urls(ids: dict[str, str]) -> list[tuple[str, int]]:
    f, r = quote(ids["facility"]), quote(ids["route"])
    return [
        ("/", 200),
        ("/?lon=113.0726&lat=22.5761", 200),
        ("/?lon=114.9&lat=23.9", 200),  # outside the city
        ("/?town=440703002", 200),
        ("/map", 200),
        (f"/f/{f}", 200),
        ("/planner", 200),
        ("/planner?layer=love_stations&radius_m=1000&by=district&n=2", 200),
        ("/routes", 200),
        (f"/routes/{r}", 200),
        ("/admin/signin", 200),
        ("/no-such-page", 404),
        ("/?lon=abc&lat=22.5", 400),
        ("/manifest.webmanifest", 200),
        ("/api/v1/layers", 200),
        ("/api/v1/layers/love_stations?limit=5", 200),
        ("/api/v1/nearest?lon=113.0726&lat=22.5761", 200),
        ("/api/v1/nearest?lon=114.9&lat=23.9", 200),
        ("/api/v1/nearest?town=449900999", 400),
        (f"/api/v1/facilities/{f}", 200),
        ("/api/v1/coverage?layer=love_stations&radius_m=1000", 200),
        ("/api/v1/coverage.geojson?layer=love_stations&radius_m=1000", 200),
        ("/api/v1/routes", 200),
        (f"/api/v1/routes/{r}", 200),
        (f"/api/v1/routes/{r}.gpx", 200),
        ("/api/v1/openapi.json", 200),
        ("/ogc", 200),
        ("/ogc?f=html", 200),
        ("/ogc/api", 200),
        ("/ogc/collections", 200),
        ("/ogc/collections?f=html", 200),
        ("/ogc/collections/city", 200),
        ("/ogc/collections/city/items?f=html", 200),
        ("/ogc/collections/city/queryables", 200),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_page_or_answer_shows_jiangmen(client, ids, lang):
    for url, status in _urls(ids):
        sep = "&" if "?" in url else "?"
        resp = client.get(f"{url}{sep}lang={lang}")
        assert resp.status_code == status, url
        text = readable(resp.get_data(as_text=True))
        found = JIANGMEN.search(text)
        if found is not None:
            around = text[max(0, found.start() - 80) : found.end() + 80]
            pytest.fail(f"{url} shows {found.group()!r}: …{around}…")


def _text(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def test_the_other_city_appears_where_jiangmen_did(client, ids, app):
    home = _text(client, "/?lang=zh")
    assert "<title>海城职工服务设施查询</title>" in home
    assert 'href="tel:4008123456"' in home and "☎ 4008123456" in home  # the hotline box
    assert "边界：海城测绘院" in home  # the footer
    assert '"hotline":"4008123456"' in home.replace(" ", "")  # phone.js's fallback
    home_en = _text(client, "/?lang=en")
    assert "<title>Haicheng worker service locator</title>" in home_en
    assert "Boundaries: Haicheng survey office" in home_en
    outside = _text(client, "/?lon=114.9&lat=23.9&lang=zh")
    assert "这个位置在海城市以外约" in outside and "下面是海城最近的设施" in outside
    outside_en = _text(client, "/?lon=114.9&lat=23.9&lang=en")
    assert "km outside Haicheng; below are the nearest facilities in Haicheng." in outside_en

    f = quote(ids["facility"])
    page = _text(client, f"/f/{f}?lang=zh")
    assert "拨打海城市总工会服务热线 4008123456" in page  # the station lists no phone
    assert "region=" + quote("海城") in page  # Baidu directions in this city
    assert "call the Haicheng federation&#39;s hotline 4008123456" in _text(
        client, f"/f/{f}?lang=en"
    )

    map_page = readable(_text(client, "/map?lang=zh"))
    assert "边界：海城测绘院地图" in map_page  # the maps' attribution line
    assert re.search(r"center:\s*\[22\.3,\s*112\.8\]", map_page)  # the profile's centre
    assert re.search(r'"zoom":\s*10\b', map_page)
    bundled_map = readable(_text(app.test_client(), "/map?lang=zh"))  # the same, for Jiangmen
    assert re.search(r"center:\s*\[22\.25,\s*112\.75\]", bundled_map)
    assert re.search(r'"zoom":\s*9\b', bundled_map)

    planner = _text(client, "/planner?lang=zh")
    assert "在海城陆地的规则网格上（UTM 50N）计算" in planner
    assert "over Haicheng's land (UTM 50N" in readable(_text(client, "/planner?lang=en"))

    coverage = json.loads(_text(client, "/api/v1/coverage?layer=love_stations&radius_m=1000"))
    city = coverage["city"]
    assert (city["code"], city["name"], city["name_en"]) == ("449900", "海城市", "Haicheng")
    assert any("UTM 50N" in n for n in coverage["notes"])

    api = json.loads(_text(client, "/api/v1/openapi.json"))
    assert api["info"]["title"] == "locator · 海城职工服务设施查询 API"
    assert "in Haicheng." in api["info"]["description"]
    landing = json.loads(_text(client, "/ogc"))
    assert landing["title"] == "海城职工服务设施 · Haicheng worker service facilities"
    collections = json.loads(_text(client, "/ogc/collections"))
    (city_coll,) = [c for c in collections["collections"] if c["id"] == "city"]
    assert city_coll["title"] == "海城市 · Haicheng city"
    assert "海城市行政边界" in city_coll["description"]
    gpx = _text(client, f"/api/v1/routes/{quote(ids['route'])}.gpx")
    assert 'creator="locator · 海城职工服务设施查询"' in gpx
    manifest = json.loads(_text(client, "/manifest.webmanifest"))
    assert manifest["name"] == "海城职工服务设施查询 · Haicheng worker service locator"


def test_the_grid_is_in_the_profiles_metric_crs(client, app):
    """The planner measures in the profile's CRS: the same cells' centres lie where UTM
    50N puts them, not where the bundled profile's UTM 49N does."""
    other = client.application.extensions["locator.services"].current().grid(1000)
    bundled = app.extensions["locator.services"].current().grid(1000)
    assert (other.epsg, bundled.epsg) == (32650, 32649)
    assert other.x.mean() < 100_000 < 600_000 < bundled.x.mean()  # west of 50N's meridian
    assert abs(other.size - bundled.size) / bundled.size < 0.05  # the same land


def test_the_apps_own_scripts_name_no_city():
    for path in sorted((PACKAGE_DIR / "web" / "static").rglob("*.js")):
        assert not JIANGMEN.search(path.read_text(encoding="utf-8")), path.name
