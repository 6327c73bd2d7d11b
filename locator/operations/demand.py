"""Demand for the planner: the bundled examples (an upload is read by
:mod:`locator.formats.demand`)."""

from __future__ import annotations

import csv
from pathlib import Path

from locator.operations.coverage import Demand
from locator.values.errors import InvalidQuery, shown

#: bundled demand examples: id -> (file in the data directory, label)
EXAMPLES = {
    "heshan-2020": (
        "heshan-town-population-2020.csv",
        "鹤山市 2020 年人口普查各镇（街）人口，按近似镇街范围平均分布 · Heshan's 2020 "
        "census population by town, spread evenly over the approximate town areas",
    ),
}


def example_demand(name: str, data_dir: Path, town_shapes: dict) -> Demand:
    """A bundled example: the Heshan census, each town's population over its area."""
    if name not in EXAMPLES:
        raise InvalidQuery(
            "demand", f"demand must be one of {', '.join(EXAMPLES)}, got {shown(name)}"
        )
    file, label = EXAMPLES[name]
    with open(Path(data_dir) / file, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if len(r["code"]) == 9]
    return Demand(
        label,
        (),
        tuple(
            (town_shapes[r["code"]], float(r["pop_2020"])) for r in rows if r["code"] in town_shapes
        ),
    )
