"""/admin: sign-in, CSRF, Bearer tokens, upload limits, rate limits, import and rollback
through the web, and that nothing changes without credentials."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree

from locator.web import create_app
from locator.web.admin import MAX_REGISTER_BYTES
from locator.web.auth import MAX_FAILURES
from tests.registers import good_rows, write_register

TOKEN = "correct-horse-battery-staple-2026"


def _app(ddir: Path, **config):
    return create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_TOKEN": TOKEN,
            **config,
        }
    )


@pytest.fixture()
def admin(ddir):
    return _app(ddir)


def _layer(ddir: Path) -> bytes:
    return (ddir / "love_stations.geojson").read_bytes()


def _register(tmp_path: Path, fmt: str = "csv-gb18030") -> bytes:
    return write_register(tmp_path / "register", fmt, good_rows()).read_bytes()


def _signin(client) -> str:
    resp = client.post("/admin/signin", data={"token": TOKEN})
    assert resp.status_code == 303
    page = client.get("/admin/import")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]


def _upload(client, data: bytes, name: str = "register.csv", **fields):
    return client.post(
        "/admin/import",
        data={"layer": "love_stations", "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
        headers=fields.pop("headers", {}),
    )


def test_off_without_a_credential_and_says_how_to_turn_it_on(ddir):
    client = create_app({"DATA_DIR": str(ddir), "WATCH_DATA": False, "TILES": "none"}).test_client()
    for path in ("/admin/", "/admin/import", "/admin/history", "/admin/signin"):
        resp = client.get(path)
        assert resp.status_code == 403
        assert "LOCATOR_ADMIN_TOKEN" in resp.text
    before = _layer(ddir)
    resp = client.post("/admin/signin", data={"token": ""})
    assert resp.status_code == 403
    resp = client.post(
        "/admin/import", headers={"Authorization": "Bearer "}, data={"layer": "love_stations"}
    )
    assert resp.status_code == 403
    assert _layer(ddir) == before


def test_signed_out_every_path_refuses_and_changes_nothing(admin, ddir, tmp_path):
    client = admin.test_client()
    before = _layer(ddir)
    resp = client.get("/admin/history")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/admin/signin")
    for path in ("/admin/import", "/admin/rollback", "/admin/signout"):
        resp = client.post(
            path,
            data={
                "layer": "love_stations",
                "action": "apply",
                "file": (io.BytesIO(_register(tmp_path)), "r.csv"),
            },
        )
        assert resp.status_code == 401, path
    resp = client.get("/admin/import", headers={"Accept": "application/json"})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert _layer(ddir) == before
    assert not (ddir / "history").exists()


def test_a_wrong_token_changes_nothing(admin, ddir, tmp_path):
    client = admin.test_client()
    before = _layer(ddir)
    resp = client.post("/admin/signin", data={"token": TOKEN[:-1]})
    assert resp.status_code == 401 and "凭据错误" in resp.text
    assert "locator_admin=" not in resp.headers.get("Set-Cookie", "")
    resp = _upload(
        client,
        _register(tmp_path),
        action="apply",
        headers={"Authorization": "Bearer " + TOKEN + "x"},
    )
    assert resp.status_code == 401
    assert _layer(ddir) == before


def test_a_missing_or_wrong_csrf_token_changes_nothing(admin, ddir, tmp_path):
    client = admin.test_client()
    csrf = _signin(client)
    before = _layer(ddir)
    resp = _upload(client, _register(tmp_path))  # checking only, still needs the token
    assert resp.status_code == 403 and "CSRF" in resp.text
    resp = _upload(client, _register(tmp_path), action="apply", csrf_token=csrf[:-2] + "xx")
    assert resp.status_code == 403
    assert _layer(ddir) == before and not (ddir / "history" / "love_stations").exists()


def test_check_then_confirm_replaces_the_layer_and_the_catalog(admin, ddir, tmp_path):
    client = admin.test_client()
    csrf = _signin(client)
    before_version = admin.extensions["locator"].catalog.version
    resp = _upload(client, _register(tmp_path), "江门名单.csv", csrf_token=csrf, coord="wgs84")
    assert resp.status_code == 200
    assert "可以导入" in resp.text and "新增 3，删除 1" in resp.text
    assert b"ls-0001" in _layer(ddir)  # checked, not written
    staged = re.search(r'name="staged" value="([^"]+)"', resp.text)[1]
    resp = client.post(
        "/admin/import", data={"csrf_token": csrf, "staged": staged, "action": "apply"}
    )
    assert resp.status_code == 200 and "已替换图层" in resp.text
    assert b"ls-0001" not in _layer(ddir)
    cat = admin.extensions["locator"].catalog
    assert cat.version != before_version  # served at once, no restart
    assert {f.source for f in cat.layers["love_stations"].facilities} == {"江门名单.csv"}
    # the staged file is gone: confirming twice does nothing more
    resp = client.post(
        "/admin/import", data={"csrf_token": csrf, "staged": staged, "action": "apply"}
    )
    assert resp.status_code == 400 and "no longer waiting" in resp.text
    # and the history page offers the old version back
    page = client.get("/admin/history?layer=love_stations")
    version = re.search(r'name="version" value="([^"]+)"', page.text)[1]
    resp = client.post(
        "/admin/rollback", data={"csrf_token": csrf, "layer": "love_stations", "version": version}
    )
    assert resp.status_code == 303
    assert b"ls-0001" in _layer(ddir)
    # the history labels each version by what made it: the original is the original, not
    # the rollback that brought its bytes back
    cells = [
        "".join(td.itertext())
        for td in etree.HTML(client.get("/admin/history?layer=love_stations").data).findall(
            ".//table[@class='versions']/tr/td[1]"
        )
    ]
    assert len(cells) == 3, cells
    assert cells[0].startswith("当前") and "回退" in cells[0] and "原始版本" not in cells[0]
    assert "导入" in cells[1] and "江门名单.csv" in cells[1]
    assert "原始版本" in cells[2] and "回退 ·" not in cells[2] and "导入 ·" not in cells[2]
    en = client.get("/admin/history?layer=love_stations&lang=en").get_data(as_text=True)
    assert "original" in en


def test_a_register_with_errors_shows_the_rows_and_writes_nothing(admin, ddir, tmp_path):
    client = admin.test_client()
    csrf = _signin(client)
    rows = good_rows()
    rows[1][4] = "3501234"
    data = write_register(tmp_path / "bad", "csv-utf8", rows).read_bytes()
    before = _layer(ddir)
    resp = _upload(client, data, csrf_token=csrf, coord="wgs84", action="apply")
    assert resp.status_code == 422
    assert "错误 第 3 行，列“电话”，值“3501234”" in resp.text
    assert 'name="staged"' not in resp.text
    resp = _upload(
        client,
        data,
        csrf_token=csrf,
        coord="wgs84",
        action="apply",
        headers={"Accept": "text/html"},
    )
    assert _layer(ddir) == before


def test_bearer_clients_import_in_one_request_and_get_json(admin, ddir, tmp_path):
    client = admin.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    resp = _upload(
        client, _register(tmp_path, "xlsx"), "r.xlsx", coord="wgs84", action="apply", headers=auth
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["written"] and resp.json["changes"]["added"] == 3
    assert resp.json["entry"]["who"].startswith("admin (token)")
    resp = client.get("/admin/history?layer=love_stations", headers=auth)
    assert resp.status_code == 200
    resp = client.post(
        "/admin/rollback", headers=auth, data={"layer": "love_stations", "version": "nope"}
    )
    assert resp.status_code == 400 and "has no version" in resp.json["detail"]


def test_upload_size_limit_is_clear(admin, ddir):
    client = admin.test_client()
    csrf = _signin(client)
    # multipart bodies built here as bytes: the test client's own encoder leaves a
    # temporary file open for bodies over 500 KB
    body = (
        b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + csrf.encode()
        + b'\r\n--x\r\nContent-Disposition: form-data; name="file"; '
        b'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        + b"a" * (MAX_REGISTER_BYTES + 1)
        + b"\r\n--x--\r\n"
    )
    resp = client.post("/admin/import", data=body, content_type="multipart/form-data; boundary=x")
    assert resp.status_code == 413 and "10 MB" in resp.text
    # a body over the request limit is refused before it is read
    resp = client.post(
        "/admin/import",
        data=b"a" * (MAX_REGISTER_BYTES + 600_000),
        content_type="multipart/form-data; boundary=x",
    )
    assert resp.status_code == 413


def test_sign_in_is_rate_limited(admin, ddir):
    client = admin.test_client()
    for _ in range(MAX_FAILURES):
        assert client.post("/admin/signin", data={"token": "guess"}).status_code == 401
    resp = client.post("/admin/signin", data={"token": TOKEN})  # even the right one waits
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    other = client.post(
        "/admin/signin", data={"token": TOKEN}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 303  # another address is not locked out


def test_session_cookie_flags(admin):
    client = admin.test_client()
    resp = client.post("/admin/signin", data={"token": TOKEN})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http on localhost
    resp = admin.test_client().post(
        "/admin/signin", data={"token": TOKEN}, base_url="https://locator.example"
    )
    assert "Secure" in resp.headers["Set-Cookie"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_sign_in_goes_only_to_admin_paths(admin):
    client = admin.test_client()
    for target, expected in (
        ("/admin/history", "/admin/history"),
        ("//evil.example/admin/", "/admin/import"),
        ("https://evil.example/", "/admin/import"),
    ):
        resp = client.post("/admin/signin", data={"token": TOKEN, "next": target})
        assert resp.headers["Location"] == expected


def test_password_hash_instead_of_a_token(ddir):
    from werkzeug.security import generate_password_hash

    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_PASSWORD_HASH": generate_password_hash("瓦片"),
        }
    )
    client = app.test_client()
    assert client.post("/admin/signin", data={"token": "wrong"}).status_code == 401
    assert client.post("/admin/signin", data={"token": "瓦片"}).status_code == 303


def test_english_pages(admin, tmp_path):
    client = admin.test_client()
    page = client.get("/admin/signin?lang=en")
    assert "Staff sign-in" in page.text
    client.post("/admin/signin?lang=en", data={"token": TOKEN})
    page = client.get("/admin/import?lang=en")
    assert "Import a register" in page.text and 'action="/admin/import?lang=en"' in page.text


def test_admin_hash_command_makes_a_hash_the_server_accepts(ddir, runner):
    from locator.cli import cli

    res = runner.invoke(cli, ["admin-hash"], input="a long enough pass\na long enough pass\n")
    assert res.exit_code == 0, res.output
    hashed = res.output.strip().splitlines()[-1]
    client = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_PASSWORD_HASH": hashed,
        }
    ).test_client()
    assert client.post("/admin/signin", data={"token": "a long enough pass"}).status_code == 303
    short = runner.invoke(cli, ["admin-hash", "--password", "short"])
    assert short.exit_code == 1 and "at least 12" in short.output
