"""What counts as a change another process made: definitions, not the counters every run bumps."""

from __future__ import annotations

import sqlite3

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.folder_changes import changed_owners, fingerprint, notices_for
from cronium_desktop.engine.notices import EventsChanged, SettingsChanged


async def test_runs_bumping_counters_are_not_changes_but_edits_are(engine: Engine) -> None:
    first = await engine.events.create({"name": "One", "type": "BASH", "content": "echo 1"})
    second = await engine.events.create({"name": "Two", "type": "BASH", "content": "echo 2"})
    connection = sqlite3.connect(engine.ctx.db.path, isolation_level=None)
    try:
        before = fingerprint(connection)
        connection.execute("UPDATE events SET execution_count = 7, last_fire_at = '2026-01-01 00:00:00', "
                           "updated_at = '2026-01-01 00:00:00'")
        assert changed_owners(before, fingerprint(connection)) == {}
        await engine.events.set_status(second, "PAUSED")
        engine.settings.set("concurrency", 3)
        changes = changed_owners(before, fingerprint(connection))
        assert changes == {"events": {second}, "settings": {"concurrency"}}
        assert notices_for(changes) == [EventsChanged((second,)), SettingsChanged(("concurrency",))]
        await engine.events.delete(first)
        assert changed_owners(before, fingerprint(connection))["events"] == {first, second}
    finally:
        connection.close()
