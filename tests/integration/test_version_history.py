"""Version history (every save keeps the definition it replaced) through the real store."""

from __future__ import annotations

import json
from pathlib import Path

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.store.models import WorkflowExecution

SCRIPT_V1 = "echo one\necho two\n"
SCRIPT_V2 = "echo one\necho TWO\necho three\n"


def event_data(name: str = "Backup", content: str = SCRIPT_V1, **extra: object) -> dict[str, object]:
    return {"name": name, "type": "BASH", "content": content, "timeout_seconds": 30, **extra}


async def test_save_edit_diff_restore_round_trip(engine: Engine) -> None:
    event_id = await engine.events.create(event_data())
    data = await engine.events.get(event_id)
    data.update(content=SCRIPT_V2, timeout_seconds=90, tags=["nightly"])
    await engine.events.update(event_id, data)

    versions = await engine.versions.list("event", event_id)
    assert [v.number for v in versions] == [2, 1]
    assert versions[0].current and not versions[1].current
    assert versions[0].summary == "script +2 −1 lines; tags, timeout_seconds"
    assert versions[1].summary == "created"

    diff = await engine.versions.diff("event", event_id, 1, 2)
    assert {(c.field, c.old, c.new) for c in diff.fields} == {("tags", "[]", '["nightly"]'), ("timeout_seconds", "30", "90")}
    changed = [(r.old_text, r.new_text, r.tag) for r in diff.script if r.tag != "equal"]
    assert changed == [("echo two", "echo TWO", "replace"), ("", "echo three", "insert")]
    assert [r.old_number for r in diff.script] == [1, 2, None]

    new_number = await engine.versions.restore("event", event_id, 1)
    assert new_number == 3
    restored = await engine.events.get(event_id)
    assert restored["content"] == SCRIPT_V1 and restored["timeout_seconds"] == 30 and restored["tags"] == []
    versions = await engine.versions.list("event", event_id)
    assert [v.number for v in versions] == [3, 2, 1]  # the restore is itself a version: nothing lost
    assert versions[0].summary.startswith("restored version 1")
    assert (await engine.versions.get("event", event_id, 2))["content"] == SCRIPT_V2


async def test_saving_without_a_change_adds_no_version(engine: Engine) -> None:
    event_id = await engine.events.create(event_data())
    await engine.events.update(event_id, await engine.events.get(event_id))
    await engine.events.set_status(event_id, "ACTIVE")  # activating is not an edit
    assert [v.number for v in await engine.versions.list("event", event_id)] == [1]


async def test_runs_point_at_the_version_they_ran(engine: Engine) -> None:
    event_id = await engine.events.create(event_data())
    first = await engine.runs.wait(await engine.runs.start(event_id), timeout=30)
    data = await engine.events.get(event_id)
    await engine.events.update(event_id, {**data, "content": SCRIPT_V2})
    second = await engine.runs.wait(await engine.runs.start(event_id), timeout=30)
    assert (first.status, second.status) == ("SUCCESS", "SUCCESS")
    assert (first.event_version, second.event_version) == (1, 2)
    assert (await engine.runs.get(first.execution_id)).event_version == 1
    assert (await engine.versions.get("event", event_id, first.event_version))["content"] == SCRIPT_V1


async def test_export_carries_the_current_version_only(engine: Engine, tmp_path: Path) -> None:
    event_id = await engine.events.create(event_data())
    await engine.events.update(event_id, {**await engine.events.get(event_id), "content": SCRIPT_V2})
    path = tmp_path / "backup.cronium.json"
    await engine.files.export_events(["Backup"], path)
    document = json.loads(path.read_text())
    [exported] = document["events"]
    assert exported["content"] == SCRIPT_V2
    assert "version" not in json.dumps(exported)  # no history, no version numbers in the file
    assert SCRIPT_V1 not in path.read_text()


async def test_workflow_saves_keep_versions_and_runs_record_theirs(engine: Engine) -> None:
    await engine.events.create(event_data("A"))
    await engine.events.create(event_data("B"))
    graph = {"name": "Flow", "nodes": [{"id": "n1", "event": "A", "label": "A", "x": 0, "y": 0}], "edges": []}
    workflow_id = await engine.workflows.save(graph)
    graph["nodes"].append({"id": "n2", "event": "B", "label": "B", "x": 200, "y": 0})
    graph["edges"] = [{"from": "n1", "to": "n2", "type": "ON_SUCCESS"}]
    await engine.workflows.save({**graph, "id": workflow_id})
    versions = await engine.versions.list("workflow", workflow_id)
    assert [(v.number, v.summary) for v in versions] == [(2, "nodes, edges"), (1, "created")]
    run_id = await engine.workflows.run(workflow_id)
    assert (await engine.workflows.wait(run_id, timeout=30)).status == "SUCCESS"
    with engine.ctx.db.read() as session:
        assert session.get(WorkflowExecution, run_id).workflow_version == 2
    await engine.versions.restore("workflow", workflow_id, 1)
    assert len((await engine.workflows.get(workflow_id))["nodes"]) == 1


async def test_pruning_keeps_the_newest_versions(engine: Engine) -> None:
    event_id = await engine.events.create(event_data())
    for n in range(4):
        await engine.events.update(event_id, {**await engine.events.get(event_id), "content": f"echo {n}\n"})
    assert await engine.versions.prune(keep=2, dry_run=True) == 3
    assert await engine.versions.prune(keep=2) == 3
    assert [v.number for v in await engine.versions.list("event", event_id)] == [5, 4]


async def test_the_history_prune_also_keeps_the_set_number_of_versions(engine: Engine) -> None:
    """`cronium-desktop prune` (and the background retention) applies the version_retention setting."""
    import asyncio

    event_id = await engine.events.create(event_data())
    for n in range(3):
        await engine.events.update(event_id, {**await engine.events.get(event_id), "content": f"echo {n}\n"})
    untouched = await asyncio.to_thread(engine.retention.prune, True)
    assert untouched.versions == 0  # the default keeps every version
    engine.settings.set("version_retention", 1)
    planned = await asyncio.to_thread(engine.retention.prune, True)
    assert planned.versions == 3 and "Would remove 3 old definition version(s)" in "\n".join(planned.lines())
    assert len(await engine.versions.list("event", event_id)) == 4
    done = await asyncio.to_thread(engine.retention.prune)
    assert done.versions == 3
    assert [v.number for v in await engine.versions.list("event", event_id)] == [4]
