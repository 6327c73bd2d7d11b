"""``locator coverage``: the planner's coverage and site suggestions on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from locator.cli.options import DATA_DIR_OPTION, default_data_dir, fail
from locator.values.errors import LocatorError


@click.command()
@click.option(
    "--layer",
    "layers",
    multiple=True,
    default=("love_stations",),
    show_default=True,
    help="Facility layer(s) to count; repeat for several.",
)
@click.option(
    "--radius-m",
    type=float,
    default=None,
    help="Radius of reach in metres (100-20,000; default 1,000).",
)
@click.option(
    "--minutes",
    type=float,
    default=None,
    help="Within this travel time instead of a radius (2-60 minutes): along the streets "
    "when the data directory has a network.npz, else the straight-line estimate.",
)
@click.option(
    "--travel",
    type=click.Choice(["walk", "ebike"]),
    default=None,
    help="Way of travel of --minutes (default walk).",
)
@click.option(
    "--by", type=click.Choice(["district", "town"]), default="district", show_default=True
)
@click.option(
    "--at",
    "at_text",
    default=None,
    help="Count only facilities open at this ISO 8601 time (Asia/Shanghai if naive).",
)
@click.option(
    "--cell-m",
    type=click.Choice(["100", "250", "500", "1000"]),
    default="250",
    show_default=True,
    help="Grid cell size in metres.",
)
@click.option(
    "--demand",
    default=None,
    help="Demand weights: a CSV/GeoJSON file, census-2020 (the whole city's 2020 census, "
    "the default), heshan-2020 (Heshan only), area (no weights: shares by area) or "
    'requests (riders\' "station needed here" requests in the data directory, 1 each).',
)
@click.option(
    "--demand-coord",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default="wgs84",
    show_default=True,
)
@click.option(
    "--suggest",
    "n",
    type=click.IntRange(1, 50),
    default=None,
    help="Also suggest this many new sites.",
)
@click.option(
    "--candidates",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Candidate premises for --suggest (CSV lon, lat or GeoJSON points).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write report.csv, report.geojson or report.html (default: print).",
)
@DATA_DIR_OPTION
def coverage(
    layers,
    radius_m,
    minutes,
    travel,
    by,
    at_text,
    cell_m,
    demand,
    demand_coord,
    n,
    candidates,
    out,
    data_dir,
):
    """Coverage of facility layers within a radius, per district or town, and where the
    next N sites would do the most good."""
    import json

    from locator.formats.coverage import coverage_csv, coverage_geojson, suggestions_geojson
    from locator.formats.times import parse_time
    from locator.operations.demand import DEMAND_CHOICES
    from locator.service import Service
    from locator.service.planner_request import (
        CLI_NAMES,
        DEFAULT_SUGGEST_N,
        Upload,
        planner_request,
    )
    from locator.stores.files.read import write_text_atomic
    from locator.stores.files.store import load_catalog
    from locator.values.geo.crs import CoordSystem

    if out is not None and out.suffix not in (".csv", ".geojson", ".html"):
        fail(LocatorError(f"--out must end in .csv, .geojson or .html, got {out.name}"))
    try:
        cat = Service(load_catalog(data_dir or default_data_dir()))
        example = upload = None
        if demand in DEMAND_CHOICES:
            example = demand
        elif demand:
            path = Path(demand)
            if not path.is_file():
                raise LocatorError(
                    f"--demand: no file {demand} "
                    "(or use census-2020, heshan-2020, area or requests)"
                )
            upload = Upload(path.read_bytes(), path.name, label=path.name)
        req = planner_request(
            cat,
            layers=list(layers),
            radius_m=radius_m,
            minutes=minutes,
            travel=travel,
            by=by,
            at=parse_time(at_text, CLI_NAMES.at) if at_text else None,
            cell_m=int(cell_m),
            demand=example,
            demand_file=upload,
            demand_coord=CoordSystem(demand_coord),
            candidates_file=(
                Upload(candidates.read_bytes(), candidates.name) if candidates else None
            ),
            n=n or DEFAULT_SUGGEST_N,
            names=CLI_NAMES,
            request_points=lambda: _request_points(data_dir or default_data_dir()),
        )
        query = req.query
        with click.progressbar(length=100, label="coverage", file=sys.stderr) as bar:

            def progress(step: str, fraction: float) -> None:
                bar.label = step
                bar.update(max(0, int(fraction * 100) - bar.pos))

            report = cat.coverage(query, progress)
            bar.update(100 - bar.pos)
        suggestions = None
        if n:
            with click.progressbar(length=100, label="suggest", file=sys.stderr) as bar:

                def progress2(step: str, fraction: float) -> None:
                    bar.label = step
                    bar.update(max(0, int(fraction * 100) - bar.pos))

                suggestions = cat.suggest(query, req.n, req.candidates, progress2)
                bar.update(100 - bar.pos)
    except LocatorError as exc:
        fail(exc)
    share = report.city.covered_share
    where = (
        "demand covers "
        + ", ".join(f"{n} {e}" for _, n, e, _ in report.demand_districts)
        + " only (not the whole city)"
        if report.demand_partial
        else "city"
    )
    within = f"{report.radius_m:,.0f} m"
    if report.travel is not None:
        from locator.formats.coverage import reach_json

        reach = reach_json(report)
        within = f"{report.travel.minutes:g} min {report.travel.travel} ({reach['label']})"
    click.echo(
        f"{where}: {share * 100:.1f}% within {within} "
        f"(by {report.weighting}{': ' + report.demand_label if report.demand_label else ''})"
        if share is not None
        else "city: no demand inside the city"
    )
    if report.travel is not None:
        click.echo(reach["note"])
    if req.minutes_requested is not None:  # the planner's travel times come in steps
        click.echo(
            f"(computed for {report.travel.minutes:g} min, the nearest of the planner's "
            f"travel times to the {req.minutes_requested:g} min asked for)"
        )
    if req.radius_requested_m is not None:  # the planner's radii come in fixed steps
        click.echo(
            f"(computed for {report.radius_m:,.0f} m, the nearest of the planner's radii "
            f"to the {req.radius_requested_m:,.0f} m asked for)"
        )
    if out is None:
        for a in report.areas:
            s = "—" if a.covered_share is None else f"{a.covered_share * 100:5.1f}%"
            estimated = (
                f"  {a.estimated_km2:8.1f} km² by straight-line estimate"
                if report.travel is not None and report.travel.basis != "network"
                else ""
            )
            click.echo(
                f"  {a.code} {a.name:<8} {s:>7}  {a.facilities:>4} facilities  "
                f"{a.uncovered_km2:8.1f} km² uncovered{estimated}"
            )
    elif out.suffix == ".csv":
        write_text_atomic(out, coverage_csv(report))
    elif out.suffix == ".geojson":
        doc = coverage_geojson(report)
        if suggestions:
            doc["suggested_sites"] = suggestions_geojson(suggestions)
        write_text_atomic(out, json.dumps(doc, ensure_ascii=False))
    else:
        write_text_atomic(out, _html_report(report, suggestions, query.layers))
    if suggestions:
        for s in suggestions.suggestions:
            click.echo(f"  #{s.rank} {s.lat:.5f},{s.lon:.5f} {s.town_name} +{s.gain:,.2f}")
    if out is not None:
        click.echo(f"wrote {out}")


def _html_report(report, suggestions, layers) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from locator.values.paths import TEMPLATE_DIR

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"])
    )
    from locator.formats.coverage import reach_json

    return env.get_template("coverage_report.html").render(
        report=report,
        suggestions=suggestions,
        layers=layers,
        reach_note=reach_json(report).get("note", ""),
    )


def _request_points(data_dir: Path) -> list[tuple[float, float]]:
    """The data directory's "station needed here" requests (none before the first
    report: the report file is not made by reading)."""
    from locator.service.requests import need_points
    from locator.stores.files.reports import SqliteReports, reports_path

    path = reports_path(data_dir)
    return need_points(SqliteReports(path)) if path.exists() else []
