"""The data folder: its name outside itself (keychain entry, run folders, window instance), and
keeping it private to its user (SPEC §7: folder 0700, files 0600)."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def folder_digest(data_dir: Path) -> str:
    """A short stable id of a data folder: its resolved path, hashed (the same folder, the same id)."""
    return hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]


def make_private(path: Path) -> None:
    """Give a file (or folder) this process just created to its user alone."""
    if sys.platform == "win32":  # pragma: no cover - Windows folders follow the user profile's ACL
        return
    try:
        os.chmod(path, PRIVATE_FOLDER if path.is_dir() else PRIVATE_FILE)
    except OSError:
        pass  # gone already (a lock file removed by its owner): nothing left to protect


def remove_tree(path: Path | str) -> None:
    """Remove a run's folder and whatever its script left in it. A folder the script made unreadable
    or unwritable (`chmod 000`, `chmod 500` on a folder with files) is given back to its user and
    emptied: `rmtree` alone would leave it, and run folders live in memory (/dev/shm). What still
    cannot go is left; never raises."""
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_unlock_and_retry)
    else:
        shutil.rmtree(path, onerror=_unlock_and_retry)


def _unlock_and_retry(function: Callable[..., Any], failed: str, _error: object) -> None:
    """`remove_tree`'s answer to what `rmtree` could not do."""
    try:
        if function in (os.open, os.scandir, os.listdir):  # a folder that cannot be read
            if not os.path.islink(failed):  # never a mode change through a link out of the folder
                os.chmod(failed, PRIVATE_FOLDER)
                remove_tree(failed)
        elif function in (os.unlink, os.remove, os.rmdir):  # in a folder that cannot be written
            parent = os.path.dirname(failed)
            if not os.path.islink(parent):
                os.chmod(parent, PRIVATE_FOLDER)
                function(failed)
    except OSError:
        pass


def secure_data_folder(data_dir: Path) -> bool:
    """Create the data folder private to its user, or make an existing one so.

    The store holds event scripts, run logs and encrypted secrets; other users of the computer have
    no business reading them. Returns True if an existing folder or file was open to others and was
    tightened, so the caller can say so once (the next start finds nothing to tighten).
    """
    data_dir.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        return False
    tightened = False
    for folder, subfolders, files in os.walk(data_dir):
        for name, wanted in [(folder, PRIVATE_FOLDER)] + [(os.path.join(folder, f), PRIVATE_FILE) for f in files]:
            try:
                mode = os.lstat(name).st_mode
                if stat.S_ISLNK(mode) or not mode & 0o077:
                    continue
                os.chmod(name, stat.S_IMODE(mode) & ~0o077 | (wanted & 0o700))
                tightened = True
            except OSError:
                continue
        subfolders[:] = [s for s in subfolders if not os.path.islink(os.path.join(folder, s))]
    return tightened
