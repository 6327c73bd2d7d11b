"""The Flask app factory. Nothing is built at import time."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, request
from flask_compress import Compress

from locator.maps import TILES
from locator.service import Services
from locator.service.reports import Reports
from locator.stores.base import Holder
from locator.stores.files.holder import CatalogHolder
from locator.stores.files.reports import SqliteReports, reports_path
from locator.stores.files.sessions import FileSessionEpoch, epoch_path
from locator.stores.files.staging import FileStaging, staged_dir
from locator.stores.reports import ReportStore
from locator.stores.sessions import SessionEpoch
from locator.stores.staging import Staging
from locator.stores.watch import DataWatcher
from locator.values.errors import ConfigError
from locator.values.paths import DEFAULT_DATA_DIR, TEMPLATE_DIR
from locator.values.reports import RATE_PER_DAY, RATE_PER_MINUTE

__all__ = ["DEFAULT_DATA_DIR", "create_app"]

DEFAULTS: dict[str, Any] = {
    "DATA_DIR": str(DEFAULT_DATA_DIR),
    # notice a changed data directory and swap the new data in (locator.stores.watch)
    "WATCH_DATA": True,
    "WATCH_INTERVAL_S": 1.0,
    # basemap: osm (WGS-84, default), amap (GCJ-02; overlays converted), none (tests, intranets)
    "TILES": "osm",
    # the public address absolute links are built from (e.g. https://locator.example);
    # None: from each request's Host (and then such answers vary by host)
    "BASE_URL": None,
    # the official holiday schedule for years the libraries lack; None: the data
    # directory's holidays.json
    "HOLIDAYS_FILE": None,
    # log every request (method, path with query, status) to the "locator.access" logger
    "ACCESS_LOG": False,
    # at most this many points of one layer are drawn on /map (the rest: the JSON API)
    "MAP_MAX_POINTS": 3000,
    # gzip (flask-compress) for every textual type we serve, above 500 bytes
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/json",
        "application/javascript",
        "application/geo+json",
        "application/problem+json",
    ],
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_MIN_SIZE": 500,
    # how many reverse proxies in front set X-Forwarded-For/-Proto (werkzeug ProxyFix):
    # then the client's address (rate limits) and https (Secure cookies) are the real ones
    "PROXY_COUNT": 0,
    # the peers believed to be those proxies: addresses or CIDR networks, comma-separated
    # (LOCATOR_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8); None: loopback (locator.web.proxies)
    "TRUSTED_PROXIES": None,
    # postgresql://…: the PostGIS store (locator.stores.postgis) instead of the files in DATA_DIR
    "DATABASE_URL": None,
    # connections per process at most (locator serve: one per serving thread)
    "DATABASE_POOL": 8,
    # /admin: off unless one of these is set (LOCATOR_ADMIN_TOKEN, or a werkzeug password
    # hash in LOCATOR_ADMIN_PASSWORD_HASH); SECRET_KEY signs the session cookie (default:
    # derived from the credential)
    "ADMIN_TOKEN": None,
    "ADMIN_PASSWORD_HASH": None,
    # reports from the street (locator.web.reports): at most this many per client key a
    # minute and a UTC day (0: no limit)
    "REPORTS_PER_MINUTE": RATE_PER_MINUTE,
    "REPORTS_PER_DAY": RATE_PER_DAY,
}


def _recover(data_dir: str) -> None:
    """Finish or undo an import a crash interrupted, before the data is read
    (:mod:`locator.stores.files.recovery`); a data directory this process may not write
    is served as it is."""
    from locator.stores.files.recovery import recover_writes

    try:
        recover_writes(data_dir, started_at=time.time())
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "%s: interrupted writes not recovered: %s", data_dir, exc
        )


def _whole(config: Any, key: str) -> int:
    """A configuration value that must be a whole number of at least 0."""
    try:
        value = int(config[key])
        if value < 0 or isinstance(config[key], bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(
            f"{key} must be a whole number of at least 0, got {config[key]!r}"
        ) from None
    return value


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``LOCATOR_*`` environment variables, then ``config``.

    The catalog is read and validated here (or, with ``DATABASE_URL``, the database's
    current version opened: :mod:`locator.stores.postgis`); a broken data directory raises
    :class:`~locator.values.errors.DataError` naming the file, feature and problem. With
    ``WATCH_DATA`` a background thread then reloads it whenever its files change
    (``app.extensions["locator_watcher"]``; ``.trigger()`` reloads at once).
    """
    app = Flask(__name__, template_folder=str(TEMPLATE_DIR), static_folder=None)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("LOCATOR")
    import os

    for key in ("ADMIN_TOKEN", "ADMIN_PASSWORD_HASH", "SECRET_KEY", "DATABASE_URL"):
        # credentials are text as given (from_prefixed_env would read "1e30" as a number)
        if f"LOCATOR_{key}" in os.environ:
            app.config[key] = os.environ[f"LOCATOR_{key}"]
    if config:
        app.config.from_mapping(config)
    from locator.web.http import check_base_url

    app.config["BASE_URL"] = check_base_url(app.config.get("BASE_URL"))
    try:
        app.config["MAP_MAX_POINTS"] = int(app.config["MAP_MAX_POINTS"])
        if app.config["MAP_MAX_POINTS"] < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(
            f"MAP_MAX_POINTS must be a whole number of at least 1, "
            f"got {app.config['MAP_MAX_POINTS']!r}"
        ) from None
    if app.config["TILES"] not in TILES:
        raise ConfigError(f"TILES must be one of {', '.join(TILES)}, got {app.config['TILES']!r}")

    from locator.web.proxies import TrustedProxyFix, proxy_count, trusted_networks

    proxies = app.config["PROXY_COUNT"] = proxy_count(app.config["PROXY_COUNT"])
    networks = trusted_networks(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, proxies, networks
        )
    holder: Holder
    if app.config["DATABASE_URL"]:
        try:
            from locator.stores.postgis.db import database
            from locator.stores.postgis.holder import PgHolder
            from locator.stores.postgis.reports import PgReports
            from locator.stores.postgis.sessions import PgSessionEpoch
            from locator.stores.postgis.staging import PgStaging
        except ImportError as exc:
            raise ConfigError(
                f"DATABASE_URL needs the PostGIS extras ({exc.name} is "
                "missing): pip install 'locator[postgis]'"
            ) from None

        db = database(app.config["DATABASE_URL"])
        db.size_for(int(app.config["DATABASE_POOL"]))
        holder = PgHolder(db)
        staging: Staging = PgStaging(db)
        epoch: SessionEpoch = PgSessionEpoch(db)
        report_store: ReportStore = PgReports(db)
    else:
        _recover(app.config["DATA_DIR"])
        holder = CatalogHolder(app.config["DATA_DIR"], app.config["HOLIDAYS_FILE"])
        staging = FileStaging(staged_dir(app.config["DATA_DIR"]))
        epoch = FileSessionEpoch(epoch_path(app.config["DATA_DIR"]))
        # made on first use: a read-only data directory is served until someone reports
        report_store = SqliteReports(reports_path(app.config["DATA_DIR"]))
    app.extensions["locator"] = holder
    app.extensions["locator.services"] = Services(holder)
    # uploads waiting for an admin's confirmation, kept beside the store (web/admin.py)
    app.extensions["locator_staging"] = staging
    # the admin session epoch, beside the store too: a sign-out revokes in every process
    app.extensions["locator_session_epoch"] = epoch
    # reports from the street, beside the store too (locator.web.context.reports)
    app.extensions["locator_reports"] = Reports(
        report_store,
        app.extensions["locator.services"],
        per_minute=_whole(app.config, "REPORTS_PER_MINUTE"),
        per_day=_whole(app.config, "REPORTS_PER_DAY"),
    )
    if app.config["WATCH_DATA"]:
        app.extensions["locator_watcher"] = DataWatcher(
            holder, float(app.config["WATCH_INTERVAL_S"])
        ).start()

    from locator.web import (
        admin,
        api,
        assets,
        errors,
        http,
        offline,
        ogc,
        openapi,
        pages,
        planner,
        reports,
    )

    errors.register(app)
    http.register(app)
    app.register_blueprint(assets.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(reports.bp)
    admin.register_admin(app)
    Compress(app)
    if app.config["ACCESS_LOG"]:
        import logging

        access = logging.getLogger("locator.access")

        @app.after_request
        def _log(resp):
            access.info("%s %s %s", request.method, request.full_path.rstrip("?"), resp.status_code)
            return resp

    return app
