"""Migration 0006_compose keeps the workflows of an older store and lets them gain WORKFLOW nodes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.store import db as store_db
from cronium_desktop.engine.store.db import DB_FILENAME, Database
from tests.conftest import TEST_PASSPHRASE


async def test_an_older_store_keeps_its_workflows_and_takes_workflow_nodes(data_dir: Path) -> None:
    database = Database(data_dir)
    config = Config()
    config.set_main_option("script_location", str(store_db._MIGRATIONS))
    config.attributes["connection_engine"] = database.engine
    command.upgrade(config, "0002_hardening")  # the store as the previous release left it
    database.close()
    with sqlite3.connect(data_dir / DB_FILENAME) as connection:
        connection.execute("INSERT INTO events (id, name, description, tags, type, content, status, trigger, max_executions,"
                           " execution_count, reset_counter_on_activate, run_location, timeout_seconds, retries,"
                           " retry_backoff_seconds, overlap, misfire, priority, env, secret_env, created_at, updated_at)"
                           " VALUES (1, 'Step', '', '[]', 'BASH', 'echo step', 'DRAFT', 'MANUAL', 0, 0, 1, 'LOCAL', 60, 0,"
                           " 5, 'SKIP', 'RUN_ONCE', 'NORMAL', '{}', '[]', '2026-01-01', '2026-01-01')")
        connection.execute("INSERT INTO workflows (id, name, description, status, trigger, overlap, misfire, created_at,"
                           " updated_at) VALUES (1, 'Old', '', 'ACTIVE', 'MANUAL', 'SKIP', 'RUN_ONCE', '2026-01-01',"
                           " '2026-01-01')")
        connection.execute("INSERT INTO workflow_nodes (workflow_id, key, event_id, label, x, y, position)"
                           " VALUES (1, 'n1', 1, 'Step', 0, 0, 0)")
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)  # migrates to the newest revision
    await engine.start()
    try:
        old = await engine.workflows.get("Old")
        assert old["nodes"] == [{"id": "n1", "event": "Step", "label": "Step", "x": 0.0, "y": 0.0}]
        await engine.workflows.save({"name": "New", "nodes": [{"id": "w", "kind": "WORKFLOW", "workflow": "Old"}]})
        result = await engine.workflows.wait(await engine.workflows.run("New"), timeout=60)
        assert result.status == "SUCCESS" and result.nodes["Old"].output["nodes"]["Step"]["status"] == "SUCCESS"
    finally:
        await engine.stop(grace_seconds=1)
