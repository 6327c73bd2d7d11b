"""Connections to the database, one pool per process.

The pool is made on first use in the process that uses it, so app servers that fork
(gunicorn) never share a connection. Every query the read path makes is one statement,
which PostgreSQL answers from one snapshot: an import committed meanwhile is seen whole
or not at all.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from ..errors import ConfigError, LocatorError
from .schema import pending

# feature documents are JSON text; orjson reads them several times faster
set_json_loads(orjson.loads)


class DatabaseError(LocatorError):
    """The database could not be reached or is not ready (message says what to run)."""


def check_url(url: str) -> str:
    if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("DATABASE_URL must start with postgresql://, got "
                          f"{str(url).split('@')[-1]!r}")
    return url


_SHARED: dict[str, Database] = {}
_SHARED_LOCK = threading.Lock()


def database(url: str) -> Database:
    """The one Database (and so one pool) of this process for ``url``."""
    with _SHARED_LOCK:
        found = _SHARED.get(url)
        if found is None:
            found = _SHARED[url] = Database(url)
        return found


class Database:
    """Where the data lives: a URL, and a connection pool made per process on first use
    (get it through :func:`database`, so a process keeps one pool per URL)."""

    def __init__(self, url: str, max_size: int = 8):
        self.url = check_url(url)
        self.max_size = max_size
        self._pool: ConnectionPool | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never print a password
        return f"Database({self.url.split('@')[-1]!r})"

    def pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(self.url, min_size=1, max_size=self.max_size,
                                            open=True, timeout=30,
                                            kwargs={"autocommit": True})
                self._pid = os.getpid()
            return self._pool

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection in autocommit mode (one statement, one snapshot)."""
        try:
            with self.pool().connection() as conn:
                yield conn
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"database: {exc}".strip()) from None

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A connection of its own (writers: one transaction from checks to commit)."""
        try:
            return psycopg.connect(self.url, **kwargs)
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"database: {exc}".strip()) from None

    def close(self) -> None:
        with self._lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None

    def version(self) -> str:
        """The data version (changes with every load, import or rollback)."""
        with self.connection() as conn:
            row = conn.execute("SELECT version FROM locator.state").fetchone()
        if row is None:
            raise DatabaseError("database: no data loaded; run `locator db load`")
        return str(row[0])

    def check_ready(self) -> None:
        """Raise DatabaseError saying what to run when the schema or data is missing."""
        with self.connection() as conn:
            missing = pending(conn)
        if missing:
            raise DatabaseError("database: the schema is not up to date (migrations "
                                f"{', '.join(map(str, missing))} pending); run "
                                "`locator db init`")
        self.version()
