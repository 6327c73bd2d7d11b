"""The PostGIS half of the tests: a server, and databases made from data directories."""

from __future__ import annotations

import hashlib
import itertools
import os
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
    #: data directory fingerprint -> the template database loaded from it
    templates: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, url: str | None) -> PgServer:
        import os

        if url:
            return cls(url)
        from tests.pgcluster import ClusterError, memory_folder, postgis_installed, start_cluster

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
        cluster = start_cluster(parent=memory_folder())
        return cls(cluster.url, cluster)

    def url_of(self, name: str) -> str:
        return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", self.admin_url, count=1)

    def database(self, label: str, data_dir: Path | None = None) -> str:
        """A new database of its own (migrated; loaded from ``data_dir`` when given).

        Loading a data directory takes seconds, copying a database a fraction of one: the
        first database made from given contents is loaded and kept as a template, and every
        later one with the same contents (the same files, byte for byte) is a copy of it.
        """
        # the process in the name: two pytest-xdist workers may share one server
        # (LOCATOR_TEST_DATABASE_URL), and each counts from 0
        label = re.sub(r"[^a-z0-9]", "_", label.lower())[:30]
        name = f"t_{label}_{os.getpid()}_{next(_COUNTER)}"
        template = self._template(data_dir)
        self._admin(
            f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
        )
        self.made.append(name)
        return self.url_of(name)

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def _template(self, data_dir: Path | None) -> str:
        """The database that copies of ``data_dir``'s contents are made from."""
        key = _fingerprint(data_dir)
        if key in self.templates:
            return self.templates[key]
        import psycopg

        from locator.stores.postgis.db import Database
        from locator.stores.postgis.schema import migrate
        from locator.stores.postgis.sync import load_dir

        name = f"tpl_{key[:16]}_{os.getpid()}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
        self.made.append(name)
        url = self.url_of(name)
        with psycopg.connect(url) as conn:
            migrate(conn)
        if data_dir is not None:
            db = Database(url)
            load_dir(db, data_dir)
            db.close()  # a template takes no copies while anyone is connected to it
        self.templates[key] = name
        return name

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()  # type: ignore[attr-defined]
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fingerprint(data_dir: Path | None) -> str:
    """The SHA-256 of every file under ``data_dir``, with its path ("" for no directory)."""
    digest = hashlib.sha256()
    if data_dir is not None:
        for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(data_dir)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
