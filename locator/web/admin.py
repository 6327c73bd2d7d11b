"""/admin: the federation's staff import a register, see its report, replace a layer,
see a layer's versions and roll one back. Parse -> one domain call (locator.importer) ->
render.

Off unless a credential is configured: ``LOCATOR_ADMIN_TOKEN`` (a long random token) or
``LOCATOR_ADMIN_PASSWORD_HASH`` (werkzeug's ``scrypt:``/``pbkdf2:`` hash, made by
``locator admin-hash``). Browsers sign in on a form and get a session cookie (HttpOnly,
SameSite=Strict, Secure on HTTPS); every form carries a CSRF token. API clients send
``Authorization: Bearer <token>`` instead and need no CSRF token (a browser never adds
that header by itself). Failed sign-ins are rate-limited per client address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface

from locator.importer import import_register
from locator.importer.history import history_dir, rollback, versions
from locator.stores.working import data_dir_for
from locator.values import registry
from locator.values.errors import LocatorError
from locator.values.geo.crs import CoordSystem
from locator.web.i18n import current_lang

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: the largest register an upload may carry (bytes); the request may be a little larger
MAX_REGISTER_BYTES = 10 * 2**20
_FORM_OVERHEAD = 256 * 1024
#: failed sign-ins allowed per client address within the window, then 429
MAX_FAILURES = 5
FAILURE_WINDOW_S = 600.0
STAGED_TTL_S = 3600.0
_STAGED_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# --------------------------------------------------------------------------- credentials


def admin_enabled(app=None) -> bool:
    cfg = (app or current_app).config
    return bool(cfg.get("ADMIN_TOKEN") or cfg.get("ADMIN_PASSWORD_HASH"))


def session_secret(config: dict) -> str | None:
    """The key that signs session cookies: ``SECRET_KEY`` when set; else derived from the
    admin token, which is secret (every app process agrees, and a new token signs everyone
    out); else, with only a password hash (which is not secret: deriving from it would let
    whoever reads it forge a session), a random key of this process."""
    if config.get("SECRET_KEY"):
        return str(config["SECRET_KEY"])
    if config.get("ADMIN_TOKEN"):
        return hmac.new(
            str(config["ADMIN_TOKEN"]).encode(), b"locator admin session", hashlib.sha256
        ).hexdigest()
    if config.get("ADMIN_PASSWORD_HASH"):
        return secrets.token_hex(32)
    return None


def _credential_ok(given: str) -> bool:
    """Constant-time comparison with the token, or the password hash's own check."""
    cfg = current_app.config
    token = cfg.get("ADMIN_TOKEN")
    if token and hmac.compare_digest(given.encode(), str(token).encode()):
        return True
    hashed = cfg.get("ADMIN_PASSWORD_HASH")
    if hashed:
        from werkzeug.security import check_password_hash

        return check_password_hash(str(hashed), given)
    return False


class FailureLimiter:
    """At most ``limit`` failures per key within ``window_s`` seconds (in memory, per
    process: with N processes an address gets N times the attempts, still a handful)."""

    def __init__(self, limit: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def wait_s(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            return int(self.window_s - (now - q[0])) + 1 if len(q) >= self.limit else 0

    def fail(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # forget the oldest keys, bounded memory
                for k in list(self._failures)[:5_000]:
                    del self._failures[k]


class AdminSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with the cookie Secure whenever the request came
    over HTTPS (directly or, with ProxyFix, through a proxy that says so)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _limiter() -> FailureLimiter:
    return current_app.extensions.setdefault("locator_admin_limiter", FailureLimiter())


def _bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def _is_api_client() -> bool:
    return (
        _bearer() is not None
        or request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json"
    )


def _problem(status: int, detail_zh: str, detail_en: str, **headers: str) -> Response:
    if _is_api_client():
        from locator.web.errors import problem

        resp = problem(status, detail_en, f"admin-{status}")
    else:
        resp = Response(
            render_template(
                "admin.html",
                page="message",
                status=status,
                message=detail_zh if current_lang() == "zh" else detail_en,
            ),
            status=status,
            mimetype="text/html",
        )
    resp.headers.update(headers)
    return resp


@bp.before_request
def _guard():
    """Off, signed out, over the rate limit or without a CSRF token: nothing happens."""
    request.max_content_length = MAX_REGISTER_BYTES + _FORM_OVERHEAD
    if not admin_enabled():
        return _problem(
            403,
            "管理页面未开启：设置环境变量 LOCATOR_ADMIN_TOKEN（一长串随机字符）"
            "后重启服务即可开启。",
            "The admin pages are off: set the environment variable "
            "LOCATOR_ADMIN_TOKEN (a long random string) and restart to turn "
            "them on.",
        )
    if request.endpoint in ("admin.signin",):
        return None
    token = _bearer()
    if token is not None:
        key = request.remote_addr or "?"
        wait = _limiter().wait_s(key)
        if wait:
            return _problem(
                429,
                "尝试次数过多，请稍后再试",
                "too many failed attempts; try again later",
                **{"Retry-After": str(wait)},
            )
        if not _credential_ok(token):
            _limiter().fail(key)
            return _problem(
                401,
                "凭据错误",
                "wrong credential",
                **{"WWW-Authenticate": 'Bearer realm="locator admin"'},
            )
        return None
    if not session.get("admin"):
        if request.method == "GET" and not _is_api_client():
            return redirect(
                url_for(
                    "admin.signin",
                    next=request.full_path.rstrip("?"),
                    lang=current_lang() if current_lang() != "zh" else None,
                )
            )
        return _problem(
            401, "请先登录", "sign in first", **{"WWW-Authenticate": 'Bearer realm="locator admin"'}
        )
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
            return _problem(
                403,
                "表单已过期或来源不明（缺少 CSRF 令牌），未做任何更改；请刷新页面后重试。",
                "The form is stale or not ours (CSRF token missing or wrong); "
                "nothing was changed. Reload the page and try again.",
            )
    return None


@bp.after_request
def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --------------------------------------------------------------------------- pages


def _local_time(iso: str | None) -> str:
    """A log time (UTC ISO 8601) as Beijing time, the way staff read a clock."""
    try:
        when = dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    local = when.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return local.strftime("%Y-%m-%d %H:%M") + (
        " 北京时间" if current_lang() == "zh" else " Beijing time"
    )


def _who_text(who: str | None) -> str:
    """The log's ``admin (session) from 1.2.3.4`` in the page's language."""
    text = str(who or "?")
    if current_lang() == "zh":
        text = text.replace("admin (session) from ", "管理员网页登录，来自 ").replace(
            "admin (token) from ", "管理员令牌，来自 "
        )
    return text


def _page(page: str, status: int = 200, **ctx: Any) -> Response:
    return Response(
        render_template(
            "admin.html",
            page=page,
            csrf=session.get("csrf", ""),
            layers=registry.FACILITIES,
            local_time=_local_time,
            who_text=_who_text,
            **ctx,
        ),
        status=status,
        mimetype="text/html",
    )


def _safe_next(target: str | None) -> str:
    """Only a path under /admin/ (never another host) is a place to go after signing in."""
    if (
        target
        and target.startswith("/admin/")
        and "\\" not in target
        and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return target
    return url_for("admin.import_page")


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if request.method == "GET":
        return _page("signin", next=request.args.get("next", ""))
    key = request.remote_addr or "?"
    wait = _limiter().wait_s(key)
    if wait:
        return _problem(
            429,
            f"尝试次数过多，请 {wait // 60 + 1} 分钟后再试",
            f"too many failed sign-ins; try again in {wait // 60 + 1} min",
            **{"Retry-After": str(wait)},
        )
    if not _credential_ok(request.form.get("token", "")):
        _limiter().fail(key)
        return _page("signin", status=401, next=request.form.get("next", ""), failed=True)
    session.clear()  # a fresh session: no fixation across sign-in
    session.permanent = True
    session["admin"] = True
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/signout")
def signout():
    session.clear()
    return redirect(url_for("admin.signin"), code=303)


@bp.get("/")
def home():
    return redirect(url_for("admin.import_page"))


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def _data(layer: str, write: bool = True, others: bool = True):
    """The data directory to import into: the files, or a working copy of the database
    for work on ``layer``, written back in one transaction (:mod:`locator.stores.working`)."""
    return data_dir_for(_data_dir(), current_app.config.get("DATABASE_URL"), write, layer, others)


def _staging():
    """With a database, uploads wait there: the confirming request may reach another app
    server."""
    url = current_app.config.get("DATABASE_URL")
    if not url:
        return None
    from locator.stores.postgis import staging
    from locator.stores.postgis.db import database

    return staging.Staging(database(url))


def _staged_dir() -> Path:
    return history_dir(_data_dir()) / ".staged"


def _stage(data: bytes, meta: dict[str, Any]) -> str:
    """Keep an uploaded register until it is confirmed (an hour at most)."""
    shared = _staging()
    if shared is not None:
        return shared.put(data, meta, STAGED_TTL_S)
    folder = _staged_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.json"):
        if now - old.stat().st_mtime > STAGED_TTL_S:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
    staged = secrets.token_urlsafe(18)
    (folder / f"{staged}.bin").write_bytes(data)
    (folder / f"{staged}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return staged


def _unstage(staged: str, take: bool = False) -> tuple[bytes, dict[str, Any]]:
    """The staged upload; with ``take`` (it is being imported) it is removed at once."""
    shared = _staging()
    found = None
    if shared is not None and _STAGED_ID.match(staged):
        found = (shared.take if take else shared.get)(staged, STAGED_TTL_S)
    if found is not None:
        return found
    folder = _staged_dir()
    if (
        shared is not None
        or not _STAGED_ID.match(staged)
        or not (folder / f"{staged}.json").exists()
    ):
        raise LocatorError(
            "staged: this upload is no longer waiting (it expires after an "
            "hour, or was imported already); upload the file again"
        )
    meta = json.loads((folder / f"{staged}.json").read_text(encoding="utf-8"))
    return (folder / f"{staged}.bin").read_bytes(), meta


def _drop_staged(staged: str) -> None:
    shared = _staging()
    if shared is not None:
        shared.drop(staged)
        return
    for suffix in (".bin", ".json"):
        (_staged_dir() / f"{staged}{suffix}").unlink(missing_ok=True)


def _swap_now() -> None:
    """Load the new data at once rather than at the watcher's next poll."""
    watcher = current_app.extensions.get("locator_watcher")
    if watcher is not None:
        watcher.trigger()
    else:
        current_app.extensions["locator"].reload()


def _who() -> str:
    how = "token" if _bearer() is not None else "session"
    return f"admin ({how}) from {request.remote_addr or '?'}"


@bp.get("/import")
def import_page():
    return _page("import")


@bp.post("/import")
def import_upload():
    """``action=check`` (default): report, and stage the file for confirmation;
    ``action=apply``: import (the staged file, or the uploaded one for API clients)."""
    form = request.form
    action = form.get("action", "check")
    staged = form.get("staged", "")
    try:
        if staged:
            data, meta = _unstage(staged, take=action == "apply")
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise LocatorError("file: choose a register file (CSV, XLSX or GeoJSON)")
            try:
                data = upload.read(MAX_REGISTER_BYTES + 1)
            finally:
                upload.close()
            if len(data) > MAX_REGISTER_BYTES:
                return _problem(
                    413,
                    "文件超过 10 MB 上限，请拆分后分批导入",
                    "the file is larger than the 10 MB limit; split it",
                )
            meta = {
                "filename": Path(upload.filename).name,
                "layer": form.get("layer", ""),
                "coord": form.get("coord") or None,
                "sheet": form.get("sheet") or None,
            }
        coord = CoordSystem(meta["coord"]) if meta.get("coord") else None
    except ValueError:
        raise LocatorError(
            f"coord: must be one of wgs84, gcj02, bd09, got {form.get('coord')!r}"
        ) from None
    apply = action == "apply"
    with _data(meta["layer"], write=apply) as data_dir:
        outcome = import_register(
            data_dir,
            data,
            meta["filename"],
            meta["layer"],
            coord,
            meta.get("sheet"),
            dry_run=not apply,
            who=_who(),
        )
    if outcome.written:
        if staged:
            _drop_staged(staged)
        _swap_now()
    elif apply and staged and not outcome.plan.ok:
        _drop_staged(staged)
    plan = outcome.plan
    if _is_api_client():
        from flask import jsonify

        return jsonify(
            {
                "ok": plan.ok,
                "written": outcome.written,
                "layer": plan.layer,
                "summary": plan.summary(current_lang()),
                "changes": plan.changes(),
                "report": plan.report(current_lang()),
                "problems": [p.as_dict() for p in plan.problems],
                "entry": outcome.entry,
            }
        ), 200 if plan.ok else 422
    staged_id = _stage(data, meta) if plan.ok and not outcome.written else ""
    decl = registry.BY_ID[plan.layer]
    return _page(
        "report",
        status=200 if plan.ok else 422,
        plan=plan,
        meta=meta,
        staged=staged_id,
        written=outcome.written,
        entry=outcome.entry,
        layer_label=decl.name_zh if current_lang() == "zh" else decl.name_en,
    )


@bp.get("/history")
def history_page():
    layer = request.args.get("layer", registry.FACILITIES[0].id)
    from locator.importer.register import facility_decl

    facility_decl(layer, "layer")
    with _data(layer, write=False, others=False) as data_dir:
        kept = versions(data_dir, layer)
    return _page("history", layer=layer, versions=kept, done=request.args.get("done", ""))


@bp.post("/rollback")
def rollback_post():
    from locator.importer.register import facility_decl

    layer = request.form.get("layer", "")
    facility_decl(layer, "layer")
    with _data(layer) as data_dir:
        entry = rollback(data_dir, layer, request.form.get("version", ""), _who())
    _swap_now()
    if _is_api_client():
        from flask import jsonify

        return jsonify(entry)
    return redirect(
        url_for(
            "admin.history_page",
            layer=layer,
            done=entry["restored_version"],
            lang=current_lang() if current_lang() != "zh" else None,
        ),
        code=303,
    )


def register_admin(app) -> None:
    """Session settings and the blueprint. Without a credential the blueprint still
    answers, to say the pages are off and how to turn them on."""
    secret = session_secret(app.config)
    if secret:
        app.secret_key = secret
    app.session_interface = AdminSessionInterface()
    app.config["SESSION_COOKIE_NAME"] = "locator_admin"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_PATH"] = "/admin"
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=8)
    app.register_blueprint(bp)
