"""How every response may be cached, shared across origins and linked absolutely.

- Caching: every response says how it may be cached. Versioned static assets are immutable
  for a year; data answers with an ETag may be kept and revalidated; pages, errors and
  anything else default to ``no-cache`` (keep, but ask again), nearest answers to
  ``no-store`` (they depend on the moment and the position).
- Cross-origin: the read-only public API (``/api/``, ``/ogc``) answers any origin
  (``Access-Control-Allow-Origin: *`` and a correct preflight), so a union's WeChat page
  or a city portal can use it. Nothing else does (the admin paths to come never will).
- Absolute links (the OGC API's) come from ``BASE_URL`` when it is configured; without it
  they come from the request's Host, and then the answers vary by host (``Vary: Host``
  and the host in the ETag), so that a shared cache cannot hand one host's links to
  another.
- Content-Security-Policy: scripts only from the app itself, and the inline ones folium
  writes for a map only with this response's nonce (``csp_nonce()`` in a template, or
  ``| with_nonce`` on folium's header), so an injected inline script or event handler
  does not run. Styles keep ``'unsafe-inline'``: folium and Leaflet set styles inline
  (``style=`` attributes and ``<style>`` blocks), and a style cannot run code. A 304
  carries no policy, so a cached page keeps the policy (and nonce) it came with.
- An invalid ``Range`` header, or one in a unit other than bytes, is ignored, as RFC
  9110 allows (and for unknown units requires), instead of answered 416.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, url_for
from markupsafe import Markup
from werkzeug.http import parse_range_header

from locator.maps import TILE_ORIGINS
from locator.values.errors import ConfigError

PUBLIC_PREFIXES = ("/api/", "/ogc")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Content-Type",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, Content-Type",
    "Access-Control-Max-Age": "86400",
}


def is_public_api(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def check_base_url(value: str | None) -> str | None:
    """The configured public base URL without its trailing slash, or None."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(
            f"BASE_URL must be an http(s) URL such as https://locator.example "
            f"(optionally with a path), got {value!r}"
        )
    return value.rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL: from BASE_URL when configured, else from the request."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def host_key() -> str:
    """What an ETag must also depend on: the host, when links are built from it."""
    return "" if current_app.config.get("BASE_URL") else request.host


def csp_nonce() -> str:
    """This response's script nonce (made on first use: 128 random bits, base64url)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


_BARE_SCRIPT = re.compile(r"<script>")


def with_nonce(html: str) -> Markup:
    """Trusted generated HTML (folium's map header) with this response's nonce on each of
    its inline ``<script>`` tags. Never for HTML holding data: that is escaped instead."""
    return Markup(_BARE_SCRIPT.sub(f'<script nonce="{csp_nonce()}">', str(html)))


def content_security_policy(tiles: str, nonce: str | None) -> str:
    """The pages' policy: scripts from the app (and inline ones with ``nonce``), images
    also from the tile origin ``tiles``, nothing else from elsewhere."""
    scripts = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        "default-src 'self'; "
        f"{scripts}; script-src-attr 'none'; "
        # folium and Leaflet set styles inline (attributes and <style> blocks)
        "style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: {tiles}".rstrip()
        + "; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'self'"
    )


def register(app: Flask) -> None:
    tiles = TILE_ORIGINS[app.config["TILES"]]
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce

    @app.before_request
    def _ignore_invalid_range():
        raw = request.headers.get("Range")
        if raw is not None:
            parsed = parse_range_header(raw)
            if parsed is None or parsed.units != "bytes":  # invalid, or a unit we lack
                request.environ.pop("HTTP_RANGE", None)

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if resp.mimetype == "text/html":
            if resp.status_code != 304:  # a 304 leaves a cached page its policy and nonce
                resp.headers.setdefault(
                    "Content-Security-Policy", content_security_policy(tiles, g.get("csp_nonce"))
                )
            resp.headers.setdefault("Referrer-Policy", "same-origin")
        if is_public_api(request.path):
            for name, value in CORS_HEADERS.items():
                resp.headers.setdefault(name, value)
            if request.method == "OPTIONS":
                resp.headers.update(PREFLIGHT_HEADERS)
            if request.path.startswith("/ogc") and not app.config.get("BASE_URL"):
                resp.vary.add("Host")
        if "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store" if resp.status_code >= 500 else "no-cache"
        return resp
