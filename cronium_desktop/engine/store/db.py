"""The SQLite store: one file in the data folder, WAL mode, migrations applied at open.

A file that is there but is not a readable Cronium store (empty, damaged, someone else's database)
is refused and left exactly as it is: replacing it with an empty store would lose every event
without a word. The refusal names the newest backup to restore.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, create_engine, event
from sqlalchemy import Engine as SqlEngine

from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.folder import make_private, secure_data_folder
from cronium_desktop.engine.store.backups import newest_backup, rolling_backup

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

DB_FILENAME = "cronium.db"
_MIGRATIONS = Path(__file__).parent / "migrations"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # SQLite's own lower() folds ASCII letters only: 'Éclair' and 'éclair' would be two names.
    # Names are compared case-insensitively with lower() on both sides, so it must fold like Python.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    # First, so that nothing below fails at once while another connection holds the write lock.
    cursor.execute("PRAGMA busy_timeout=15000")
    # A new store gives freed pages back to the file system bit by bit (retention). Only a file with
    # no pages yet takes it as it is; an existing one is converted by `prune`'s one full VACUUM, and
    # asking it here would need the write lock on every new connection.
    if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class StoreDamaged(CroniumError):
    """The store file cannot be used; it was left untouched. Names the newest backup to restore."""

    def __init__(self, path: Path, problem: str) -> None:
        backup = newest_backup(path.parent)
        if backup is None:
            advice = "No backup was found; move the file away to start with an empty store."
        else:
            advice = f"Restore the newest backup with: cronium-desktop restore {backup}"
        super().__init__(f"the store {path} cannot be used: {problem}. It was left as it is. {advice}")
        self.path = path
        self.problem = problem
        self.backup = backup


def _header_problem(path: Path) -> str | None:
    """A store cut short (copied or synced halfway) still opens, then fails deep inside a query;
    SQLite's header says how many pages the file should hold, which is cheap to compare."""
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return "it is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_current = header[24:28] == header[92:96]
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        return None  # a checkpoint may be writing page 1 before the pages that extend the file
    if header_current and pages and path.stat().st_size < pages * page_size:
        return f"it is cut short ({path.stat().st_size} of {pages * page_size} bytes)"
    return None


def store_problem(path: Path) -> str | None:
    """Why the file at `path` is not a usable Cronium store, or None (also when there is no file)."""
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return "the file is empty (0 bytes)"
    try:
        problem = _header_problem(path)
    except OSError as error:
        return f"it cannot be read ({error.strerror or error})"
    if problem:
        return problem
    try:
        with sqlite3.connect(path, timeout=15) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "alembic_version" not in tables:
                return "it is an SQLite database but not a Cronium store (it has no schema version)"
            if connection.execute("SELECT version_num FROM alembic_version").fetchone() is None:
                return "its schema version is missing"
        connection.close()
    except sqlite3.DatabaseError as error:
        return f"it is damaged (SQLite: {error})"
    return None


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([\w-]+|None)['\"]?", re.MULTILINE)


@functools.cache
def head_revision() -> str:
    """The newest migration: the one no other migration builds on (read from the files)."""
    revisions, parents = set(), set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        found: dict[str, str] = {key: value for key, value in (m.groups() for m in _REVISION.finditer(path.read_text(encoding="utf-8")))}
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else ""


class Database:
    """Owns the SQLAlchemy engine and hands out sessions.

    SQLite allows one writer at a time; `write()` also serialises writers inside this process so
    threads never spin on the busy timeout against each other.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / DB_FILENAME
        # True when the folder or a file in it was open to other users and was made private.
        self.tightened = secure_data_folder(data_dir)
        self.engine: SqlEngine = create_engine(
            f"sqlite:///{self.path}", connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(self.engine, "connect", _on_connect)
        self._write_lock = threading.RLock()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision.

        Alembic takes a noticeable part of a CLI command's start-up, so it is loaded only when the
        file is not already at the newest revision.
        """
        problem = store_problem(self.path)
        if problem:
            raise StoreDamaged(self.path, problem)
        current = self._current_revision()
        if current == head_revision():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection_engine"] = self.engine
        with self._write_lock:
            if current is not None:  # an existing store: keep a copy of it as it was
                rolling_backup(self.path, "before-migration")
            command.upgrade(config, "head")
        for name in (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"):
            make_private(self.data_dir / name)

    def _current_revision(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            with sqlite3.connect(self.path, timeout=15) as connection:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    @functools.cached_property
    def _sessions(self) -> sessionmaker[Session]:
        # The ORM is loaded with the first session: the light read commands use Core only (cli/reads.py).
        from sqlalchemy.orm import sessionmaker

        return sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self, connection: Connection | None = None) -> Iterator[Session]:
        """A session whose changes are committed on success and rolled back on any error; on
        `connection` if given (one the caller keeps between transactions), else one from the pool."""
        sessions = self._sessions
        with self._write_lock, (sessions() if connection is None else sessions(bind=connection)) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
