"""The planner: coverage and site suggestions as JSON, CSV and GeoJSON, and the /planner
page. Parse (the request: locator.service.planner_request) -> one domain call
(Service.coverage / Service.suggest) -> serialise.

GET takes the parameters in the query string; POST takes the same parameters plus a
demand file (``demand_file``) or candidate premises (``candidates_file``) as
multipart/form-data. Uploaded files are read, used and forgotten: nothing is stored.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, make_response, render_template, request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from locator.formats.coverage import (
    area_outlines,
    coverage_csv,
    coverage_geojson,
    coverage_json,
    suggestions_geojson,
)
from locator.maps import SHARE_LEGEND, coverage_map
from locator.operations.demand import REQUESTS
from locator.service import Service
from locator.service.planner_request import PlannerRequest, Upload, planner_request
from locator.values.errors import InvalidQuery
from locator.values.geo.crs import CoordSystem
from locator.web import params
from locator.web.assets import map_assets
from locator.web.context import (
    GEOJSON,
    attachment,
    conditional,
    json_response,
    link_alternate,
    service,
)
from locator.web.format import network_credit
from locator.web.i18n import current_lang
from locator.web.report_requests import request_points

bp = Blueprint("planner", __name__)

#: the largest demand or candidate file the planner reads
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
UNCOVERED_ON_MAP = 3000


@bp.before_request
def _limit_uploads() -> None:
    # before anything reads the body: a larger upload is a 413, not read at all
    request.max_content_length = MAX_UPLOAD_BYTES


def _args(form: bool = False) -> MultiDict:
    """The request's parameters: the query string, and on POST the form fields too. An
    HTML form (``form``) sends its empty fields; those mean "not given". An API client's
    empty value is an error, as everywhere else."""
    args = request.args
    if request.method == "POST":
        args = CombinedMultiDict([request.args, request.form])
    if form:
        return MultiDict([(k, v) for k, v in args.items(multi=True) if v.strip()])
    return args


def _require_upload() -> None:
    """A POST to the API is for a file: without one it is a mistake, not a GET."""
    if request.method == "POST" and not any(
        (f := request.files.get(name)) is not None and f.filename
        for name in ("demand_file", "candidates_file")
    ):
        raise InvalidQuery(
            "demand_file",
            "POST needs a demand_file or a candidates_file "
            "(multipart/form-data); without a file, use GET",
        )


def _upload(name: str) -> Upload | None:
    if request.method != "POST":
        return None
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return Upload(file.read(), file.filename)


def parse_planner(svc: Service, args: MultiDict) -> PlannerRequest:
    """The planner's parameters and files, checked (InvalidQuery naming the bad one)."""
    return planner_request(
        svc,
        layers=params.LAYER.parse(args),
        radius_m=params.RADIUS.parse(args) if params.RADIUS.name in args else None,
        minutes=params.MINUTES.parse(args),
        travel=params.PLANNER_TRAVEL.parse(args),
        by=params.BY.parse(args),
        at=params.AT.parse(args),
        cell_m=int(params.CELL.parse(args)),
        demand=params.DEMAND.parse(args),
        demand_file=_upload("demand_file"),
        demand_coord=CoordSystem(params.DEMAND_COORD.parse(args) or "wgs84"),
        candidates_file=_upload("candidates_file"),
        n=params.SUGGEST_N.parse(args),
        request_points=request_points,
    )


#: the page's choice between a radius and a travel time (its form sends both fields)
REACHES = ("radius", "time")


def _form_reach(args: MultiDict) -> MultiDict:
    """The page's form: keep the fields of the reach chosen (``reach``: radius or time)
    and drop the other's, so that the question asked is the one the planner chose."""
    reach = args.get("reach")
    if reach is None:
        return args
    if reach not in REACHES:
        raise InvalidQuery("reach", f"reach must be one of {', '.join(REACHES)}, got {reach!r}")
    if reach == "time" and params.MINUTES.name not in args:
        raise InvalidQuery(
            params.MINUTES.name, "minutes is required for a travel time (reach=time)"
        )
    drop = {"reach", params.RADIUS.name} if reach == "time" else {"reach", "minutes", "travel"}
    return MultiDict([(k, v) for k, v in args.items(multi=True) if k not in drop])


def _query_string(args: MultiDict, names: tuple[params.Param, ...]) -> str:
    keep = {p.name for p in names}
    return urlencode([(k, v) for k, v in args.items(multi=True) if k in keep])


# ---------------------------------------------------------------------- API


@bp.route("/api/v1/coverage", methods=["GET", "POST"])
def coverage():
    svc = service()
    _require_upload()
    req = parse_planner(svc, _args())
    return _answer(coverage_json(svc.coverage(req.query)), "application/json", svc, req)


def _download(ext: str) -> Response:
    """The coverage answer as a file to open in Excel (csv) or QGIS (geojson)."""
    svc = service()
    _require_upload()
    req = parse_planner(svc, _args())
    report = svc.coverage(req.query)
    if ext == "csv":
        resp = Response(coverage_csv(report).encode("utf-8"), mimetype="text/csv")
    else:
        resp = json_response(coverage_geojson(report), GEOJSON)
    resp.headers["Content-Disposition"] = attachment(
        f"coverage-{req.query.by}.{ext}", f"覆盖分析-{req.query.by}.{ext}"
    )
    return _conditional(resp, svc, req)


@bp.route("/api/v1/coverage.csv", methods=["GET", "POST"])
def coverage_as_csv():
    return _download("csv")


@bp.route("/api/v1/coverage.geojson", methods=["GET", "POST"])
def coverage_as_geojson():
    return _download("geojson")


@bp.route("/api/v1/coverage/suggest", methods=["GET", "POST"])
def suggest():
    svc = service()
    _require_upload()
    req = parse_planner(svc, _args())
    result = svc.suggest(req.query, req.n, req.candidates)
    return _answer(suggestions_geojson(result), GEOJSON, svc, req)


def _answer(body, mimetype: str, svc: Service, req: PlannerRequest):
    if req.minutes_requested is not None:  # the minutes were moved onto the planner's steps
        body["minutes_requested"] = req.minutes_requested
        body["minutes_note"] = (
            f"按 {req.query.minutes:g} 分钟计算(出行时间取固定档位) · computed for "
            f"{req.query.minutes:g} min, the nearest of the planner's travel times to the "
            f"{req.minutes_requested:g} min asked for"
        )
    if req.radius_requested_m is not None:  # the radius was moved onto the planner's grid
        body["radius_requested_m"] = req.radius_requested_m
        body["radius_note"] = (
            f"半径按 {req.query.radius_m:g} 米计算(规划半径取固定档位) · computed for "
            f"{req.query.radius_m:g} m, the nearest of the planner's radii to the "
            f"{req.radius_requested_m:g} m asked for"
        )
    return _conditional(json_response(body, mimetype), svc, req)


def _conditional(resp: Response, svc: Service, req: PlannerRequest) -> Response:
    if req.uploaded or request.method == "POST" or req.query.demand_key.startswith(REQUESTS):
        # an upload, or the requests from the street: they change with no data version
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return conditional(resp, svc.version, at=req.query.at)


# ---------------------------------------------------------------------- page


@bp.route("/planner", methods=["GET", "POST"])
def planner_page():
    """The figures and the table first; the map (the slow part: folium, outlines, cells)
    comes from ``/planner/map`` in a frame, computed from the same cached answers. Only a
    request with an uploaded file, which cannot be linked to, draws its map inline."""
    svc = service()
    args = _form_reach(_args(form=True))
    layers = svc.collection_infos(facilities_only=True)
    ran = request.method == "POST" or "layer" in args
    query = _query_string(args, params.COVERAGE + (params.SUGGEST_N,))
    report = result = parts = None
    map_url = ""
    if ran:
        req = parse_planner(svc, args)
        report = svc.coverage(req.query)
        result = svc.suggest(req.query, req.n, req.candidates) if "n" in args else None
        rows = sorted(
            report.areas,
            key=_sort_key(args.get("sort", "covered_share")),
            reverse=args.get("order") == "desc",
        )
        if req.uploaded:
            parts = _coverage_map(svc, report, result)
        else:
            map_url = f"/planner/map?{query}&lang={current_lang()}"
    else:
        req, rows = None, []
    twin = "/api/v1/coverage" + (f"?{query}" if query else "")
    resp = make_response(
        render_template(
            "planner.html",
            twin=twin,
            twin_type="application/json",
            layers=layers,
            args=args,
            report=report,
            result=result,
            rows=rows,
            parts=parts,
            map_url=map_url,
            req=req,
            query=query,
            legend=SHARE_LEGEND,
            any_sample=any(i.sample for i in layers),
            layer_names={
                i.id: (i.name_zh if current_lang() == "zh" else i.name_en) for i in layers
            },
            sort_query=_sort_query,
            lang_now=current_lang(),
            default_demand=svc.default_demand() or "area",
            demand_examples=svc.demand_examples(),
        )
    )
    return link_alternate(resp, twin)


@bp.route("/planner/map")
def planner_map():
    """The planner's map alone (for the page's frame): areas coloured by covered share,
    a sample of the uncovered cells and the suggested sites, from the cached answers."""
    svc = service()
    args = _form_reach(_args(form=True))
    req = parse_planner(svc, args)
    report = svc.coverage(req.query)
    result = svc.suggest(req.query, req.n, req.candidates) if "n" in args else None
    resp = make_response(
        render_template(
            "planner_map.html", parts=_coverage_map(svc, report, result), legend=SHARE_LEGEND
        )
    )
    query = _query_string(args, params.COVERAGE)
    link_alternate(resp, "/api/v1/coverage" + (f"?{query}" if query else ""))
    return conditional(resp, svc.version, at=req.query.at)


def _coverage_map(svc: Service, report, result):
    return coverage_map(
        map_assets(),
        current_app.config["TILES"],
        [
            (outline, a.covered_share)
            for outline, a in zip(area_outlines(report), report.areas, strict=True)
        ],
        _sample(report),
        [
            (s.lon, s.lat, s.rank, f"{s.rank}. {s.town_name}")
            for s in (result.suggestions if result else ())
        ],
        lang=current_lang(),
        city=svc.city,
        network_credit=network_credit(svc.network_info, current_lang()),
    )


def _sort_key(column: str):
    allowed = (
        "code",
        "name",
        "area_km2",
        "facilities",
        "covered_share",
        "mean_distance_m",
        "max_distance_m",
        "uncovered_km2",
        "demand",
        "mean_minutes",
        "max_minutes",
        "unreachable_km2",
        "estimated_km2",
    )
    if column not in allowed:
        raise InvalidQuery("sort", f"sort must be one of {', '.join(allowed)}")

    def key(a):
        value = getattr(a, column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0)
        return (0, value)

    return key


def _sort_query(args: MultiDict, column: str) -> str:
    order = "asc" if args.get("sort") == column and args.get("order") == "desc" else "desc"
    keep = [(k, v) for k, v in args.items(multi=True) if k not in ("sort", "order")]
    return urlencode(keep + [("sort", column), ("order", order)])


def _sample(report) -> list[tuple[float, float]]:
    from locator.operations.coverage import uncovered_cells_wgs84

    return [(float(x), float(y)) for x, y in uncovered_cells_wgs84(report, UNCOVERED_ON_MAP)]
