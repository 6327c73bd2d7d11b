"""Reports from the street as a rider makes them (issue #25): real Chromium at 360x640, the
real server (`locator serve`) and its report store, read back through the staff API.

Screenshots of the panel and of the "station needed" flow, in Chinese and English, go to
/tmp/shots-reports/ (and test-artifacts/).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from locator.values.paths import DEFAULT_DATA_DIR
from tests.conftest import reference_dir, serve
from tests.web.test_browser import (
    ARTIFACTS,
    HOSTILE,
    PENGJIANG,
    PHONE,
    _wait_for_worker_and_pack,
    browser,  # noqa: F401 (the module's browser fixture)
    map_name,
    missing_glyphs,
    serious_axe_violations,
)

TOKEN = "reports-ui-staff-token-0123456789abcdef"
SHOTS = Path("/tmp/shots-reports")
FACILITY_LAYERS = ("love_stations", "service_centers")  # enough to report on, quick to map


@pytest.fixture(scope="module")
def report_server(tmp_path_factory):
    """The bundled facilities in a data directory of the test's own (reports.sqlite is
    written beside them), staff access by token, a rate limit the test cannot reach."""
    data = tmp_path_factory.mktemp("reports-ui")
    reference_dir(data)
    for layer in FACILITY_LAYERS:
        shutil.copy(DEFAULT_DATA_DIR / f"{layer}.geojson", data / f"{layer}.geojson")
    env = {"LOCATOR_ADMIN_TOKEN": TOKEN, "LOCATOR_REPORTS_PER_MINUTE": "1000"}
    with serve(data, tiles="none", env_extra=env) as base:
        yield base


def stored(base: str) -> list[dict]:
    """Every stored report, newest first, through the staff API."""
    req = urllib.request.Request(
        base + "/api/v1/reports?limit=500", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["reports"]


def shot(page, name: str) -> None:
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))


def status_of(card):
    """The card's status line, once it says more than "sending"."""
    card.locator(".report-status:not(:empty):not([data-state=sending])").wait_for()
    return card.locator(".report-status")


def test_every_kind_of_report_from_the_pages_is_stored(browser, report_server):  # noqa: F811
    """Each kind, tapped on the phone page, the facility page and the map, arrives in the
    store as the rider said it; hostile text is stored as text and runs nowhere; the open
    panel passes axe; 360x640 screenshots in both languages."""
    base = report_server
    ctx = browser.new_context(**PHONE, geolocation=PENGJIANG, permissions=["geolocation"])
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(base + "/?lon=113.0815&lat=22.5787")
    card = page.locator("#results li.facility").first
    fid = card.get_attribute("data-id")
    # one tap: "I was just there, it's right"
    card.locator(".report-confirm").click()
    assert status_of(card).inner_text() == "已收到，谢谢"
    assert card.locator(".report-confirm").is_disabled()  # a second tap makes no second one

    def panel(kind: str):
        card.locator(".report-open").click()
        assert card.locator(".report-open").get_attribute("aria-expanded") == "true"
        if kind != "closed":
            card.locator(f".report-kind[data-kind={kind}]").click()
        return card.locator(f".report-panel form[data-kind={kind}]")

    panel("amenity")
    assert serious_axe_violations(page) == []  # the panel open, a form shown
    assert missing_glyphs(page) == []
    shot(page, "card-panel-zh")
    form = card.locator(".report-panel form[data-kind=amenity]")
    amenity = form.locator("input[name=amenity]").first.get_attribute("value")
    form.locator("input[name=amenity]").first.check()
    form.locator("input[name=state][value=broken]").check()
    form.locator("button[type=submit]").click()
    assert status_of(card).inner_text() == "已收到，谢谢"
    assert card.locator(".report-panel").count() == 0  # sent: the panel closes
    panel("closed")
    card.locator(".report-kind[data-kind=closed]").click()  # one tap
    status_of(card)
    form = panel("hours")
    form.locator("input[name=hours_seen]").fill(HOSTILE[0])
    form.locator("button[type=submit]").click()
    status_of(card)
    form = panel("phone")
    form.locator("input[name=phone_seen]").fill("0750-1234567")
    form.locator("button[type=submit]").click()
    status_of(card)
    form = panel("other")
    form.locator("textarea[name=text]").fill(HOSTILE[1] + HOSTILE[2])
    form.locator("button[type=submit]").click()
    status_of(card)
    form = panel("moved")  # "I'm here now": the phone's position
    form.locator(".report-here").click()
    form.locator(".report-place:text-matches('113')").wait_for()
    form.locator("button[type=submit]").click()
    assert status_of(card).inner_text() == "已收到，谢谢"
    # "a station is needed here", where the rider stands
    need = page.locator("form.need-box")
    need.locator("select[name=work]").select_option("delivery")
    need.locator(".need-send").click()
    assert status_of(need).inner_text() == "已收到，谢谢"

    # the facility's page: "not here", the right place tapped on its map
    other = "sc-0001"
    page.goto(f"{base}/f/{other}")
    assert "天前核实" in page.inner_text(".report-row .verified")
    page.click(".report-open")
    page.click(".report-kind[data-kind=moved]")
    name = json.loads(page.inner_text("#report-config"))["map"]  # the facility's map
    page.evaluate(f"window['{name}'].fire('click', {{latlng: L.latLng(22.5801, 113.0832)}})")
    page.click(".report-panel form[data-kind=moved] button[type=submit]")
    assert status_of(page.locator("article.facility")).inner_text() == "已收到，谢谢"

    # the map: the button, then a tap, then send
    page.goto(base + "/map")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    page.click(".need-start")
    page.evaluate(f"window['{map_name(page)}'].fire('click', {{latlng: L.latLng(22.40, 112.90)}})")
    shot(page, "map-need-zh")
    page.click("form.need-map .need-send")
    assert status_of(page.locator("form.need-map")).inner_text() == "已收到，谢谢"
    assert page.evaluate("window.__pwned") is None and dialogs == []
    ctx.close()

    got = {(r["kind"], r["facility_id"]): r for r in stored(base)}
    assert got[("confirm", fid)]["fields"] == {}
    assert got[("closed", fid)]["status"] == "received"
    assert got[("amenity", fid)]["fields"] == {"amenity": amenity, "state": "broken"}
    assert got[("hours", fid)]["fields"] == {"hours_seen": HOSTILE[0]}  # as typed, as text
    assert got[("phone", fid)]["fields"] == {"phone_seen": "0750-1234567"}
    assert got[("other", fid)]["text"] == HOSTILE[1] + HOSTILE[2]
    here = got[("moved", fid)]
    assert (here["lon"], here["lat"]) == pytest.approx((113.0815, 22.5787), abs=1e-6)
    tapped = got[("moved", other)]  # the map's tiles are WGS-84 here ("none")
    assert (tapped["lon"], tapped["lat"]) == pytest.approx((113.0832, 22.5801), abs=1e-6)
    needs = sorted((r["lon"], r["lat"], r["work"]) for r in stored(base) if r["kind"] == "need")
    assert [(round(lon, 6), round(lat, 6), work) for lon, lat, work in needs] == [
        (112.9, 22.4, None),
        (113.0815, 22.5787, "delivery"),
    ]


def test_the_panel_and_the_need_flow_in_english(browser, report_server):  # noqa: F811
    """The same panel and flow in English at 360x640, for the eye (screenshots), with the
    English acknowledgement; targets stay at least 44 px high."""
    base = report_server
    ctx = browser.new_context(**{**PHONE, "locale": "en-US"})
    page = ctx.new_page()
    page.goto(base + "/?lang=en&lon=113.0815&lat=22.5787")
    card = page.locator("#results li.facility").first
    assert "days ago" in card.locator(".verified").inner_text()
    card.locator(".report-open").click()
    card.locator(".report-kind[data-kind=hours]").click()
    shot(page, "card-panel-en")
    heights = card.locator(".report-panel button:visible, .report-row .btn").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44
    page.locator("form.need-box").scroll_into_view_if_needed()
    page.locator("form.need-box .need-send").click()
    assert status_of(page.locator("form.need-box")).inner_text() == "Received, thank you"
    shot(page, "need-en")
    ctx.close()


def test_a_report_made_with_no_signal_is_sent_once_when_it_is_back(browser, report_server):  # noqa: F811
    """A phone that visited once, with no signal: the page answers from its pack, a card
    built from it takes a report, the worker keeps it and the page says "waiting to
    send"; back online it is sent, the page says "sent", and the store holds it once, also
    after a reload that asks the worker to send its queue again."""
    base = report_server
    ctx = browser.new_context(**PHONE, geolocation=PENGJIANG, permissions=["geolocation"])
    page = ctx.new_page()
    page.goto(base + "/")
    _wait_for_worker_and_pack(page)
    before = len(stored(base))
    ctx.set_offline(True)
    page.reload()
    page.click(".locate-btn >> nth=0")
    card = page.locator("#offline-results li.facility").nth(1)
    fid = card.get_attribute("data-id")
    card.locator(".report-open").click()
    card.locator(".report-kind[data-kind=closed]").click()  # one tap
    assert status_of(card).inner_text() == "待发送：有网络时自动发送"
    shot(page, "offline-waiting-zh")
    assert len(stored(base)) == before  # nothing reached the server
    ctx.set_offline(False)
    card.locator(".report-status[data-state=sent]").wait_for()
    assert card.locator(".report-status").inner_text() == "已发送，谢谢"
    page.reload()  # the page asks the worker to send its queue again: nothing left
    page.wait_for_load_state("networkidle")
    mine = [r for r in stored(base) if r["kind"] == "closed" and r["facility_id"] == fid]
    assert len(mine) == 1
    assert len(stored(base)) == before + 1
    ctx.close()


def test_verified_days_ago_in_both_languages():
    import datetime as dt

    from locator.web import format as fmt

    today = dt.date(2026, 12, 5)
    assert fmt.verified_text("2026-12-05", today, "zh") == "今天核实"
    assert fmt.verified_text("2026-12-04", today, "en") == "verified 1 day ago"
    assert fmt.verified_text("2024-08-07", today, "zh") == "850 天前核实"
    assert fmt.verified_text("2024-08-07", today, "en") == "verified 850 days ago"
    assert fmt.verified_text("2023-01-01", today, "en") == "verified 1,434 days ago"
    # nothing said of a date missing, unreadable or still to come
    for bad in (None, "", "soon", "2026-12-06"):
        assert fmt.verified_text(bad, today, "zh") is None
