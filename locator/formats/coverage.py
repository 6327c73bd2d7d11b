"""A coverage answer as JSON, CSV (for Excel) and GeoJSON (for QGIS), and the suggested
sites as GeoJSON: one place for the API, the planner page and the command alike."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import shapely
from shapely.geometry import mapping

from locator.formats.cells import neutralise_formula
from locator.operations.coverage import AreaCoverage, CoverageReport, Solution, SuggestResult
from locator.values.geo.distance import geometry_to_wgs84

APPROXIMATE_NOTE = (
    "镇（街）范围为近似（驻地泰森多边形）· town areas are approximate (Voronoi cells of the seats)"
)
#: CSV columns: (key, Chinese header, English header)
COLUMNS = (
    ("code", "代码", "code"),
    ("name", "名称", "name"),
    ("name_en", "英文名", "name_en"),
    ("kind", "类别", "kind"),
    ("area_km2", "面积(平方公里)", "area_km2"),
    ("facilities", "设施数", "facilities"),
    ("covered_share", "覆盖比例", "covered_share"),
    ("mean_distance_m", "平均距离(米)", "mean_distance_m"),
    ("max_distance_m", "最远距离(米)", "max_distance_m"),
    ("uncovered_km2", "未覆盖面积(平方公里)", "uncovered_km2"),
    ("demand", "需求量", "demand"),
    ("approximate", "近似范围", "approximate"),
)
#: the columns a coverage within a travel time adds
TIME_COLUMNS = (
    ("mean_minutes", "平均时间(分钟)", "mean_minutes"),
    ("max_minutes", "最长时间(分钟)", "max_minutes"),
    ("unreachable_km2", "无法到达面积(平方公里)", "unreachable_km2"),
    ("estimated_km2", "直线估算面积(平方公里)", "estimated_km2"),
)
ALONG_STREETS = "沿道路 · along streets"
STRAIGHT_ESTIMATE = "直线估算 · straight-line estimate"
MIXED_ESTIMATE = "沿道路，部分为直线估算 · along streets, partly straight-line estimates"
#: a CellTimes / TravelReach basis -> the answers' ``along`` and label
ALONG = {
    "network": ("streets", ALONG_STREETS),
    "straight": ("straight_line_estimate", STRAIGHT_ESTIMATE),
    "mixed": ("mixed", MIXED_ESTIMATE),
}
TRAVEL_NAMES = {"walk": ("步行", "walking"), "ebike": ("电动车", "by e-bike")}


def _finite(value: float | None, digits: int = 1) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


def area_json(a: AreaCoverage) -> dict[str, Any]:
    return {
        "code": a.code,
        "name": a.name,
        "name_en": a.name_en,
        "kind": a.kind,
        "area_km2": round(a.area_km2, 3),
        "facilities": a.facilities,
        "covered_share": _finite(a.covered_share, 4),
        "mean_distance_m": _finite(a.mean_distance_m),
        "max_distance_m": _finite(a.max_distance_m),
        "uncovered_km2": round(a.uncovered_km2, 3),
        "demand": _finite(a.demand, 1),
        "approximate": a.approximate,
        **(
            {}
            if a.unreachable_km2 is None
            else {
                "mean_minutes": _finite(a.mean_minutes),
                "max_minutes": _finite(a.max_minutes),
                "unreachable_km2": round(a.unreachable_km2, 3),
                "estimated_km2": round(a.estimated_km2 or 0.0, 3),
            }
        ),
    }


def reach_json(report: CoverageReport) -> dict[str, Any]:
    """What "within reach" meant: a straight-line radius, or a travel time along the
    streets (with the network's source, date and attribution) or estimated."""
    t = report.travel
    if t is None:
        return {
            "kind": "radius",
            "radius_m": report.radius_m,
            "along": "straight_line",
            "label": "直线距离 · straight line",
        }
    zh, en = TRAVEL_NAMES[t.travel]
    est_zh = f"直线距离 × 1.3 ÷ 速度，{t.minutes:g} 分钟即 {t.radius_m:,.0f} 米"
    est_en = f"straight-line distance x 1.3 / speed: {t.minutes:g} min is {t.radius_m:,.0f} m"
    if t.basis == "network":
        note = f"{zh} {t.minutes:g} 分钟，沿道路计算 · {t.minutes:g} min {en} along the streets" + (
            f"；{t.unreachable_km2:,.1f} 平方公里无法到达任何计入设施 · "
            f"{t.unreachable_km2:,.1f} km² reach no counted facility"
            if t.unreachable_km2
            else ""
        )
    elif t.basis == "mixed":
        note = (
            f"{zh} {t.minutes:g} 分钟，沿道路计算，部分为直线估算：{t.estimated_km2:,.1f} "
            f"平方公里的网格不在路网上或最近的设施不在路网上，按{est_zh} · "
            f"{t.minutes:g} min {en} along the streets, partly straight-line estimates: "
            f"{t.estimated_km2:,.1f} km² of cells off the street network, or nearest a "
            f"facility off it, by {est_en}"
        )
    elif t.network is not None:
        note = (
            f"{zh} {t.minutes:g} 分钟为直线估算：这些网格或计入的设施都不在路网上（{est_zh}） · "
            f"{t.minutes:g} min {en} is a straight-line estimate: these cells, or the "
            f"facilities counted, are all off the street network ({est_en})"
        )
    else:
        note = (
            f"{zh} {t.minutes:g} 分钟为直线估算：直线距离 × 1.3 ÷ 速度，即 {t.radius_m:,.0f} 米 · "
            f"{t.minutes:g} min {en} is a straight-line estimate (straight-line distance x "
            f"1.3 / speed): {t.radius_m:,.0f} m; no street network in the data"
        )
    along, label = ALONG[t.basis]
    return {
        "kind": "travel_time",
        "minutes": t.minutes,
        "travel": t.travel,
        "along": along,
        "label": label,
        # the radius the estimate amounts to, wherever some time is an estimate
        "straight_radius_m": None if t.basis == "network" else round(t.radius_m, 1),
        "off_network_km2": t.off_network_km2,
        # cells answered by the straight-line estimate (off the network, or nearest a
        # facility off it; every cell reaching a facility without a network)
        "estimated_km2": t.estimated_km2,
        # cells that reach no counted facility at all
        "unreachable_km2": t.unreachable_km2,
        "facilities_off_network": t.facilities_off_network,
        "network": t.network,
        "note": note,
    }


def coverage_json(report: CoverageReport) -> dict[str, Any]:
    """The whole answer: parameters, how shares are weighted, the city and each area."""
    return {
        "layers": list(report.layers),
        # within a travel time along the streets (even partly) there is no radius
        "radius_m": None
        if report.travel is not None and report.travel.basis != "straight"
        else report.radius_m,
        "reach": reach_json(report),
        "cell_m": report.cell_m,
        "by": report.by,
        "at": report.at.isoformat(timespec="minutes") if report.at else None,
        "shares_by": report.weighting,
        "demand": report.demand_label or None,
        "demand_outside_city": round(report.demand_outside, 1),
        # where the demand lies: a figure "for the city" is for these districts only
        "demand_covers": None
        if report.weighting != "demand"
        else {
            "whole_city": not report.demand_partial,
            "districts": [
                {"code": c, "name": n, "name_en": e, "demand": round(d, 1)}
                for c, n, e, d in report.demand_districts
            ],
        },
        "facilities_counted": report.facilities_counted,
        "facilities_unknown_hours": report.facilities_unknown_hours,
        "city": area_json(report.city),
        "areas": [area_json(a) for a in report.areas],
        "towns_without": {
            layer: [{"code": c, "name": n} for c, n in towns]
            for layer, towns in report.towns_without.items()
        },
        "notes": [
            APPROXIMATE_NOTE if report.by == "town" else "",
            (
                "shares by demand"
                + (
                    ": covers "
                    + ", ".join(f"{n} {e}" for _, n, e, _ in report.demand_districts)
                    + f" only ({report.city.demand or 0:,.0f}), not the whole city"
                    if report.demand_partial
                    else ""
                )
            )
            if report.weighting == "demand"
            else "shares by area (every cell weighs the same)",
            f"distances in metres, straight line in {report.crs_name} from cell centres",
            reach_json(report)["note"] if report.travel is not None else "",
        ],
    }


def coverage_csv(report: CoverageReport) -> str:
    """CSV with a UTF-8 byte order mark (Excel then shows Chinese), a bilingual header,
    one row per area and the city last; within a travel time, four more columns
    (:data:`TIME_COLUMNS`)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    columns = COLUMNS + (TIME_COLUMNS if report.travel is not None else ())
    writer.writerow([f"{zh} {en}" for _, zh, en in columns])
    for a in (*report.areas, report.city):
        row = area_json(a)
        # names and codes come from the city profile and the boundary files
        writer.writerow(
            ["" if row[k] is None else neutralise_formula(row[k]) for k, _, _ in columns]
        )
    return out.getvalue()


def area_outlines(report: CoverageReport, simplify_m: float = 100.0) -> list[dict[str, Any]]:
    """Each area's outline generalised to ``simplify_m`` metres (in the report's metric
    CRS) as a WGS-84 GeoJSON geometry, in the report's order: light enough for a map."""
    return [
        mapping(geometry_to_wgs84(a.geometry.simplify(simplify_m), report.epsg))
        for a in report.areas
    ]


def coverage_geojson(report: CoverageReport) -> dict[str, Any]:
    """The areas as WGS-84 polygons with the same attributes (QGIS colours it at once)."""
    features = []
    for a in report.areas:
        geom = geometry_to_wgs84(a.geometry, report.epsg)
        geom = shapely.set_precision(geom, 1e-6)
        features.append(
            {"type": "Feature", "id": a.code, "geometry": mapping(geom), "properties": area_json(a)}
        )
    meta = coverage_json(report)
    del meta["areas"]
    return {
        "type": "FeatureCollection",
        "name": f"coverage_{report.by}",
        **meta,
        "features": features,
    }


def solution_json(solution: Solution) -> dict[str, Any]:
    """How good the suggested choice is (see :class:`Solution`), for the answers."""
    return {
        "method": solution.method,
        "optimal": solution.method == "optimal",
        "within": round(solution.within, 4),
        "value": round(solution.value, 3),
        "bound": round(solution.bound, 3),
        "candidates": solution.candidates,
        "bins": solution.bins,
        "bin_m": solution.bin_m,
        "note": "optimal on the model (the candidates, uncovered demand gathered in bins)"
        if solution.method == "optimal"
        else f"greedy improved by swaps: within {solution.within * 100:.1f} % of the best "
        "possible on the model (a proven bound: Lagrangian relaxation, submodularity)",
    }


def suggestions_geojson(result: SuggestResult) -> dict[str, Any]:
    gain = "gain_demand" if result.weighting == "demand" else "gain_km2"
    return {
        "type": "FeatureCollection",
        "name": "suggested_sites",
        "shares_by": result.weighting,
        "covered_before": round(result.covered_before, 3),
        "covered_after": round(result.covered_after, 3),
        "total": round(result.total, 3),
        "solution": None if result.solution is None else solution_json(result.solution),
        # how "within reach" was measured
        "along": result.along,
        "along_label": {along: label for along, label in ALONG.values()}.get(
            result.along, "直线距离 · straight line"
        ),
        "features": [
            {
                "type": "Feature",
                "id": s.rank,
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": {
                    "rank": s.rank,
                    "town_code": s.town_code,
                    "town_name": s.town_name,
                    gain: round(s.gain, 3),
                },
            }
            for s in result.suggestions
        ],
    }
