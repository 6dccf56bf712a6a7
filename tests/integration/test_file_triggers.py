"""File triggers on real folders (SPEC §1): changes become one debounced run listing paths and kinds."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.triggers.service import TriggerService
from tests.conftest import TEST_PASSPHRASE


@pytest.fixture
async def owner(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


def watcher_event(name: str, folder: Path, **trigger: Any) -> dict[str, Any]:
    return {"name": name, "type": "BASH", "content": "true", "status": "ACTIVE",
            "file_triggers": [{"folder": str(folder), "debounce_seconds": 0.3, **trigger}]}


async def file_runs(engine: Engine, event: str, count: int = 1, timeout: float = 10.0) -> list[Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        runs = [r for r in await engine.runs.list(event=event) if r.trigger == "FILE"]
        if len(runs) >= count or loop.time() > deadline:
            return runs
        await asyncio.sleep(0.1)


async def inputs(engine: Engine, runs: list[Any]) -> list[Any]:
    from cronium_desktop.engine.store.models import Execution

    with engine.ctx.db.read() as session:
        return [session.get(Execution, r.execution_id).input for r in runs]  # type: ignore[union-attr]


async def settled(engine: Engine) -> TriggerService:
    assert engine.triggers is not None
    await engine.triggers.settled()
    return engine.triggers


async def test_create_modify_move_delete_are_listed_with_their_kinds(owner: Engine, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "old.txt").write_text("x")
    (inbox / "gone.txt").write_text("x")
    (inbox / "move-me.txt").write_text("x")
    await owner.events.create(watcher_event("Watcher", inbox))
    await settled(owner)
    (inbox / "new.txt").write_text("hello")
    with open(inbox / "old.txt", "a") as handle:
        handle.write("more")
    os.rename(inbox / "move-me.txt", inbox / "renamed.txt")
    (inbox / "gone.txt").unlink()
    [run] = await file_runs(owner, "Watcher")
    [payload] = await inputs(owner, [run])
    assert payload["trigger"] == "FILE" and payload["folder"] == str(inbox)
    kinds = {(Path(c["path"]).name, c["kind"]) for c in payload["changes"]}
    assert ("new.txt", "created") in kinds
    assert ("old.txt", "modified") in kinds
    assert ("gone.txt", "deleted") in kinds
    moved = next(c for c in payload["changes"] if c["kind"] == "moved")
    assert Path(moved["to"]).name == "renamed.txt"


async def test_a_burst_of_500_files_is_one_run_listing_all_of_them(owner: Engine, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    await owner.events.create(watcher_event("Burst", drop, debounce_seconds=1, kinds=["created"]))
    await settled(owner)
    for index in range(500):
        (drop / f"file{index:03d}.csv").write_text(str(index))
    runs = await file_runs(owner, "Burst")
    await asyncio.sleep(2)  # nothing else follows the burst
    runs = await file_runs(owner, "Burst")
    assert len(runs) == 1
    [payload] = await inputs(owner, runs)
    assert sorted(Path(c["path"]).name for c in payload["changes"]) == [f"file{i:03d}.csv" for i in range(500)]
    assert {c["kind"] for c in payload["changes"]} == {"created"}


async def test_globs_and_recursion_choose_which_changes_count(owner: Engine, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    await owner.events.create(watcher_event("Flat csv", root, patterns=["*.csv"], recursive=False))
    await owner.events.create(watcher_event("Deep csv", root, patterns=["*.csv"], recursive=True))
    await settled(owner)
    (root / "notes.txt").write_text("ignored by both")
    (root / "sub" / "deep.csv").write_text("1")
    (root / "top.csv").write_text("1")
    [flat] = await file_runs(owner, "Flat csv")
    [deep] = await file_runs(owner, "Deep csv")
    await asyncio.sleep(0.8)
    flat_paths = {Path(c["path"]).name for c in (await inputs(owner, [flat]))[0]["changes"]}
    deep_paths = {Path(c["path"]).name for c in (await inputs(owner, [deep]))[0]["changes"]}
    assert flat_paths == {"top.csv"}
    assert deep_paths == {"top.csv", "deep.csv"}


async def test_a_vanished_folder_pauses_the_trigger_with_a_reason_and_resumes(data_dir: Path, tmp_path: Path) -> None:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        assert engine.triggers is not None
        folder = tmp_path / "usb"
        folder.mkdir()
        event_id = await engine.events.create(watcher_event("Usb", folder))
        triggers = await settled(engine)
        assert triggers.watch_states("event", event_id)[0].watching
        shutil.rmtree(folder)
        await asyncio.sleep(6)  # the default existence check runs every 5 s
        [state] = triggers.watch_states("event", event_id)
        assert not state.watching and "is gone" in state.reason and str(folder) in state.reason
        folder.mkdir()
        await asyncio.sleep(6)
        assert triggers.watch_states("event", event_id)[0].watching
        (folder / "back.txt").write_text("x")
        assert len(await file_runs(engine, "Usb")) == 1
    finally:
        await engine.stop(grace_seconds=1)


async def test_pausing_the_event_stops_watching(owner: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    event_id = await owner.events.create(watcher_event("Paused", folder))
    triggers = await settled(owner)
    await owner.events.set_status(event_id, "PAUSED")
    await asyncio.sleep(0.2)
    await triggers.settled()
    assert triggers.watch_states("event", event_id) == []
    (folder / "x.txt").write_text("x")
    assert await file_runs(owner, "Paused", timeout=1.5) == []


async def test_a_workflow_runs_when_its_folder_changes_with_the_changes_as_input(owner: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    await owner.events.create({"name": "Step", "type": "BASH", "content": "true"})
    assert owner.workflows is not None
    workflow_id = await owner.workflows.save({
        "name": "On export", "trigger": "MANUAL", "status": "ACTIVE",
        "nodes": [{"id": "n1", "event": "Step", "label": "Step", "x": 0, "y": 0}], "edges": [],
        "file_triggers": [{"folder": str(folder), "patterns": ["*.json"], "debounce_seconds": 0.3}]})
    await settled(owner)
    (folder / "report.json").write_text("{}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not (runs := await owner.workflows.runs(workflow_id)) and loop.time() < deadline:
        await asyncio.sleep(0.1)
    [workflow_run] = runs
    result = await owner.workflows.wait(workflow_run.workflow_execution_id, timeout=20)
    assert result.status == "SUCCESS"
    from cronium_desktop.engine.store.models import WorkflowExecution

    with owner.ctx.db.read() as session:
        row = session.get(WorkflowExecution, workflow_run.workflow_execution_id)
        assert row is not None and row.trigger == "FILE"
        assert [Path(c["path"]).name for c in row.input["changes"]] == ["report.json"]
