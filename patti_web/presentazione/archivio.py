"""Where the signed files are kept: by their SHA-256, in a folder under instance/ (PATTI_ARCHIVIO, default
instance/firmati), two levels deep (`ab/abcdef…`). A small interface -- put, get, delete -- so that an object store
can take its place later; the same file uploaded twice is kept once."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import current_app

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _root() -> Path:
    return Path(current_app.config.get("PATTI_ARCHIVIO") or Path(current_app.instance_path) / "firmati")


def _path(sha256: str) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise ValueError(sha256)
    return _root() / sha256[:2] / sha256


def put(data: bytes) -> str:
    """Keep `data` (written whole, then renamed: never half a file under its name); return its SHA-256."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = _path(sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return sha256


def get(sha256: str) -> bytes:
    return _path(sha256).read_bytes()


def delete(sha256: str) -> None:
    _path(sha256).unlink(missing_ok=True)
