"""``locator import``, ``export``, ``history`` and ``rollback``: a facility layer's
registers and versions, in the data directory or the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from locator.cli.options import (
    COORD_CHOICE,
    DATA_DIR_OPTION,
    DATABASE_OPTION,
    LANG_OPTION,
    default_data_dir,
    fail,
    who,
)
from locator.stores.working import data_dir_for
from locator.values.errors import LocatorError


@click.command("import")
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

    data_dir = data_dir or default_data_dir()
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(LocatorError(f"FILE: cannot read {file} ({exc.strerror})"))
    try:
        with data_dir_for(data_dir, database_url, write=not dry_run, layer=layer) as where:
            outcome = import_register(
                where,
                data,
                file.name,
                layer,
                CoordSystem(coord) if coord else None,
                sheet,
                dry_run,
                who(),
            )
    except LocatorError as exc:
        fail(exc)
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


@click.command()
@click.option("--layer", required=True, help="Facility layer.")
@DATA_DIR_OPTION
@DATABASE_OPTION
def history(layer: str, data_dir: Path | None, database_url: str | None) -> None:
    """List a layer's versions: the current file and every one an import replaced."""
    from locator.importer.history import versions
    from locator.importer.register import facility_decl

    data_dir = data_dir or default_data_dir()
    try:
        facility_decl(layer)
        with data_dir_for(data_dir, database_url, False, layer, others=False) as where:
            kept = versions(where, layer)
    except LocatorError as exc:
        fail(exc)
    for v in kept:
        made = v.made_by or {}
        how = (
            f"{made.get('action', '')} by {made.get('who', '?')} at {made.get('at', '?')}"
            f" from {made.get('file', '?')}"
            if made
            else "原始版本 / original (before any import)"
            if v.original
            else ""
        )
        click.echo(
            f"{v.id:<30} {v.count:>6} features  {v.sha256[:12]}  "
            f"{', '.join(v.sources) or '-'}  {how}".rstrip()
        )


@click.command()
@click.option("--layer", required=True, help="Facility layer.")
@click.option("--to", "version", required=True, help="Version id (see `locator history`).")
@DATA_DIR_OPTION
@DATABASE_OPTION
def rollback(layer: str, version: str, data_dir: Path | None, database_url: str | None) -> None:
    """Restore a kept version of a layer (the current file is kept first)."""
    from locator.importer.history import rollback as do_rollback
    from locator.importer.register import facility_decl

    data_dir = data_dir or default_data_dir()
    try:
        facility_decl(layer)
        with data_dir_for(data_dir, database_url, layer=layer) as where:
            entry = do_rollback(where, layer, version, who())
    except LocatorError as exc:
        fail(exc)
    click.echo(
        f"restored {layer} to version {entry['restored_version']} "
        f"({entry['features']} features); the replaced file is kept as version "
        f"{entry['previous_version']}"
    )


@click.command()
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

    data_dir = data_dir or default_data_dir()
    try:
        decl = facility_decl(layer)
        with data_dir_for(data_dir, database_url, False, decl.id, others=False) as where:
            features = read_features(where / decl.file)
            profile = read_city(where)
            refs = read_references(where, routes=False, profile=profile)
            _districts, towns, _city = reference_context(refs, profile)
    except LocatorError as exc:
        fail(exc)
    data = export_layer(
        features, layer, fmt, CoordSystem(coord), {code: t.name for code, t in towns.items()}
    )
    if out is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            fail(LocatorError("--out: an XLSX workbook is binary; give a file to write"))
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_bytes_atomic(out, data)
    click.echo(f"wrote {len(features)} features to {out}", err=True)
