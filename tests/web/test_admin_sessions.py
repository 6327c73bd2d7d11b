"""Admin sessions end when they should: signing out revokes the cookie and any copy of it
in every app process (two apps on one store stand for two workers or servers), and a
changed credential revokes every cookie issued under the old one. On both stores."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locator.web import create_app

TOKEN = "correct-horse-battery-staple-2026"


def _app(store: dict, **config):
    return create_app(
        {"TESTING": True, "WATCH_DATA": False, "TILES": "none", "ADMIN_TOKEN": TOKEN}
        | store
        | config
    )


@pytest.fixture(params=["files", "postgis"])
def store(request, ddir: Path) -> dict:
    if request.param == "files":
        return {"DATA_DIR": str(ddir)}
    return {"DATABASE_URL": request.getfixturevalue("pg_server").database("sessions", ddir)}


def _cookie(client) -> str:
    return client.get_cookie("locator_admin", path="/admin").value


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("locator_admin", value, path="/admin")
    return client


def _signed_in(client) -> bool:
    """Whether the client's session opens the import page (else: to the sign-in form)."""
    resp = client.get("/admin/import")
    assert resp.status_code in (200, 302), resp.status_code
    return resp.status_code == 200


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/import").text)[1]


def test_signing_out_revokes_the_cookie_and_its_copies_everywhere(store):
    one, two = _app(store), _app(store)  # two processes on one store
    browser = one.test_client()
    assert browser.post("/admin/signin", data={"token": TOKEN}).status_code == 303
    copied = _cookie(browser)
    assert _signed_in(_with_cookie(one, copied)) and _signed_in(_with_cookie(two, copied))
    other = two.test_client()  # a colleague signed in elsewhere, before the sign-out
    assert other.post("/admin/signin", data={"token": TOKEN}).status_code == 303

    csrf = _csrf(browser)
    assert browser.post("/admin/signout", data={"csrf_token": csrf}).status_code == 303
    for app in (one, two):
        assert not _signed_in(_with_cookie(app, copied))
        thief = _with_cookie(app, copied)
        refused = thief.post("/admin/rollback", data={"csrf_token": csrf, "layer": "x"})
        assert refused.status_code == 401
        # the refusal also drops the revoked cookie from the browser
        assert "locator_admin=;" in refused.headers.get("Set-Cookie", "")
    assert not _signed_in(other)
    # signing in again gives a session that works, on either process
    assert browser.post("/admin/signin", data={"token": TOKEN}).status_code == 303
    assert _signed_in(browser) and _signed_in(_with_cookie(two, _cookie(browser)))
    # Bearer clients are not sessions: unaffected
    api = one.test_client().get(
        "/admin/history?layer=love_stations", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert api.status_code == 200


@pytest.mark.parametrize("credential", ["ADMIN_TOKEN", "ADMIN_PASSWORD_HASH"])
def test_a_changed_credential_revokes_the_old_cookies(ddir, credential):
    """The server restarted with another token or password hash (the same signing key)."""
    from werkzeug.security import generate_password_hash

    def value(secret: str) -> str:
        return secret if credential == "ADMIN_TOKEN" else generate_password_hash(secret)

    app = _app({"DATA_DIR": str(ddir)}, SECRET_KEY="k" * 32, ADMIN_TOKEN=None)
    app.config[credential] = value(TOKEN)
    client = app.test_client()
    assert client.post("/admin/signin", data={"token": TOKEN}).status_code == 303
    cookie = _cookie(client)
    assert _signed_in(_with_cookie(app, cookie))
    new = "another-long-secret-2027"
    app.config[credential] = value(new)
    assert not _signed_in(_with_cookie(app, cookie))
    assert client.post("/admin/signin", data={"token": new}).status_code == 303
    assert _signed_in(client)  # the new credential's sessions work


def test_signing_out_where_the_epoch_cannot_be_written_still_signs_this_browser_out(
    ddir, monkeypatch, caplog
):
    """A read-only data directory: no 500; this browser is signed out, the log says the
    other sessions could not be revoked."""
    from locator.stores.files.sessions import FileSessionEpoch

    def read_only(_self):
        raise PermissionError(13, "Permission denied")

    app = _app({"DATA_DIR": str(ddir)})
    browser = app.test_client()
    assert browser.post("/admin/signin", data={"token": TOKEN}).status_code == 303
    monkeypatch.setattr(FileSessionEpoch, "renew", read_only)
    resp = browser.post("/admin/signout", data={"csrf_token": _csrf(browser)})
    assert resp.status_code == 303 and not _signed_in(browser)
    assert "could not revoke other sessions" in caplog.text
