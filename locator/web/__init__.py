"""The Flask app factory. Nothing is built at import time."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_compress import Compress

from ..catalog import load_catalog
from ..errors import ConfigError
from ..live import CatalogHolder, DataWatcher
from ..maps import TILE_ORIGINS, TILES
from ..paths import DEFAULT_DATA_DIR, TEMPLATE_DIR

__all__ = ["DEFAULT_DATA_DIR", "create_app"]

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": str(DEFAULT_DATA_DIR),
    # notice a changed data directory and swap the new data in (locator.live)
    "WATCH_DATA": True,
    "WATCH_INTERVAL_S": 1.0,
    # basemap: osm (WGS-84, default), amap (GCJ-02; overlays converted), none (tests, intranets)
    "TILES": "osm",
    # gzip (flask-compress) for every textual type we serve, above 500 bytes
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/json",
                           "application/javascript",
                           "application/geo+json", "application/problem+json"],
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_MIN_SIZE": 500,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``LOCATOR_*`` environment variables, then ``config``.

    The catalog is read and validated here; a broken data directory raises
    :class:`~locator.errors.DataError` naming the file, feature and problem. With
    ``WATCH_DATA`` a background thread then reloads it whenever its files change
    (``app.extensions["locator_watcher"]``; ``.trigger()`` reloads at once).
    """
    app = Flask(__name__, template_folder=str(TEMPLATE_DIR), static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("LOCATOR")
    if config:
        app.config.from_mapping(config)
    if app.config["TILES"] not in TILES:
        raise ConfigError(f"TILES must be one of {', '.join(TILES)}, "
                          f"got {app.config['TILES']!r}")

    holder = CatalogHolder(load_catalog(app.config["DATA_DIR"]))
    app.extensions["locator"] = holder
    if app.config["WATCH_DATA"]:
        app.extensions["locator_watcher"] = DataWatcher(
            holder, float(app.config["WATCH_INTERVAL_S"])).start()

    from . import api, assets, errors, ogc, openapi, pages

    errors.register(app)
    _security_headers(app)
    app.register_blueprint(assets.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    Compress(app)
    return app


def _security_headers(app: Flask) -> None:
    """Pages may load nothing but the app's own files and the configured tile server's
    images; the browser enforces what the tests check."""
    tiles = TILE_ORIGINS[app.config["TILES"]]
    policy = ("default-src 'self'; "
              # folium writes its map set-up as inline script and style
              "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
              f"img-src 'self' data: {tiles}".rstrip() + "; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; "
              "frame-ancestors 'self'")

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Content-Security-Policy", policy)
            resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp
