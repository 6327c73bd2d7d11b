"""The PostGIS store: a narrow :class:`~locator.stores.base.Store` over the database.

What a worker's phone asks runs in the database on every request: nearest (KNN on
``geography``), a feature by id, a page of a collection in a bounding box. Nearest ranks
candidates with the index's ``<->`` on ``geography`` (great-circle distance on the mean
sphere, R = 6,371,008.8 m) and measures each on the WGS-84 ellipsoid (pyproj's Geod, the
file store's own measure). On the ellipsoid a distance is at least 0.9944 of the sphere's
(the meridian's radius of curvature at the equator, 6,335,439 m, over R), so once the k-th
best measured distance is within 0.994 × the sphere distance of the last candidate read,
no row not yet read can come nearer: the answer is exact, or the query reads more. The
same operator on ``geometry`` in degrees would rank by degrees and pick the wrong
nearest; it is never used.

Whole-collection analysis (the planner's coverage, the overview map, the offline pack,
routes, CQL2 search) works on a snapshot of one data version loaded into memory by the
file store's own code from the rows of one database snapshot (no files in between): built
when the store opens for data up to ``EAGER_FEATURES`` features, on first use above that
(a national layer of a million points never loads into an app server that only answers
phones).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
from typing import Any

import psycopg

from locator.operations.hours import Calendar, HolidaySchedule
from locator.operations.nearest import (
    Nearby,
    NearestQuery,
    arrival_keeps,
    hours_on_arrival,
    nearby,
)
from locator.operations.network import NETWORK_FILE, StreetNetwork
from locator.operations.service_area import ServiceArea, service_area
from locator.stores.base import BBox, Page, Reference, checked_info
from locator.stores.files.read import (
    build_geodata,
    facility_from_feature,
    feature_from_doc,
    holidays_from_bytes,
    network_of,
    reference_context,
    references_from,
)
from locator.stores.files.store import Catalog, catalog_of
from locator.stores.postgis.db import Database, translated
from locator.stores.postgis.sync import Rows, read_rows
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE, CityProfile
from locator.values.errors import FacilityNotFound, FeatureNotFound, StoreUnavailable
from locator.values.geo.distance import geod
from locator.values.models import (
    CollectionInfo,
    District,
    Facility,
    Feature,
    Point,
    Town,
)

#: below this many features in all, a store loads its analysis snapshot when it opens
EAGER_FEATURES = 200_000
#: the least ratio of ellipsoidal to spherical distance (6,335,439 / 6,371,008.8 = 0.99442)
ELLIPSOID_OVER_SPHERE = 0.994


def _catalog(got: Rows) -> Catalog:
    """The file store's catalog of rows read from the database, checked by the file
    store's own code (a DataError names the collection, the feature and the problem)."""
    return catalog_of(
        build_geodata(
            got.source(),
            got.holidays,
            documents=got.documents,
            city=got.documents.get(CITY_PROFILE_FILE),
        )
    )


def _info(raw: dict[str, Any]) -> CollectionInfo:
    raw = dict(raw)
    raw["sources"] = tuple(raw.get("sources") or ())
    raw["bbox"] = tuple(raw["bbox"]) if raw.get("bbox") else None
    return CollectionInfo(**raw)


def _array(words) -> str:
    """A PostgreSQL text[] literal of checked words (ids, amenity terms: no quotes,
    commas or braces; the registry and the query's own checks see to that)."""
    assert all(w and w.replace("_", "").replace("-", "").isalnum() for w in words), words
    return "{" + ",".join(words) + "}"


def _point(p: Point) -> str:
    return f"SRID=4326;POINT({p.lon!r} {p.lat!r})"


class PostgisStore:
    """The database at one data version (a new version gets a new store)."""

    def __init__(
        self,
        db: Database,
        version: str,
        infos: dict[str, CollectionInfo],
        districts: dict[str, District],
        towns: dict[str, Town],
        area: ServiceArea,
        holidays: HolidaySchedule,
        total: int,
        city: CityProfile,
        network: StreetNetwork | None = None,
    ):
        self.db = db
        self.city = city
        self._version = version
        self.infos = infos
        self._districts = districts
        self._towns = towns
        self.service_area = area
        self.holidays = holidays
        self.calendar = Calendar(holidays)
        self.total = total
        self._snap: Catalog | None = None
        self._snap_lock = threading.Lock()
        self._reference = Reference(districts, towns, area, self.calendar, city, network)

    @property
    def reference(self) -> Reference:
        return self._reference

    @property
    def districts(self) -> dict[str, District]:
        return self._districts

    @property
    def towns(self) -> dict[str, Town]:
        return self._towns

    @classmethod
    def open(cls, db: Database) -> PostgisStore:
        """Read the current version's summaries and reference data, and (up to
        EAGER_FEATURES features) the analysis snapshot, all from one database snapshot."""
        with translated(db), db.connect() as conn:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                rows = conn.execute("SELECT id, info FROM locator.collection").fetchall()
                total = sum(int(r[1].get("count") or 0) for r in rows)
                refs_only = (
                    None
                    if total <= EAGER_FEATURES
                    else {
                        d.id
                        for d in registry.BY_ID.values()
                        if not d.is_facility and not d.is_route
                    }
                )
                got = read_rows(conn, only=refs_only)
        snap = None
        if refs_only is None:
            snap = _catalog(got)
            districts, towns = snap.geodata.districts, snap.geodata.towns
            city = snap.geodata.city
            holidays = snap.geodata.holidays
            assert snap.geodata.profile is not None  # build_geodata always reads it
            profile = snap.geodata.profile
            network = snap.geodata.network
        else:
            profile = got.city()
            refs = references_from(got.source(), profile, routes=False)
            districts, towns, _ = reference_context(refs, profile)
            city = refs[registry.CITY.id].shapes[0]
            hol = got.holidays()
            holidays = holidays_from_bytes(*hol) if hol is not None else HolidaySchedule({})
            body = got.documents.get(NETWORK_FILE)
            network = (
                network_of(body, hashlib.sha256(body).hexdigest(), profile)
                if body is not None
                else None
            )
        order = list(registry.BY_ID)
        infos = {
            cid: _info(info)
            for cid, info in sorted(
                rows, key=lambda r: order.index(r[0]) if r[0] in order else len(order)
            )
            if cid in registry.BY_ID
        }
        store = cls(
            db,
            got.version,
            infos,
            districts,
            towns,
            service_area(city),
            holidays,
            total,
            profile,
            network,
        )
        store._snap = snap
        return store

    # ------------------------------------------------------------------ the snapshot

    def snapshot(self) -> Catalog:
        """This version's data in memory, for whole-collection analysis (built on first
        use for a large database), straight from the rows of one database snapshot. If
        the database has moved on meanwhile, the answer is "try again": the holder swaps
        to the new version within seconds, and an answer cached under this version must
        hold this version's data."""
        with self._snap_lock:
            if self._snap is None:
                with translated(self.db), self.db.connect() as conn:
                    conn.read_only = True
                    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                    with conn.transaction():
                        got = read_rows(conn)
                if got.version != self._version:
                    raise StoreUnavailable(
                        f"data version {self._version} was replaced "
                        f"by {got.version} while it was being read"
                    )
                self._snap = _catalog(got)
            return self._snap

    # ------------------------------------------------------------------ Store

    @property
    def version(self) -> str:
        return self._version

    def _item(self, collection: str, doc: dict[str, Any]) -> Facility | Feature:
        decl = registry.BY_ID[collection]
        if decl.is_facility:
            return facility_from_feature(collection, doc)
        return feature_from_doc(decl, doc)

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        if collection_id is not None:
            checked_info(self.infos, collection_id)
        wanted = (
            [collection_id]
            if collection_id is not None
            else [i.id for i in self.infos.values() if i.role == "facility"]
        )
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT collection, doc FROM locator.feature WHERE fid = %s "
                "AND collection = ANY(%s) LIMIT 1",
                (feature_id, wanted),
            ).fetchone()
        if row is None:
            if collection_id is None:
                raise FacilityNotFound(feature_id)
            raise FeatureNotFound(feature_id, collection_id)
        return self._item(row[0], row[1])

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        checked_info(self.infos, collection_id)
        where = "collection = %s"
        args: list[Any] = [collection_id]
        if bbox is not None:
            west, south, east, north = bbox
            boxes = (
                [(west, south, east, north)]
                if west <= east
                else [(west, south, 180.0, north), (-180.0, south, east, north)]
            )
            where += (
                " AND ("
                + " OR ".join(
                    # the envelope of the diagonal: a box, or a line or point when the box
                    # has no width or height (ST_MakeEnvelope would make an invalid polygon)
                    "ST_Intersects(geog::geometry, ST_Envelope(ST_SetSRID(ST_MakeLine("
                    "ST_MakePoint(%s, %s), ST_MakePoint(%s, %s)), 4326)))"
                    for _ in boxes
                )
                + ")"
            )
            args += [c for box in boxes for c in box]
        with self.db.connection() as conn, conn.transaction():
            # one transaction, repeatable read: the count and the page are one version
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            matched = conn.execute(
                f"SELECT count(*) FROM locator.feature WHERE {where}", args
            ).fetchone()[0]  # type: ignore[index]
            rows = conn.execute(
                f"SELECT doc FROM locator.feature WHERE {where} ORDER BY seq LIMIT %s OFFSET %s",
                [*args, limit, offset],
            ).fetchall()
        return Page(int(matched), offset, tuple(self._item(collection_id, r[0]) for r in rows))

    def nearest(
        self, query: NearestQuery, now: dt.datetime, per_layer: bool = False
    ) -> list[Nearby]:
        if not per_layer:
            with self.db.connection() as conn:
                return self._nearest(conn, query, query.layers, now)
        results: list[Nearby] = []
        with self.db.connection() as conn, conn.transaction():
            # one snapshot for every layer: an import meanwhile is seen whole or not at all
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for layer in query.layers:
                results += self._nearest(conn, query, (layer,), now)
        return results

    # ------------------------------------------------------------------ nearest

    def _nearest(
        self, conn: psycopg.Connection, q: NearestQuery, layers: tuple[str, ...], now: dt.datetime
    ) -> list[Nearby]:
        """k nearest over ``layers``, exact on the ellipsoid, ties by id (as the file
        store ranks).

        Candidates come in KNN order with their coordinates (and, to filter, their opening
        hours); the feature documents, the costly part to send and parse, come with the
        first small read only, and for a candidate picked from a wider read, in a second
        statement."""
        at = q.at or now
        bound = q.max_distance_m if q.max_distance_m is not None else math.inf
        # lists go as array literals: adapting a Python list costs more than the rest of
        # the parameters together, and layer ids and amenity terms are checked words
        where = [
            "collection = %(layer)s"
            if len(layers) == 1
            else "facility AND collection = ANY(%(layers)s::text[])"
        ]
        args: dict[str, Any] = {"p": _point(q.point)}
        if len(layers) == 1:
            args["layer"] = layers[0]
        else:
            args["layers"] = _array(layers)
        if q.amenities:
            where.append("amenities @> %(amenities)s::text[]")
            args["amenities"] = _array(sorted(q.amenities))
        if math.isfinite(bound):
            # the sphere may say up to 0.6 % more than the ellipsoid: widen, then measure
            where.append("ST_DWithin(geog, %(p)s::geography, %(reach)s, false)")
            args["reach"] = bound / ELLIPSOID_OVER_SPHERE
        # the hours are read in the database only when they filter (json is parsed there)
        hours = "doc->'properties'->>'opening_hours'" if q.open_on_arrival else "NULL::text"
        sql = (
            "SELECT collection, fid, ST_X(geog::geometry), ST_Y(geog::geometry), "
            f"geog <-> %(p)s::geography, {hours}, {{doc}} FROM locator.feature "
            f"WHERE {' AND '.join(where)} ORDER BY geog <-> %(p)s::geography LIMIT %(n)s"
        )
        inv = geod().inv
        calendar = self.calendar
        lon0, lat0 = q.point.lon, q.point.lat
        n = q.k + 2 if not q.open_on_arrival else max(4 * q.k, 32)
        first = True
        while True:
            args["n"] = n
            # the first, small read brings the documents; a wider one (a far point, a
            # strict filter) only positions and hours, the documents picked come after
            rows = conn.execute(sql.format(doc="doc" if first else "NULL::json"), args).fetchall()
            first = False
            measured = []
            for collection, fid, lon, lat, _sphere, hours, doc in rows:
                az, _, d = inv(lon0, lat0, lon, lat)
                if d <= bound:
                    measured.append((d, fid, az % 360.0, collection, hours, doc))
            measured.sort(key=lambda r: (r[0], r[1]))
            picked = []
            for row in measured:
                if not q.open_on_arrival or arrival_keeps(
                    hours_on_arrival(row[4], row[0], q, at, calendar), q
                ):
                    picked.append(row)
                    if len(picked) == q.k:
                        break
            exhausted = len(rows) < n
            reach = rows[-1][4] * ELLIPSOID_OVER_SPHERE if rows else 0.0
            if exhausted or (len(picked) == q.k and picked[-1][0] <= reach):
                break
            n *= 4
        docs = {(r[3], r[1]): r[5] for r in picked if r[5] is not None}
        missing = [(r[3], r[1]) for r in picked if r[5] is None]
        if missing:
            docs.update(
                {
                    (c, f): doc
                    for c, f, doc in conn.execute(
                        "SELECT collection, fid, doc FROM locator.feature"
                        " WHERE (collection, fid) IN"
                        " (SELECT * FROM unnest(%s::text[], %s::text[]))",
                        ([c for c, _ in missing], [f for _, f in missing]),
                    ).fetchall()
                }
            )
        return [
            nearby(facility_from_feature(c, docs[(c, fid)]), d, az, q, at, calendar)
            for d, fid, az, c, _h, _doc in picked
        ]
