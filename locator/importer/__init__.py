"""Real registers in: import, validate, replace a layer, export, roll back.

``import_register`` is the one call the command line and the admin pages make: it checks
a register (:mod:`.register`) and, when nothing is wrong and it is not a dry run, replaces
the layer the atomic way, keeping the old file (:mod:`.history`). A running server picks
the new file up through its data watcher (:mod:`locator.stores.files.holder`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locator.importer.register import (
    ImportPlan,
    check_register,
    facility_decl,
    load_context,
)
from locator.values.geo.crs import CoordSystem

__all__ = ["ImportOutcome", "ImportPlan", "import_register"]


@dataclass(frozen=True)
class ImportOutcome:
    """The plan (features and report) and, when the layer was replaced, the log entry."""

    plan: ImportPlan
    entry: dict[str, Any] | None

    @property
    def written(self) -> bool:
        return self.entry is not None


def import_register(
    data_dir: Path | str,
    data: bytes,
    filename: str,
    layer: str,
    coord: CoordSystem | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    who: str = "",
) -> ImportOutcome:
    """Check a register for ``layer`` and, with no errors and unless ``dry_run``, replace
    the layer's file with it. All or nothing: with any error nothing is written."""
    from locator.importer.history import replace_layer, write_lock

    facility_decl(layer)
    if dry_run:
        return ImportOutcome(
            check_register(data, filename, load_context(data_dir, layer), coord, sheet), None
        )
    with write_lock(data_dir):  # checked against the data as it is when written
        plan = check_register(data, filename, load_context(data_dir, layer), coord, sheet)
        if not plan.ok:
            return ImportOutcome(plan, None)
        entry = replace_layer(
            data_dir,
            layer,
            plan.features,
            {
                "action": "import",
                "who": who,
                "file": plan.filename,
                "format": plan.description,
                "coord": plan.coord.value if plan.coord else None,
                "rows": plan.rows,
                "warnings": len(plan.warnings),
                **plan.changes(),
            },
            locked=True,
        )
    return ImportOutcome(plan, entry)
