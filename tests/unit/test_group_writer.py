"""The group writer (engine/store/group.py): a write whose caller stopped waiting never stops the
writes after it (a cancelled task at engine stop once ended the writer thread, and every later
write of the app waited for ever)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cronium_desktop.engine.store.db import Database
from cronium_desktop.engine.store.group import GroupWriter
from cronium_desktop.engine.store.models import Setting


async def test_a_cancelled_write_is_dropped_and_the_writes_after_it_go_on(tmp_path: Path) -> None:
    database = Database(tmp_path / "data")
    database.migrate()
    writer = GroupWriter(database)
    entered, release = threading.Event(), threading.Event()

    def held(session: object) -> str:
        entered.set()
        release.wait(10)  # keeps the writer busy while the next write is queued and cancelled
        return "first"

    def put(key: str) -> object:
        def piece(session: object) -> str:
            session.add(Setting(key=key, value='"x"'))  # type: ignore[attr-defined]
            return key
        return piece

    first = writer.run(held)
    assert await asyncio.to_thread(entered.wait, 10)
    dropped = writer.run(put("dropped"))
    dropped.cancel()  # the caller stopped waiting before the writer took it
    release.set()
    later = writer.run(put("later"))
    assert await asyncio.wait_for(first, 10) == "first"
    assert await asyncio.wait_for(later, 10) == "later"  # the writer is still there
    with database.read() as session:
        keys = set(session.scalars(select(Setting.key)))
    assert "later" in keys and "dropped" not in keys
    database.close()


async def test_a_writes_follow_up_is_done_before_its_caller_hears_back_and_a_failed_write_spoils_no_later_one(
        tmp_path: Path) -> None:
    """A run reported finished has left nothing behind: its folder is removed once its end is
    committed, before the caller hears back. The writer keeps its connection between transactions:
    one that failed leaves it fit for the next, and `flush` waits for every write handed in before."""
    database = Database(tmp_path / "data")
    database.migrate()
    writer = GroupWriter(database)
    folder = tmp_path / "run-1-abcdefgh"
    folder.mkdir()

    def remove_folder() -> None:
        time.sleep(0.2)
        folder.rmdir()

    def put(key: str) -> object:
        def piece(session: object) -> str:
            session.add(Setting(key=key, value='"x"'))  # type: ignore[attr-defined]
            return key
        return piece

    assert await writer.run(put("end"), then=remove_folder) == "end"
    assert not folder.exists()

    with pytest.raises(IntegrityError):
        await writer.run(put("end"))  # the same key again
    late = writer.run(put("after"))  # handed in, not waited for
    await writer.flush()
    assert late.done() and late.result() == "after"
    with database.read() as session:
        assert set(session.scalars(select(Setting.key))) >= {"end", "after"}
    database.close()
