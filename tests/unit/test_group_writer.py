"""The group writer (engine/store/group.py): a write whose caller stopped waiting never stops the
writes after it (a cancelled task at engine stop once ended the writer thread, and every later
write of the app waited for ever)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.group import GroupWriter
from cronium_desktop.engine.store.models import Setting


def test_a_cancelled_write_is_dropped_and_the_writes_after_it_go_on(tmp_path: Path) -> None:
    database = Database(tmp_path / "data")
    database.migrate()
    writer = GroupWriter(database)
    release = threading.Event()

    def held(session: object) -> str:
        release.wait(10)  # keeps the writer busy while the next write is queued and cancelled
        return "first"

    def put(key: str) -> object:
        def piece(session: object) -> str:
            session.add(Setting(key=key, value='"x"'))  # type: ignore[attr-defined]
            return key
        return piece

    first = writer.submit(held)
    dropped = writer.submit(put("dropped"))
    assert dropped.cancel()  # the caller stopped waiting before the writer took it
    release.set()
    later = writer.submit(put("later"))
    assert first.result(10) == "first"
    assert later.result(10) == "later"  # the writer is still there
    with database.read() as session:
        keys = set(session.scalars(select(Setting.key)))
    assert "later" in keys and "dropped" not in keys
    database.close()


async def test_flush_waits_for_what_follows_each_committed_write_and_a_failed_write_spoils_no_later_one(
        tmp_path: Path) -> None:
    """A run's folder is removed after its end is committed, while its caller goes on; the engine's
    stop flushes the writer so that no folder outlives the process. The writer keeps its connection
    between transactions: one that failed leaves it fit for the next."""
    database = Database(tmp_path / "data")
    database.migrate()
    writer = GroupWriter(database)
    folder = tmp_path / "run-1-abcdefgh"
    folder.mkdir()
    started = threading.Event()

    def remove_folder() -> None:
        started.set()
        time.sleep(0.3)
        folder.rmdir()

    def put(key: str) -> object:
        def piece(session: object) -> str:
            session.add(Setting(key=key, value='"x"'))  # type: ignore[attr-defined]
            return key
        return piece

    assert await writer.run(put("end"), then=remove_folder) == "end"  # heard back before the folder went
    assert folder.exists()
    await writer.flush()
    assert started.is_set() and not folder.exists()

    with pytest.raises(IntegrityError):
        await writer.run(put("end"))  # the same key again
    assert await writer.run(put("after")) == "after"
    with database.read() as session:
        assert set(session.scalars(select(Setting.key))) >= {"end", "after"}
    await writer.flush()
    database.close()
