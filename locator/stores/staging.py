"""Uploads waiting for an administrator's confirmation: the staging protocol.

An admin uploads a register; it is checked and reported; it waits here until it is
confirmed (an hour at most) and is then imported once. Each store keeps it its own way,
side by side: :class:`locator.stores.files.staging.FileStaging` in the data directory,
:class:`locator.stores.postgis.staging.PgStaging` in the database (so that the confirming
request may reach another app server). The app factory chooses one where it chooses the
store; the admin views see only this protocol.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

#: what a staging token looks like (``secrets.token_urlsafe(18)`` makes 24 characters);
#: anything else is not looked up at all
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Staged = tuple[bytes, dict[str, Any]]


def is_token(token: str) -> bool:
    """Whether ``token`` has the shape of a staging token."""
    return TOKEN.match(token) is not None


class Staging(Protocol):
    """Uploads kept for ``ttl_s`` seconds under a random token."""

    def put(self, data: bytes, meta: dict[str, Any], ttl_s: float) -> str:
        """Keep ``data`` and its ``meta`` (JSON values); return the new token. Uploads older
        than ``ttl_s`` are forgotten on the way."""
        ...

    def get(self, token: str, ttl_s: float) -> Staged | None:
        """The upload under ``token``, None when there is none younger than ``ttl_s``."""
        ...

    def take(self, token: str, ttl_s: float) -> Staged | None:
        """Get and remove at once: of two takes of one token (a double tap, two app
        servers) only one gets the upload."""
        ...

    def drop(self, token: str) -> None:
        """Forget the upload under ``token`` (nothing when there is none)."""
        ...
