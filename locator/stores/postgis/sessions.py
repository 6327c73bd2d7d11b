"""The admin session epoch in the database, so that a sign-out on one app server revokes
the session on all of them (:mod:`locator.stores.sessions`; the files store's twin is
:mod:`locator.stores.files.sessions`)."""

from __future__ import annotations

import secrets

from locator.stores.postgis.db import Database


class PgSessionEpoch:
    """The session epoch protocol over the one-row ``locator.admin_session`` table."""

    def __init__(self, db: Database):
        self.db = db

    def current(self) -> str:
        with self.db.connection() as conn:
            row = conn.execute("SELECT epoch FROM locator.admin_session").fetchone()
        return "" if row is None else str(row[0])

    def renew(self) -> str:
        epoch = secrets.token_urlsafe(16)
        with self.db.connection() as conn:
            conn.execute(
                "INSERT INTO locator.admin_session (epoch) VALUES (%s) "
                "ON CONFLICT (one) DO UPDATE SET epoch = excluded.epoch, renewed_at = now()",
                (epoch,),
            )
        return epoch
