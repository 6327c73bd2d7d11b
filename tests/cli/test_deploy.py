"""The deployment docs/DEPLOY.md describes, run for real.

nginx with the very config block DEPLOY.md shows (read from the file; only certificate
paths, listen addresses and upstream ports substituted) terminates TLS with a throw-away
CA's certificate for ``locator.test`` and proxies to two app servers with
``LOCATOR_PROXY_COUNT=1``: ``locator serve`` (waitress) and ``locator serve --workers 2``
(pre-forked waitress). The client connects from several 127.x addresses, so that nginx sees
different clients while the app servers see only nginx. Then PostgreSQL's own backup,
``pg_dump -Fc`` and ``pg_restore``, round-trips a database the way DEPLOY.md says.

Without nginx the proxy tests fail, saying ``make test`` installs it (set
``LOCATOR_SKIP_DEPLOY=1`` to skip them on purpose).
"""

from __future__ import annotations

import contextlib
import filecmp
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from tests.conftest import (
    REPO,
    SERVED_PIDS,
    free_port,
    serve,
)

DEPLOY_MD = REPO / "docs" / "DEPLOY.md"
MARKER = "<!-- tested: nginx -->"
HOST = "locator.test"
TOKEN = "deploy-test-token-" + "x" * 24
LOCATOR = str(Path(sys.executable).with_name("locator"))
TIMEOUT_S = 10.0


# --------------------------------------------------------------------------- the config


def documented_nginx() -> str:
    """The nginx block that follows the marker in docs/DEPLOY.md."""
    text = DEPLOY_MD.read_text(encoding="utf-8")
    assert MARKER in text, f"{DEPLOY_MD} has no {MARKER!r} line before its nginx block"
    found = re.match(r"\s*```nginx\n(.*?)\n```", text.split(MARKER, 1)[1], re.S)
    assert found, f"no ```nginx block right after {MARKER!r} in {DEPLOY_MD}"
    return found.group(1)


def _sub(pattern: str, repl: str, text: str, count: int) -> str:
    new, n = re.subn(pattern, repl, text, flags=re.M)
    assert n == count, f"DEPLOY.md's nginx block: expected {count} match(es) of {pattern!r}"
    return new


def adapt(
    conf: str, cert: Path, key: Path, https_port: int, http_port: int, app_ports: tuple[int, int]
) -> str:
    """The documented block with the test's certificate, addresses and app servers."""
    conf = _sub(r"^\s*listen \[::\]:.*\n", "", conf, 2)  # IPv4 only here
    conf = _sub(r"^(\s*)listen 443 ", rf"\g<1>listen 127.0.0.1:{https_port} ", conf, 1)
    conf = _sub(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{http_port};", conf, 1)
    conf = _sub(r"^(\s*ssl_certificate)\s+\S+;", rf"\g<1> {cert};", conf, 1)
    conf = _sub(r"^(\s*ssl_certificate_key)\s+\S+;", rf"\g<1> {key};", conf, 1)
    conf = _sub(r"^(\s*server )127\.0\.0\.1:8001\b", rf"\g<1>127.0.0.1:{app_ports[0]}", conf, 1)
    conf = _sub(r"^(\s*server )127\.0\.0\.1:8002\b", rf"\g<1>127.0.0.1:{app_ports[1]}", conf, 1)
    return conf


def main_config(work: Path, snippet: str) -> str:
    """What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf, in ``work``."""
    # As root, workers would run as nobody, who cannot enter pytest's 0700 temporary
    # folders to buffer a request body; run them as root in this throw-away setup.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {work / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\n{user}worker_processes 2;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} notice;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        "    log_format upstreams '$status $request_method $request_uri "
        "upstream=$upstream_addr';\n"
        f"    access_log {work / 'access.log'} upstreams;\n"
        f"{temp}"
        f"{snippet}\n"
        "}\n"
    )


def test_the_documented_block_is_what_the_test_runs():
    conf = documented_nginx()
    for directive in (
        "ssl_certificate ",
        "return 301 https://$host$request_uri",
        "Strict-Transport-Security",
        "client_max_body_size 12m;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header Host $host;",
        "proxy_read_timeout 90s;",
        "client_header_timeout",
        "client_body_timeout",
        "keepalive 16;",
        "proxy_pass http://locator_app;",
    ):
        assert directive in conf, directive
    adapted = adapt(conf, Path("/c.pem"), Path("/k.pem"), 1443, 1080, (9001, 9002))
    adapted = re.sub(r"#.*", "", adapted)  # comments aside
    assert "8001" not in adapted and "8002" not in adapted and "[::]" not in adapted


# --------------------------------------------------------------------------- certificates


def _openssl(*args: str, cwd: Path) -> None:
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, f"openssl {' '.join(args)}: {proc.stderr}"


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and its certificate for locator.test: (ca, cert, key)."""
    folder.mkdir()
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=locator throw-away test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    _openssl(
        "req",
        *ec,
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        f"/CN={HOST}",
        cwd=folder,
    )
    (folder / "server.ext").write_text(
        f"subjectAltName=DNS:{HOST}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
        cwd=folder,
    )
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


# --------------------------------------------------------------------------- the proxy


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


class _LocatorTLS(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 but checks the certificate for locator.test (SNI too)."""

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=HOST)


@dataclass
class Proxy:
    https_port: int
    http_port: int
    ctx: ssl.SSLContext
    apps: list[str]
    app_logs: list[Path]
    work: Path
    nginx: subprocess.Popen

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        tls: bool = True,
        source: str = "127.0.0.1",
    ) -> Response:
        """One request on a new connection from ``source`` (any 127.x address: nginx
        sees it as the client's, the app servers see nginx's 127.0.0.1)."""
        conn: http.client.HTTPConnection
        if tls:
            conn = _LocatorTLS(
                "127.0.0.1",
                self.https_port,
                timeout=TIMEOUT_S,
                context=self.ctx,
                source_address=(source, 0),
            )
        else:
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, timeout=TIMEOUT_S, source_address=(source, 0)
            )
        with contextlib.closing(conn):
            conn.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            with contextlib.closing(conn.getresponse()) as resp:
                return Response(resp.status, resp.headers, resp.read())

    def access_log(self) -> list[str]:
        return (self.work / "access.log").read_text().splitlines()


def _nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def _wait_listening(ports: tuple[int, ...], proc: subprocess.Popen, why) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    for port in ports:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not listen on 127.0.0.1:{port}: {why()}", pytrace=False)
                time.sleep(0.05)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    nginx = _nginx()
    if nginx is None or shutil.which("openssl") is None:
        missing = "nginx" if nginx is None else "openssl"
        if os.environ.get("LOCATOR_SKIP_DEPLOY") == "1":
            pytest.skip(f"deployment tests skipped on request: {missing} is not installed")
        pytest.fail(
            f"the deployment tests need {missing} (Debian's package nginx provides "
            "/usr/sbin/nginx): `make test` installs it (set LOCATOR_SKIP_DEPLOY=1 "
            "to skip on purpose)",
            pytrace=False,
        )
    root = tmp_path_factory.mktemp("deploy")
    ca, cert, key = make_certificates(root / "tls")
    work = root / "nginx"
    work.mkdir()
    env = {"LOCATOR_PROXY_COUNT": "1", "LOCATOR_ADMIN_TOKEN": TOKEN, "LOCATOR_ACCESS_LOG": "true"}
    logs = [root / "app-a.log", root / "app-b.log"]
    with contextlib.ExitStack() as stack:
        # both ways `locator serve` runs: one waitress process, and 2 pre-forked workers
        apps = [
            stack.enter_context(serve(env_extra=env, log=logs[0])),
            stack.enter_context(serve(env_extra={**env, "LOCATOR_WORKERS": "2"}, log=logs[1])),
        ]
        https_port, http_port = free_port(), free_port()
        app_ports = (int(urlsplit(apps[0]).port or 0), int(urlsplit(apps[1]).port or 0))
        snippet = adapt(documented_nginx(), cert, key, https_port, http_port, app_ports)
        (work / "nginx.conf").write_text(main_config(work, snippet))
        err = stack.enter_context(open(work / "stderr.log", "wb"))
        proc = subprocess.Popen(
            [
                nginx,
                "-p",
                f"{work}/",
                "-c",
                str(work / "nginx.conf"),
                "-e",
                str(work / "error.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )

        def stop_nginx() -> None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)

        stack.callback(stop_nginx)

        def why() -> str:
            text = (work / "stderr.log").read_text(errors="replace")
            if (work / "error.log").exists():
                text += (work / "error.log").read_text(errors="replace")
            return text[-3000:] or f"exit status {proc.poll()}"

        _wait_listening((https_port, http_port), proc, why)
        ctx = ssl.create_default_context(cafile=str(ca))
        yield Proxy(https_port, http_port, ctx, apps, logs, work, proc)
        assert proc.poll() is None, f"nginx stopped during the tests: {why()}"


# --------------------------------------------------------------------------- the tests
# (in this order: the sign-in limit test spends attempts, the last one stops app server A)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SIGN_IN = f"token={quote(TOKEN)}".encode()


def _app_lines(log: Path, needle: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if needle in line]


def _count_in_logs(proxy: Proxy, needle: str, total: int) -> list[int]:
    """How many lines with ``needle`` each app server logged, once ``total`` are in."""
    deadline = time.monotonic() + TIMEOUT_S  # a busy machine writes its logs late
    while True:
        seen = [len(_app_lines(log, needle)) for log in proxy.app_logs]
        if sum(seen) >= total or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def test_https_answers_with_the_certificate_checked_and_hsts(proxy):
    resp = proxy.request("GET", "/api/v1/health")
    assert resp.status == 200 and json.loads(resp.body) == {"status": "ok"}
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert resp.headers["Server"] == "nginx"  # server_tokens off: no version
    # the app's own compression passes through (nginx's gzip is off)
    resp = proxy.request("GET", "/api/v1/layers", headers={"Accept-Encoding": "gzip"})
    assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(resp.body))["layers"]
    # a client that does not trust the throw-away CA is refused
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        contextlib.closing(
            _LocatorTLS(
                "127.0.0.1",
                proxy.https_port,
                timeout=TIMEOUT_S,
                context=ssl.create_default_context(),
            )
        ) as conn,
    ):
        conn.request("GET", "/api/v1/health", headers={"Host": HOST})


def test_plain_http_redirects_to_https(proxy):
    resp = proxy.request("GET", "/map?lang=en", tls=False)
    assert resp.status == 301
    assert resp.headers["Location"] == f"https://{HOST}/map?lang=en"
    assert "Strict-Transport-Security" not in resp.headers  # only ever sent over https


def test_both_app_servers_see_https_and_the_host(proxy):
    """X-Forwarded-Proto and Host reach the app (LOCATOR_PROXY_COUNT=1): absolute links
    are https://locator.test/…, and the admin session cookie is Secure."""
    for _ in range(4):
        resp = proxy.request("GET", "/ogc?f=json")
        assert resp.status == 200
        hrefs = [link["href"] for link in json.loads(resp.body)["links"]]
        assert hrefs and all(h.startswith(f"https://{HOST}/ogc") for h in hrefs), (
            f"the app did not see X-Forwarded-Proto: https (does the WSGI server drop "
            f"X-Forwarded-* before ProxyFix?): {hrefs}"
        )
    for _ in range(4):
        resp = proxy.request("POST", "/admin/signin", SIGN_IN + b"&next=/admin/history", FORM)
        assert resp.status == 303 and resp.headers["Location"].endswith("/admin/history")
        cookie = "; ".join(resp.header_all("Set-Cookie"))
        assert "locator_admin=" in cookie and "Secure" in cookie and "HttpOnly" in cookie, cookie
    assert min(_count_in_logs(proxy, "POST /admin/signin 303", 4)) >= 1  # both answered
    # asked directly over plain HTTP, without the proxy, the cookie is not Secure
    app = urlsplit(proxy.apps[0])
    conn = http.client.HTTPConnection(app.hostname, app.port, timeout=TIMEOUT_S)
    with contextlib.closing(conn):
        conn.request("POST", "/admin/signin", body=SIGN_IN, headers=FORM)
        with contextlib.closing(conn.getresponse()) as direct:
            direct.read()
            assert direct.status == 303
            plain = "; ".join(direct.headers.get_all("Set-Cookie") or [])
    assert "locator_admin=" in plain and "Secure" not in plain, plain


def test_bodies_over_12_mib_stop_at_nginx_and_smaller_ones_reach_the_app(proxy):
    # over client_max_body_size: nginx answers 413 from the headers alone
    conn = _LocatorTLS("127.0.0.1", proxy.https_port, timeout=TIMEOUT_S, context=proxy.ctx)
    with contextlib.closing(conn):
        conn.putrequest("POST", "/admin/import", skip_host=True)
        conn.putheader("Host", HOST)
        conn.putheader("Authorization", f"Bearer {TOKEN}")
        conn.putheader("Content-Type", "multipart/form-data; boundary=b")
        conn.putheader("Content-Length", str(13 * 2**20))
        conn.endheaders()
        with contextlib.closing(conn.getresponse()) as resp:
            body = resp.read()
            assert resp.status == 413, body[:300]
            assert b"nginx" in body  # nginx's own page: the app never saw it
            assert resp.headers["Strict-Transport-Security"]  # "always"
    # 11 MiB passes nginx and reaches the app, which refuses registers over 10 MB itself
    boundary = "locatordeploy"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="layer"\r\n\r\n'
        f'love_stations\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    body += b"x" * (11 * 2**20 - len(body) - 64)
    body += f"\r\n--{boundary}--\r\n".encode()
    resp = proxy.request(
        "POST",
        "/admin/import",
        body,
        {
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    assert resp.status == 413, resp.body[:300]
    assert b"nginx" not in resp.body
    assert resp.headers["Content-Type"].startswith("application/problem+json")


def test_requests_are_spread_over_both_app_servers(proxy):
    for i in range(10):
        assert proxy.request("GET", f"/api/v1/health?probe=spread-{i}").status == 200
    seen = _count_in_logs(proxy, "probe=spread-", 10)
    assert sum(seen) == 10 and min(seen) >= 3, f"requests per app server: {seen}"
    ports = {str(urlsplit(a).port) for a in proxy.apps}
    upstreams = {
        m.group(1)
        for line in proxy.access_log()
        if "spread-" in line and (m := re.search(r"upstream=127\.0\.0\.1:(\d+)", line))
    }
    assert upstreams == ports


def test_the_signin_limit_counts_each_client_not_the_proxy(proxy):
    """Client 127.0.0.2 fails to sign in until every app server refuses it (429), sending
    a forged X-Forwarded-For each time; client 127.0.0.3 still signs in everywhere: the
    app servers key the limit on the address nginx saw, not on nginx's own nor on what the
    client claims."""
    statuses = []
    for i in range(40):
        resp = proxy.request(
            "POST",
            "/admin/signin",
            b"token=wrong",
            {**FORM, "X-Forwarded-For": f"198.51.100.{i + 1}"},
            source="127.0.0.2",
        )
        statuses.append(resp.status)
        if all(_app_lines(log, "POST /admin/signin 429") for log in proxy.app_logs):
            break
    assert set(statuses) == {401, 429} and statuses[:5] == [401] * 5, statuses
    assert all(_app_lines(log, "POST /admin/signin 429") for log in proxy.app_logs), statuses
    before = _count_in_logs(proxy, "POST /admin/signin 303", 0)
    for _ in range(4):
        resp = proxy.request("POST", "/admin/signin", SIGN_IN, FORM, source="127.0.0.3")
        assert resp.status == 303, (
            f"another client was refused ({resp.status}): the limit counted nginx's address, "
            "so X-Forwarded-For did not reach ProxyFix"
        )
    after = _count_in_logs(proxy, "POST /admin/signin 303", sum(before) + 4)
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)


def test_a_client_looping_on_requests_is_slowed_by_nginx_alone(proxy):
    """Past its burst, one address asking faster than 20 a second gets nginx's 429; the
    next address is served as usual."""
    statuses = [
        proxy.request("GET", f"/api/v1/health?probe=loop-{i}", source="127.0.0.4").status
        for i in range(150)
    ]
    assert statuses[:60] == [200] * 60 and 429 in statuses, statuses
    assert proxy.request("GET", "/api/v1/health", source="127.0.0.5").status == 200
    reached_app = sum(len(_app_lines(log, "probe=loop-")) for log in proxy.app_logs)
    assert reached_app == statuses.count(200), "a 429 here came from nginx, not the app"


def test_with_one_app_server_stopped_the_other_answers_everything(proxy):
    gone, _alive = proxy.apps
    os.kill(SERVED_PIDS[gone], signal.SIGTERM)
    port = urlsplit(gone).port
    deadline = time.monotonic() + TIMEOUT_S
    while True:  # until the stopped server refuses connections
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            break
        assert time.monotonic() < deadline, "the app server did not stop"
        time.sleep(0.05)
    for _ in range(3):  # a POST too: refused connections are retried on the other server
        resp = proxy.request("POST", "/admin/signin", SIGN_IN, FORM)
        assert resp.status == 303, resp.body[:300]
    for i in range(12):
        resp = proxy.request("GET", f"/api/v1/health?probe=failover-{i}")
        assert resp.status == 200, resp.body[:300]
    assert len(_app_lines(proxy.app_logs[1], "probe=failover-")) == 12
    tried_both = [line for line in proxy.access_log() if f":{port}, " in line]
    assert tried_both, "no request was first tried on the stopped server"


# --------------------------------------------------------------------------- backups


def _with_user(url: str, user: str, password: str, dbname: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user)}:{quote(password)}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, f"/{dbname}", parts.query, ""))


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(cmd[:3])}…: {proc.stdout}{proc.stderr}"
    return proc


def test_pg_dump_and_pg_restore_give_the_same_data_back(pg_server, ddir, tmp_path):
    """DEPLOY.md's backup: the app's role (not a superuser) owns the database, a superuser
    made the extensions; pg_dump -Fc as the app's role, pg_restore by a superuser into a
    new database; the restored one has the same data version and dumps the same files."""
    import psycopg

    from tests.pgcluster import _bindir

    suffix = secrets.token_hex(3)
    role, password = f"locator_app_{suffix}", secrets.token_hex(12)
    source, restored = f"t_backup_{suffix}", f"t_restored_{suffix}"
    admin = pg_server.admin_url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{source}" OWNER "{role}"')
        with psycopg.connect(pg_server.url_of(source), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE EXTENSION btree_gist")
        app_url = _with_user(admin, role, password, source)
        _run([LOCATOR, "db", "init", "--database-url", app_url])
        _run([LOCATOR, "db", "load", "--data-dir", str(ddir), "--database-url", app_url])

        dump = tmp_path / "locator.dump"
        _run([str(_bindir() / "pg_dump"), "-Fc", "-f", str(dump), app_url])
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{restored}" OWNER "{role}"')
        _run([str(_bindir() / "pg_restore"), "-d", pg_server.url_of(restored), str(dump)])

        restored_url = _with_user(admin, role, password, restored)
        before = _run(
            [LOCATOR, "db", "dump", "--out", str(tmp_path / "before"), "--database-url", app_url]
        ).stdout
        after = _run(
            [
                LOCATOR,
                "db",
                "dump",
                "--out",
                str(tmp_path / "after"),
                "--database-url",
                restored_url,
            ]
        ).stdout
        version = re.search(r"wrote data version (\S+)", before)
        assert version and f"wrote data version {version.group(1)} " in after
        cmp = filecmp.dircmp(tmp_path / "before", tmp_path / "after")
        assert cmp.left_list == cmp.right_list and not cmp.diff_files and not cmp.funny_files
        _run([LOCATOR, "validate", "--data-dir", str(tmp_path / "after")])
        # the app's role still owns what it wrote: a load into the restored copy works
        again = _run(
            [
                LOCATOR,
                "db",
                "load",
                "--force",
                "--data-dir",
                str(ddir),
                "--database-url",
                restored_url,
            ]
        ).stdout
        assert f"data version {version.group(1)}" in again
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in (source, restored):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
