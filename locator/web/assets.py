"""Serve every script, style sheet and icon a page needs from the app itself.

Third-party files come from the xstatic packages installed from PyPI (never copied into the
repository); the app's own small scripts live in ``locator/web/static``. Pages link them
with a version in the URL (``?v=``: the package's version, or a hash of our own file), so
they can be cached for a year and still change the day a new version ships.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from flask import Blueprint, abort, request, send_from_directory, url_for

from locator.maps import MapAssets

bp = Blueprint("assets", __name__)

VENDOR = {
    "leaflet": xstatic.pkg.leaflet,
    "markercluster": xstatic.pkg.leaflet_markercluster,
}
APP_STATIC = Path(__file__).resolve().parent / "static"
#: a versioned URL never changes content: a year, and no revalidation
VERSIONED_MAX_AGE = 365 * 24 * 3600
#: an unversioned or outdated URL: an hour
PLAIN_MAX_AGE = 3600


@cache
def _app_version(filename: str) -> str:
    return hashlib.sha256((APP_STATIC / filename).read_bytes()).hexdigest()[:12]


@cache
def build_version() -> str:
    """A hash of everything that shapes a page besides the data: our scripts, the
    templates, the user-facing strings and the vendored packages' versions. Cached pages
    and ETags include it, so a new release never serves old HTML with new scripts."""
    from locator.values.paths import TEMPLATE_DIR
    from locator.web import i18n

    digest = hashlib.sha256()
    for folder in (APP_STATIC, Path(TEMPLATE_DIR)):
        for path in sorted(folder.glob("*")):
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
    digest.update(Path(i18n.__file__).read_bytes())
    digest.update("|".join(_vendor_version(p) for p in sorted(VENDOR)).encode())
    return digest.hexdigest()[:12]


def _vendor_version(package: str) -> str:
    return str(VENDOR[package].VERSION)


def _send(directory: Path, filename: str, version: str):
    versioned = request.args.get("v") == version
    resp = send_from_directory(
        directory, filename, max_age=VERSIONED_MAX_AGE if versioned else PLAIN_MAX_AGE
    )
    if versioned:
        resp.cache_control.immutable = True
        resp.cache_control.public = True
    return resp


@bp.get("/static/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    if package not in VENDOR:
        abort(404)
    return _send(Path(VENDOR[package].BASE_DIR), filename, _vendor_version(package))


@bp.get("/static/app/<path:filename>")
def app_static(filename: str):
    if not (APP_STATIC / filename).is_file() or ".." in filename:
        abort(404)
    return _send(APP_STATIC, filename, _app_version(filename))


def app_asset(filename: str) -> str:
    """The versioned URL of one of our own scripts (for templates)."""
    return url_for("assets.app_static", filename=filename, v=_app_version(filename))


def map_assets() -> MapAssets:
    def v(pkg: str, name: str) -> str:
        return url_for("assets.vendor", package=pkg, filename=name, v=_vendor_version(pkg))

    return MapAssets(
        leaflet_js=v("leaflet", "leaflet.js"),
        leaflet_css=v("leaflet", "leaflet.css"),
        cluster_js=v("markercluster", "leaflet.markercluster.js"),
        cluster_css=v("markercluster", "MarkerCluster.css"),
        cluster_default_css=v("markercluster", "MarkerCluster.Default.css"),
    )


@bp.get("/icons/icon-<int:size>.png")
def icon(size: int):
    from flask import Response

    from locator.web.icons import SIZES, icon_png

    if size not in SIZES:
        abort(404)
    resp = Response(icon_png(size), mimetype="image/png")
    resp.cache_control.public = True
    resp.cache_control.max_age = PLAIN_MAX_AGE * 24
    return resp


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: the phone page installs to the home screen (添加到主屏幕)."""
    import json

    from flask import Response

    from locator.web.i18n import translate
    from locator.web.icons import SIZES

    body = {
        "name": f"{translate('app_title', 'zh')} · {translate('app_title', 'en')}",
        "short_name": "职工驿站 Locator",
        "description": f"{translate('tagline', 'zh')} · {translate('tagline', 'en')}",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f6f6",
        "theme_color": "#0b5cad",
        "icons": [
            {
                "src": f"/icons/icon-{s}.png",
                "sizes": f"{s}x{s}",
                "type": "image/png",
                "purpose": "any",
            }
            for s in SIZES
        ]
        + [
            {
                "src": "/icons/icon-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            }
        ],
    }
    resp = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    resp.cache_control.public = True
    resp.cache_control.max_age = PLAIN_MAX_AGE
    return resp


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that it serves every page. Its text carries the
    release, so a new release replaces the installed worker (and its caches)."""
    from flask import Response, render_template

    shell = [
        "/",
        app_asset("locate.js"),
        app_asset("offline.js"),
        app_asset("phone.js"),
        app_asset("details.js"),
        app_asset("report.js"),
        # a facility's details with no network, in each language (details.js fills it)
        "/offline/facility?lang=zh",
        "/offline/facility?lang=en",
        "/manifest.webmanifest",
        "/icons/icon-192.png",
    ]
    offline_page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>离线 · Offline</title><body style="font-family: system-ui, sans-serif; '
        'padding: 1rem; font-size: 17px"><h1 style="font-size: 1.2rem">没有网络 · Offline</h1>'
        "<p>这一页（包括地图底图）需要网络。离线时，首页仍可按定位或镇（街）查找最近的设施。</p>"
        '<p lang="en">This page (and the map\'s tiles) needs the network. Offline, the home '
        "page still finds the nearest facilities by position or town.</p>"
        '<p><a href="/" style="display: inline-block; min-height: 44px; line-height: 44px">'
        "首页 · Home</a></p></body></html>"
    )
    resp = Response(
        render_template("sw.js", build=build_version(), shell=shell, offline_page=offline_page),
        mimetype="text/javascript",
    )
    resp.cache_control.no_cache = True  # the browser checks for a new release each visit
    return resp
