"""Uploads waiting for an administrator's confirmation, kept in the database so that the
confirming request may reach any app server (:mod:`locator.stores.staging`; the files
store's twin is :mod:`locator.stores.files.staging`)."""

from __future__ import annotations

import secrets
from typing import Any

from psycopg.types.json import Jsonb

from locator.stores.postgis.db import Database
from locator.stores.staging import Staged, is_token


class PgStaging:
    """The staging protocol over the ``locator.staged`` table."""

    def __init__(self, db: Database):
        self.db = db

    def put(self, data: bytes, meta: dict[str, Any], ttl_s: float) -> str:
        token = secrets.token_urlsafe(18)
        with self.db.connection() as conn:
            conn.execute(
                "DELETE FROM locator.staged WHERE created_at < now() - make_interval(secs => %s)",
                (ttl_s,),
            )
            conn.execute(
                "INSERT INTO locator.staged (token, meta, body) VALUES (%s, %s, %s)",
                (token, Jsonb(meta), data),
            )
        return token

    def get(self, token: str, ttl_s: float) -> Staged | None:
        if not is_token(token):
            return None
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT body, meta FROM locator.staged WHERE token = %s AND "
                "created_at >= now() - make_interval(secs => %s)",
                (token, ttl_s),
            ).fetchone()
        return None if row is None else (bytes(row[0]), dict(row[1]))

    def take(self, token: str, ttl_s: float) -> Staged | None:
        """Get and remove in one statement: two confirmations of one upload (a double
        tap, two app servers) import it once."""
        if not is_token(token):
            return None
        with self.db.connection() as conn:
            row = conn.execute(
                "DELETE FROM locator.staged WHERE token = %s AND created_at "
                ">= now() - make_interval(secs => %s) RETURNING body, meta",
                (token, ttl_s),
            ).fetchone()
        return None if row is None else (bytes(row[0]), dict(row[1]))

    def drop(self, token: str) -> None:
        with self.db.connection() as conn:
            conn.execute("DELETE FROM locator.staged WHERE token = %s", (token,))
