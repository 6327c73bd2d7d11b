"""Coverage within a travel time: the planner's alternative to a radius.

A cell is covered when the quickest trip from its centre to the nearest counted facility
takes at most ``minutes`` by the chosen way of travel (``walk`` or ``ebike``).

* **Along streets** (a :class:`~locator.operations.network.StreetNetwork` is present):
  every cell centre and every facility joins the mode's graph at its nearest usable node
  (``snap``: within :data:`~locator.operations.network.SNAP_MAX_M`, a straight access leg
  at the mode's access speed). One shortest-path pass (scipy's Dijkstra) over the
  *reversed* graph from a virtual node joined to every facility node by that facility's
  access time gives, for every node, the seconds to the nearest facility including its
  access leg; a cell's time adds its own access leg. A network may cover only part of
  the city (``build-network --allow-partial``): a cell with no node within reach is *off
  the network* and gets the straight-line estimate to the nearest facility, and a
  facility off the network reaches every cell by that estimate (a cell's time is the
  least of the network time via the facilities on it and the estimates from those off
  it). The cells so answered are *estimated* (counted and labelled: the basis is then
  :data:`MIXED`); a cell with no time at all (no facility counted) is *unreachable*.
* **Straight-line estimate** (no network): minutes = straight-line metres x
  :data:`~locator.operations.nearest.DETOUR_FACTOR` / the mode's speed, the arithmetic of
  the nearest answers' estimates; a time is then a radius
  (:func:`equivalent_radius_m`) and says so.

Suggestions along streets (:func:`suggest_sites_by_time`) use the same covering model as
the radius (:func:`~locator.operations.coverage.choose_sites`: exact or with a proven
bound), with "candidate covers bin" decided along the network: for each tile of
candidates, a Dijkstra bounded by the time limit on the sub-network within reach of the
tile. Reach is bounded by the network's top speed (no node further than ``limit x top
speed`` in a straight line can be reached in time; the buckets are :data:`UTM_SLACK`
wider, as metric metres may run longer than the true ones), so the sub-network is exact,
and its size is estimated and bounded before any search (:data:`MAX_REACH_WORK`). A
candidate or a cell off the network reaches and is reached by the straight-line estimate
(within :func:`equivalent_radius_m`), as in coverage.

Coordinates: cells and nodes in metres of the city's metric CRS (the grid's EPSG, which a
network is built in), facilities WGS-84.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from locator.operations.coverage import (
    MIN_SPACING_M,
    Grid,
    Progress,
    Solution,
    SuggestResult,
    _assign,
    _quiet,
    choose_sites,
    ranked,
    suggestion_at,
)
from locator.operations.nearest import DETOUR_FACTOR, EBIKE_M_PER_MIN, WALK_M_PER_MIN
from locator.operations.network import StreetNetwork
from locator.values.errors import DataError, InvalidQuery, TooCostly
from locator.values.geo.distance import to_metric
from locator.values.models import Facility

#: ways of travel a planner may ask about (network modes of the same name)
TRAVELS = ("walk", "ebike")
#: straight-line estimate speeds, metres a minute (those of the nearest answers)
ESTIMATE_M_PER_MIN = {"walk": WALK_M_PER_MIN, "ebike": EBIKE_M_PER_MIN}
#: along streets | straight-line estimate | along streets where the network reaches, the
#: estimate elsewhere (a partial network, or facilities off it)
NETWORK, STRAIGHT, MIXED = "network", "straight", "mixed"
#: the metric CRS (UTM) runs up to ~0.03 % longer than true distance in the city: straight-
#: line bounds of reach in metric metres are widened by this factor so that no node at the
#: very edge of reach is missed
UTM_SLACK = 1.001
#: the most (source x sub-network node) entries the suggestions' bounded searches may
#: fill (scipy's Dijkstra writes one distance per source and node of its graph): about
#: 1.5 s of work on this machine's cores
MAX_REACH_WORK = 300_000_000
#: entries one Dijkstra call fills at most (memory: 8 bytes each)
BATCH_ENTRIES = 4_000_000


def estimate_seconds(distance_m, travel: str):
    """The straight-line estimate of a trip of ``distance_m`` straight-line metres by
    ``travel``, seconds (distance x detour factor / the mode's estimate speed)."""
    return np.asarray(distance_m, dtype=float) * DETOUR_FACTOR / ESTIMATE_M_PER_MIN[travel] * 60.0


def equivalent_radius_m(minutes: float, travel: str) -> float:
    """The straight-line radius (metres) the estimate reaches in ``minutes`` by ``travel``."""
    return minutes * ESTIMATE_M_PER_MIN[travel] / DETOUR_FACTOR


def check_travel(travel: str, param: str = "travel") -> str:
    if travel not in TRAVELS:
        raise InvalidQuery(param, f"{param} must be one of {', '.join(TRAVELS)}, got {travel!r}")
    return travel


@dataclass(frozen=True)
class CellTimes:
    """Seconds from each grid cell to the nearest counted facility (inf: none reached),
    and how they were found: ``basis`` is :data:`NETWORK` (every time along the
    streets), :data:`STRAIGHT` (every time the straight-line estimate) or :data:`MIXED`
    (both occur: a partial network, or facilities off it)."""

    seconds: np.ndarray = field(repr=False)
    basis: str
    travel: str
    #: cells with no node of the mode's graph within reach (always False when straight)
    off_network: np.ndarray = field(repr=False)
    #: counted facilities with no node within reach (reaching cells by the estimate)
    facilities_off_network: int = 0
    #: cells whose time is the straight-line estimate (every cell reaching a facility when
    #: straight; with a network, those off it and those nearest, by the estimate, a
    #: facility off it)
    estimated: np.ndarray | None = field(default=None, repr=False)

    @property
    def unreachable(self) -> np.ndarray:
        """Cells from which no facility can be reached at all (no facility counted)."""
        return ~np.isfinite(self.seconds)

    @property
    def by_estimate(self) -> np.ndarray:
        """:attr:`estimated`, every cell when straight and not given."""
        if self.estimated is not None:
            return self.estimated
        return np.isfinite(self.seconds) & (self.basis == STRAIGHT)


def straight_cell_times(dist_m: np.ndarray, travel: str) -> CellTimes:
    """The estimate from each cell's straight-line metres to the nearest facility."""
    check_travel(travel)
    n = dist_m.size
    return CellTimes(
        estimate_seconds(dist_m, travel),
        STRAIGHT,
        travel,
        np.zeros(n, dtype=bool),
        estimated=np.isfinite(dist_m),
    )


@dataclass(frozen=True)
class CellNodes:
    """Where each grid cell joins a mode's graph: node (-1 off the network) and the
    seconds of its straight access leg."""

    node: np.ndarray = field(repr=False)
    access_s: np.ndarray = field(repr=False)


def snap_cells(net: StreetNetwork, travel: str, grid: Grid) -> CellNodes:
    """Join every cell centre of ``grid`` to the ``travel`` graph of ``net``."""
    _check_crs(net, grid)
    snapped = net.snap(travel, grid.x, grid.y)
    return CellNodes(snapped.node, np.asarray(net.access_s(travel, snapped.access_m), float))


def _check_crs(net: StreetNetwork, grid: Grid) -> None:
    if net.info.metric_epsg != grid.epsg:
        raise DataError(
            "network.npz",
            f"the network is in EPSG:{net.info.metric_epsg}, the city's grid in "
            f"EPSG:{grid.epsg}: rebuild the network for this data directory",
        )


def facility_nodes(
    net: StreetNetwork, travel: str, facilities: Sequence[Facility], epsg: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The nodes the facilities join ``travel``'s graph at and their access seconds
    (facilities off the network left out), and how many were left out."""
    nodes, access, off_xy = _facility_join(net, travel, facilities, epsg)
    return nodes, access, len(off_xy)


def _facility_join(
    net: StreetNetwork, travel: str, facilities: Sequence[Facility], epsg: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`facility_nodes`, with the metric positions (k, 2) of those off the network."""
    if not facilities:
        return np.empty(0, np.int64), np.empty(0), np.empty((0, 2))
    fx, fy = (
        np.asarray(a, float)
        for a in to_metric(
            np.array([f.lon for f in facilities]), np.array([f.lat for f in facilities]), epsg
        )
    )
    snapped = net.snap(travel, fx, fy)
    on = snapped.on_network
    access = np.asarray(net.access_s(travel, snapped.access_m), float)
    return snapped.node[on], access[on], np.column_stack([fx[~on], fy[~on]])


def times_to_facilities(
    net: StreetNetwork,
    travel: str,
    nodes: np.ndarray,
    offsets_s: np.ndarray,
    limit_s: float = math.inf,
) -> np.ndarray:
    """Seconds from every node to the nearest facility, each facility reached at its
    node plus its own access seconds (``offsets_s``): one Dijkstra pass over the reversed
    graph from a virtual node joined to every facility node by that facility's offset."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = net.nodes
    if len(nodes) == 0:
        return np.full(n, np.inf)
    best = np.full(n, np.inf)
    np.minimum.at(best, np.asarray(nodes, np.int64), np.asarray(offsets_s, float))
    heads = np.flatnonzero(np.isfinite(best))
    rev = net.graphs[travel].reverse
    aug = csr_matrix(
        (
            np.concatenate([rev.data, best[heads]]),
            np.concatenate([rev.indices, heads]).astype(np.int64),
            np.concatenate([rev.indptr, [rev.indptr[-1] + heads.size]]).astype(np.int64),
        ),
        shape=(n + 1, n + 1),
    )
    return dijkstra(aug, directed=True, indices=n, limit=limit_s)[:n]


def network_cell_times(
    net: StreetNetwork,
    travel: str,
    grid: Grid,
    facilities: Sequence[Facility],
    cells: CellNodes | None = None,
) -> CellTimes:
    """Seconds from every cell to the nearest of ``facilities`` along ``travel``'s
    streets, and by the straight-line estimate where the network does not reach (see the
    module docstring); ``cells`` when already snapped."""
    from scipy.spatial import cKDTree

    check_travel(travel)
    _check_crs(net, grid)
    cells = cells or snap_cells(net, travel, grid)
    nodes, offsets, off_xy = _facility_join(net, travel, facilities, grid.epsg)
    to_fac = times_to_facilities(net, travel, nodes, offsets)
    on = cells.node >= 0
    along = np.full(grid.size, np.inf)
    along[on] = to_fac[cells.node[on]] + cells.access_s[on]
    # the estimate: cells off the network to the nearest facility of any kind, cells on
    # it to the nearest facility off it (one KD-tree query each, only when needed)
    guess = np.full(grid.size, np.inf)
    cell_xy = np.column_stack([grid.x, grid.y])
    if facilities and (~on).any():
        fx, fy = to_metric(
            np.array([f.lon for f in facilities]),
            np.array([f.lat for f in facilities]),
            grid.epsg,
        )
        dist, _ = cKDTree(np.column_stack([fx, fy])).query(cell_xy[~on], workers=-1)
        guess[~on] = estimate_seconds(dist, travel)
    if len(off_xy) and on.any():
        dist, _ = cKDTree(off_xy).query(cell_xy[on], workers=-1)
        guess[on] = estimate_seconds(dist, travel)
    seconds = np.minimum(along, guess)
    estimated = (~on | (guess < along)) & np.isfinite(seconds)
    if not estimated.any():
        basis = NETWORK
    elif estimated.all():
        basis = STRAIGHT
    else:
        basis = MIXED
    return CellTimes(seconds, basis, travel, ~on, len(off_xy), estimated)


# ---------------------------------------------------------------------- reach


#: source tiles are at least this wide (metres): fewer, larger searches when the reach is
#: short (each search costs some Python besides its sub-network)
MIN_TILE_M = 1000.0
_KEY = 1_000_003  # bucket key = column * _KEY + row


def _buckets(x: np.ndarray, y: np.ndarray, origin: tuple[float, float], side: float):
    """Column and row of each point in buckets of ``side`` metres."""
    return (
        np.floor((x - origin[0]) / side).astype(np.int64),
        np.floor((y - origin[1]) / side).astype(np.int64),
    )


def _keyed(ix: np.ndarray, iy: np.ndarray) -> dict[int, np.ndarray]:
    """Bucket key -> positions of the points in it."""
    if ix.size == 0:
        return {}
    keys = ix * _KEY + iy
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    ends = np.append(starts[1:], order.size)
    return {int(k): order[s:e] for k, s, e in zip(uniq, starts, ends, strict=True)}


@dataclass
class _Tiles:
    """Nodes in square buckets at least as wide as the straight-line reach, sources in
    tiles of ``per_tile`` x ``per_tile`` buckets: all that a tile's sources can reach in
    time lies in its buckets and one ring of buckets round them."""

    bucket: float
    per_tile: int
    origin: tuple[float, float]
    node_keys: dict[int, np.ndarray]
    #: tile (column, row) -> positions in ``sources``
    source_tiles: dict[tuple[int, int], np.ndarray]

    def around(self, index: dict[int, np.ndarray], tile: tuple[int, int]) -> np.ndarray:
        """What ``index`` (bucket key -> positions) holds in ``tile``'s reach."""
        m = self.per_tile
        parts = [
            index[k]
            for c in range(tile[0] * m - 1, tile[0] * m + m + 1)
            for r in range(tile[1] * m - 1, tile[1] * m + m + 1)
            if (k := c * _KEY + r) in index
        ]
        return np.concatenate(parts) if parts else np.empty(0, np.int64)


def reach_work(
    net: StreetNetwork, travel: str, sources: np.ndarray, limit_s: float
) -> tuple[int, _Tiles]:
    """The (source x sub-network node) entries :func:`reach_matrix` would fill for
    ``sources`` (nodes), counted before any search, and the tiling it uses."""
    sources = np.asarray(sources, np.int64)
    reach_m = limit_s * net.top_speeds[travel] * UTM_SLACK
    bucket = max(reach_m, 250.0)
    per_tile = max(1, int(MIN_TILE_M // bucket))
    origin = (float(net.x.min(initial=0.0)), float(net.y.min(initial=0.0)))
    usable = net.graphs[travel].usable
    nx, ny = _buckets(net.x[usable], net.y[usable], origin, bucket)
    node_keys = {k: usable[v] for k, v in _keyed(nx, ny).items()}
    sx, sy = _buckets(net.x[sources], net.y[sources], origin, bucket)
    tiles: dict[tuple[int, int], np.ndarray] = {}
    for key, members in _keyed(sx // per_tile, sy // per_tile).items():
        tiles[(key // _KEY, key % _KEY)] = members
    out = _Tiles(bucket, per_tile, origin, node_keys, tiles)
    sizes = {k: v.size for k, v in node_keys.items()}
    work = sum(
        members.size * int(sum(sizes[k] for k in _around_keys(out, t) if k in sizes))
        for t, members in tiles.items()
    )
    return work, out


def _around_keys(tiles: _Tiles, tile: tuple[int, int]):
    m = tiles.per_tile
    return (
        c * _KEY + r
        for c in range(tile[0] * m - 1, tile[0] * m + m + 1)
        for r in range(tile[1] * m - 1, tile[1] * m + m + 1)
    )


def reach_matrix(
    net: StreetNetwork,
    travel: str,
    sources: np.ndarray,
    source_s: np.ndarray,
    targets: np.ndarray,
    target_s: np.ndarray,
    limit_s: float,
    progress: Progress = _quiet,
    tiles: _Tiles | None = None,
):
    """Sparse 0/1 matrix (sources x targets): 1 where the trip from the target to the
    source takes at most ``limit_s`` seconds, access legs included (``target_s`` at the
    target's end, ``source_s`` at the source's). ``sources`` and ``targets`` are nodes of
    ``travel``'s graph. Each tile of sources searches (bounded Dijkstra on the reversed
    graph, scipy) only the sub-network its sources can reach in time."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    sources = np.asarray(sources, np.int64)
    targets = np.asarray(targets, np.int64)
    source_s = np.asarray(source_s, float)
    target_s = np.asarray(target_s, float)
    if tiles is None:
        _, tiles = reach_work(net, travel, sources, limit_s)
    tx, ty = _buckets(net.x[targets], net.y[targets], tiles.origin, tiles.bucket)
    target_keys = _keyed(tx, ty)
    rev = net.graphs[travel].reverse
    local = np.full(net.nodes, -1, dtype=np.int64)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    count = max(1, len(tiles.source_tiles))
    for done, (tile, members) in enumerate(tiles.source_tiles.items(), start=1):
        if done % 16 == 0:
            progress("reach", done / count)
        near_targets = tiles.around(target_keys, tile)
        if near_targets.size == 0:
            continue
        sub = tiles.around(tiles.node_keys, tile)
        local[sub] = np.arange(sub.size)
        pos, owner = _gather_rows(rev.indptr, sub)
        head = local[rev.indices[pos]]
        keep = head >= 0
        counts = np.bincount(owner[keep], minlength=sub.size)
        indptr = np.zeros(sub.size + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        graph = csr_matrix((rev.data[pos][keep], head[keep], indptr), shape=(sub.size, sub.size))
        t_local = local[targets[near_targets]]
        step = max(1, BATCH_ENTRIES // max(1, sub.size))
        for i in range(0, members.size, step):
            batch = members[i : i + step]
            dist = dijkstra(graph, directed=True, indices=local[sources[batch]], limit=limit_s)
            total = dist[:, t_local] + source_s[batch, None] + target_s[near_targets][None, :]
            r, c = np.nonzero(total <= limit_s)
            rows.append(batch[r])
            cols.append(near_targets[c])
        local[sub] = -1
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    matrix = csr_matrix((np.ones(r.size), (r, c)), shape=(sources.size, targets.size))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _gather_rows(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of ``rows``, and the row (index into ``rows``) of each."""
    starts, counts = indptr[rows], indptr[rows + 1] - indptr[rows]
    total = int(counts.sum())
    owner = np.repeat(np.arange(rows.size), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets, owner


# ---------------------------------------------------------------------- suggestions


def suggest_sites_by_time(
    grid: Grid,
    net: StreetNetwork,
    travel: str,
    minutes: float,
    n: int,
    times: CellTimes,
    weights: np.ndarray,
    cells: CellNodes,
    by_demand: bool,
    candidates: Sequence[tuple[float, float]] | None = None,
    progress: Progress = _quiet,
    param: str = "cell_m",
) -> SuggestResult:
    """``n`` new sites that bring the most uncovered demand (or area) within ``minutes``
    along ``travel``'s streets, keeping every existing facility.

    As :func:`~locator.operations.coverage.suggest_sites`: candidates every half of the
    straight-line equivalent radius (at least :data:`MIN_SPACING_M`) on the grid, or the
    given WGS-84 premises, each joined to the network; uncovered cells gathered in bins
    of a quarter of that radius (those on the network and those off it apart), each bin
    at its heaviest cell; "covers" decided along the network (:func:`reach_matrix`)
    between a candidate and a bin both on it, else by the straight-line estimate (within
    :func:`equivalent_radius_m`, as coverage does off the network); the choice by
    :func:`choose_sites`; the gains then measured on the grid's own cells. ``along`` says
    ``streets``, or ``mixed`` when the estimate took part. TooCostly (naming ``param``)
    when the searches would fill more than :data:`MAX_REACH_WORK` entries."""
    from locator.operations.coverage import MAX_SUGGEST

    if not 1 <= n <= MAX_SUGGEST:
        raise InvalidQuery("n", f"n must be an integer from 1 to {MAX_SUGGEST}, got {n}")
    limit_s = minutes * 60.0
    radius_m = equivalent_radius_m(minutes, travel)
    open_cells = (times.seconds > limit_s) & (weights > 0)
    progress("candidates", 0.3)
    if candidates:
        cx, cy = to_metric(
            np.array([c[0] for c in candidates]), np.array([c[1] for c in candidates]), grid.epsg
        )
    else:
        step = max(1, int(round(max(radius_m / 2, MIN_SPACING_M) / grid.cell_m)))
        ix = np.rint((grid.x - grid.x0) / grid.cell_m).astype(np.int64)
        iy = np.rint((grid.y - grid.y0) / grid.cell_m).astype(np.int64)
        keep = (ix % step == step // 2) & (iy % step == step // 2)
        cx, cy = grid.x[keep], grid.y[keep]
    cx, cy = np.asarray(cx, float), np.asarray(cy, float)
    snapped = net.snap(travel, cx, cy)
    # only candidates some uncovered cell could reach in time (a straight-line bound: the
    # network's top speed on it, the estimate's radius off it)
    reach_m = limit_s * net.top_speeds[travel] * UTM_SLACK
    bound = np.where(snapped.on_network, max(reach_m, radius_m), radius_m)
    if open_cells.any() and cx.size:
        from scipy.spatial import cKDTree

        gap, _ = cKDTree(np.column_stack([grid.x[open_cells], grid.y[open_cells]])).query(
            np.column_stack([cx, cy]), distance_upper_bound=float(bound.max())
        )
        near = gap <= bound
    else:
        near = np.zeros(cx.size, dtype=bool)
    cand = np.flatnonzero(near)
    cand_node = snapped.node[cand]
    cand_xy = np.column_stack([cx[cand], cy[cand]])
    # access seconds of the candidates on the network (0 off it: unused there)
    cand_s = np.asarray(
        net.access_s(travel, np.where(cand_node >= 0, snapped.access_m[cand], 0.0)), float
    )
    work, tiles = reach_work(net, travel, cand_node[cand_node >= 0], limit_s)
    if work > MAX_REACH_WORK:
        raise TooCostly(
            param,
            f"{param}: 候选站点沿道路的搜索过大(约 {work:,} 项，上限 {MAX_REACH_WORK:,})；"
            f"请换用更大的网格(cell_m) · the searches along the streets for the candidate "
            f"sites are too large (about {work:,} entries, at most {MAX_REACH_WORK:,}); "
            "ask with a larger cell_m (fewer candidates)",
        )
    factor = max(1, int(round(max(radius_m / 4, MIN_SPACING_M) / grid.cell_m)))
    on_cells = cells.node >= 0
    on_bins, on_w = _heaviest_in_bins(grid, open_cells & on_cells, weights, factor)
    off_bins, off_w = _heaviest_in_bins(grid, open_cells & ~on_cells, weights, factor)
    bin_cells = np.concatenate([on_bins, off_bins])
    bin_w = np.concatenate([on_w, off_w])
    reach = _Reach(net, travel, limit_s, radius_m, grid, cells)
    matrix = reach.matrix(cand_node, cand_s, cand_xy, bin_cells, progress, tiles)
    useful = np.nonzero(np.diff(matrix.indptr) > 0)[0]
    progress("greedy", 0.6)
    picked, method, value, bound_v = choose_sites(matrix[useful], bin_w, n)
    chosen = ranked(matrix, bin_w, [int(useful[i]) for i in picked])
    progress("gains", 0.8)
    solution = Solution(
        method, value, bound_v, int(useful.size), int(bin_w.size), float(factor * grid.cell_m)
    )
    # exact gains on the grid's cells, in the order chosen
    left = np.where(open_cells, weights, 0.0)
    open_idx = np.flatnonzero(open_cells)
    picks = [i for i, _ in chosen]
    exact = reach.matrix(cand_node[picks], cand_s[picks], cand_xy[picks], open_idx)
    px, py = cand_xy[picks, 0], cand_xy[picks, 1]
    town_index = _assign(grid.towns, px, py) if picks else np.empty(0)
    out = []
    for rank in range(1, len(picks) + 1):
        hit = open_idx[exact.indices[exact.indptr[rank - 1] : exact.indptr[rank]]]
        gain = float(left[hit].sum())
        left[hit] = 0.0
        x, y = float(px[rank - 1]), float(py[rank - 1])
        out.append(suggestion_at(grid, rank, x, y, int(town_index[rank - 1]), gain))
    progress("greedy", 1.0)
    covered = times.seconds <= limit_s
    before = float(weights[covered].sum())
    estimated = times.basis != NETWORK or bool(off_bins.size) or bool((cand_node < 0).any())
    return SuggestResult(
        tuple(out),
        "demand" if by_demand else "area",
        before,
        before + sum(x.gain for x in out),
        float(weights.sum()),
        solution,
        MIXED if estimated else "streets",
    )


@dataclass
class _Reach:
    """Which cells a candidate site reaches within ``limit_s``: along the network when
    both are on it, else by the straight-line estimate (``radius_m``, metric metres)."""

    net: StreetNetwork
    travel: str
    limit_s: float
    radius_m: float
    grid: Grid
    cells: CellNodes

    def matrix(
        self,
        cand_node: np.ndarray,
        cand_s: np.ndarray,
        cand_xy: np.ndarray,
        targets: np.ndarray,
        progress: Progress = _quiet,
        tiles: _Tiles | None = None,
    ):
        """Sparse 0/1 matrix (candidates x ``targets``, cell indices of the grid)."""
        from scipy.sparse import coo_matrix

        from locator.operations.coverage import covering_matrix

        targets = np.asarray(targets, np.int64)
        t_node = self.cells.node[targets]
        on_c, on_t = np.flatnonzero(cand_node >= 0), np.flatnonzero(t_node >= 0)
        off_c, off_t = np.flatnonzero(cand_node < 0), np.flatnonzero(t_node < 0)
        t_xy = np.column_stack([self.grid.x[targets], self.grid.y[targets]])
        rows, cols = [], []
        if on_c.size and on_t.size:
            along = reach_matrix(
                self.net,
                self.travel,
                cand_node[on_c],
                cand_s[on_c],
                t_node[on_t],
                self.cells.access_s[targets[on_t]],
                self.limit_s,
                progress,
                tiles,
            ).tocoo()
            rows.append(on_c[along.row])
            cols.append(on_t[along.col])
        for cs, ts in ((on_c, off_t), (off_c, np.arange(targets.size))):
            if cs.size and ts.size:
                straight = covering_matrix(cand_xy[cs], t_xy[ts], self.radius_m).tocoo()
                rows.append(cs[straight.row])
                cols.append(ts[straight.col])
        r = np.concatenate(rows) if rows else np.empty(0, np.int64)
        c = np.concatenate(cols) if cols else np.empty(0, np.int64)
        out = coo_matrix((np.ones(r.size), (r, c)), shape=(cand_node.size, targets.size)).tocsr()
        out.sum_duplicates()
        out.data[:] = 1.0
        return out


def _heaviest_in_bins(
    grid: Grid, mask: np.ndarray, weights: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    """The cells of ``mask`` gathered into square bins of ``factor`` x ``factor`` cells:
    each bin's heaviest cell (its place on the network) and the bin's summed weight."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return idx, np.empty(0)
    ix = np.rint((grid.x[idx] - grid.x0) / grid.cell_m).astype(np.int64) // factor
    iy = np.rint((grid.y[idx] - grid.y0) / grid.cell_m).astype(np.int64) // factor
    keys, inverse = np.unique(ix * 1_000_003 + iy, return_inverse=True)
    total = np.bincount(inverse, weights=weights[idx], minlength=keys.size)
    # heaviest first within each bin, then the first of each bin
    order = np.lexsort((-weights[idx], inverse))
    first = order[np.r_[0, np.flatnonzero(np.diff(inverse[order])) + 1]]
    return idx[first], total
