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

from locator.values.reports import (
    BODY_MAX_BYTES,
    KINDS,
    STATUSES,
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
    report, created = reports().submit(data, request.remote_addr or "")
    resp = json_response(receipt_json(report), status=201 if created else 200)
    resp.headers["Location"] = url_for("reports_api.one", report_id=report.id)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _staff() -> Response | None:
    """None for staff (Bearer admin credential, or a valid admin session); else the
    refusal as problem+json (403 when admin is off, 401, 429 past failed attempts)."""
    if not auth.admin_enabled():
        return problem(403, "管理功能未开启 · the admin functions are off", "admin-403")
    token = auth.bearer()
    if token is None:
        if auth.session_valid():
            return None
        resp = problem(401, "请先登录 · sign in first (Bearer token)", "admin-401")
        resp.headers["WWW-Authenticate"] = 'Bearer realm="locator admin"'
        return resp
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
