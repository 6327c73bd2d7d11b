"""``locator build-network``: a street network for the data directory's city from an
OpenStreetMap extract, and ``--info`` on the one it has."""

from __future__ import annotations

from pathlib import Path

import click

from locator.cli.options import DATA_DIR_OPTION, default_data_dir, fail
from locator.values.errors import BuildError, LocatorError


def _print_info(data_dir: Path) -> None:
    """Print the data directory's network file: what it holds and where it came from."""
    from locator.formats.network import network_from_bytes
    from locator.operations.network import MODES, NETWORK_FILE

    path = data_dir / NETWORK_FILE
    if not path.is_file():
        fail(
            BuildError(
                f"{path}: no street network (estimates are straight-line); "
                "build one with: locator build-network EXTRACT.osm.pbf"
            )
        )
    data = path.read_bytes()
    try:
        net = network_from_bytes(data, NETWORK_FILE)
    except LocatorError as exc:
        fail(exc)
    info = net.info
    click.echo(f"{'file':<18} {path} ({len(data) / 2**20:,.1f} MiB)")
    click.echo(f"{'nodes':<18} {net.nodes:,}")
    for mode in MODES:
        click.echo(f"{'edges ' + mode:<18} {net.graphs[mode].edges:,}")
    for key, value in info.to_json().items():
        if key == "speeds":
            for mode, table in value.items():
                speeds = ", ".join(f"{k} {v:g}" for k, v in sorted(table.items()))
                click.echo(f"{'speeds ' + mode:<18} km/h: {speeds}")
        else:
            click.echo(f"{key:<18} {value}")


@click.command("build-network")
@click.argument(
    "extract", required=False, type=click.Path(dir_okay=False, path_type=Path), default=None
)
@click.option(
    "--margin-m",
    type=float,
    default=5000.0,
    show_default=True,
    help="Keep roads this far (metres) beyond the city boundary, 0-50,000.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Build even when the extract covers less than half of the city.",
)
@click.option(
    "--info", "show_info", is_flag=True, help="Only print the data directory's current network."
)
@DATA_DIR_OPTION
def build_network(
    extract: Path | None,
    margin_m: float,
    allow_partial: bool,
    show_info: bool,
    data_dir: Path | None,
) -> None:
    """Build the street network (walk, e-bike, drive) of the data directory's city from an
    OpenStreetMap extract (.osm.pbf, e.g. the province's) and write it, atomically, as
    network.npz in the data directory; a running server picks it up like any data change."""
    data_dir = data_dir or default_data_dir()
    if show_info:
        if extract is not None:
            fail(BuildError("--info takes no EXTRACT"))
        _print_info(data_dir)
        return
    if extract is None:
        fail(BuildError("EXTRACT is missing: locator build-network EXTRACT.osm.pbf"))
        return
    from locator.ingest.osm_network import build_city_network, write_network

    try:
        report = build_city_network(extract, data_dir, margin_m, allow_partial)
        target, size = write_network(data_dir, report.network)
    except LocatorError as exc:
        fail(exc)
        return
    except OSError as exc:
        fail(BuildError(f"{data_dir}: cannot write the network ({exc.strerror or exc})"))
        return
    for line in report.lines():
        click.echo(line)
    click.echo(f"{'wrote':<11} {target} ({size / 2**20:,.1f} MiB)")
