"""The group writer (engine/store/group.py): a write whose caller stopped waiting never stops the
writes after it (a cancelled task at engine stop once ended the writer thread, and every later
write of the app waited for ever)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

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
