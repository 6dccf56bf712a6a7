"""Workflows end to end (SPEC §5): branching, data flow, parallelism, cancel, webhooks, files, CLI."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.notices import NodeStateChanged
from tests.conftest import TEST_PASSPHRASE, Cli


async def bash(engine: Engine, name: str, script: str) -> None:
    await engine.events.create({"name": name, "type": "BASH", "content": script})


def node(node_id: str, event: str, label: str | None = None) -> dict[str, Any]:
    return {"id": node_id, "event": event, "label": label or event, "x": 0, "y": 0}


def edge(source: str, target: str, kind: str = "ON_SUCCESS") -> dict[str, str]:
    return {"from": source, "to": target, "type": kind}


async def run(engine: Engine, workflow: dict[str, Any], input: Any = None):  # type: ignore[no-untyped-def]
    await engine.workflows.save(workflow)
    execution_id = await engine.workflows.run(workflow["name"], input=input)
    return await engine.workflows.wait(execution_id, timeout=60)


async def test_linear_chain_passes_output_along_across_languages(engine: Engine) -> None:
    await engine.events.create({"name": "Py", "type": "PYTHON",
                                "content": "import cronium\ncronium.output({'n': cronium.input()['n'] + 1})"})
    await engine.events.create({"name": "Js", "type": "NODEJS", "content":
                                "const c = require('cronium');\n(async () => { const i = await c.input(); await c.output({n: i.n * 10}); })();"})
    await engine.events.create({"name": "Sh", "type": "BASH", "content":
                                "source cronium.sh\nn=$(cronium_input | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"n\"])')\ncronium_output \"{\\\"n\\\": $((n + 5))}\""})
    result = await run(engine, {"name": "Chain", "nodes": [node("a", "Py"), node("b", "Js"), node("c", "Sh")],
                                "edges": [edge("a", "b"), edge("b", "c")]}, input={"n": 1})
    assert result.status == "SUCCESS"
    assert [result.nodes[label].output for label in ("Py", "Js", "Sh")] == [{"n": 2}, {"n": 20}, {"n": 25}]
    runs = await engine.runs.list(workflow_execution_id=result.workflow_execution_id)
    assert {r.trigger for r in runs} == {"WORKFLOW"} and len(runs) == 3


async def test_fan_out_runs_in_parallel_and_fan_in_gets_a_dict_by_label(engine: Engine) -> None:
    await engine.events.create({"name": "Start", "type": "PYTHON", "content": "import cronium\ncronium.output({'go': 1})"})
    await engine.events.create({"name": "Slow", "type": "PYTHON",
                                "content": "import cronium, time\nstart = time.time()\ntime.sleep(1.5)\n"
                                           "cronium.output({'start': start, 'end': time.time()})"})
    await engine.events.create({"name": "Join", "type": "PYTHON",
                                "content": "import cronium\ncronium.output(sorted(cronium.input()))"})
    result = await run(engine, {"name": "Fan", "nodes": [node("s", "Start"), node("l", "Slow", "Left"),
                                                         node("r", "Slow", "Right"), node("j", "Join")],
                                "edges": [edge("s", "l"), edge("s", "r"), edge("l", "j"), edge("r", "j")]})
    assert result.status == "SUCCESS"
    assert result.nodes["Join"].output == ["Left", "Right"]
    left, right = result.nodes["Left"].output, result.nodes["Right"].output
    assert max(left["start"], right["start"]) < min(left["end"], right["end"])  # side by side, not one after the other


@pytest.mark.parametrize(
    ("first", "edge_type", "second_status"),
    [("exit 0", "ON_SUCCESS", "SUCCESS"), ("exit 1", "ON_SUCCESS", "SKIPPED"),
     ("exit 1", "ON_FAILURE", "SUCCESS"), ("exit 0", "ON_FAILURE", "SKIPPED"),
     ("exit 1", "ALWAYS", "SUCCESS"), ("exit 0", "ALWAYS", "SUCCESS"),
     ("source cronium.sh; cronium_setCondition true", "ON_CONDITION", "SUCCESS"),
     ("source cronium.sh; cronium_setCondition false", "ON_CONDITION", "SKIPPED")],
)
async def test_each_edge_type(engine: Engine, first: str, edge_type: str, second_status: str) -> None:
    await bash(engine, "First", first)
    await bash(engine, "Second", "true")
    result = await run(engine, {"name": "Edge", "nodes": [node("a", "First"), node("b", "Second")],
                                "edges": [edge("a", "b", edge_type)]})
    assert result.nodes["Second"].status == second_status


async def test_skipping_propagates_and_unhandled_failure_fails_the_workflow(engine: Engine) -> None:
    await bash(engine, "Breaks", "exit 3")
    await bash(engine, "Ok", "true")
    result = await run(engine, {"name": "Skips", "nodes": [node("a", "Breaks"), node("b", "Ok", "B"), node("c", "Ok", "C")],
                                "edges": [edge("a", "b"), edge("b", "c", "ALWAYS")]})
    assert [result.nodes[k].status for k in ("Breaks", "B", "C")] == ["FAILURE", "SKIPPED", "SKIPPED"]
    assert result.status == "FAILURE"


async def test_failure_handled_by_an_on_failure_edge_is_partial(engine: Engine) -> None:
    await bash(engine, "Breaks", "exit 3")
    await bash(engine, "Cleanup", "echo cleaning")
    result = await run(engine, {"name": "Handled", "nodes": [node("a", "Breaks"), node("b", "Cleanup")],
                                "edges": [edge("a", "b", "ON_FAILURE")]})
    assert result.nodes["Cleanup"].status == "SUCCESS"
    assert result.status == "PARTIAL"


async def test_cycle_is_refused_naming_its_nodes(engine: Engine) -> None:
    await bash(engine, "A", "true")
    with pytest.raises(ValidationError) as caught:
        await engine.workflows.save({"name": "Loop", "nodes": [node("x", "A", "Extract"), node("y", "A", "Load")],
                                     "edges": [edge("x", "y"), edge("y", "x")]})
    assert "cycle" in caught.value.message and "Extract" in caught.value.message and "Load" in caught.value.message
    assert await engine.workflows.list() == []


async def test_dangling_edge_and_missing_event_are_refused(engine: Engine) -> None:
    await bash(engine, "A", "true")
    with pytest.raises(ValidationError) as caught:
        await engine.workflows.save({"name": "Dangling", "nodes": [node("x", "A")], "edges": [edge("x", "ghost")]})
    assert caught.value.field == "workflow.edges[0].to"
    with pytest.raises(ValidationError) as caught:
        await engine.workflows.save({"name": "Missing", "nodes": [node("x", "Nope")], "edges": []})
    assert caught.value.field == "workflow.nodes[0].event"
    with pytest.raises(ValidationError, match="at least one node"):
        await engine.workflows.save({"name": "Empty", "nodes": [], "edges": []})


async def test_node_states_are_published_live(engine: Engine) -> None:
    seen: list[tuple[str, str]] = []
    engine.bus.subscribe(lambda n: seen.append((n.node_key, n.status)) if isinstance(n, NodeStateChanged) else None)
    await bash(engine, "A", "true")
    await bash(engine, "B", "exit 1")
    await run(engine, {"name": "Live", "nodes": [node("a", "A"), node("b", "B"), node("c", "A", "C")],
                       "edges": [edge("a", "b"), edge("b", "c")]})
    assert seen == [("a", "RUNNING"), ("a", "SUCCESS"), ("b", "RUNNING"), ("b", "FAILURE"), ("c", "SKIPPED")]


async def test_cancel_stops_running_nodes_and_never_starts_pending_ones(engine: Engine) -> None:
    await bash(engine, "Long", "sleep 30")
    await bash(engine, "After", "true")
    await engine.workflows.save({"name": "Cancellable", "nodes": [node("a", "Long"), node("b", "After")],
                                 "edges": [edge("a", "b", "ALWAYS")]})
    execution_id = await engine.workflows.run("Cancellable")
    await asyncio.sleep(0.8)
    assert await engine.workflows.cancel(execution_id)
    result = await engine.workflows.wait(execution_id, timeout=15)
    assert result.status == "CANCELLED"
    assert (result.nodes["Long"].status, result.nodes["After"].status) == ("CANCELLED", "CANCELLED")
    assert result.nodes["After"].execution_id is None


@pytest.fixture
async def owner(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("webhook_port", 0)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


async def test_webhook_starts_the_workflow_with_the_body_as_input(owner: Engine) -> None:
    await owner.events.create({"name": "Echo", "type": "PYTHON", "content": "import cronium\ncronium.output(cronium.input())"})
    await owner.workflows.save({"name": "Hooked", "trigger": "WEBHOOK", "nodes": [node("a", "Echo")], "edges": []})
    token = (await owner.workflows.get("Hooked"))["webhook_token"]
    assert owner.webhooks is not None
    base = owner.webhooks.url
    async with aiohttp.ClientSession() as http:
        async with http.post(base + token, json={"order": 7}) as response:
            assert response.status == 202
            execution_id = (await response.json())["workflow_execution_id"]
        result = await owner.workflows.wait(execution_id, timeout=30)
        assert result.nodes["Echo"].output == {"order": 7}
        async with http.post(base + "wrong-token", json={}) as response:
            assert response.status == 404
        async with http.post(base + token, data=b"{not json", headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
        async with http.post(base + token, data=b"[" + b"1," * 600_000 + b"1]") as response:
            assert response.status == 413
        async with http.get(base + token) as response:
            assert response.status == 405
    assert len(await owner.workflows.runs("Hooked")) == 1


async def test_scheduled_workflow_runs_on_its_schedule(owner: Engine) -> None:
    await bash(owner, "Tick", "true")
    await owner.workflows.save({"name": "Every second", "trigger": "SCHEDULE", "schedule": {"every": 1, "unit": "SECONDS"},
                                "nodes": [node("a", "Tick")], "edges": []})
    await asyncio.sleep(2.6)
    runs = await owner.workflows.runs("Every second")
    assert len(runs) >= 2


async def test_export_import_and_run_on_a_second_data_folder(engine: Engine, tmp_path: Path) -> None:
    await engine.events.create({"name": "Extract", "type": "PYTHON", "content": "import cronium\ncronium.output({'rows': 2})"})
    await engine.events.create({"name": "Load", "type": "PYTHON",
                                "content": "import cronium\ncronium.output({'loaded': cronium.input()['rows']})"})
    await engine.workflows.save({"name": "Publish", "nodes": [{"id": "n1", "event": "Extract", "label": "Extract", "x": 10, "y": 20},
                                                             {"id": "n2", "event": "Load", "label": "Load", "x": 200, "y": 20}],
                                 "edges": [edge("n1", "n2")]})
    path = tmp_path / "publish.cronium.json"
    document = await engine.files.export_workflow("Publish", path)
    assert [n["event"] for n in document["workflow"]["nodes"]] == ["extract", "load"]
    second = Engine(tmp_path / "second", passphrase=TEST_PASSPHRASE)
    await second.start()
    try:
        report = await second.files.import_file(path)
        assert report.workflow == "Publish"
        original, imported = await engine.workflows.get("Publish"), await second.workflows.get("Publish")
        for key in ("nodes", "edges", "trigger", "schedule"):
            assert original[key] == imported[key]
        result = await second.workflows.wait(await second.workflows.run("Publish"), timeout=30)
        assert result.nodes["Load"].output == {"loaded": 2}
    finally:
        await second.stop()


async def test_import_refuses_a_workflow_with_a_bad_node_and_writes_nothing(engine: Engine) -> None:
    document = {"format": "cronium-desktop", "version": 1,
                "events": [{"key": "a", "name": "A", "type": "BASH", "content": "true"}],
                "workflow": {"name": "W", "trigger": "MANUAL", "schedule": None,
                             "nodes": [node("n1", "a"), node("n2", "zzz")], "edges": []}}
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(document)
    assert caught.value.field == "workflow.nodes[1].event"
    assert await engine.events.list() == [] and await engine.workflows.list() == []


def test_cli_run_workflow_json(cli: Cli, tmp_path: Path) -> None:
    document = {"format": "cronium-desktop", "version": 1,
                "events": [{"key": "a", "name": "A", "type": "PYTHON", "content": "import cronium\ncronium.output({'a': 1})"},
                           {"key": "b", "name": "B", "type": "BASH", "content": "echo in b; exit 2"}],
                "workflow": {"name": "Flow", "trigger": "MANUAL", "schedule": None,
                             "nodes": [node("n1", "a", "First"), node("n2", "b", "Second")],
                             "edges": [edge("n1", "n2")]}}
    path = tmp_path / "flow.cronium.json"
    path.write_text(json.dumps(document))
    assert cli("import", str(path)).code == 0
    result = cli("run-workflow", "Flow", "--json")
    assert result.code == 1
    data = result.json()
    assert set(data) == {"workflow_execution_id", "status", "nodes"}  # type: ignore[arg-type]
    assert data["status"] == "FAILURE"  # type: ignore[index]
    assert data["nodes"] == {"First": {"status": "SUCCESS", "output": {"a": 1}},  # type: ignore[index]
                             "Second": {"status": "FAILURE", "output": None}}
    assert "[Second] in b" in result.stderr  # lines are told by node label, as the JSON names the nodes
    assert "[cronium] First: SUCCESS" in result.stderr
    listed = cli("list", "workflows", "--json").json()
    assert listed[0]["name"] == "Flow" and listed[0]["last_status"] == "FAILURE"  # type: ignore[index]


@pytest.mark.parametrize("through_host", [False, True], ids=["hosting", "handed-to-the-host"])
async def test_run_workflow_tells_a_fast_nodes_lines_that_come_before_its_state_is_recorded(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, through_host: bool) -> None:
    """A node's run starts as it is recorded and can print before the workflow has recorded the
    node as RUNNING (here that record is held up, as a slow disk would): `run-workflow` still tells
    its lines by the node's label, whether it runs the workflow itself or the folder's host does."""
    import io

    from cronium_desktop.cli.workflows import NodeLog, _run_here
    from cronium_desktop.engine.runs.host import RunHost, hand_over
    from cronium_desktop.engine.workflows.service import WorkflowService

    await bash(engine, "Quick", "echo quick line")
    await engine.workflows.save({"name": "Fast", "nodes": [node("n1", "Quick", "Only")], "edges": []})
    set_node = WorkflowService._set_node

    def slow_set_node(self: WorkflowService, *args: Any) -> None:
        time.sleep(0.5)
        set_node(self, *args)

    monkeypatch.setattr(WorkflowService, "_set_node", slow_set_node)
    stream = io.StringIO()
    log = NodeLog(await engine.workflows.get("Fast"), stream)
    if through_host:
        host = RunHost(engine.data_dir, engine.runs, engine.bus, engine.workflows)
        assert host.try_acquire()
        await host.serve()
        try:
            result = await hand_over(engine.data_dir, "Fast", None, lambda *_: None, workflow=True,
                                     on_message=log.message)
        finally:
            await host.stop(grace_seconds=1)
    else:
        result = await _run_here(engine, "Fast", None, log)
    assert result is not None and result["status"] == "SUCCESS"
    assert "[Only] quick line" in stream.getvalue().splitlines(), stream.getvalue()


async def test_recovery_fails_workflow_runs_left_running_by_a_crash(data_dir: Path, cli: Cli) -> None:
    import signal
    import subprocess
    import sys

    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    await bash(first, "A", "sleep 30")
    await first.workflows.save({"name": "Interrupted", "nodes": [node("a", "A")], "edges": []})
    await first.stop()
    process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run-workflow", "Interrupted"], env=cli.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "RUNNING" not in cli("list", "runs").stdout:
            await asyncio.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    second.settings.set("webhook_port", 0)
    await second.start(scheduler=True)
    try:
        [summary] = await second.workflows.runs("Interrupted")
        result = await second.workflows.result(summary.workflow_execution_id)
        assert result.status == "FAILURE"
        assert result.nodes["A"].status == "FAILURE"
    finally:
        await second.stop()


async def test_saving_a_workflow_again_replaces_its_graph(engine: Engine) -> None:
    await bash(engine, "A", "true")
    await bash(engine, "B", "true")
    workflow_id = await engine.workflows.save({"name": "Edited", "nodes": [node("a", "A"), node("b", "B")],
                                               "edges": [edge("a", "b")]})
    saved = await engine.workflows.get(workflow_id)
    saved["nodes"][1]["x"] = 321
    saved["edges"][0]["type"] = "ALWAYS"
    assert await engine.workflows.save(saved) == workflow_id
    again = await engine.workflows.get(workflow_id)
    assert again["nodes"][1]["x"] == 321 and again["edges"] == [{"from": "a", "to": "b", "type": "ALWAYS"}]
