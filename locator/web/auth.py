"""Admin authentication: who may use /admin and how they prove it.

Off unless a credential is configured: ``LOCATOR_ADMIN_TOKEN`` (a long random token) or
``LOCATOR_ADMIN_PASSWORD_HASH`` (werkzeug's ``scrypt:``/``pbkdf2:`` hash, made by
``locator admin-hash``). Browsers sign in on a form and get a session cookie (HttpOnly,
SameSite=Strict, Secure on HTTPS); every form carries a CSRF token. API clients send
``Authorization: Bearer <token>`` instead and need no CSRF token (a browser never adds
that header by itself). Failed sign-ins are rate-limited per client address.

A session is valid only in the epoch it was issued in and under the credential it was
issued with: signing out starts a new epoch, kept beside the store
(:mod:`locator.stores.sessions`), which revokes every session cookie handed out before,
copies included, in every app process; a changed token or password hash revokes them too.

:func:`protect` puts all of this in front of a blueprint (the admin views,
:mod:`locator.web.admin`) and adds its ``signin`` and ``signout`` endpoints to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from locator.stores.sessions import SessionEpoch
from locator.web.i18n import current_lang

#: failed sign-ins allowed per client address within the window, then 429
MAX_FAILURES = 5
FAILURE_WINDOW_S = 600.0


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


def credential_ok(given: str) -> bool:
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


def credential_mark() -> str:
    """A keyed digest of the configured credential (token and password hash): a session
    issued under another credential no longer matches. Keyed by the session secret, so the
    cookie (signed, not encrypted) tells nothing about the credential."""
    cfg = current_app.config
    given = f"{cfg.get('ADMIN_TOKEN') or ''}\n{cfg.get('ADMIN_PASSWORD_HASH') or ''}"
    key = str(current_app.secret_key or "").encode()
    return hmac.new(key, given.encode(), hashlib.sha256).hexdigest()[:32]


def epochs() -> SessionEpoch:
    """Where the session epoch is kept (the app factory chose it beside the store)."""
    return current_app.extensions["locator_session_epoch"]


def session_valid() -> bool:
    """Whether this request's session is a signed-in admin's, issued in the current epoch
    under the current credential."""
    if not session.get("admin"):
        return False
    mark, epoch = str(session.get("cred", "")), str(session.get("epoch", ""))
    return hmac.compare_digest(mark.encode(), credential_mark().encode()) and hmac.compare_digest(
        epoch.encode(), epochs().current().encode()
    )


def limiter() -> FailureLimiter:
    return current_app.extensions.setdefault("locator_admin_limiter", FailureLimiter())


def bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def is_api_client() -> bool:
    return (
        bearer() is not None
        or request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json"
    )


def problem(status: int, detail_zh: str, detail_en: str, **headers: str) -> Response:
    """An admin refusal: problem+json for API clients, the admin page's message for
    browsers."""
    if is_api_client():
        from locator.web.errors import problem as json_problem

        resp = json_problem(status, detail_en, f"admin-{status}")
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


def guard() -> BaseResponse | None:
    """Off, signed out, over the rate limit or without a CSRF token: nothing happens."""
    if not admin_enabled():
        return problem(
            403,
            "管理页面未开启：设置环境变量 LOCATOR_ADMIN_TOKEN（一长串随机字符）"
            "后重启服务即可开启。",
            "The admin pages are off: set the environment variable "
            "LOCATOR_ADMIN_TOKEN (a long random string) and restart to turn "
            "them on.",
        )
    if request.endpoint == f"{request.blueprint}.signin":
        return None
    token = bearer()
    if token is not None:
        key = request.remote_addr or "?"
        wait = limiter().wait_s(key)
        if wait:
            return problem(
                429,
                "尝试次数过多，请稍后再试",
                "too many failed attempts; try again later",
                **{"Retry-After": str(wait)},
            )
        if not credential_ok(token):
            limiter().fail(key)
            return problem(
                401,
                "凭据错误",
                "wrong credential",
                **{"WWW-Authenticate": 'Bearer realm="locator admin"'},
            )
        return None
    if not session_valid():
        if session.get("admin"):
            session.clear()  # a revoked cookie: the answer tells the browser to drop it
        if request.method == "GET" and not is_api_client():
            return redirect(
                url_for(
                    f"{request.blueprint}.signin",
                    next=request.full_path.rstrip("?"),
                    lang=current_lang() if current_lang() != "zh" else None,
                )
            )
        return problem(
            401, "请先登录", "sign in first", **{"WWW-Authenticate": 'Bearer realm="locator admin"'}
        )
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), str(session.get("csrf", "")).encode()):
            return problem(
                403,
                "表单已过期或来源不明（缺少 CSRF 令牌），未做任何更改；请刷新页面后重试。",
                "The form is stale or not ours (CSRF token missing or wrong); "
                "nothing was changed. Reload the page and try again.",
            )
    return None


def _signin_page(status: int = 200, **ctx) -> Response:
    return Response(
        render_template("admin.html", page="signin", csrf=session.get("csrf", ""), **ctx),
        status=status,
        mimetype="text/html",
    )


def _safe_next(target: str | None, home_endpoint: str) -> str:
    """Only a path under /admin/ (never another host) is a place to go after signing in."""
    if (
        target
        and target.startswith("/admin/")
        and "\\" not in target
        and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return target
    return url_for(home_endpoint)


def sign_in(home_endpoint: str) -> BaseResponse:
    """The sign-in form (GET), and signing in with the token or password it sends (POST):
    then to the form's ``next`` (a path under /admin/) or ``home_endpoint``."""
    if request.method == "GET":
        return _signin_page(next=request.args.get("next", ""))
    key = request.remote_addr or "?"
    wait = limiter().wait_s(key)
    if wait:
        return problem(
            429,
            f"尝试次数过多，请 {wait // 60 + 1} 分钟后再试",
            f"too many failed sign-ins; try again in {wait // 60 + 1} min",
            **{"Retry-After": str(wait)},
        )
    if not credential_ok(request.form.get("token", "")):
        limiter().fail(key)
        return _signin_page(401, next=request.form.get("next", ""), failed=True)
    session.clear()  # a fresh session: no fixation across sign-in
    session.permanent = True
    session["admin"] = True
    session["csrf"] = secrets.token_urlsafe(32)
    session["cred"] = credential_mark()
    session["epoch"] = epochs().current()
    return redirect(_safe_next(request.form.get("next"), home_endpoint), code=303)


def sign_out() -> BaseResponse:
    """Sign out: a new session epoch revokes every session issued before (this cookie and
    any copy of it, other browsers signed in with the same credential too). Where the
    epoch cannot be written (a read-only data directory) this browser is still signed out
    and the failure logged: copies of the cookie then stay valid until they expire."""
    try:
        epochs().renew()
    except OSError as exc:
        logging.getLogger(__name__).error(
            "sign-out could not revoke other sessions (session epoch not written: %s)", exc
        )
    session.clear()
    return redirect(url_for(f"{request.blueprint}.signin"), code=303)


def who() -> str:
    """Who made a change, for the import log: how they signed in and from where."""
    how = "token" if bearer() is not None else "session"
    return f"admin ({how}) from {request.remote_addr or '?'}"


def protect(bp: Blueprint, home_endpoint: str) -> None:
    """Guard every view of ``bp`` (:func:`guard`) and add its ``signin`` and ``signout``
    endpoints; after signing in, a browser goes on to ``next`` or to ``home_endpoint``.
    Call it after ``bp``'s own ``before_request`` functions that must run first (a body
    size limit: the guard reads the form)."""

    def signin() -> BaseResponse:
        return sign_in(home_endpoint)

    bp.before_request(guard)
    bp.add_url_rule("/signin", "signin", signin, methods=["GET", "POST"])
    bp.add_url_rule("/signout", "signout", sign_out, methods=["POST"])


def configure_sessions(app: Flask) -> None:
    """The session cookie: signed (:func:`session_secret`), HttpOnly, SameSite=Strict,
    only sent to /admin, Secure over HTTPS, valid for 8 hours."""
    secret = session_secret(app.config)
    if secret:
        app.secret_key = secret
    app.session_interface = AdminSessionInterface()
    app.config["SESSION_COOKIE_NAME"] = "locator_admin"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_PATH"] = "/admin"
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=8)
