"""Pages in a real browser: Debian's Chromium driven by Playwright, on a 360x640 phone.

Chromium is never downloaded by Playwright: the tests use /usr/bin/chromium (Debian's
package, installed by .ci/run). They do not skip when it is missing: they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import sync_playwright

from locator.values.geo.crs import wgs84_to_gcj02
from tests.conftest import (
    facility,
    reference_dir,
    serve,
    write_layer,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
PENGJIANG = {"latitude": 22.5787, "longitude": 113.0815}  # central 蓬江区
TILE_HOST = "tile.openstreetmap.org"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
HOSTILE = [
    "<script>window.__pwned=1;alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
]


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is required: apt-get install chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


class Recorder:
    """Records every request a page makes; answers tile requests offline, refuses others."""

    def __init__(self, base: str):
        self.base_host = urlparse(base).netloc
        self.urls: list[str] = []

    def __call__(self, route):
        url = route.request.url
        self.urls.append(url)
        host = urlparse(url).netloc
        if host == self.base_host or url.startswith("data:"):
            route.continue_()
        elif host.endswith(TILE_HOST):
            route.fulfill(status=200, content_type="image/png", body=PNG_1PX)
        else:
            route.abort()

    def foreign_hosts(self) -> set[str]:
        hosts = {urlparse(u).netloc for u in self.urls if not u.startswith("data:")}
        return {h for h in hosts if h != self.base_host and not h.endswith(TILE_HOST)}


def new_page(browser, base, **context_args):
    ctx = browser.new_context(**{**PHONE, **context_args})
    recorder = Recorder(base)
    ctx.route("**/*", recorder)
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return ctx, page, recorder, dialogs


def transferred_bytes(page) -> int:
    """Bytes over the wire (compressed bodies + headers) of the document and every resource
    except map tiles, from the Resource Timing API."""
    return page.evaluate(
        """(tile) => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource')
            .filter(e => !e.name.includes(tile));
        return nav.transferSize + res.reduce((s, e) => s + e.transferSize, 0);
    }""",
        TILE_HOST,
    )


def api_json(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=10) as resp:
        return json.loads(resp.read())


def test_locate_me_lists_what_the_api_returns(browser, live_server):
    ctx, page, rec, dialogs = new_page(
        browser, live_server, geolocation=PENGJIANG, permissions=["geolocation"]
    )
    page.goto(live_server + "/")
    page.click(".locate-btn >> nth=0")
    page.wait_for_selector("#results li.facility")
    qs = parse_qs(urlparse(page.url).query)
    lon, lat = qs["lon"][0], qs["lat"][0]
    assert float(lon) == pytest.approx(113.0815) and float(lat) == pytest.approx(22.5787)
    api = api_json(live_server, f"/api/v1/nearest?lon={lon}&lat={lat}&per_layer=true&k=3")
    expected = [f["id"] for f in api["features"]]
    shown = page.eval_on_selector_all("#results li.facility", "els => els.map(e => e.dataset.id)")
    assert shown == expected
    sections = page.eval_on_selector_all(
        "#results section.layer", "els => els.map(e => e.dataset.layer)"
    )
    assert sections[0] == "love_stations"
    # the navigate link hands AMap GCJ-02 coordinates
    first = api["features"][0]
    href = page.get_attribute(f'li.facility[data-id="{first["id"]}"] a.nav-amap', "href")
    to = parse_qs(urlparse(href).query)["to"][0].split(",")
    want = wgs84_to_gcj02(*first["geometry"]["coordinates"])
    assert float(to[0]) == pytest.approx(want[0], abs=2e-6)
    assert float(to[1]) == pytest.approx(want[1], abs=2e-6)
    assert parse_qs(urlparse(href).query)["coordinate"] == ["gaode"]
    assert page.locator(".sample-banner").first.is_visible()
    assert page.locator('p.hotline a[href="tel:19262012351"]').is_visible()
    # no station has a phone yet: every card offers the federation's hotline, said to be
    # the federation's, not the station's
    cards = page.locator("#results li.facility")
    assert page.locator("#results li.facility a.hotline-fallback").count() == cards.count()
    assert "非本站" in page.locator("a.hotline-fallback").first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-360x640.png"))
    assert not dialogs and rec.foreign_hosts() == set()
    ctx.close()


def test_the_whole_first_card_is_above_the_fold(browser, live_server):
    """Issue #21: after "use my position" on a 360x640 phone, the whole first card (name,
    distance, estimates, the hours on arrival, navigate) is on screen without scrolling,
    in Chinese and in English; its buttons stay 44 px high."""
    for lang in ("zh", "en"):
        ctx, page, _, _ = new_page(
            browser,
            live_server,
            geolocation=PENGJIANG,
            permissions=["geolocation"],
            locale="zh-CN" if lang == "zh" else "en-US",
        )
        page.goto(f"{live_server}/?lang={lang}&travel=ebike&at=2026-12-07T20:50")
        page.click(".locate-btn >> nth=0")
        page.wait_for_selector("#results li.facility")
        assert page.evaluate("window.scrollY") == 0
        card = page.locator("#results li.facility").first
        assert card.bounding_box()["y"] + card.bounding_box()["height"] <= 640, lang
        for part in (".name", ".distance", ".estimate", ".hours", "a.nav-amap"):
            box = card.locator(part).first.bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 640, part
        heights = card.locator(".actions .btn").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 44
        ctx.close()


def test_town_picker_works_with_geolocation_denied(browser, live_server):
    ctx, page, rec, _ = new_page(browser, live_server, permissions=[])
    page.goto(live_server + "/")
    page.click(".locate-btn >> nth=0")
    page.wait_for_function("document.querySelector('.locate-msg').textContent.includes('镇')")
    page.select_option("#town", "440703005")  # 潮连街道
    page.click(".town-form input[type=submit]")
    page.wait_for_selector("#results li.facility")
    assert "潮连街道" in page.inner_text("#results")
    ctx.close()


def test_town_picker_without_javascript(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server, java_script_enabled=False)
    page.goto(live_server + "/")
    assert not page.locator(".locate-btn").first.is_visible()  # the button needs JavaScript
    page.select_option("#town", "440781001")  # 台城街道
    page.click(".town-form input[type=submit]")
    page.wait_for_selector("#results li.facility")
    ctx.close()


def test_budget_and_speed_of_the_phone_page(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + "/?lon=113.0815&lat=22.5787")
    page.wait_for_selector("#results li.facility", state="visible")
    visible_ms = page.evaluate("performance.now()")
    page.wait_for_load_state("load")
    size = transferred_bytes(page)
    print(
        f"\n/ with a position: {size / 1024:.1f} KB transferred, results visible after "
        f"{visible_ms:.0f} ms"
    )
    # the offline pack comes after the page has loaded, never before the results
    page.wait_for_timeout(1000)
    pack_start, loaded = page.evaluate("""() => [
        (performance.getEntriesByType('resource').find(e => e.name.includes('pack.json'))
         || {startTime: -1}).startTime,
        performance.getEntriesByType('navigation')[0].loadEventEnd]""")
    assert pack_start >= loaded > 0
    assert size <= 150 * 1024
    assert visible_ms <= 1500
    ctx.close()


def map_name(page) -> str:
    return page.evaluate("JSON.parse(document.getElementById('map-config').textContent).map")


YOU_AT = """() => {
  const map = window[JSON.parse(document.getElementById('map-config').textContent).map];
  let at = null;
  map.eachLayer((l) => {
    const html = l.options && l.options.icon && l.options.icon.options.html;
    if (html && String(html).includes('you-dot')) { const p = l.getLatLng(); at = [p.lat, p.lng]; }
  });
  return at;
}"""


def test_your_position_on_amap_tiles_is_drawn_in_gcj02_like_the_facilities(browser):
    """AMap's tiles are GCJ-02: a position given in the address (WGS-84) is shifted like
    every overlay, not drawn ~500 m off."""
    from locator.values.geo.crs import CoordSystem, from_wgs84

    with serve(tiles="amap") as base:
        ctx, page, _, _ = new_page(browser, base)
        page.goto(base + "/map?lon=113.0815&lat=22.5787")
        page.wait_for_selector("html[data-map-ready=true]", state="attached")
        lat, lon = page.evaluate(YOU_AT)
        ctx.close()
    want_lon, want_lat = from_wgs84(113.0815, 22.5787, CoordSystem.GCJ02)
    assert abs(lon - want_lon) < 1e-6 and abs(lat - want_lat) < 1e-6, (lon, lat)
    assert abs(lon - 113.0815) > 1e-3  # the shift is real here (about 500 m)


def test_map_page_budget_hosts_and_screenshot(browser, live_server):
    ctx, page, rec, dialogs = new_page(browser, live_server)
    page.goto(live_server + "/map?lon=113.0815&lat=22.5787")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    page.wait_for_selector(".mix-cluster, path.leaflet-interactive", state="attached")
    page.wait_for_load_state("networkidle")
    size = transferred_bytes(page)
    print(f"\n/map: {size / 1024:.1f} KB transferred excluding tiles")
    assert size <= 250 * 1024
    assert not any("jquery" in u for u in rec.urls)
    # legend + layer switch: one chip per layer and overlay, each at least 44 px high
    chips = page.locator(".chips .chip")
    assert chips.count() == 6
    for box in chips.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)"):
        assert box >= 44
    for box in page.eval_on_selector_all(
        ".leaflet-bar a, .leaflet-bar button",
        "els => els.map(e => [e.offsetWidth, e.offsetHeight])",
    ):
        assert box[0] >= 44 and box[1] >= 44
    # your position: its own marker, not a facility colour
    assert page.locator(".you-dot").count() == 1
    # the attribution is one line until tapped
    attribution = page.locator(".leaflet-control-attribution")
    assert attribution.evaluate("e => e.getBoundingClientRect().height") < 20
    assert "GeoNames" in attribution.inner_text()
    # switching a layer off takes its markers out of the clustering
    before = page.evaluate(f"window['{map_name(page)}']._layers ? 1 : 0")
    assert before == 1
    page.click(".chip[data-index='0']")
    assert page.get_attribute(".chip[data-index='0']", "aria-pressed") == "false"
    assert any(TILE_HOST in u for u in rec.urls)  # the configured tile server is used
    assert rec.foreign_hosts() == set()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-360x640.png"))
    assert not dialogs
    ctx.close()


def test_map_without_javascript_points_to_the_list(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server, java_script_enabled=False)
    page.goto(live_server + "/map")
    assert "JavaScript" in page.inner_text("main")
    assert page.locator("main a[href='/']").count() >= 1
    ctx.close()


def test_map_popup_button_is_readable_and_the_map_does_not_move(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + "/map")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    box = page.locator(".folium-map").bounding_box()
    # a tap on an empty spot of the map (a tap on a cluster zooms in instead)
    page.evaluate(f"window['{map_name(page)}'].fire('click', {{latlng: L.latLng(22.25, 112.75)}})")
    link = page.locator("#map-status a.find-here")
    link.wait_for()
    assert page.locator(".leaflet-popup").count() == 0  # no popup to pan the map
    assert page.locator(".folium-map").bounding_box()["y"] == box["y"]  # nothing pushed it
    colours = link.evaluate("""e => [getComputedStyle(e).color,
                                      getComputedStyle(e).backgroundColor]""")
    assert contrast(*colours) >= 4.5, colours
    ctx.close()


def test_a_map_popup_says_the_hours_as_the_card_does(browser, live_server):
    """A facility's popup on /map says its hours in the card's words, on arrival from the
    position the map was opened at (the time injected with at=)."""
    trip = "lon=113.0815&lat=22.5787&travel=ebike&at=2026-12-07T20:50"
    (near,) = api_json(live_server, f"/api/v1/nearest?{trip}&k=1&layer=love_stations")["features"]
    said = api_json(live_server, f"/api/v1/facilities/{near['id']}?{trip}")["properties"]
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(f"{live_server}/map?{trip}")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    page.evaluate(
        """async ([name, id]) => {
        const cfg = JSON.parse(document.getElementById('map-config').textContent);
        const row = (await (await fetch(cfg.points)).json()).rows.find(r => r[3] === id);
        window[name].setView([row[0], row[1]], 17, {animate: false});
    }""",
        [map_name(page), near["id"]],
    )
    page.wait_for_function(
        """([name, id]) => {
        let opened = false;
        window[name].eachLayer(l => {
            const box = l.getPopup && l.getPopup() && l.getPopup().getContent();
            const a = box && box.querySelector && box.querySelector('a');
            if (!opened && a && a.pathname === '/f/' + id && l.getLatLng) {
                l.openPopup(); opened = true;
            }
        });
        return opened;
    }""",
        arg=[map_name(page), near["id"]],
    )
    hours = page.locator(".leaflet-popup .hours[data-phrase]")
    hours.wait_for()
    assert hours.inner_text() == said["hours_text"]["zh"]
    assert hours.get_attribute("data-phrase") == said["hours_phrase"]
    link = page.get_attribute(".leaflet-popup a", "href")
    assert "lon=113.081500" in link and "travel=ebike" in link  # the details of that trip
    ctx.close()


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two ``rgb(...)`` colours."""

    def lum(css: str) -> float:
        r, g, b = (int(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((lum(fg), lum(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_facility_page_hosts(browser, live_server):
    ctx, page, rec, dialogs = new_page(browser, live_server)
    page.goto(live_server + "/f/sc-0001")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr.today").count() == 1
    assert rec.foreign_hosts() == set() and not dialogs
    ctx.close()


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    data = reference_dir(tmp_path_factory.mktemp("hostile"))
    feats = []
    for i, payload in enumerate(HOSTILE):
        feats.append(
            facility(
                f"h-{i}",
                113.0815 + 0.01 * i,
                22.5787,
                name=payload,
                address=payload,
                opening_hours=f'Mo-Su 00:00-24:00 "{payload.replace(chr(34), "")}"',
                source="sample",
            )
        )
    write_layer(data, "love_stations", feats)
    with serve(data, tiles="none") as base:
        yield base


def test_hostile_names_stay_text(browser, hostile_server):
    ctx, page, _, dialogs = new_page(browser, hostile_server)
    page.goto(hostile_server + "/?lon=113.0815&lat=22.5787")
    names = page.eval_on_selector_all("li.facility .name", "els => els.map(e => e.textContent)")
    assert sorted(names) == sorted(HOSTILE)
    for i, payload in enumerate(HOSTILE):
        page.goto(f"{hostile_server}/f/h-{i}")
        assert page.inner_text("h2.name") == payload
        assert page.inner_text("td.address") == payload
        assert payload.replace('"', "") in page.inner_text("td.opening-hours")
    # map: open every popup and tooltip; their content must be the same text
    page.goto(hostile_server + "/map?lon=113.0915&lat=22.5787")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    page.wait_for_load_state("networkidle")
    texts = page.evaluate(
        """(name) => {
        const map = window[name];
        map.setZoom(17, {animate: false});
        const out = [];
        map.eachLayer(l => {
            if (l.getPopup && l.getPopup() && l.getLatLng) {
                if (l.getTooltip()) {  // hover tooltips: not on a touch screen
                    l.openTooltip(); out.push(l.getTooltip().getElement().textContent);
                }
                l.openPopup(); out.push(l.getPopup().getElement().textContent);
            }
        });
        return out;
    }""",
        map_name(page),
    )
    assert texts and all(any(p in t for p in HOSTILE) for t in texts)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    ctx.close()


def test_bad_parameter_gives_a_friendly_page(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server)
    resp = page.goto(live_server + "/?lon=abc&lat=22.5")
    assert resp.status == 400
    assert "lon" in page.inner_text("main") and "返回首页" in page.inner_text("main")
    ctx.close()


def test_routes_on_a_phone(browser, live_server):
    """A tourist opens the route list, filters it without JavaScript, opens a route and
    sees its numbered stops on the map, and nothing is fetched from another host."""
    ctx, page, rec, dialogs = new_page(browser, live_server, java_script_enabled=False)
    page.goto(live_server + "/routes")
    assert page.locator("li.card.route").count() == 12
    assert "示意" in page.inner_text(".illustrative")
    page.select_option("select[name=theme]", "温泉")
    page.click("input[type=submit]")
    assert page.locator("li.card.route").count() == 2
    ctx.close()
    ctx, page, rec, dialogs = new_page(browser, live_server)
    page.goto(live_server + "/routes")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "routes-zh-360x640.png"))
    page.click("li.card.route[data-id=rr-01] h3 a")
    page.wait_for_load_state("networkidle")
    assert page.locator(".route-stop").count() == 6  # numbered stop markers on the map
    assert page.locator("ol.stops li").count() == 6
    assert page.locator("ol.along li").count() > 0
    assert page.get_attribute("a[href$='.gpx']", "download") is not None
    page.screenshot(path=str(ARTIFACTS / "route-zh-360x640.png"), full_page=True)
    assert rec.foreign_hosts() == set() and not dialogs
    ctx.close()


def test_planner_on_a_laptop_and_a_phone(browser, live_server):
    """A planner runs an analysis from the form (a real POST from the browser), sees the
    map, bars, table and suggestions, and nothing comes from another host."""
    ctx, page, rec, dialogs = new_page(
        browser,
        live_server,
        viewport={"width": 1280, "height": 800},
        is_mobile=False,
        has_touch=False,
    )
    page.goto(live_server + "/planner")
    page.check("input[name=layer][value=service_centers]")
    page.fill("input[name=radius_m]", "2000")
    page.select_option("select[name=by]", "town")
    page.select_option("select[name=demand]", "heshan-2020")
    page.fill("input[name=n]", "5")
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("table.coverage tbody tr").count() == 73
    assert page.locator("#suggestions li").count() == 5
    # the map comes after the figures, in its own frame, with the same sites
    page.locator("iframe.planner-map").scroll_into_view_if_needed()
    sites = page.frame_locator("iframe.planner-map").locator(".numbered-site")
    sites.first.wait_for()
    assert sites.count() == 5
    summary = page.inner_text("#summary")
    assert "按需求加权" in summary and "仅覆盖 鹤山市" in summary  # Heshan only, and says so
    assert page.locator("#suggestions .quality").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "planner-zh-1280.png"), full_page=True)
    assert rec.foreign_hosts() == set() and not dialogs
    ctx.close()
    ctx, page, rec, dialogs = new_page(browser, live_server)
    page.goto(live_server + "/planner?layer=love_stations&radius_m=1000&lang=en")
    assert page.locator("table.coverage tbody tr").count() == 7
    assert "4,798,090 people" in page.inner_text("#summary")  # the whole city by default
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1  # the table scrolls inside its box, the page does not
    page.screenshot(path=str(ARTIFACTS / "planner-en-360x640.png"))
    assert rec.foreign_hosts() == set()
    ctx.close()


ADMIN_TOKEN = "browser-admin-token-0123456789"


def test_admin_import_on_a_phone_keeps_hostile_names_as_text(browser, tmp_path):
    """A clerk signs in, uploads a register whose names are hostile and whose rows have
    errors, reads the report, fixes nothing, then uploads a clean one and confirms."""
    from tests.registers import good_rows, write_register

    (tmp_path / "data").mkdir()
    data = reference_dir(tmp_path / "data")
    write_layer(data, "love_stations", [facility("ls-1", 113.0726, 22.5761, source="sample")])
    rows = good_rows()
    bad_rows = [list(r) for r in rows]
    for row, payload in zip(bad_rows, HOSTILE, strict=True):
        row[0] = payload
        row[4] = payload  # not a phone number: an error that repeats the value
    bad = write_register(tmp_path / "bad", "csv-gb18030", bad_rows)
    for row, payload in zip(rows, HOSTILE, strict=True):
        row[0] = payload
    good = write_register(tmp_path / "good", "csv-utf8", rows)
    with serve(data, tiles="none", env_extra={"LOCATOR_ADMIN_TOKEN": ADMIN_TOKEN}) as base:
        for lang in ("zh", "en"):
            ctx, page, rec, dialogs = new_page(browser, base)
            q = "?lang=en" if lang == "en" else ""
            page.goto(base + "/admin/import" + q)
            assert "/admin/signin" in page.url
            page.fill("#token", ADMIN_TOKEN)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/import*")
            page.select_option("#coord", "wgs84")
            page.set_input_files("#file", str(bad))
            page.click("button[value=check]")
            lines = page.eval_on_selector_all("ol.report li", "els => els.map(e => e.textContent)")
            assert len(lines) == 3 and all(any(p in t for p in HOSTILE) for t in lines)
            assert page.locator("input[name=staged]").count() == 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"admin-report-{lang}.png"), full_page=True)
            page.goto(base + "/admin/import" + q)
            page.select_option("#coord", "wgs84")
            page.set_input_files("#file", str(good))
            page.click("button[value=check]")
            page.click("button[value=apply]")
            page.wait_for_selector(".ok[role=status]")  # under load the answer may lag
            assert page.locator(".ok[role=status]").count() == 1
            page.goto(base + "/admin/history" + q)
            page.screenshot(path=str(ARTIFACTS / f"admin-history-{lang}.png"), full_page=True)
            assert (
                page.locator(
                    "button:has-text('回退到此版本'), button:has-text('Roll back to this')"
                ).count()
                >= 1
            )
            for box in page.eval_on_selector_all(
                "button, a.btn, select, input:not([type=hidden])",
                "els => els.map(e => "
                "{const r = e.getBoundingClientRect(); return [r.width, r.height]})",
            ):
                assert box[0] >= 24 and box[1] >= 24, box
            assert page.evaluate("window.__pwned") is None and dialogs == []
            assert not rec.foreign_hosts()
            ctx.close()
        imported = api_json(base, "/api/v1/layers/love_stations")
        assert sorted(f["properties"]["name"] for f in imported["features"]) == sorted(HOSTILE)


# --------------------------------------------------------------------------- accessibility

AXE_JS = Path(
    os.environ.get("LOCATOR_AXE_JS")
    or Path(__file__).resolve().parents[2]
    / ".venv"
    / "npm"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
# Characters of the page drawn on a canvas in the page's font; one that draws exactly like
# a character no font has (the "tofu" box) has no glyph on this machine.
TOFU_JS = r"""(extra) => {
  const text = document.body.innerText + (extra || '');
  const chars = [...new Set([...text].filter(c => c.codePointAt(0) > 0x2000 && !/\s/.test(c)
                                               && !/[\uFE00-\uFE0F\u200B-\u200D]/.test(c)))];
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const font = '28px ' + getComputedStyle(document.body).fontFamily;
  function draw(c) {
    ctx.clearRect(0, 0, 48, 48); ctx.font = font; ctx.fillText(c, 4, 36);
    return canvas.toDataURL();
  }
  const tofu = new Set(['\u{10FFFD}', '\u{E000}', '\u{F8FF}'].map(draw));
  return chars.filter(c => tofu.has(draw(c)));
}"""


def missing_glyphs(page, extra: str = "") -> list[str]:
    return page.evaluate(TOFU_JS, extra)


#: every WCAG 2.x A and AA rule up to 2.2 (target size included), and axe's best practices
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def serious_axe_violations(page) -> list[str]:
    assert AXE_JS.exists(), f"axe-core is installed by `make test` (npm): {AXE_JS}"
    # evaluated by the test's own channel: the pages' policy refuses an inline <script>
    page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: AXE_TAGS},"
        " resultTypes: ['violations']})".replace("AXE_TAGS", json.dumps(AXE_TAGS))
    )
    return [
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


A11Y_PAGES = [
    "/",
    "/?lang=en&lon=113.0815&lat=22.5787",
    "/map",
    "/f/sc-0001",
    "/f/no-such-facility",
    "/?lang=en&lon=abc",
]


@pytest.mark.parametrize("path", A11Y_PAGES)
def test_axe_finds_nothing_serious_and_every_glyph_is_there(browser, live_server, path):
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + path)
    if path == "/map":
        page.wait_for_selector("html[data-map-ready=true]", state="attached")
        name = map_name(page)
        page.evaluate(
            """async (name) => {   // go to the first facility, closer than clusters
            const cfg = JSON.parse(document.getElementById('map-config').textContent);
            const row = (await (await fetch(cfg.points)).json()).rows[0];
            window[name].setView([row[0], row[1]], 17, {animate: false});
        }""",
            name,
        )
        page.wait_for_function(
            """(name) => {   // with a facility's popup open
            let opened = false;
            window[name].eachLayer(l => {
                if (!opened && l.getPopup && l.getPopup() && l.getLatLng) {
                    l.openPopup(); opened = true;
                }
            });
            return opened;
        }""",
            arg=name,
        )
        page.locator(".leaflet-popup").wait_for()
        page.wait_for_timeout(400)  # the popup's fade-in, which axe would read as low contrast
    assert serious_axe_violations(page) == []
    assert missing_glyphs(page) == []
    ctx.close()


def test_the_tofu_check_can_fail(browser, live_server):
    """Gothic letters have no font on this machine: the check must see them as missing."""
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + "/")
    assert missing_glyphs(page, "𐌰𐌱") == ["𐌰", "𐌱"]
    ctx.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?lon=113.0815&lat=22.5787",
        "/?lang=en&town=440703005",
        "/map",
        "/f/sc-0001",
        "/routes",
        "/f/nope",
    ],
)
def test_targets_are_big_enough_for_a_thumb(browser, live_server, path):
    """WCAG 2.2 target size: everything one taps at least 24x24 CSS px (links inside a
    sentence aside), the primary controls at least 44 px high."""
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    small = page.evaluate("""() => {
      const out = [];
      const primary = 'nav a, .btn, .big, select, input[type=submit], .chip, .travel a,'
                    + ' details.filters-box summary, .leaflet-bar a, .leaflet-bar button';
      document.querySelectorAll('a, button, select, input:not([type=hidden]), summary')
        .forEach(e => {
          const r = e.getBoundingClientRect(), st = getComputedStyle(e);
          if (!r.width || st.visibility === 'hidden' || e.closest('[hidden]')) return;
          const inline = e.tagName === 'A' && st.display === 'inline'
                         && e.parentElement && e.parentElement.textContent.trim().length
                            > e.textContent.trim().length;
          const need = e.matches(primary) ? 44 : 24;
          if (!inline && (r.height < need - 0.5 || (r.width < 24 - 0.5)))
            out.push([e.outerHTML.slice(0, 80), Math.round(r.width), Math.round(r.height)]);
        });
      return out;
    }""")
    assert small == []
    ctx.close()


def test_locating_over_plain_http_says_https_is_needed(browser):
    """Served on a real address over HTTP, the browser refuses geolocation: the page says
    so, shows no locate button, and the town picker is what comes first."""
    b = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP locator.test 127.0.0.1",
        ],
    )
    try:
        with serve(tiles="none") as base:
            ctx = b.new_context(**PHONE, geolocation=PENGJIANG, permissions=["geolocation"])
            page = ctx.new_page()
            page.goto(f"http://locator.test:{urlparse(base).port}/")
            assert page.evaluate("window.isSecureContext") is False
            assert "HTTPS" in page.inner_text(".locate-msg")
            assert not page.locator(".locate-btn").first.is_visible()
            assert page.locator("#town").is_visible()
            ctx.close()
    finally:
        b.close()


def test_a_rider_on_an_e_bike_gets_riding_times_and_routes(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + "/?lon=113.0815&lat=22.5787")
    first = page.locator("li.facility .meta").first.inner_text()
    assert first.index("步行") < first.index("电动车")
    page.click(".travel a[data-travel=ebike]")
    page.wait_for_url("**travel=ebike**")
    meta = page.locator("li.facility .meta").first.inner_text()
    assert meta.index("电动车") < meta.index("步行")
    amap = page.get_attribute("li.facility a.nav-amap", "href")
    baidu = page.get_attribute("li.facility a.nav-baidu", "href")
    assert parse_qs(urlparse(amap).query)["mode"] == ["ride"]
    assert parse_qs(urlparse(baidu).query)["mode"] == ["riding"]
    # remembered on the phone: the next search without the parameter rides too
    page.goto(live_server + "/?lon=113.09&lat=22.58")
    assert page.get_attribute(".travel a[aria-current]", "data-travel") == "ebike"
    assert parse_qs(urlparse(page.get_attribute("li.facility a.nav-amap", "href")).query)[
        "mode"
    ] == ["ride"]
    # far outside the city: no "步行约 33286 分钟"
    page.goto(live_server + "/?lon=116.4&lat=39.9")
    assert "分钟" not in page.locator("li.facility .meta").first.inner_text()
    ctx.close()


def test_english_survives_every_link(browser, live_server):
    ctx, page, _, _ = new_page(browser, live_server, locale="en-GB")
    page.goto(live_server + "/?town=440703002")  # no ?lang: the browser prefers English
    assert page.get_attribute("html", "lang") == "en"
    page.click("p.position a.btn")
    assert page.get_attribute("html", "lang") == "en" and "&amp;" not in page.url
    page.goto(live_server + "/?lang=en&lon=113.0815&lat=22.5787")
    page.click("li.facility a[href^='/f/'] >> nth=0")
    assert page.get_attribute("html", "lang") == "en"
    hours = page.locator("td.opening-hours").inner_text()
    assert "Mo-" not in hours and "Mo," not in hours  # in words, not OSM syntax
    page.goto(live_server + "/f/no-such-place")  # no ?lang: the cookie remembers
    assert page.get_attribute("html", "lang") == "en" and "Not found" in page.inner_text("h2")
    page.click("text=Back to the home page")
    assert page.get_attribute("html", "lang") == "en"
    ctx.close()


LIGHTHOUSE = AXE_JS.parents[1] / ".bin" / "lighthouse"


def test_lighthouse_accessibility_of_the_map(live_server, tmp_path):
    """Lighthouse (from npm, driving Debian's Chromium) scores /map's accessibility."""
    import subprocess

    assert LIGHTHOUSE.exists(), f"Lighthouse is installed by `make test` (npm): {LIGHTHOUSE}"
    out = tmp_path / "lighthouse.json"
    proc = subprocess.run(
        [
            str(LIGHTHOUSE),
            live_server + "/map",
            "--only-categories=accessibility",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            "--form-factor=mobile",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu "
            "--disable-background-networking --disable-component-update --disable-sync "
            "--no-first-run",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    failed = [
        a["id"]
        for a in report["audits"].values()
        if a.get("scoreDisplayMode") == "binary" and a.get("score") == 0
    ]
    score = report["categories"]["accessibility"]["score"]
    print(f"\nLighthouse accessibility of /map: {score}")
    assert score >= 0.95, failed


# --------------------------------------------------------------------------- offline pack


def test_the_offline_pack_answers_as_the_server_does(browser, live_server):
    """For many points and both ways of travel, the pack's nearest search in the browser
    (geodesic on the ellipsoid, hours read from the pack) gives the facilities, order,
    distances and open-on-arrival states the server gives."""
    import numpy as np

    ctx, page, _, _ = new_page(browser, live_server)
    page.goto(live_server + "/")
    page.add_script_tag(url="/static/app/offline.js")
    pack = page.evaluate("""fetch('/offline/pack.json').then(r => r.json())
                            .then(p => { window.pack = p; return p; })""")
    assert len(pack["facilities"]) == 1146 and pack["days"] == 14
    at = f"{pack['start']}T17:50:00+08:00"  # around closing time: arrival states differ
    rng = np.random.default_rng(20261124)
    points = np.column_stack([rng.uniform(112.3, 113.3, 60), rng.uniform(21.6, 22.9, 60)])
    compared, states, phrases = 0, set(), set()
    for lon, lat in np.round(points, 6):  # the same numbers to the API and the page
        for travel in ("walk", "ebike"):
            api = api_json(
                live_server,
                f"/api/v1/nearest?lon={lon:.6f}&lat={lat:.6f}"
                f"&per_layer=true&k=3&at={quote(at)}&travel={travel}",
            )
            mine = page.evaluate(
                """([lon, lat, at, travel]) =>
                LocatorOffline.nearestByLayer(window.pack, lon, lat, 3, Date.parse(at), travel)
                  .map(r => Object.assign(r, {phrase: LocatorOffline.hoursPhrase(
                    r.hours, r.hoursOnArrival).key}))""",
                [float(lon), float(lat), at, travel],
            )
            theirs = [
                (
                    f["id"],
                    f["properties"]["distance_m"],
                    f["properties"]["hours_on_arrival"]["state"],
                    f["properties"]["hours_phrase"],
                )
                for f in api["features"]
            ]
            assert len(mine) == len(theirs)
            for m, (fid, dist, state, phrase) in zip(mine, theirs, strict=True):
                assert abs(m["distance_m"] - dist) <= 0.05 + 1e-3  # the API rounds to 0.1 m
                if m["id"] != fid:  # only a tie within 1 m may swap two places
                    other = next(x for x in mine if x["id"] == fid)
                    assert abs(other["distance_m"] - m["distance_m"]) < 1.0
                    continue
                assert m["arrival"] == state, (fid, travel)
                assert m["phrase"] == phrase, (fid, travel)  # the same words on the card
                compared += 1
                states.add(state)
                phrases.add(phrase)
    assert compared > 60 * 2 * 12 * 0.99
    assert states == {"open", "closed", "unknown"}  # every state was met, and agreed
    assert {"arrive_closed", "open_until", "closed_until"} <= phrases
    ctx.close()


def test_the_offline_pack_is_small_and_versioned(live_server):
    import gzip

    with urllib.request.urlopen(live_server + "/offline/pack.json", timeout=10) as resp:
        body = resp.read()
        assert "no-cache" in resp.headers["Cache-Control"]
    pack = json.loads(body)
    packed = len(gzip.compress(body))
    print(
        f"\noffline pack: {len(body) / 1024:.1f} KB, {packed / 1024:.1f} KB gzip, "
        f"{len(pack['facilities'])} facilities, {len(pack['hours'])} hours expressions"
    )
    assert packed <= 120 * 1024
    version = f"{pack['version']}-{pack['start']}"
    with urllib.request.urlopen(f"{live_server}/offline/pack.json?v={version}", timeout=10) as resp:
        assert "immutable" in resp.headers["Cache-Control"]


def test_the_phone_page_installs_to_the_home_screen(browser, live_server, tmp_path):
    """Chromium's own installability check ("添加到主屏幕"), in a profile that is not
    incognito (Playwright's contexts are): no error."""
    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    try:
        page = ctx.new_page()
        page.goto(live_server + "/")
        page.wait_for_load_state("networkidle")
        cdp = ctx.new_cdp_session(page)
        assert cdp.send("Page.getAppManifest").get("errors") == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        ctx.close()


def _wait_for_worker_and_pack(page, version: str | None = None) -> None:
    ready = """async (version) => {
        if (!navigator.serviceWorker.controller) return false;
        for (const key of await caches.keys()) {
            const cache = await caches.open(key);
            for (const req of await cache.keys()) {
                if (req.url.includes('/offline/pack.json')
                    && (!version || req.url.includes(version))) return true;
            }
        }
        return false;
    }"""
    for _ in range(400):  # the page's CSP forbids wait_for_function's eval: poll
        if page.evaluate(ready, version):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the worker did not take the page and keep the pack")


def test_with_the_network_cut_a_phone_that_visited_once_finds_the_nearest(browser, tmp_path):
    """Visit with signal (the service worker installs, the pack is kept), cut the network,
    reload: "Locate me" and the town picker answer from the pack as the server did, a
    facility page seen before is still there, the map says it needs the network; and a
    data change reaches the phone on its next visit with signal."""
    from locator.values.paths import DEFAULT_DATA_DIR

    data = tmp_path / "data"
    data.mkdir()
    reference_dir(data)
    for layer in ("love_stations", "mothers_rooms", "service_centers", "book_rooms"):
        shutil.copy(DEFAULT_DATA_DIR / f"{layer}.geojson", data / f"{layer}.geojson")
    with serve(data, tiles="none") as base:
        ctx = browser.new_context(**PHONE, geolocation=PENGJIANG, permissions=["geolocation"])
        page = ctx.new_page()
        refused: list[str] = []  # the pages' policy holds offline too (cached pages, nonces)
        page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
        page.goto(base + "/")
        _wait_for_worker_and_pack(page)
        page.goto(base + "/f/sc-0001")  # a facility page seen with signal
        page.goto(base + "/")
        here = api_json(base, "/api/v1/nearest?lon=113.0815&lat=22.5787&per_layer=true&k=3")
        town = api_json(base, "/api/v1/nearest?town=440703005&per_layer=true&k=3")
        other_points = [(112.7935, 22.2521), (112.2926, 22.1866), (113.0268, 22.4583)]
        expected = {
            (lon, lat): [
                f["id"]
                for f in api_json(base, f"/api/v1/nearest?lon={lon}&lat={lat}&per_layer=true&k=3")[
                    "features"
                ]
            ]
            for lon, lat in other_points
        }
        # a facility never opened, its details from this point at a set moment
        unseen = next(f for f in town["features"] if f["id"] != "sc-0001")
        start = api_json(base, "/offline/pack.json")["start"]
        trip = f"lon=113.0815&lat=22.5787&travel=ebike&at={start}T20:50"
        said = {
            lang: api_json(base, f"/api/v1/facilities/{unseen['id']}?{trip}&lang={lang}")
            for lang in ("zh", "en")
        }
        # 白沙 at 20:50 by e-bike, open on arrival: places with unknown hours left out
        baisha = f"town=440703002&open_now=true&travel=ebike&at={start}T20:50"
        strict, lenient = (
            api_json(base, f"/api/v1/nearest?{baisha}{more}&per_layer=true&k=3")
            for more in ("", "&include_unknown_hours=true")
        )
        assert strict["unknown_hours_left_out_by_layer"]  # the case the rule is about
        ctx.set_offline(True)
        page.reload()
        assert page.evaluate("navigator.onLine") is False
        page.click(".locate-btn >> nth=0")
        page.wait_for_selector("#offline-results li.facility")
        shown = page.eval_on_selector_all(
            "#offline-results li.facility", "els => els.map(e => e.dataset.id)"
        )
        assert shown == [f["id"] for f in here["features"]]
        assert "离线" in page.inner_text(".offline-banner")
        assert page.locator("#offline-results .amenities li").count() > 0
        # more places, each as the server answered them before the network went
        for lon, lat in other_points:  # what "Locate me" does with a new GPS fix
            page.evaluate("([lon, lat]) => LocatorPhone.locate(lon, lat)", [lon, lat])
            page.locator("#offline-results .meta", has_text=f"{lat:.5f}").wait_for()
            shown = page.eval_on_selector_all(
                "#offline-results li.facility", "els => els.map(e => e.dataset.id)"
            )
            assert shown == expected[(lon, lat)]
        amap = page.get_attribute("#offline-results a.nav-amap", "href")
        assert parse_qs(urlparse(amap).query)["coordinate"] == ["gaode"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "offline-360x640.png"))
        # the town picker, offline
        page.select_option("#town", "440703005")
        page.click(".town-form input[type=submit]")
        page.locator("#offline-results .meta", has_text="潮连").wait_for()
        shown = page.eval_on_selector_all(
            "#offline-results li.facility", "els => els.map(e => e.dataset.id)"
        )
        assert shown == [f["id"] for f in town["features"]]
        # "详情" of a facility never opened: its details, built from the pack
        page.click(f"#offline-results li.facility[data-id='{unseen['id']}'] a.details")
        page.wait_for_selector("#offline-facility h2.name")
        assert page.inner_text("#offline-facility h2.name") == unseen["properties"]["name"]
        for lang in ("zh", "en"):  # every part of a usable details view, in both languages
            page.goto(f"{base}/f/{unseen['id']}?{trip}&lang={lang}")
            page.wait_for_selector("#offline-facility .hours")
            props = said[lang]["properties"]
            assert page.inner_text("#offline-facility .hours") == props["hours_text"][lang]
            assert page.inner_text("#offline-facility .address") == props["address"]
            amap = parse_qs(
                urlparse(page.get_attribute("#offline-facility a.nav-amap", "href")).query
            )
            to = [float(x) for x in amap["to"][0].split(",")[:2]]
            want = wgs84_to_gcj02(*said[lang]["geometry"]["coordinates"])
            assert to == [pytest.approx(want[0], abs=2e-6), pytest.approx(want[1], abs=2e-6)]
            baidu = page.get_attribute("#offline-facility a.nav-baidu", "href")
            assert parse_qs(urlparse(baidu).query)["coord_type"] == ["bd09ll"]
            assert page.get_attribute("#offline-facility a.nav-geo", "href").startswith("geo:")
            assert page.locator("#offline-facility a[href^='tel:']").count() >= 1
            assert page.locator("#offline-facility table.week tr").count() == 7
            assert page.locator("#offline-facility .amenities li").count() == len(
                props.get("amenities") or []
            )
            page.screenshot(path=str(ARTIFACTS / f"offline-details-{lang}-360x640.png"))
            assert serious_axe_violations(page) == [] and missing_glyphs(page) == []
        # the open-on-arrival filter offline: what the server left out, said, and shown
        page.goto(f"{base}/?{baisha}")
        page.wait_for_selector("#offline-results li.facility")
        ids = "els => els.map(e => e.dataset.id)"
        assert page.eval_on_selector_all("#offline-results li.facility", ids) == [
            f["id"] for f in strict["features"]
        ]
        counts = page.eval_on_selector_all(
            "#offline-results .unknown-left-out",
            "els => Object.fromEntries(els.map(e => [e.closest('section').dataset.layer,"
            " Number(e.dataset.count)]))",
        )
        assert counts == strict["unknown_hours_left_out_by_layer"]
        page.click("#offline-results a.show-unknown >> nth=0")
        page.wait_for_url("**include_unknown_hours=true**")
        page.wait_for_selector("#offline-results li.facility")
        assert page.eval_on_selector_all("#offline-results li.facility", ids) == [
            f["id"] for f in lenient["features"]
        ]
        # a facility page seen with signal is still there; the map says it needs the net
        page.goto(base + "/f/sc-0001")
        assert page.locator("h2.name").count() == 1
        page.goto(base + "/map")
        assert "没有网络" in page.inner_text("body")
        assert refused == []
        # the data change: a new love station next to the rider, served after the swap
        ctx.set_offline(False)
        write_layer(
            data,
            "love_stations",
            [facility("ls-new", 113.0816, 22.5788, name="新开的爱心驿站", source="test")],
        )
        for _ in range(100):
            if api_json(base, "/api/v1/layers/love_stations")["features"][0]["id"] == "ls-new":
                break
            page.wait_for_timeout(100)
        page.goto(base + "/")
        version = page.evaluate(
            "JSON.parse(document.getElementById('phone-config').textContent).pack.split('v=')[1]"
        )
        _wait_for_worker_and_pack(page, version)
        ctx.set_offline(True)
        page.reload()
        page.click(".locate-btn >> nth=0")
        page.locator("#offline-results li.facility[data-id='ls-new']").wait_for()
        ctx.close()


def test_with_the_database_away_the_phone_answers_from_its_pack(browser, pg_server):
    """PostGIS: the database goes away while the app server stays up and answers 503. A
    phone that visited once still finds the nearest (from its pack, as the server
    answered before) and still opens a facility page it has seen."""
    import psycopg

    from locator.values.paths import DEFAULT_DATA_DIR

    url = pg_server.database("phone-away", DEFAULT_DATA_DIR)
    with serve(tiles="none", env_extra={"LOCATOR_DATABASE_URL": url}) as base:
        ctx = browser.new_context(**PHONE, geolocation=PENGJIANG, permissions=["geolocation"])
        page = ctx.new_page()
        refused: list[str] = []  # the pages' policy holds offline too (cached pages, nonces)
        page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
        page.goto(base + "/")
        _wait_for_worker_and_pack(page)
        page.goto(base + "/f/sc-0001")
        here = api_json(base, "/api/v1/nearest?lon=113.0815&lat=22.5787&per_layer=true&k=3")
        with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        with urllib.request.urlopen(base + "/api/v1/health") as r:  # the server is up
            assert r.status == 200
        page.goto(base + "/?lon=113.0815&lat=22.5787&lang=zh")
        page.wait_for_selector("#offline-results li.facility")
        shown = page.eval_on_selector_all(
            "#offline-results li.facility", "els => els.map(e => e.dataset.id)"
        )
        assert shown == [f["id"] for f in here["features"]]
        page.goto(base + "/f/sc-0001")
        assert page.locator("h2.name").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "database-away-360x640.png"))
        ctx.close()


# --------------------------------------------------------------------------- street network


def test_cards_along_the_streets_at_360x640(browser, network_data_dir):
    """On the Jiangmen TEST-FIXTURE network: after "Locate me", the first card says the
    distance and time along the streets by e-bike and that they are ("沿道路"), whole above
    the fold in zh and en; the footer credits OpenStreetMap; axe finds nothing serious and
    every glyph is drawn."""
    with serve(data_dir=network_data_dir) as base:
        for lang, ride, label in (("zh", "骑行 ", "沿道路"), ("en", "By e-bike ", "along streets")):
            ctx, page, rec, _ = new_page(
                browser,
                base,
                geolocation=PENGJIANG,
                permissions=["geolocation"],
                locale="zh-CN" if lang == "zh" else "en-US",
            )
            page.goto(f"{base}/?lang={lang}&travel=ebike&at=2026-12-07T20:50")
            page.click(".locate-btn >> nth=0")
            page.wait_for_selector("#results li.facility")
            card = page.locator("#results li.facility").first
            assert card.locator(".meta").get_attribute("data-measured") == "network"
            assert card.locator(".distance").inner_text().startswith(ride)
            assert card.locator(".basis").inner_text() == label
            assert page.evaluate("window.scrollY") == 0
            box = card.bounding_box()
            assert box["y"] + box["height"] <= 640, lang
            assert "OpenStreetMap contributors (ODbL)" in page.inner_text("footer")
            assert missing_glyphs(page) == []
            if lang == "zh":  # the page's structure is the same in both languages
                assert serious_axe_violations(page) == []
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"network-home-{lang}-360x640.png"))
            assert rec.foreign_hosts() == set()
            ctx.close()
