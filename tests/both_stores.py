"""The PostGIS half of the tests: a server, and databases made from data directories."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: a test module runs against both stores with ``STORES = BOTH_STORES``
BOTH_STORES = ("files", "postgis")

_COUNTER = itertools.count()


@dataclass
class PgServer:
    admin_url: str
    cluster: object | None = None
    made: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, url: str | None) -> PgServer:
        import os

        if url:
            return cls(url)
        from tests.pgcluster import ClusterError, postgis_installed, start_cluster

        why = None
        try:
            if not postgis_installed():
                why = "PostGIS is not installed (Debian: postgresql-postgis)"
        except ClusterError as exc:
            why = str(exc)
        if why:
            if os.environ.get("LOCATOR_SKIP_POSTGIS") == "1":
                pytest.skip(f"PostGIS half skipped on request: {why}")
            pytest.fail(
                f"the PostGIS tests need PostgreSQL and PostGIS: {why}. `make test` "
                "installs them (set LOCATOR_SKIP_POSTGIS=1 to skip on purpose)",
                pytrace=False,
            )
        cluster = start_cluster()
        return cls(cluster.url, cluster)

    def url_of(self, name: str) -> str:
        return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", self.admin_url, count=1)

    def database(self, label: str, data_dir: Path | None = None) -> str:
        """A new, empty database (migrated; loaded from ``data_dir`` when given)."""
        import psycopg

        from locator.stores.postgis.db import Database
        from locator.stores.postgis.schema import migrate
        from locator.stores.postgis.sync import load_dir

        name = f"t_{re.sub(r'[^a-z0-9]', '_', label.lower())[:40]}_{next(_COUNTER)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        url = self.url_of(name)
        with psycopg.connect(url) as conn:
            migrate(conn)
        if data_dir is not None:
            db = Database(url)
            load_dir(db, data_dir)
            db.close()
        return url

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()  # type: ignore[attr-defined]
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
