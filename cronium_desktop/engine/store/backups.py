"""Backups of the store (SPEC §9 `backup`/`restore`): SQLite's online backup, rolling copies kept in
the data folder, and putting one back.

The online backup API copies a consistent snapshot page by page while other connections keep
reading and writing (WAL included), so a backup never needs the app stopped. Rolling backups are
taken once a day by the running scheduler and before each migration; the newest `KEEP` are kept.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.folder import PRIVATE_FOLDER, make_private

BACKUP_DIRNAME = "backups"
KEEP = 7
DAILY = timedelta(days=1)
_PREFIX = "cronium-"


class BackupError(CroniumError):
    """A backup could not be made or put back; names the file and the reason."""


def backups_folder(data_dir: Path) -> Path:
    return data_dir / BACKUP_DIRNAME


def list_backups(data_dir: Path) -> list[Path]:
    """The rolling backups, oldest first (their names sort by time)."""
    folder = backups_folder(data_dir)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob(f"{_PREFIX}*.db") if path.is_file())


def newest_backup(data_dir: Path) -> Path | None:
    found = list_backups(data_dir)
    return found[-1] if found else None


def copy_store(source: Path, target: Path) -> None:
    """Copy the SQLite store `source` to `target` with the online backup API (atomic: via a temp file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))  # private before a page is written
    try:
        with sqlite3.connect(source, timeout=15) as reading, sqlite3.connect(partial) as writing:
            reading.backup(writing)
            writing.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        reading.close()
        writing.close()
        make_private(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def rolling_backup(store: Path, reason: str, now: datetime | None = None) -> Path:
    """A backup into the data folder's `backups/`, keeping the newest `KEEP`."""
    folder = backups_folder(store.parent)
    folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S.%f")  # sorts by time; two in a second differ
    target = folder / f"{_PREFIX}{stamp}-{reason}.db"
    copy_store(store, target)
    for old in list_backups(store.parent)[:-KEEP]:
        old.unlink(missing_ok=True)
    return target


def daily_backup_due(data_dir: Path, now: datetime | None = None) -> bool:
    newest = newest_backup(data_dir)
    if newest is None:
        return True
    made = datetime.fromtimestamp(newest.stat().st_mtime, UTC)
    return (now or datetime.now(UTC)) - made >= DAILY


def check_backup_file(path: Path) -> None:
    """Refuse a file that is not a Cronium store, naming it and why."""
    if not path.is_file():
        raise BackupError(f"{str(path)!r} is not a file; give a backup made by `cronium-desktop backup`.")
    try:
        with sqlite3.connect(path) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"{str(path)!r} is not a Cronium store ({error}); nothing was restored.") from error
    if row is None:
        raise BackupError(f"{str(path)!r} is not a Cronium store (it has no schema version); nothing was restored.")


def restore(store: Path, source: Path, store_readable: bool) -> Path | None:
    """Put the backup `source` in place of `store`; returns where the replaced store was kept.

    The caller holds the data folder's scheduler lock. The store being replaced is kept: as a
    rolling backup if it is readable, else renamed beside itself (a damaged file is evidence).
    """
    check_backup_file(source)
    incoming = store.with_name(f".{store.name}.restoring")
    copy_store(source, incoming)
    kept: Path | None = None
    if store.exists() and store_readable:
        kept = rolling_backup(store, "before-restore")
    elif store.exists():
        kept = store.with_name(f"{store.name}.damaged-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}")
        os.replace(store, kept)
    for suffix in ("-wal", "-shm"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)
    os.replace(incoming, store)
    return kept
