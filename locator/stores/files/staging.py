"""Uploads waiting for confirmation as files: ``<token>.bin`` (the bytes) and
``<token>.json`` (the meta) in the data directory's ``history/.staged`` folder, which
every app process on the machine shares (:mod:`locator.stores.staging`)."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from locator.stores.staging import Staged, is_token
from locator.values.registry import HISTORY_DIR


def staged_dir(data_dir: Path | str) -> Path:
    """Where a data directory's uploads wait."""
    return Path(data_dir) / HISTORY_DIR / ".staged"


class FileStaging:
    """The staging protocol over one folder (made when first needed)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def _paths(self, token: str) -> tuple[Path, Path]:
        return self.folder / f"{token}.bin", self.folder / f"{token}.json"

    def put(self, data: bytes, meta: dict[str, Any], ttl_s: float) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in self.folder.iterdir():  # uploads never confirmed, leftovers of a crash
            try:
                if now - old.stat().st_mtime > ttl_s:
                    old.unlink()
            except FileNotFoundError:  # taken meanwhile
                continue
        token = secrets.token_urlsafe(18)
        body, about = self._paths(token)
        body.write_bytes(data)
        # the meta last, under its final name in one rename: a token is there when its
        # .json is, and then its .bin is complete
        tmp = about.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, about)
        return token

    def get(self, token: str, ttl_s: float) -> Staged | None:
        if not is_token(token):
            return None
        body, about = self._paths(token)
        try:
            if time.time() - about.stat().st_mtime > ttl_s:
                return None
            return body.read_bytes(), json.loads(about.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def take(self, token: str, ttl_s: float) -> Staged | None:
        if not is_token(token):
            return None
        body, about = self._paths(token)
        # claim it by renaming its .json: a rename succeeds once, whichever process
        # (a double tap, another worker) tries second finds nothing
        claimed = self.folder / f"{token}.{secrets.token_hex(8)}.taken"
        try:
            os.rename(about, claimed)
        except FileNotFoundError:
            return None
        try:
            if time.time() - claimed.stat().st_mtime > ttl_s:
                return None
            return body.read_bytes(), json.loads(claimed.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        finally:
            claimed.unlink(missing_ok=True)
            body.unlink(missing_ok=True)

    def drop(self, token: str) -> None:
        if not is_token(token):
            return
        for path in self._paths(token):
            path.unlink(missing_ok=True)
