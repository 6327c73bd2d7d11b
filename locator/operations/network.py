"""Street networks: travel along real streets, from an OpenStreetMap extract.

A :class:`StreetNetwork` holds the nodes of a city's ways (WGS-84 degrees and the city's
metric projection, metres) and one directed graph per way of travel (``walk``, ``ebike``,
``drive``) in compressed sparse row form: the edges leaving node ``u`` are
``indptr[u]:indptr[u + 1]``, each with its head node, its length along the way (metres on
the ellipsoid) and its travel time (seconds, at the speed that way of travel has on that
kind of way). Every node of every way is kept, so a path's nodes are its geometry.

Shortest paths are scipy's (``scipy.sparse.csgraph.dijkstra``: one source with a time limit
for a rider, many sources in one pass for a planner). A point joins the network at the
nearest node of its way of travel's largest strongly connected component (from each of its
nodes every other can be reached: a gated estate's paths, a fragment the extract's edge cut
off or the far end of a one-way stub would strand a rider, a facility or a route stop),
within :data:`SNAP_MAX_M`; that access leg is a
straight line at the mode's access speed (:data:`ACCESS_M_PER_S`), which never exceeds
the mode's top speed, so a network time is never below the straight line at the top speed
(:meth:`StreetNetwork.lower_bound_s`): the bound that makes re-ranking exact.

The file form (:mod:`locator.formats.network`) is one uncompressed ``.npz``
(:data:`NETWORK_FILE`), written by ``locator build-network``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from locator.values.errors import DataError

#: the file of a data directory (and the PostGIS store's document) holding its network
NETWORK_FILE = "network.npz"

WALK, EBIKE, DRIVE = "walk", "ebike", "drive"
MODES = (WALK, EBIKE, DRIVE)

#: a point further than this from every node its way of travel can use is off the network:
#: its answers fall back to the straight-line estimate, and say so
SNAP_MAX_M = 1000.0
#: the speed of the straight leg between a point and its network node, metres a second:
#: walking for walkers, riding slowly for e-bikes, and for drivers a slow crawl
ACCESS_M_PER_S = {WALK: 4.5 / 3.6, EBIKE: 10.0 / 3.6, DRIVE: 10.0 / 3.6}

ODBL_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


@dataclass(frozen=True)
class NetworkInfo:
    """Where a network came from, and what it holds (kept in the file as JSON)."""

    source: str  # the extract's file name
    source_sha256: str
    source_timestamp: str | None  # the extract's own date (OSM header), ISO 8601, or None
    built_at: str  # ISO 8601 UTC
    city_code: str
    metric_epsg: int
    #: the area kept: (west, south, east, north), WGS-84 degrees
    clip: tuple[float, float, float, float]
    #: share of the city's area the extract covers (0..1), as measured when built
    city_covered: float
    #: way of travel -> OSM ``highway`` value -> km/h (what the times assume)
    speeds: dict[str, dict[str, float]]
    licence: str = "ODbL-1.0"
    attribution: str = ODBL_ATTRIBUTION
    #: True for a network made by test code, not from OpenStreetMap (labelled as such)
    fixture: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def about(self) -> dict[str, Any]:
        """What an answer says of the network it was measured on (JSON-ready)."""
        return {
            "source": self.source,
            "source_timestamp": self.source_timestamp,
            "built_at": self.built_at,
            "licence": self.licence,
            "attribution": self.attribution,
            "fixture": self.fixture,
            "city_covered": self.city_covered,
        }


@dataclass(frozen=True)
class ModeGraph:
    """One way of travel's directed graph, CSR over the network's nodes."""

    indptr: np.ndarray = field(repr=False)  # int64 (n + 1,)
    indices: np.ndarray = field(repr=False)  # int32 (m,): head node of each edge
    length_m: np.ndarray = field(repr=False)  # float32 (m,): metres along the way
    time_s: np.ndarray = field(repr=False)  # float32 (m,): seconds for this way of travel

    @property
    def edges(self) -> int:
        return int(self.indices.size)

    @cached_property
    def forward(self) -> Any:
        """The graph weighted by time, as scipy's ``csr_matrix`` (made once)."""
        from scipy.sparse import csr_matrix

        n = self.indptr.size - 1
        # float64 weights: scipy converts to them on every call otherwise
        return csr_matrix((self.time_s.astype(np.float64), self.indices, self.indptr), shape=(n, n))

    @cached_property
    def reverse(self) -> Any:
        """The graph with every edge turned round (towards a place, from many at once)."""
        return self.forward.T.tocsr()

    @cached_property
    def usable(self) -> np.ndarray:
        """Node positions this way of travel can use (an edge leaves or arrives)."""
        n = self.indptr.size - 1
        used = np.zeros(n, dtype=bool)
        used[np.diff(self.indptr) > 0] = True
        used[self.indices] = True
        return np.flatnonzero(used)

    def edge_between(self, u: int, v: int) -> int:
        """The position of the quickest edge from ``u`` to ``v`` (-1 if none)."""
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        heads = self.indices[lo:hi]
        hits = np.flatnonzero(heads == v)
        if hits.size == 0:
            return -1
        return lo + int(hits[np.argmin(self.time_s[lo + hits])])


@dataclass(frozen=True)
class Snapped:
    """Points joined to one way of travel's graph: the node (-1: off the network) and the
    straight access leg to it, metres."""

    node: np.ndarray  # int64 (k,)
    access_m: np.ndarray  # float64 (k,)

    @property
    def on_network(self) -> np.ndarray:
        return self.node >= 0


@dataclass(frozen=True)
class Path:
    """A shortest path: its node positions (its geometry), metres and seconds along it
    (access legs not included)."""

    nodes: np.ndarray
    length_m: float
    time_s: float


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """A city's street network (see the module docstring)."""

    info: NetworkInfo
    lon: np.ndarray = field(repr=False)  # float64 (n,), WGS-84 degrees
    lat: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)  # float64 (n,), metres in info.metric_epsg
    y: np.ndarray = field(repr=False)
    graphs: dict[str, ModeGraph] = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _trees: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def nodes(self) -> int:
        return int(self.lon.size)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_edges(
        cls,
        info: NetworkInfo,
        lon: np.ndarray,
        lat: np.ndarray,
        x: np.ndarray,
        y: np.ndarray,
        edges: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    ) -> StreetNetwork:
        """A network from its nodes and, per way of travel, its directed edges as
        ``(tail, head, length_m, time_s)`` arrays (node positions; any order)."""
        n = int(np.asarray(lon).size)
        graphs = {}
        for mode in MODES:
            none = np.zeros(0)
            tail, head, length, time = (
                np.asarray(a) for a in edges.get(mode, (none, none, none, none))
            )
            order = np.argsort(tail, kind="stable")
            counts = np.bincount(tail[order].astype(np.int64), minlength=n)
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(counts, out=indptr[1:])
            graphs[mode] = ModeGraph(
                indptr,
                head[order].astype(np.int32),
                length[order].astype(np.float32),
                time[order].astype(np.float32),
            )
        net = cls(
            info,
            np.asarray(lon, dtype=np.float64),
            np.asarray(lat, dtype=np.float64),
            np.asarray(x, dtype=np.float64),
            np.asarray(y, dtype=np.float64),
            graphs,
        )
        net.check(info.source)
        return net

    def check(self, name: str) -> None:
        """DataError unless the arrays make a well-formed network."""
        n = self.nodes
        for arr in (self.lat, self.x, self.y):
            if arr.shape != (n,):
                raise DataError(name, "node arrays differ in length")
        if n and not (np.isfinite(self.lon).all() and np.isfinite(self.lat).all()):
            raise DataError(name, "a node has no finite coordinates")
        for mode, g in self.graphs.items():
            m = g.indices.size
            if g.indptr.shape != (n + 1,) or g.indptr[0] != 0 or g.indptr[-1] != m:
                raise DataError(name, f"{mode}: edge offsets do not match the edges")
            if np.any(np.diff(g.indptr) < 0):
                raise DataError(name, f"{mode}: edge offsets go backwards")
            if g.length_m.shape != (m,) or g.time_s.shape != (m,):
                raise DataError(name, f"{mode}: edge arrays differ in length")
            if m and (g.indices.min() < 0 or g.indices.max() >= n):
                raise DataError(name, f"{mode}: an edge leads to a node that does not exist")
            for arr, what in ((g.length_m, "length"), (g.time_s, "time")):
                if m and not (np.isfinite(arr).all() and (arr >= 0).all()):
                    raise DataError(name, f"{mode}: an edge has a negative or no {what}")

    # ------------------------------------------------------------------ questions

    def joinable(self, mode: str) -> tuple[Any, np.ndarray]:
        """The nodes a point may join by ``mode`` (those of the graph's largest strongly
        connected component) and a KD-tree over their metric coordinates (None when
        there are none); made once (scipy, tens of milliseconds for 500,000 edges)."""
        with self._lock:
            found = self._trees.get(mode)
            if found is None:
                from scipy.sparse.csgraph import connected_components
                from scipy.spatial import cKDTree

                usable = self.graphs[mode].usable
                tree = None
                if usable.size:
                    _, labels = connected_components(
                        self.graphs[mode].forward, directed=True, connection="strong"
                    )
                    big = int(np.bincount(labels[usable]).argmax())
                    usable = usable[labels[usable] == big]
                    tree = cKDTree(np.column_stack([self.x[usable], self.y[usable]]))
                found = self._trees[mode] = (tree, usable)
        return found

    def snap(self, mode: str, x: Any, y: Any, max_m: float = SNAP_MAX_M) -> Snapped:
        """Join points (metres in ``info.metric_epsg``) to the nearest node they may join
        by ``mode`` (:meth:`joinable`), at most ``max_m`` away; beyond it the node is -1
        (off the network)."""
        xs, ys = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
        tree, usable = self.joinable(mode)
        if tree is None:
            return Snapped(np.full(xs.size, -1, np.int64), np.full(xs.size, np.inf))
        dist, pos = tree.query(np.column_stack([xs, ys]), k=1, distance_upper_bound=max_m)
        near = np.isfinite(dist)
        node = np.full(xs.size, -1, dtype=np.int64)
        node[near] = usable[pos[near]]
        return Snapped(node, np.where(near, dist, np.inf))

    def access_s(self, mode: str, access_m: Any) -> Any:
        """Seconds for the straight access leg of ``access_m`` metres."""
        return np.asarray(access_m) / ACCESS_M_PER_S[mode]

    def top_speed_m_s(self, mode: str) -> float:
        """The fastest any edge or access leg of ``mode`` goes, metres a second."""
        g = self.graphs[mode]
        ok = g.time_s > 0
        fastest = float(np.max(g.length_m[ok] / g.time_s[ok])) if ok.any() else 0.0
        return max(fastest, ACCESS_M_PER_S[mode])

    def lower_bound_s(self, mode: str, straight_m: float) -> float:
        """No trip of ``straight_m`` straight-line metres takes less (seconds)."""
        return straight_m / self.top_speeds[mode]

    @cached_property
    def top_speeds(self) -> dict[str, float]:
        return {mode: self.top_speed_m_s(mode) for mode in MODES}

    def times_from(
        self, mode: str, node: int, limit_s: float = math.inf, predecessors: bool = False
    ) -> Any:
        """Seconds from ``node`` to every node by ``mode`` (inf beyond ``limit_s`` or
        unreachable); with ``predecessors`` also scipy's predecessor array."""
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(
            self.graphs[mode].forward,
            directed=True,
            indices=int(node),
            limit=limit_s,
            return_predecessors=predecessors,
        )

    def times_to_nearest(self, mode: str, nodes: Any, limit_s: float = math.inf) -> np.ndarray:
        """Seconds from every node to the nearest of ``nodes`` by ``mode`` (inf beyond
        ``limit_s``): one multi-source pass over the reversed graph."""
        from scipy.sparse.csgraph import dijkstra

        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        if nodes.size == 0:
            return np.full(self.nodes, np.inf)
        return dijkstra(
            self.graphs[mode].reverse, directed=True, indices=nodes, limit=limit_s, min_only=True
        )

    def path(self, mode: str, predecessors: np.ndarray, target: int) -> Path | None:
        """The path to ``target`` from the source of ``predecessors`` (None: unreached)."""
        g = self.graphs[mode]
        nodes = [int(target)]
        while True:
            prev = int(predecessors[nodes[-1]])
            if prev < 0:
                break
            nodes.append(prev)
        nodes.reverse()
        length = time = 0.0
        for u, v in zip(nodes, nodes[1:], strict=False):
            e = g.edge_between(u, v)
            length += float(g.length_m[e])
            time += float(g.time_s[e])
        return Path(np.asarray(nodes, dtype=np.int64), length, time)

    def route(self, mode: str, source: int, target: int, limit_s: float = math.inf) -> Path | None:
        """The quickest path from node ``source`` to node ``target`` (None: none within
        ``limit_s``)."""
        dist, pred = self.times_from(mode, source, limit_s, predecessors=True)
        if source != target and not np.isfinite(dist[target]):
            return None
        return self.path(mode, pred, target)
