"""The ``locator`` command: serve, validate, build-geodata, build-network, coverage,
import, export, history, rollback, and ``db init|load|dump`` for the PostGIS store; one
module per group of commands."""

from __future__ import annotations

import click

from locator.cli import admin, data, db, network, planner, registers, serve


@click.group()
@click.version_option(package_name="locator")
def cli() -> None:
    """职工服务设施查询 · worker service-facility locator (the city: the data directory's
    city.json)."""


for command in (
    serve.serve,
    data.validate,
    data.build_geodata,
    network.build_network,
    planner.coverage,
    registers.import_cmd,
    registers.history,
    registers.rollback,
    registers.export,
    db.db,
    admin.admin_hash,
):
    cli.add_command(command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
