"""A data folder's name outside itself: its keychain entry, its run folders, its window's instance."""

from __future__ import annotations

import hashlib
from pathlib import Path


def folder_digest(data_dir: Path) -> str:
    """A short stable id of a data folder: its resolved path, hashed (the same folder, the same id)."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
