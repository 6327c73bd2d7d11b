"""Which admin sessions are still valid: the session epoch protocol.

A session cookie is signed, so the server needs no record to accept one; to revoke
cookies already handed out (signing out, a copied cookie) each session carries the epoch
it was issued in, and a sign-out starts a new one. The epoch is kept beside the store,
where every app process reads it on each admin request:
:class:`locator.stores.files.sessions.FileSessionEpoch` in the data directory,
:class:`locator.stores.postgis.sessions.PgSessionEpoch` in the database. The app factory
chooses one where it chooses the store.
"""

from __future__ import annotations

from typing import Protocol


class SessionEpoch(Protocol):
    """The current admin session epoch: an opaque string, "" before the first sign-out."""

    def current(self) -> str:
        """The epoch sessions must carry to be valid now."""
        ...

    def renew(self) -> str:
        """Start a new (random) epoch, revoking every session issued before; return it."""
        ...
