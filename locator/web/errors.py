"""One table from domain errors to HTTP status, and one error body: RFC 9457 problem+json."""

from __future__ import annotations

import logging

from flask import Flask, Response, json, render_template, request
from werkzeug.exceptions import HTTPException

from locator.values.errors import (
    DataError,
    FeatureNotFound,
    InvalidQuery,
    LayerNotFound,
    LocatorError,
    PlannerBusy,
    StoreUnavailable,
    TooCostly,
)
from locator.values.reports import RateLimited, ReportNotFound, ReportUnprocessable

log = logging.getLogger(__name__)

STATUS: dict[type[LocatorError], int] = {
    InvalidQuery: 400,
    TooCostly: 422,
    LayerNotFound: 404,
    FeatureNotFound: 404,
    DataError: 422,
    StoreUnavailable: 503,
    ReportUnprocessable: 422,
    ReportNotFound: 404,
}
TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
#: what an API client is told when the store is away (the real reason goes to the log
#: only: it may name hosts and ports); pages say it in their language (error.html)
UNAVAILABLE = "the data service is unavailable; try again in a few seconds"
#: what the API and the OGC API can answer with; an Accept header that allows none of
#: these gets 406
API_TYPES = [
    "application/json",
    "application/geo+json",
    "application/problem+json",
    "application/schema+json",
    "application/vnd.oai.openapi+json",
    "application/vnd.oai.openapi+json;version=3.0",
    "application/gpx+xml",
    "application/vnd.google-earth.kml+xml",
]
PROBLEM_TYPE = "https://locator.invalid/problems/"  # documentation anchor, not fetched


def problem(status: int, detail: str, kind: str, **extra) -> Response:
    """A problem+json response; ``extra`` adds members such as ``param`` or ``valid``."""
    body = {
        "type": PROBLEM_TYPE + kind,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def _wants_html() -> bool:
    if _is_api():  # the OGC API's HTML pages too answer errors as problem+json
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html"


def _html_error(status: int, detail: str, param: str | None = None, busy: bool = False) -> Response:
    html = render_template("error.html", status=status, detail=detail, param=param, busy=busy)
    return Response(html, status=status, mimetype="text/html")


def _status_for(exc: LocatorError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _is_api() -> bool:
    return request.path.startswith(("/api/", "/ogc"))


def register(app: Flask) -> None:
    @app.before_request
    def _negotiate():
        accept = request.headers.get("Accept", "").strip()
        offered = API_TYPES + (["text/html"] if request.path.startswith("/ogc") else [])
        if (
            _is_api()
            and accept
            and request.url_rule is not None
            and request.accept_mimetypes.best_match(offered) is None
        ):
            return problem(
                406,
                f"cannot answer with any of: {accept[:200]}; this API "
                f"serves {', '.join(API_TYPES)}",
                "http-406",
                param="Accept",
            )
        return None

    @app.errorhandler(StoreUnavailable)
    def _unavailable(exc: StoreUnavailable):
        log.error("store unavailable on %s %s: %s", request.method, request.path, exc.message)
        if _wants_html():
            resp = _html_error(503, "")  # the page says it in the page's language
        else:
            resp = problem(503, UNAVAILABLE, exc.kind)
        resp.headers["Retry-After"] = "5"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(PlannerBusy)
    def _planner_busy(exc: PlannerBusy):
        # answered at once: a request never waits on a thread for a planner slot
        if _wants_html():
            resp = _html_error(503, exc.message, busy=True)
        else:
            resp = problem(503, exc.message, exc.kind, retry_after_s=exc.retry_after_s)
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(RateLimited)
    def _rate_limited(exc: RateLimited):
        if _wants_html():
            resp = _html_error(429, exc.message)
        else:
            resp = problem(429, exc.message, exc.kind, retry_after_s=exc.retry_after_s)
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.errorhandler(LocatorError)
    def _domain_error(exc: LocatorError):
        status = _status_for(exc)
        extra: dict[str, object] = {}
        param = getattr(exc, "param", None)
        if param:
            extra["param"] = param
        valid = getattr(exc, "valid", None)
        if valid is not None:
            extra["valid"] = valid
        if _wants_html():
            return _html_error(status, exc.message, param)
        return problem(status, exc.message, exc.kind, **extra)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_html():
            # werkzeug's own descriptions are English boilerplate; the page says it better
            return _html_error(status, "" if status in (404, 405) else exc.description or "")
        resp = problem(status, exc.description or TITLES.get(status, ""), f"http-{status}")
        for name in ("Allow", "Retry-After"):  # keep what the status code promises
            if name in exc.get_response().headers:
                resp.headers[name] = exc.get_response().headers[name]
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # The user gets a plain message; the traceback goes to the log only.
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_html():
            return _html_error(500, "服务器内部错误 · Internal server error")
        return problem(500, "internal server error", "internal-error")
