"""Connections to the database, one pool per process.

The pool is made on first use in the process that uses it, so app servers that fork
(``locator serve --workers``) never share a connection; a fork also forgets the parent's
pools. Every query the read path makes is one statement (or one repeatable-read
transaction), which PostgreSQL answers from one snapshot: an import committed meanwhile
is seen whole or not at all.

A URL may hold a password: nothing here prints the URL, only its host, port and database
(:func:`describe`), and errors from libpq are scrubbed of it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from locator.stores.postgis.schema import MIGRATIONS, pending
from locator.values.errors import ConfigError, StoreUnavailable

# feature documents are JSON text; orjson reads them several times faster
set_json_loads(orjson.loads)

#: seconds to wait for a connection (a request waits no longer when the database is away)
CONNECT_TIMEOUT_S = 5


class DatabaseError(StoreUnavailable):
    """The database could not be reached or is not ready (the message says what to run;
    it never holds the URL's password)."""


def check_url(url: str) -> str:
    """The URL, checked: postgresql:// or postgres:// and parseable by libpq."""
    if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "DATABASE_URL must be a URL that starts with postgresql:// "
            "(key=value connection strings are not taken: they are easy to "
            "print with their password)"
        )
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise ConfigError(
            f"DATABASE_URL {describe(url)} does not parse as a PostgreSQL "
            "connection URL (percent-encode special characters in the "
            "password)"
        ) from None
    return url


def describe(url: str) -> str:
    """Host, port and database of a URL: safe to print (no user name, no password)."""
    try:
        parts = conninfo_to_dict(url)
    except Exception:  # unparseable: say nothing of its content
        return "<a database URL>"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def scrub(text: str, url: str) -> str:
    """``text`` without the URL's password (libpq may echo parts of a bad URL)."""
    from urllib.parse import unquote, urlsplit

    secrets = set()
    with contextlib.suppress(Exception):
        secrets.add(str(conninfo_to_dict(url).get("password") or ""))
    with contextlib.suppress(Exception):
        raw = urlsplit(url).password or ""
        secrets |= {raw, unquote(raw)}
    text = text.replace(url, describe(url))
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:  # shorter ones would blank ordinary words
            text = text.replace(secret, "***")
    return text.strip()


_SHARED: dict[str, Database] = {}
_SHARED_LOCK = threading.Lock()


def database(url: str) -> Database:
    """The one Database (and so one pool) of this process for ``url``."""
    with _SHARED_LOCK:
        found = _SHARED.get(url)
        if found is None:
            found = _SHARED[url] = Database(url)
        return found


def _forget_after_fork() -> None:
    # a child must not touch its parent's pools (their sockets and threads are the
    # parent's): it makes its own on first use
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()
    for db in _SHARED.values():
        db._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


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
        return f"Database({describe(self.url)})"

    def _forget(self) -> None:
        self._pool, self._pid, self._lock = None, 0, threading.Lock()

    def _error(self, exc: BaseException) -> DatabaseError:
        return DatabaseError(
            f"database {describe(self.url)}: {scrub(str(exc) or type(exc).__name__, self.url)}"
        )

    def pool(self) -> ConnectionPool:
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.max_size,
                    open=True,
                    timeout=CONNECT_TIMEOUT_S,
                    name=describe(self.url),
                    # no check at each checkout: it costs a round trip per request (a
                    # third of a nearest query). After a database restart a stale
                    # connection fails one request with 503 and Retry-After, and the pool
                    # replaces it.
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                )
                self._pid = os.getpid()
            return self._pool

    def size_for(self, threads: int) -> None:
        """Allow a connection per serving thread (before the pool is first used)."""
        self.max_size = max(self.max_size, threads)

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection in autocommit mode (one statement, one snapshot)."""
        try:
            with self.pool().connection() as conn:
                yield conn
        except (psycopg.Error, OSError) as exc:
            raise self._error(exc) from None
        except Exception as exc:  # the pool's own PoolTimeout and the like
            if type(exc).__module__.startswith("psycopg_pool"):
                raise self._error(exc) from None
            raise

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A connection of its own (writers: one transaction from checks to commit)."""
        try:
            return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, **kwargs)
        except psycopg.Error as exc:
            raise self._error(exc) from None

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
        """Raise DatabaseError saying what to run when the schema or data is missing, or
        when the schema is newer than this code."""
        # a connection of its own, not the pool's: a refused connection is said at once
        # (the pool would keep trying for its whole timeout)
        with translated(self), self.connect(autocommit=True) as conn:
            missing = pending(conn)
            newest = None
            if len(missing) < len(MIGRATIONS):  # the table exists
                row = conn.execute("SELECT max(number) FROM locator.schema_migrations").fetchone()
                newest = row[0] if row else None
            state = (
                conn.execute("SELECT version FROM locator.state").fetchone()
                if not missing
                else None
            )
        if missing:
            raise DatabaseError(
                "database: the schema is not up to date (migrations "
                f"{', '.join(map(str, missing))} pending); run "
                "`locator db init`"
            )
        known = max(n for n, _, _ in MIGRATIONS)
        if newest is not None and newest > known:
            raise DatabaseError(
                f"database: its schema (migration {newest}) is newer than "
                f"this locator knows ({known}); upgrade locator"
            )
        if state is None:
            raise DatabaseError("database: no data loaded; run `locator db load`")


@contextlib.contextmanager
def translated(db: Database) -> Iterator[None]:
    """Turn psycopg's errors inside the block into DatabaseError (no SQL, no password)."""
    try:
        yield
    except psycopg.Error as exc:
        raise db._error(exc) from None
