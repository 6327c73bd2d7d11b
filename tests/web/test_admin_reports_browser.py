"""/admin/reports in a real browser (Debian's Chromium): hostile report text stays text,
the small maps draw under the pages' CSP, axe finds nothing serious, at 360x640 and on a
desktop, in Chinese and English (screenshots in test-artifacts/)."""

from __future__ import annotations

import datetime as dt
import uuid

from locator.stores.files.reports import SqliteReports, reports_path
from locator.values.reports import StoredReport, new_report_id
from tests.conftest import facility, reference_dir, serve, write_layer
from tests.web.test_browser import (  # noqa: F401  (browser: the module's Chromium)
    ADMIN_TOKEN,
    ARTIFACTS,
    HOSTILE,
    browser,
    new_page,
    serious_axe_violations,
)


def _store(data, kind: str, minute: int, **values) -> None:
    SqliteReports(reports_path(data)).add(
        StoredReport(
            id=new_report_id(),
            kind=kind,
            client_id=str(uuid.uuid4()),
            client_key="k" * 16,
            received_at=dt.datetime(2026, 12, 1, 8, minute, tzinfo=dt.UTC),
            **values,
        )
    )


def test_the_queue_keeps_hostile_text_as_text_and_is_accessible(browser, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    reference_dir(data)
    write_layer(
        data,
        "love_stations",
        [
            facility("ls-1", 113.0726, 22.5761, name="白沙爱心驿站"),
            facility("ls-2", 113.0800, 22.5800, name=HOSTILE[2]),
        ],
    )
    _store(data, "hours", 1, facility_id="ls-1", fields={"hours_seen": HOSTILE[0]})
    _store(data, "moved", 2, facility_id="ls-2", lon=113.0812, lat=22.5809, text=HOSTILE[1])
    _store(data, "moved", 3, facility_id="ls-2", lon=113.0815, lat=22.5806)
    _store(data, "need", 4, lon=113.09, lat=22.59, work="delivery", text=HOSTILE[0])
    with serve(data, tiles="none", env_extra={"LOCATOR_ADMIN_TOKEN": ADMIN_TOKEN}) as base:
        for lang, size in (("zh", None), ("en", {"width": 1280, "height": 900})):
            extra = {"viewport": size, "is_mobile": False} if size else {}
            ctx, page, rec, dialogs = new_page(browser, base, **extra)
            errors: list[str] = []

            def console(msg, errors=errors):  # a refused script or style is an error here
                if msg.type == "error":
                    errors.append(msg.text)

            page.on("console", console)
            q = "?lang=en" if lang == "en" else ""
            page.goto(base + "/admin/reports" + q)
            page.fill("#token", ADMIN_TOKEN)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/reports*")
            page.wait_for_selector(".rmap .leaflet-interactive")  # the maps drew
            assert page.locator("section.rgroup").count() == 3
            texts = page.eval_on_selector_all(".rtext", "els => els.map(e => e.textContent)")
            assert HOSTILE[0] in texts and HOSTILE[1] in texts
            assert HOSTILE[2] in page.locator("h3").all_text_contents()[1]
            # one line from the moved facility to each reported position
            assert page.locator("#map-g1 path.leaflet-interactive").count() == 5
            # a tap on the moved facility's map sets the new position (WGS-84, no tiles)
            before = page.input_value("#lon-g1"), page.input_value("#lat-g1")
            page.locator("#map-g1").click(position={"x": 30, "y": 120})
            after = float(page.input_value("#lon-g1")), float(page.input_value("#lat-g1"))
            assert before != after and 113.0 < after[0] < 113.2 and 22.5 < after[1] < 22.7
            assert page.evaluate("window.__pwned") is None and dialogs == [] and not errors
            assert not rec.foreign_hosts()
            assert serious_axe_violations(page) == []
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"admin-reports-{lang}.png"), full_page=True)
            ctx.close()
