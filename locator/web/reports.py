"""Reports from the street over HTTP (issue #25): ``POST /api/v1/reports`` for anyone,
``GET /api/v1/reports[/<id>]`` for staff (the admin credential as a Bearer token, or a
signed-in admin session). Parse -> one call to :func:`~locator.web.context.reports` ->
serialise; errors are problem+json naming the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from flask import Blueprint, Response, request, url_for

from locator.values.models import AMENITIES
from locator.values.reports import (
    AMENITY_STATES,
    BODY_MAX_BYTES,
    HOURS_SEEN_MAX,
    KINDS,
    PHONE_SEEN_MAX,
    STATUSES,
    TEXT_MAX,
    UUID_PATTERN,
    WORKS,
    ReportInvalid,
    StoredReport,
    utc_iso,
)
from locator.web import auth
from locator.web.context import json_response, reports
from locator.web.errors import problem
from locator.web.params import OFFSET, Param

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports")

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded",)

STATUS = Param("status", "choice", "状态", "status", choices=STATUSES)
KIND = Param("kind", "choice", "类型", "kind", choices=tuple(KINDS))
FACILITY = Param("facility_id", "text", "设施编号", "facility id", max_length=120)
LIMIT = Param("limit", "integer", "每页报告数", "reports per page", 1, 500, default=50)
LIST_PARAMS = (STATUS, KIND, FACILITY, LIMIT, OFFSET)


def receipt_json(report: StoredReport) -> dict[str, Any]:
    """What the sender of a report is told."""
    return {
        "id": report.id,
        "kind": report.kind,
        "status": "received",
        "received_at": utc_iso(report.received_at),
    }


def report_json(report: StoredReport) -> dict[str, Any]:
    """A report for staff (the client key is an opaque daily hash)."""
    return {
        "id": report.id,
        "kind": report.kind,
        "facility_id": report.facility_id,
        "layer": report.layer,
        "lon": report.lon,
        "lat": report.lat,
        "fields": report.fields,
        "text": report.text,
        "work": report.work,
        "client_id": report.client_id,
        "client_key": report.client_key,
        "received_at": utc_iso(report.received_at),
        "status": report.status,
        "decided_at": utc_iso(report.decided_at) if report.decided_at else None,
        "decision_note": report.decision_note,
        "merged_into": report.merged_into,
    }


def _body() -> dict[str, Any]:
    """The request body as a mapping (JSON object or form fields), at most
    BODY_MAX_BYTES; 413 past it, 415 for another type, ReportInvalid when unreadable."""
    length = request.content_length
    if length is not None and length > BODY_MAX_BYTES:
        raise _TooLarge
    raw = request.stream.read(BODY_MAX_BYTES + 1)
    if len(raw) > BODY_MAX_BYTES:
        raise _TooLarge
    mimetype = request.mimetype
    if mimetype in JSON_TYPES:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ReportInvalid("body", "body: 不是有效的 JSON · not valid JSON") from None
        if not isinstance(data, dict):
            raise ReportInvalid("body", "body: 应为 JSON 对象 · must be a JSON object")
        return data
    if mimetype in FORM_TYPES:
        try:
            pairs = parse_qsl(
                raw.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                errors="strict",
                max_num_fields=40,
            )
        except (UnicodeDecodeError, ValueError):
            raise ReportInvalid("body", "body: 无法解析的表单 · unreadable form") from None
        form: dict[str, Any] = {}
        for name, value in pairs:
            if name in form:
                raise ReportInvalid(name[:40], f"{name[:40]}: 重复字段 · given twice")
            form[name] = value
        return form
    raise _Unsupported


class _TooLarge(Exception):
    pass


class _Unsupported(Exception):
    pass


@bp.errorhandler(_TooLarge)
def _too_large(_exc):
    return problem(
        413,
        f"报告过大（最多 {BODY_MAX_BYTES} 字节）· the report is larger than {BODY_MAX_BYTES} bytes",
        "http-413",
        param="body",
    )


@bp.errorhandler(_Unsupported)
def _unsupported(_exc):
    return problem(
        415,
        "请以 JSON 或表单提交 · send the report as application/json or "
        "application/x-www-form-urlencoded",
        "http-415",
        param="Content-Type",
    )


@bp.post("")
def submit():
    """Store a report: 201 with its receipt once durably stored; 200 with the same
    receipt for a ``client_id`` already stored."""
    data = _body()
    form = request.mimetype in FORM_TYPES
    report, created = reports().submit(data, request.remote_addr or "", form=form)
    resp = json_response(receipt_json(report), status=201 if created else 200)
    resp.headers["Location"] = url_for("reports_api.one", report_id=report.id)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _staff() -> Response | None:
    """None for staff (Bearer admin credential, or a valid admin session); else the
    refusal as problem+json: 401 without a credential, 403 when the admin functions are
    off, 401 for a wrong one, 429 past too many failed attempts."""
    token = auth.bearer()
    enabled = auth.admin_enabled()
    if token is None:
        if enabled and auth.session_valid():
            return None
        resp = problem(401, "请先登录 · sign in first (Bearer token)", "admin-401")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="locator admin"'
        return resp
    if not enabled:
        return problem(403, "管理功能未开启 · the admin functions are off", "admin-403")
    key = request.remote_addr or "?"
    wait = auth.limiter().wait_s(key)
    if wait:
        resp = problem(429, "尝试次数过多 · too many failed attempts", "admin-429")
        resp.headers["Retry-After"] = str(wait)
        return resp
    if not auth.credential_ok(token):
        auth.limiter().fail(key)
        resp = problem(401, "凭据错误 · wrong credential", "admin-401")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="locator admin"'
        return resp
    return None


def _private(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("")
def listing():
    """Reports, newest first, filtered by status, kind, facility; paged."""
    refused = _staff()
    if refused is not None:
        return refused
    status, kind, facility_id, limit, offset = (p.parse(request.args) for p in LIST_PARAMS)
    found, total = reports().list(status, kind, facility_id, limit, offset)
    body = {
        "reports": [report_json(r) for r in found],
        "numberMatched": total,
        "numberReturned": len(found),
        "limit": limit,
        "offset": offset,
    }
    return _private(json_response(body))


@bp.get("/<report_id>")
def one(report_id: str):
    refused = _staff()
    if refused is not None:
        return refused
    return _private(json_response(report_json(reports().get(report_id))))


# --------------------------------------------------------------------------- OpenAPI


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def openapi_schemas(layer_ids: list[str]) -> dict[str, Any]:
    """The components the report paths refer to."""
    text = {"type": "string"}
    submission: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "client_id"],
        "description": "所有类型（need 除外）须给出 facility_id；moved 与 need 须给出 lon/lat "
        "· every kind but need names facility_id; moved and need give lon/lat. hours needs "
        "hours_seen, amenity needs amenity and state, other needs text.",
        "properties": {
            "kind": {"type": "string", "enum": list(KINDS)},
            "client_id": {
                "type": "string",
                "pattern": UUID_PATTERN,
                "description": "a UUID made per report: the idempotency key",
            },
            "facility_id": _nullable({**text, "maxLength": 120}),
            "layer": _nullable({**text, "enum": layer_ids} if layer_ids else text),
            "lon": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
            "lat": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
            "text": _nullable({**text, "maxLength": TEXT_MAX}),
            "hours_seen": _nullable({**text, "maxLength": HOURS_SEEN_MAX}),
            "phone_seen": _nullable({**text, "maxLength": PHONE_SEEN_MAX}),
            "amenity": _nullable({**text, "enum": list(AMENITIES)}),
            "state": _nullable({**text, "enum": list(AMENITY_STATES)}),
            "work": _nullable({**text, "enum": list(WORKS)}),
            "website": _nullable(
                {**text, "maxLength": 2000, "description": "leave empty (honeypot)"}
            ),
        },
    }
    form = {
        **submission,
        "properties": {
            **submission["properties"],
            "lon": {"type": "string", "description": "WGS-84 degrees"},
            "lat": {"type": "string", "description": "WGS-84 degrees"},
        },
    }
    time = {"type": "string", "format": "date-time"}
    report = {
        "type": "object",
        "required": ["id", "kind", "client_id", "client_key", "received_at", "status"],
        "properties": {
            "id": text,
            "kind": {"type": "string", "enum": list(KINDS)},
            "facility_id": _nullable(text),
            "layer": _nullable(text),
            "lon": _nullable({"type": "number"}),
            "lat": _nullable({"type": "number"}),
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "text": _nullable(text),
            "work": _nullable(text),
            "client_id": text,
            "client_key": {"type": "string", "description": "daily keyed hash of the sender"},
            "received_at": time,
            "status": {"type": "string", "enum": list(STATUSES)},
            "decided_at": _nullable(time),
            "decision_note": _nullable(text),
            "merged_into": _nullable(text),
        },
    }
    return {
        "ReportSubmission": submission,
        "ReportForm": form,
        "ReportReceipt": {
            "type": "object",
            "required": ["id", "kind", "status", "received_at"],
            "properties": {
                "id": text,
                "kind": {"type": "string", "enum": list(KINDS)},
                "status": {"type": "string", "enum": ["received"]},
                "received_at": time,
            },
        },
        "Report": report,
        "ReportList": {
            "type": "object",
            "required": ["reports", "numberMatched", "numberReturned", "limit", "offset"],
            "properties": {
                "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}},
                "numberMatched": {"type": "integer"},
                "numberReturned": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
            },
        },
    }


def openapi_paths(problem_response: Any) -> dict[str, Any]:
    """The report paths (``problem_response(description)`` makes an error response)."""

    def ok(ref: str, description: str) -> dict:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
        }

    bad = problem_response("invalid field or parameter (the `param` member names it)")
    unauthorised = problem_response("no or wrong admin credential")
    off = problem_response("the admin functions are off (no credential configured)")
    too_many = {
        **problem_response("too many requests; try again after Retry-After seconds"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
    staff: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    return {
        "/api/v1/reports": {
            "post": {
                "summary": "Report something wrong with a facility, confirm it, or ask for "
                "a station (no account; answered once durably stored)",
                "operationId": "submitReport",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ReportSubmission"}
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/ReportForm"}
                        },
                    },
                },
                "responses": {
                    "201": ok("ReportReceipt", "stored"),
                    "200": ok("ReportReceipt", "stored before (the same client_id)"),
                    "400": bad,
                    "413": problem_response(f"the body is larger than {BODY_MAX_BYTES} bytes"),
                    "415": problem_response("neither JSON nor a form"),
                    "422": problem_response(
                        "no such facility, or a position outside the service area"
                    ),
                    "429": too_many,
                    "503": problem_response("the report store is unavailable"),
                },
            },
            "get": {
                "summary": "Reports, newest first (staff only)",
                "operationId": "listReports",
                "security": staff,
                "parameters": [p.openapi() for p in LIST_PARAMS],
                "responses": {
                    "200": ok("ReportList", "one page of reports"),
                    "400": bad,
                    "401": unauthorised,
                    "403": off,
                    "429": too_many,
                },
            },
        },
        "/api/v1/reports/{id}": {
            "get": {
                "summary": "One report (staff only)",
                "operationId": "getReport",
                "security": staff,
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "report id (r-…)",
                    }
                ],
                "responses": {
                    "200": ok("Report", "the report"),
                    "401": unauthorised,
                    "403": off,
                    "404": problem_response("no report with this id"),
                    "429": too_many,
                },
            }
        },
    }


SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "the admin token (LOCATOR_ADMIN_TOKEN)",
    }
}
