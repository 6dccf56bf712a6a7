"""The SQLite store: one file in the data folder, WAL mode, migrations applied at open."""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, event
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
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


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
        data_dir.mkdir(parents=True, exist_ok=True)
        self.engine: SqlEngine = create_engine(
            f"sqlite:///{self.path}", connect_args={"check_same_thread": False, "timeout": 15}
        )
        event.listen(self.engine, "connect", _on_connect)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.RLock()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision.

        Alembic takes a noticeable part of a CLI command's start-up, so it is loaded only when the
        file is not already at the newest revision.
        """
        if self._current_revision() == head_revision():
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection_engine"] = self.engine
        with self._write_lock:
            command.upgrade(config, "head")

    def _current_revision(self) -> str | None:
        if not self.path.exists():
            return None
        try:
            with sqlite3.connect(self.path, timeout=15) as connection:
                row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes are committed on success and rolled back on any error."""
        with self._write_lock, self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
