"""The pages' Content-Security-Policy in real Chromium: no page breaks it, and it stops an
inline script that was not the app's own (the map's inline set-up runs by its nonce)."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.web.test_browser import browser, map_name, new_page  # noqa: F401 (fixture)

#: every kind of page; a map page names how to know its map was drawn by its script
PAGES = [
    ("/", None),
    ("/f/sc-0001", ".leaflet-container"),
    ("/map", "html[data-map-ready=true]"),
    ("/planner?layer=love_stations&radius_m=1000", "iframe.planner-map"),
    ("/planner/map?layer=love_stations&radius_m=1000", ".leaflet-container"),
    ("/routes", None),
    ("/routes/rr-01", ".route-stop"),
    ("/admin/", None),
    ("/ogc/collections/love_stations/items?f=html&limit=5", ".leaflet-container"),
]

# records every violation the page reports, before any of its own scripts runs
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def open_recording(browser, base):  # noqa: F811 (the fixture's value)
    ctx, page, _, dialogs = new_page(browser, base)
    ctx.add_init_script(RECORD_VIOLATIONS)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    return ctx, page, console, dialogs


def test_no_page_breaks_its_policy(browser, live_server):  # noqa: F811
    ctx, page, console, dialogs = open_recording(browser, live_server)
    for path, drawn in PAGES:
        resp = page.goto(live_server + path)
        assert resp is not None
        policy = resp.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
        if drawn:
            page.wait_for_selector(drawn, state="attached", timeout=10_000)
        page.wait_for_load_state("load")  # every script has run (or been refused)
        assert page.evaluate("window.__csp") == [], path
        assert not [c for c in console if "Content Security Policy" in c], path
    assert not dialogs
    ctx.close()


def test_each_answer_has_its_own_nonce_and_a_304_keeps_the_cached_one(live_server):
    nonces = []
    for _ in range(2):  # the second /map comes from the page cache: it gets a fresh nonce
        with urllib.request.urlopen(live_server + "/map", timeout=10) as resp:
            body = resp.read().decode()
            policy = resp.headers["Content-Security-Policy"]
            etag = resp.headers["ETag"]
        nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
        assert f'<script nonce="{nonce}">' in body
        assert body.count("<script>") == 0  # no inline script without it
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    req = urllib.request.Request(live_server + "/map", headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    err.value.close()
    assert err.value.code == 304
    assert "Content-Security-Policy" not in err.value.headers


def test_an_injected_inline_script_does_not_run(browser, live_server):  # noqa: F811
    """The map page as served, with a script and an event handler slipped into its body
    (what a missed escape would let through): neither runs, the map still does."""
    ctx, page, console, dialogs = open_recording(browser, live_server)
    injected = (
        "<script>window.__pwned = 1; alert(1)</script>"
        '<img src="/no-such-image" onerror="window.__pwned2 = 1; alert(2)">'
    )

    def tamper(route):
        resp = route.fetch()
        body = resp.text().replace("<main>", "<main>" + injected, 1)
        assert injected in body
        route.fulfill(response=resp, body=body)

    page.route(live_server + "/map", tamper)
    page.goto(live_server + "/map")
    page.wait_for_selector("html[data-map-ready=true]", state="attached")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("[window.__pwned, window.__pwned2]") == [None, None]
    assert page.evaluate(f"typeof window['{map_name(page)}'].getZoom") == "function"
    violations = page.evaluate("window.__csp")
    assert any(v.startswith("script-src-elem inline") for v in violations), violations
    assert any(v.startswith("script-src-attr inline") for v in violations), violations
    assert dialogs == []
    ctx.close()
