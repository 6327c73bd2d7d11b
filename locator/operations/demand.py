"""Demand for the planner: the bundled examples, by name (their files are read by
:mod:`locator.formats.demand`, as an upload is)."""

from __future__ import annotations

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
