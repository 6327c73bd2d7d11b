"""/admin/reports: staff review of the reports from the street.

The queue groups reports by facility and kind, newest first, each with the reporter's
position on a small map and its distance from the facility (geodesic metres, WGS-84).
Staff accept (the change is written through the importer: :func:`locator.importer.edit.
edit_facility`, a kept version and a log line, so a rollback on /admin/history undoes
it), reject, or merge the duplicates of a group into one. ``closed`` removes the facility
from its layer (reversible: roll back). ``need`` and ``other`` change no layer: accepting
one acknowledges it (an accepted ``need`` stays planner demand). Exports: CSV (BOM) and
GeoJSON. Every view runs behind the admin guard (sign-in or Bearer token, CSRF on POST).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import OrderedDict
from typing import Any

from flask import Response, current_app, redirect, render_template, request, session, url_for

from locator.formats.reports import reports_csv, reports_geojson
from locator.maps import TILES
from locator.values import registry
from locator.values.errors import InvalidQuery, LocatorError, shown
from locator.values.geo.crs import from_wgs84
from locator.values.geo.distance import geodesic_distance_m
from locator.values.reports import DECISION_NOTE_MAX, STATUSES, WORKS
from locator.values.reports import KINDS as REPORT_KINDS
from locator.web import auth
from locator.web.admin import _data, _local_time, _swap_now, bp
from locator.web.assets import map_assets
from locator.web.context import attachment, json_response, reports, service
from locator.web.i18n import current_lang
from locator.web.report_requests import all_reports

log = logging.getLogger(__name__)

#: the kinds and their labels, as the rider's pages name them (locator.values.reports)
KIND_TEXT = REPORT_KINDS
KINDS = tuple(REPORT_KINDS)
#: the most reports the queue page shows at once
QUEUE_LIMIT = 300
NOTE_CHARS = DECISION_NOTE_MAX
VALUE_CHARS = 200

STATUS_TEXT = {
    "received": ("待处理", "waiting"),
    "accepted": ("已采纳", "accepted"),
    "rejected": ("已驳回", "rejected"),
    "merged": ("已合并", "merged"),
}


def _tr(pair: tuple[str, str]) -> str:
    return pair[1] if current_lang() == "en" else pair[0]


def _choice(name: str, value: str | None, choices: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in choices:
        raise InvalidQuery(
            name,
            f"{name}: 无效的取值 · must be one of {', '.join(choices)}, got {shown(value)}",
        )
    return value


def _report(report_id: str) -> Any:
    return reports().get(report_id)  # ReportNotFound: 404


def _report_day(report: Any) -> str:
    """The day a report was received, in Beijing (UTC+8), ISO 8601: a verification's date."""
    when = report.received_at
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    return when.astimezone(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


def _facility(facility_id: str | None) -> Any:
    if not facility_id:
        return None
    try:
        return service().get(facility_id)
    except LocatorError:
        return None  # removed since (closed and accepted): the report still shows


def _distance_m(report: Any, facility: Any) -> float | None:
    """Geodesic metres from the facility to where the report was made (or points to)."""
    if facility is None or report.lon is None or report.lat is None:
        return None
    return float(geodesic_distance_m(facility.lon, facility.lat, report.lon, report.lat))


def _prefill(report: Any, facility: Any) -> str:
    """What the accept form's text box starts with, per kind."""
    fields = report.fields or {}
    props = facility.properties if facility is not None else {}
    if report.kind == "hours":
        return str(fields.get("hours_seen") or props.get("opening_hours") or "")
    if report.kind == "phone":
        return str(fields.get("phone_seen") or props.get("phone") or "")
    if report.kind == "amenity":
        have = [str(a) for a in props.get("amenities") or []]
        term = str(fields.get("amenity") or "")
        # missing or broken: the amenity is no longer offered; staff may keep it
        return "、".join(a for a in have if a != term)
    if report.kind == "confirm":
        return _report_day(report)
    return ""


def _groups(reports: list[Any]) -> list[dict[str, Any]]:
    """Reports by (facility, kind) in the order of their newest report; ``need``
    requests have no facility: one group each."""
    out: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
    for r in reports:  # newest first already
        key = (r.facility_id or f"need:{r.id}", r.kind)
        group = out.get(key)
        if group is None:
            facility = _facility(r.facility_id)
            group = out[key] = {
                "key": f"g{len(out)}",
                "kind": r.kind,
                "facility_id": r.facility_id,
                "facility": facility,
                "reports": [],
                "prefill": _prefill(r, facility),
            }
        group["reports"].append(
            {"r": r, "distance_m": _distance_m(r, group["facility"]), "fields": r.fields or {}}
        )
    return list(out.values())


def _map_config(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The small maps' data for admin_reports.js: positions in the tiles' system."""
    tiles = current_app.config["TILES"]
    url, attribution, system, subdomains = TILES[tiles]

    def at(lon: float, lat: float) -> list[float]:
        x, y = from_wgs84(lon, lat, system) if system.value != "wgs84" else (lon, lat)
        return [round(y, 6), round(x, 6)]

    maps = []
    for g in groups:
        points = [
            {"at": at(x["r"].lon, x["r"].lat), "label": x["r"].id}
            for x in g["reports"]
            if x["r"].lon is not None and x["r"].lat is not None
        ]
        fac = g["facility"]
        if not points and fac is None:
            continue
        maps.append(
            {
                "id": f"map-{g['key']}",
                "facility": at(fac.lon, fac.lat) if fac is not None else None,
                "name": fac.name if fac is not None else "",
                "points": points,
                # a moved facility waiting for review: a tap on its map sets the position
                "adjust": g["key"]
                if g["kind"] == "moved" and g["reports"][0]["r"].status == "received"
                else None,
            }
        )
    return {
        "coord": system.value,
        "tiles": url,
        "attribution": attribution,
        "subdomains": subdomains,
        "maps": maps,
        "texts": {
            "facility": "设施 · facility",
            "report": "报告位置 · reported here",
            "chosen": "新位置 · new position",
        },
    }


@bp.get("/reports")
def reports_page():
    status = _choice("status", request.args.get("status"), STATUSES) or "received"
    kind = _choice("kind", request.args.get("kind"), KINDS)
    found, total = reports().list(status, kind, None, QUEUE_LIMIT, 0)
    groups = _groups(found)
    en = current_lang() == "en"
    return Response(
        render_template(
            "admin_reports.html",
            page="reports",
            csrf=session.get("csrf", ""),
            groups=groups,
            status=status,
            kind=kind,
            statuses=STATUSES,
            kinds=KINDS,
            kind_text=lambda k: _tr(KIND_TEXT.get(k, (k, k))),
            status_text=lambda s: _tr(STATUS_TEXT.get(s, (s, s))),
            work_text=lambda w: _tr(WORKS.get(w, (w, w))),
            state_text=lambda s: _tr(
                {"missing": ("缺失", "missing"), "broken": ("损坏", "broken")}.get(s, (s, s))
            ),
            layer_name=lambda lid: (
                (registry.BY_ID[lid].name_en if en else registry.BY_ID[lid].name_zh)
                if lid in registry.BY_ID
                else lid
            ),
            local_time=_local_time,
            map_config=_map_config(groups),
            assets=map_assets(),
            done=request.args.get("done", ""),
            shown=len(found),
            total=total,
        ),
        mimetype="text/html",
    )


def _form_text(name: str, limit: int) -> str:
    value = request.form.get(name, "").strip()
    if len(value) > limit:
        raise InvalidQuery(name, f"{name}: 最多 {limit} 个字 · at most {limit} characters")
    return value


def _form_float(name: str) -> float | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError
    except ValueError:
        raise InvalidQuery(
            name,
            f"{name}: 须为数字（WGS-84 度） · must be a number (WGS-84 degrees), got {shown(raw)}",
        ) from None
    return value


def _done(message: str) -> Any:
    if auth.is_api_client():
        return json_response({"ok": True, "message": message})
    return redirect(
        url_for(
            "admin.reports_page",
            done=message,
            lang=current_lang() if current_lang() != "zh" else None,
        ),
        code=303,
    )


def _waiting(report: Any) -> None:
    if report.status != "received":
        raise InvalidQuery(
            "report_id",
            f"报告 {report.id} 已处理过 · report {report.id} was decided already ({report.status})",
        )


@bp.post("/reports/<report_id>/accept")
def accept_report(report_id: str):
    """Accept a report: the layer change it stands for goes through the importer (with
    what staff typed: ``value``, ``lon``/``lat``), then the report is marked accepted."""
    from locator.importer.edit import EDITING_KINDS, FacilityEdit, accept_with_edit

    report = _report(report_id)
    _waiting(report)
    note = _form_text("note", NOTE_CHARS)
    entry = None
    if report.kind in EDITING_KINDS:
        facility = _facility(report.facility_id)
        if facility is None:
            raise InvalidQuery(
                "report_id",
                f"设施 {report.facility_id} 已不在数据中 · facility {report.facility_id} is not "
                "in the data any more",
            )
        value = _form_text("value", VALUE_CHARS)
        lon, lat = _form_float("lon"), _form_float("lat")
        if report.kind == "moved":
            lon = report.lon if lon is None else lon
            lat = report.lat if lat is None else lat
            if lon is None or lat is None:
                raise InvalidQuery(
                    "lon", "lon, lat: 请填写新位置 · give the facility's new position"
                )
        if report.kind == "confirm" and not value:
            value = _report_day(report)
        edit = FacilityEdit(report.kind, facility.id, value, lon, lat)
        outcome = accept_with_edit(
            reports(), report.id, edit, facility.layer, _data, auth.who(), note
        )
        if not outcome.written:
            lang = current_lang()
            problems = [p.as_dict() for p in outcome.plan.errors]
            text = "; ".join(outcome.plan.report(lang)[:3])
            if auth.is_api_client():
                return json_response(
                    {"ok": False, "problems": problems, "report": outcome.plan.report(lang)},
                    status=422,
                )
            raise InvalidQuery("value", f"未做任何更改 · nothing changed: {text}")
        entry = outcome.entry
        _swap_now()
    else:
        reports().decide(report.id, "accepted", note)
    if auth.is_api_client():
        return json_response({"ok": True, "report": report.id, "entry": entry})
    return _done(f"{report.id} accepted")


@bp.post("/reports/<report_id>/reject")
def reject_report(report_id: str):
    report = _report(report_id)
    _waiting(report)
    reports().decide(report.id, "rejected", _form_text("note", NOTE_CHARS))
    return _done(f"{report.id} rejected")


@bp.post("/reports/<report_id>/merge")
def merge_reports(report_id: str):
    """Keep ``report_id``; every other waiting report of its facility and kind (or the
    ones named in ``ids``) becomes ``merged`` into it."""
    keep = _report(report_id)
    _waiting(keep)
    if not keep.facility_id:
        raise InvalidQuery(
            "report_id", "驿站请求只计数，不合并 · requests for a station are counted, not merged"
        )
    named = set(request.form.getlist("ids"))
    merged = []
    waiting, _ = reports().list("received", keep.kind, keep.facility_id, QUEUE_LIMIT, 0)
    for other in waiting:
        if other.id != keep.id and (not named or other.id in named):
            reports().decide(other.id, "merged", f"duplicate of {keep.id}", keep.id)
            merged.append(other.id)
    if auth.is_api_client():
        return json_response({"ok": True, "kept": keep.id, "merged": merged})
    return _done(f"{len(merged)} merged into {keep.id}")


@bp.get("/reports.csv")
def reports_export_csv():
    status = _choice("status", request.args.get("status"), STATUSES)
    kind = _choice("kind", request.args.get("kind"), KINDS)
    resp = Response(reports_csv(all_reports(status, kind)), mimetype="text/csv")
    resp.headers["Content-Disposition"] = attachment("reports.csv", "报告.csv")
    return resp


@bp.get("/reports.geojson")
def reports_export_geojson():
    status = _choice("status", request.args.get("status"), STATUSES)
    kind = _choice("kind", request.args.get("kind"), KINDS)
    resp = Response(reports_geojson(all_reports(status, kind)), mimetype="application/geo+json")
    resp.headers["Content-Disposition"] = attachment("reports.geojson", "报告.geojson")
    return resp
