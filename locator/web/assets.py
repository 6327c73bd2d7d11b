"""Serve every script, style sheet and icon a page needs from the app itself.

Third-party files come from the xstatic packages installed from PyPI (never copied into the
repository); the app's own small scripts live in ``locator/web/static``.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.jquery
import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, abort, send_from_directory, url_for

from ..maps import MapAssets

bp = Blueprint("assets", __name__)

VENDOR = {
    "leaflet": Path(xstatic.pkg.leaflet.BASE_DIR),
    "markercluster": Path(xstatic.pkg.leaflet_markercluster.BASE_DIR),
    "jquery": Path(xstatic.pkg.jquery.BASE_DIR),
}
APP_STATIC = Path(__file__).resolve().parent / "static"
MAX_AGE = 7 * 24 * 3600


@bp.get("/static/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in VENDOR:
        abort(404)
    return send_from_directory(VENDOR[package], filename, max_age=MAX_AGE)


@bp.get("/static/app/<path:filename>")
def app_static(filename: str):
    return send_from_directory(APP_STATIC, filename, max_age=MAX_AGE)


def map_assets() -> MapAssets:
    def v(pkg: str, name: str) -> str:
        return url_for("assets.vendor", package=pkg, filename=name)

    return MapAssets(
        leaflet_js=v("leaflet", "leaflet.js"), leaflet_css=v("leaflet", "leaflet.css"),
        jquery_js=v("jquery", "jquery.min.js"),
        cluster_js=v("markercluster", "leaflet.markercluster.js"),
        cluster_css=v("markercluster", "MarkerCluster.css"),
        cluster_default_css=v("markercluster", "MarkerCluster.Default.css"))
