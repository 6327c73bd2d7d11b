"""The planner's request, built once for the web (``/planner``, ``/api/v1/coverage``) and
the command line (``locator coverage``): which facility layers, within what radius (or
what travel time, walking or by e-bike), per district or town, at what moment, on what
grid, weighted by what demand (a bundled example or an uploaded CSV/GeoJSON file), and
how many new sites to suggest among which candidate premises.

Each caller turns its own text into plain values (the web with its parameter declarations,
:mod:`locator.web.params`; the command line with click's options) and hands them to
:func:`planner_request`, which checks them and reads the files. Every problem is an
:class:`~locator.values.errors.InvalidQuery` naming the input as the caller calls it
(:class:`Names`: ``radius_m`` on the web, ``--radius-m`` on the command line).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from locator.formats.demand import read_candidates, read_demand
from locator.operations.coverage import Demand
from locator.operations.demand import (
    AREA,
    DEMAND_CHOICES,
    REQUESTS,
    requests_demand,
    requests_key,
)
from locator.service.answers import CoverageQuery
from locator.values.errors import InvalidQuery, shown
from locator.values.geo.crs import CoordSystem

#: what a planner asks when it says nothing
DEFAULT_LAYERS = ("love_stations",)
DEFAULT_RADIUS_M = 1000.0
DEFAULT_CELL_M = 250
DEFAULT_SUGGEST_N = 10
#: the bounds and choices (the web's declarations in locator.web.params say the same)
RADIUS_M: tuple[float, float] = (100, 20_000)
#: the radii a question is answered for, metres: every 50 m to 1 km, every 250 m to 5 km,
#: every 1 km to 20 km (50 values). Any radius in RADIUS_M is taken and moved to the
#: nearest of these, and the answer says so: few distinct questions, so the answers come
#: from the cache, and nobody can make the planner compute a new answer per radius.
RADII_M: tuple[float, ...] = (
    *range(100, 1000, 50),
    *range(1000, 5000, 250),
    *range(5000, 20_001, 1000),
)
#: within a travel time instead: minutes (whole numbers), and the ways of travel
MINUTES: tuple[float, float] = (2, 60)
#: the travel times a question is answered for: every minute to 15, every 5 to 60 (23
#: values), for the same reason as RADII_M (the smallest walk is 115 m, the planner's
#: smallest radius)
MINUTE_STEPS: tuple[float, ...] = (*range(2, 16), *range(20, 61, 5))
TRAVELS = ("walk", "ebike")
DEFAULT_TRAVEL = "walk"
BY = ("district", "town")
CELLS_M = (100, 250, 500, 1000)
SUGGEST_N = (1, 50)


@dataclass(frozen=True)
class Upload:
    """A file that came with the request: its bytes and its name. ``label`` names a demand
    file in the answer (default: 上传的需求文件 uploaded demand: <name>)."""

    data: bytes
    name: str
    label: str | None = None


@dataclass(frozen=True)
class Names:
    """What the caller calls each input, for the messages."""

    layer: str = "layer"
    radius_m: str = "radius_m"
    minutes: str = "minutes"
    travel: str = "travel"
    by: str = "by"
    at: str = "at"
    cell_m: str = "cell_m"
    demand: str = "demand"
    demand_file: str = "demand_file"
    candidates_file: str = "candidates_file"
    n: str = "n"


#: the web's query parameters and form fields
WEB_NAMES = Names()
#: the options of ``locator coverage``
CLI_NAMES = Names(
    layer="--layer",
    radius_m="--radius-m",
    minutes="--minutes",
    travel="--travel",
    by="--by",
    at="--at",
    cell_m="--cell-m",
    demand="--demand",
    demand_file="--demand",
    candidates_file="--candidates",
    n="--suggest",
)


@dataclass(frozen=True)
class PlannerRequest:
    query: CoverageQuery
    n: int
    candidates: list[tuple[float, float]] | None
    uploaded: bool  # a file came with the request (its answer cannot be linked to)
    #: the radius asked for when it was moved onto RADII_M (the query has the one used)
    radius_requested_m: float | None = None
    #: the minutes asked for when moved onto MINUTE_STEPS (the query has the ones used)
    minutes_requested: float | None = None


def snap_radius(radius_m: float) -> float:
    """The radius of RADII_M nearest to ``radius_m`` (metres; the smaller on a tie)."""
    return float(min(RADII_M, key=lambda r: (abs(r - radius_m), r)))


def snap_minutes(minutes: float) -> float:
    """The travel time of MINUTE_STEPS nearest to ``minutes`` (the smaller on a tie)."""
    return float(min(MINUTE_STEPS, key=lambda m: (abs(m - minutes), m)))


def _reach(
    radius_m: float | None, minutes: float | None, travel: str | None, names: Names
) -> tuple[float, float | None, str, float | None, float | None]:
    """(radius used, minutes used, travel, radius asked when moved, minutes asked when
    moved): a radius, or a travel time, never both."""
    if minutes is not None and radius_m is not None:
        raise InvalidQuery(
            names.minutes,
            f"{names.minutes} and {names.radius_m} cannot be given together: ask within "
            f"a radius ({names.radius_m}) or within a travel time ({names.minutes}, "
            f"{names.travel})",
        )
    if minutes is None:
        if travel is not None:
            raise InvalidQuery(
                names.travel,
                f"{names.travel} goes with {names.minutes} (a travel time); "
                f"a radius ({names.radius_m}) is a straight line",
            )
        asked = DEFAULT_RADIUS_M if radius_m is None else radius_m
        if not (math.isfinite(asked) and RADIUS_M[0] <= asked <= RADIUS_M[1]):
            raise InvalidQuery(
                names.radius_m,
                f"{names.radius_m} must be between {RADIUS_M[0]:g} and {RADIUS_M[1]:g}, "
                f"got {asked:g}",
            )
        used = snap_radius(asked)
        return used, None, DEFAULT_TRAVEL, (float(asked) if used != asked else None), None
    if not (math.isfinite(minutes) and MINUTES[0] <= minutes <= MINUTES[1]):
        raise InvalidQuery(
            names.minutes,
            f"{names.minutes} must be between {MINUTES[0]:g} and {MINUTES[1]:g} minutes, "
            f"got {minutes:g}",
        )
    travel = DEFAULT_TRAVEL if travel is None else travel
    if travel not in TRAVELS:
        raise InvalidQuery(
            names.travel,
            f"{names.travel} must be one of {', '.join(TRAVELS)}, got {shown(travel)}",
        )
    from locator.operations.travel_coverage import equivalent_radius_m

    used_min = snap_minutes(minutes)
    return (
        equivalent_radius_m(used_min, travel),
        used_min,
        travel,
        None,
        float(minutes) if used_min != minutes else None,
    )


class PlannerStore(Protocol):
    """What the request needs of the store: its layer ids and its bundled demand."""

    def resolve_layers(
        self, requested: list[str] | None, param: str = "layer"
    ) -> tuple[str, ...]: ...

    def demand_example(self, name: str) -> Demand: ...

    def default_demand(self) -> str | None: ...
    def check_demand_cost(self, demand: Demand, cell_m: int, param: str = "demand_file") -> None:
        """Raise TooCostly naming ``param`` when ``demand`` is too much work on the grid."""


def planner_request(
    store: PlannerStore,
    *,
    layers: list[str] | tuple[str, ...] | None = None,
    radius_m: float | None = None,
    by: str = "district",
    at: dt.datetime | None = None,
    cell_m: int = DEFAULT_CELL_M,
    demand: str | None = None,
    demand_file: Upload | None = None,
    demand_coord: CoordSystem = CoordSystem.WGS84,
    candidates_file: Upload | None = None,
    n: int = DEFAULT_SUGGEST_N,
    names: Names = WEB_NAMES,
    request_points: Callable[[], Sequence[tuple[float, float]]] | None = None,
    minutes: float | None = None,
    travel: str | None = None,
) -> PlannerRequest:
    """The checked request.

    Parameters
    ----------
    layers : facility layer ids (None or empty: love stations)
    radius_m : radius of reach, metres (100-20,000), moved to the nearest of RADII_M
        (None: DEFAULT_RADIUS_M, unless ``minutes`` is given)
    minutes : within this travel time instead (2-60 minutes), moved to the nearest of
        MINUTE_STEPS; never with ``radius_m``
    travel : the way of travel of ``minutes``, ``walk`` (default) or ``ebike``
    by : ``district`` or ``town``
    at : an aware datetime (count only facilities open then), or None (every facility)
    cell_m : grid cell size, metres (100, 250, 500 or 1000)
    demand : a bundled demand example (``census-2020``, ``heshan-2020``) or ``area``
        (shares by area); an uploaded ``demand_file`` goes first; neither: the store's
        default demand (the whole city's census where the data has it), else by area
    demand_coord : the coordinate system of the uploaded files
    candidates_file : candidate premises for the suggestions (CSV lon, lat or GeoJSON)
    n : how many new sites to suggest (1-50)
    names : what the caller calls each input, for the messages
    request_points : the WGS-84 points of the "station needed here" requests, read when
        ``demand`` is ``requests`` (None: requests cannot be asked for here)
    """
    used_m, used_min, travel, radius_asked, minutes_asked = _reach(radius_m, minutes, travel, names)
    if by not in BY:
        raise InvalidQuery(names.by, f"{names.by} must be one of {', '.join(BY)}, got {shown(by)}")
    if cell_m not in CELLS_M:
        raise InvalidQuery(
            names.cell_m,
            f"{names.cell_m} must be one of {', '.join(map(str, CELLS_M))}, got {cell_m}",
        )
    if not SUGGEST_N[0] <= n <= SUGGEST_N[1]:
        raise InvalidQuery(
            names.n, f"{names.n} must be an integer from {SUGGEST_N[0]} to {SUGGEST_N[1]}, got {n}"
        )
    weights: Demand | None = None
    key = ""
    if demand_file is not None:
        label = demand_file.label or f"上传的需求文件 uploaded demand: {demand_file.name}"
        weights = read_demand(demand_file.data, label, demand_coord, names.demand_file)
        store.check_demand_cost(weights, int(cell_m), names.demand_file)
        # the label (the file's name) is part of the answer, so part of the key too
        digest = hashlib.sha256(demand_file.data).hexdigest()
        key = f"upload:{digest}{demand_coord.value}|{label}"
    else:
        if demand is not None and demand not in DEMAND_CHOICES:
            raise InvalidQuery(
                names.demand,
                f"{names.demand} must be one of {', '.join(DEMAND_CHOICES)}, got {shown(demand)}",
            )
        example = store.default_demand() if demand is None else demand
        if example == REQUESTS:
            if request_points is None:
                raise InvalidQuery(
                    names.demand, f"{names.demand}: the requests are not available here"
                )
            points = list(request_points())
            weights, key = requests_demand(points), requests_key(points)
        elif example is not None and example != AREA:
            weights, key = store.demand_example(example), example
    candidates = (
        read_candidates(candidates_file.data, demand_coord, names.candidates_file)
        if candidates_file is not None
        else None
    )
    query = CoverageQuery(
        store.resolve_layers(list(layers or DEFAULT_LAYERS), names.layer),
        used_m,
        by,
        at,
        int(cell_m),
        weights,
        key,
        used_min,
        travel,
    )
    return PlannerRequest(
        query,
        n,
        candidates,
        demand_file is not None or candidates_file is not None,
        radius_asked,
        minutes_asked,
    )
