"""Workflows that run workflows: the WORKFLOW node kind (issue: sub-workflows)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from tests.conftest import Cli


def event_node(node_id: str, event: str, label: str | None = None) -> dict[str, Any]:
    return {"id": node_id, "event": event, "label": label or event, "x": 0, "y": 0}


def workflow_node(node_id: str, workflow: str, label: str | None = None) -> dict[str, Any]:
    return {"id": node_id, "kind": "WORKFLOW", "workflow": workflow, "label": label or workflow, "x": 0, "y": 0}


def edge(source: str, target: str, kind: str = "ON_SUCCESS") -> dict[str, str]:
    return {"from": source, "to": target, "type": kind}


async def python(engine: Engine, name: str, script: str) -> None:
    await engine.events.create({"name": name, "type": "PYTHON", "content": script})


async def make_child(engine: Engine, fail: bool = False) -> None:
    await python(engine, "Double", "import cronium\ncronium.output({'n': cronium.input()['n'] * 2})")
    await python(engine, "Maybe fail", "import cronium, sys\nsys.exit(3 if cronium.input()['n'] > 100 else 0)")
    await engine.workflows.save({"name": "Child", "nodes": [event_node("d", "Double"), event_node("m", "Maybe fail")],
                                 "edges": [edge("d", "m")]})


async def test_parent_runs_the_child_with_its_input_and_takes_its_output(engine: Engine) -> None:
    await make_child(engine)
    await python(engine, "Seed", "import cronium\ncronium.output({'n': cronium.input()['start'] + 1})")
    await python(engine, "Read", "import cronium\ncronium.output({'got': cronium.input()['nodes']['Double']['output']})")
    await python(engine, "On failure", "print('handled')")
    await engine.workflows.save({
        "name": "Parent",
        "nodes": [event_node("s", "Seed"), workflow_node("c", "Child", "Sub"), event_node("r", "Read"),
                  event_node("f", "On failure")],
        "edges": [edge("s", "c"), edge("c", "r", "ON_SUCCESS"), edge("c", "f", "ON_FAILURE")],
    })
    run_id = await engine.workflows.run("Parent", input={"start": 4})
    result = await engine.workflows.wait(run_id, timeout=60)
    assert result.status == "SUCCESS"
    sub = result.nodes["Sub"]
    assert sub.status == "SUCCESS" and sub.output["status"] == "SUCCESS"
    assert sub.output["nodes"]["Double"] == {"status": "SUCCESS", "output": {"n": 10}}
    assert result.nodes["Read"].output == {"got": {"n": 10}}
    assert result.nodes["On failure"].status == "SKIPPED"
    child = await engine.workflows.result(sub.output["workflow_execution_id"])
    assert child.parent_workflow_execution_id == run_id and child.parent_node_key == "c"
    # The child failing: the parent follows ON_FAILURE.
    failed = await engine.workflows.wait(await engine.workflows.run("Parent", input={"start": 60}), timeout=60)
    assert failed.nodes["Sub"].status == "FAILURE"
    assert failed.nodes["On failure"].status == "SUCCESS" and failed.nodes["Read"].status == "SKIPPED"
    assert failed.status == "PARTIAL"


async def test_a_cycle_across_workflows_is_refused_naming_the_path(engine: Engine) -> None:
    await python(engine, "Step", "pass")
    await engine.workflows.save({"name": "A", "nodes": [event_node("s", "Step")], "edges": []})
    await engine.workflows.save({"name": "B", "nodes": [workflow_node("a", "A")], "edges": []})
    with pytest.raises(ValidationError) as error:
        await engine.workflows.save({"name": "A", "nodes": [event_node("s", "Step"), workflow_node("b", "B")], "edges": []})
    assert error.value.field == "workflow.nodes[1].workflow"
    assert "A → B → A" in error.value.message
    with pytest.raises(ValidationError, match="A → A"):
        await engine.workflows.save({"name": "A", "nodes": [workflow_node("me", "A")], "edges": []})
    with pytest.raises(ValidationError, match="run by the workflow"):
        await engine.workflows.delete("A")
    with pytest.raises(ValidationError) as missing:
        await engine.workflows.save({"name": "C", "nodes": [workflow_node("x", "Nowhere")], "edges": []})
    assert missing.value.field == "workflow.nodes[0].workflow"


async def test_cancelling_the_parent_cancels_the_running_child(engine: Engine) -> None:
    await engine.events.create({"name": "Sleep", "type": "BASH", "content": "sleep 60"})
    await engine.workflows.save({"name": "Slow child", "nodes": [event_node("z", "Sleep")], "edges": []})
    await engine.workflows.save({"name": "Holder", "nodes": [workflow_node("c", "Slow child")], "edges": []})
    run_id = await engine.workflows.run("Holder")
    child_id = None
    for _ in range(200):
        child_id = await asyncio.to_thread(engine.workflows.children.child_run, run_id, "c")
        if child_id is not None and (await engine.workflows.result(child_id)).nodes["Sleep"].status == "RUNNING":
            break
        await asyncio.sleep(0.1)
    assert child_id is not None
    await engine.workflows.cancel(run_id)
    result = await engine.workflows.wait(run_id, timeout=30)
    child = await engine.workflows.result(child_id)
    assert result.status == "CANCELLED" and child.status == "CANCELLED"
    assert child.nodes["Sleep"].status == "CANCELLED"


async def test_nesting_deeper_than_the_setting_fails_the_node_with_the_reason(engine: Engine) -> None:
    await python(engine, "Leaf", "pass")
    await engine.workflows.save({"name": "L0", "nodes": [event_node("e", "Leaf")], "edges": []})
    for level in range(1, 4):
        await engine.workflows.save({"name": f"L{level}", "nodes": [workflow_node("w", f"L{level - 1}")], "edges": []})
    engine.settings.set("workflow_nesting_limit", 2)
    result = await engine.workflows.wait(await engine.workflows.run("L3"), timeout=60)
    assert result.status == "FAILURE"
    level_one = result.nodes["L2"].output["nodes"]["L1"]["output"]
    assert level_one["nodes"]["L0"]["status"] == "FAILURE"
    refused = await engine.workflows.runs("L0")
    assert [r.status for r in refused] == ["FAILURE"]  # recorded, never started: history says why
    assert "limit of 2 (Setting workflow_nesting_limit)" in (await engine.workflows.result(refused[0].workflow_execution_id)).error
    engine.settings.set("workflow_nesting_limit", 5)
    again = await engine.workflows.wait(await engine.workflows.run("L3"), timeout=60)
    assert again.status == "SUCCESS"


async def test_export_writes_the_child_workflows_and_import_resolves_them_by_name(engine: Engine, tmp_path: Path) -> None:
    await make_child(engine)
    await engine.calendars.save({"name": "Germany", "country": "DE"})
    await engine.workflows.save({"name": "Parent", "trigger": "SCHEDULE", "timezone": "Europe/Berlin",
                                 "schedule": {"business_day": -1, "at": "17:00", "calendar": "Germany"},
                                 "nodes": [workflow_node("c", "Child", "Sub")], "edges": []})
    path = tmp_path / "parent.cronium.json"
    document = await engine.files.export_workflow("Parent", path)
    assert [w["name"] for w in document["workflows"]] == ["Child"]
    assert document["workflow"]["nodes"][0] == {"id": "c", "kind": "WORKFLOW", "workflow": "Child", "label": "Sub",
                                                "x": 0, "y": 0}
    assert document["calendars"] == [{"name": "Germany", "description": "", "country": "DE", "subdivision": None,
                                      "dates": []}]
    assert {e["name"] for e in document["events"]} == {"Double", "Maybe fail"}
    # Another computer: a fresh data folder, through the CLI.
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    other_cli = Cli(other)
    imported = other_cli("import", str(path))
    assert imported.code == 0, imported.stderr
    assert "Created workflow 'Child'" in imported.stdout and "Created calendar 'Germany'" in imported.stdout
    ran = other_cli("run-workflow", "Parent", "--input", json.dumps({"n": 5}), "--json")
    assert ran.code == 0, ran.stderr
    output = json.loads(ran.stdout)
    assert output["nodes"]["Sub"]["output"]["nodes"]["Double"]["output"] == {"n": 10}
    assert output["nodes"]["Sub"]["output"]["parent_workflow_execution_id"] == output["workflow_execution_id"]
    again = other_cli("export", "--workflow", "Parent", "-o", str(tmp_path / "again.json"))
    assert again.code == 0, again.stderr
    assert json.loads((tmp_path / "again.json").read_text()) == document
