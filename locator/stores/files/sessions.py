"""The admin session epoch as a small file in the data directory's ``history`` folder,
which every app process on the machine shares (:mod:`locator.stores.sessions`)."""

from __future__ import annotations

import secrets
from pathlib import Path

from locator.stores.files.read import write_text_atomic
from locator.values.registry import HISTORY_DIR


def epoch_path(data_dir: Path | str) -> Path:
    """Where a data directory keeps its admin session epoch."""
    return Path(data_dir) / HISTORY_DIR / ".admin-session-epoch"


class FileSessionEpoch:
    """The session epoch protocol over one file (written atomically: a reader sees the old
    epoch or the new; of two sign-outs at once, either new epoch revokes both)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def current(self) -> str:
        try:
            return self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return ""

    def renew(self) -> str:
        epoch = secrets.token_urlsafe(16)
        write_text_atomic(self.path, epoch + "\n")
        return epoch
