"""The database schema, changed only by numbered migrations.

Each migration runs once, in its own transaction, recorded in ``locator.schema_migrations``;
``locator db init`` applies those not yet applied (two app servers starting at once queue
on an advisory lock). Never edit a migration that has shipped: add the next number.

Layout (schema ``locator``):

- ``collection``: one row per collection present, with its GeoJSON members other than the
  features, the SHA-256 of its canonical file text (its version) and its summary;
- ``feature``: one row per feature, in file order (``seq``), with the feature as JSON text
  (key order kept: a dump gives the file back byte for byte), its ``geography`` (points,
  lines and polygons, WGS-84) and its amenity terms. GiST indexes: ``(collection, geog)``
  for nearest per layer (btree_gist), ``geog`` of facilities only for nearest over
  several layers (a city polygon in the same index would be measured too),
  ``geog::geometry`` for bounding-box paging (a bbox is a box in degrees, not on the
  sphere);
- ``document``: the other files of a data directory (holidays.json, demand CSVs);
- ``state``: the data version every app server polls;
- ``history`` and ``import_log``: kept versions of replaced layers and the import log
  (:mod:`locator.importer.history`, written through a working copy);
- ``staged``: uploads waiting for an administrator's confirmation (any app server may get
  the confirming request);
- ``admin_session``: the admin session epoch (one row): a sign-out on any app server
  revokes every session issued before (:mod:`locator.stores.postgis.sessions`);
- ``reports`` and ``report_secret``: reports from the street and the key of their daily
  client hash (:mod:`locator.stores.postgis.reports`).
"""

from __future__ import annotations

from typing import Any

#: (number, what it does, SQL)
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "collections, features with geography and GiST indexes, version, history",
        """
CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE TABLE locator.collection (
    id text PRIMARY KEY,
    members json NOT NULL,  -- json, not jsonb: the members keep their order
    digest text NOT NULL,
    info jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE locator.feature (
    collection text NOT NULL REFERENCES locator.collection (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    fid text NOT NULL,
    doc json NOT NULL,
    geog geography NOT NULL,
    amenities text[] NOT NULL DEFAULT '{}',
    facility boolean NOT NULL DEFAULT false,
    PRIMARY KEY (collection, seq)
);
CREATE INDEX feature_layer_geog ON locator.feature USING gist (collection, geog);
CREATE INDEX feature_facility_geog ON locator.feature USING gist (geog) WHERE facility;
CREATE INDEX feature_box ON locator.feature USING gist ((geog::geometry));
CREATE UNIQUE INDEX feature_fid ON locator.feature (collection, fid);
CREATE INDEX feature_fid_any ON locator.feature (fid);
CREATE TABLE locator.document (
    name text PRIMARY KEY,
    body bytea NOT NULL
);
CREATE TABLE locator.state (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE locator.history (
    layer text NOT NULL,
    version_id text NOT NULL,
    kept_ns bigint NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (layer, version_id)
);
CREATE TABLE locator.import_log (
    n bigserial PRIMARY KEY,
    line text NOT NULL
);
CREATE TABLE locator.staged (
    token text PRIMARY KEY,
    meta jsonb NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
""",
    ),
    (
        2,
        "the admin session epoch: signing out revokes sessions on every app server",
        """
CREATE TABLE locator.admin_session (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch text NOT NULL,
    renewed_at timestamptz NOT NULL DEFAULT now()
);
""",
    ),
    (
        3,
        "reports from the street, and the key of their daily client hash",
        """
CREATE TABLE locator.reports (
    n bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    kind text NOT NULL,
    client_id text NOT NULL UNIQUE,
    client_key text NOT NULL,
    received_at timestamptz NOT NULL,
    facility_id text,
    layer text,
    lon double precision,
    lat double precision,
    fields jsonb NOT NULL DEFAULT '{}',
    text text,
    work text,
    status text NOT NULL DEFAULT 'received',
    decided_at timestamptz,
    decision_note text,
    merged_into text
);
CREATE INDEX reports_client ON locator.reports (client_key, received_at);
CREATE INDEX reports_status ON locator.reports (status, n);
CREATE INDEX reports_facility ON locator.reports (facility_id, n);
CREATE TABLE locator.report_secret (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    secret bytea NOT NULL
);
""",
    ),
]

#: the advisory lock every writer takes (migrations, loads, imports): one at a time
WRITE_LOCK = 0x6C6F6361  # "loca"


def migrate(conn: Any) -> list[int]:
    """Apply the migrations not yet applied; the numbers applied now (idempotent)."""
    applied_now = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        conn.execute("CREATE SCHEMA IF NOT EXISTS locator")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS locator.schema_migrations ("
            "number integer PRIMARY KEY, description text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT number FROM locator.schema_migrations")}
        for number, description, sql in MIGRATIONS:
            if number in done:
                continue
            conn.execute(sql)
            conn.execute(
                "INSERT INTO locator.schema_migrations (number, description) VALUES (%s, %s)",
                (number, description),
            )
            applied_now.append(number)
    return applied_now


def pending(conn: Any) -> list[int]:
    """Migration numbers not applied yet (all of them on an empty database)."""
    exists = conn.execute("SELECT to_regclass('locator.schema_migrations')").fetchone()[0]
    if exists is None:
        return [n for n, _, _ in MIGRATIONS]
    done = {r[0] for r in conn.execute("SELECT number FROM locator.schema_migrations")}
    return [n for n, _, _ in MIGRATIONS if n not in done]
