"""Demand for the planner: the bundled examples (an upload is read by
:mod:`locator.formats.demand`)."""

from __future__ import annotations

import csv
import io

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


def example_file(name: str) -> str:
    """The data directory's file of the bundled example ``name`` (InvalidQuery naming
    ``demand`` for an unknown one)."""
    if name not in EXAMPLES:
        raise InvalidQuery(
            "demand", f"demand must be one of {', '.join(EXAMPLES)}, got {shown(name)}"
        )
    return EXAMPLES[name][0]


def example_demand(name: str, data: bytes, town_shapes: dict) -> Demand:
    """A bundled example from its file's bytes (UTF-8 CSV with ``code`` and ``pop_2020``):
    e.g. the Heshan census, each town's population spread over the town's area."""
    label = EXAMPLES[name][1] if name in EXAMPLES else name
    text = data.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if len(r["code"]) == 9]
    return Demand(
        label,
        (),
        tuple(
            (town_shapes[r["code"]], float(r["pop_2020"])) for r in rows if r["code"] in town_shapes
        ),
    )
