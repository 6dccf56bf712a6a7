"""Crash recovery (SPEC §2) and conditional RUN_EVENT actions (SPEC §4)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cronium_desktop.engine.actions import MAX_CHAIN_DEPTH
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.executors import spool
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.notices import RunFinished
from cronium_desktop.engine.runs.runner import REATTACHED, Runner
from cronium_desktop.engine.runs.service import INTERRUPTED
from tests.conftest import TEST_PASSPHRASE, Cli, stop_launcher


async def wait_for_status(engine: Engine, status: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(run.status == status for run in await engine.runs.list()):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no run reached {status} in {timeout} s")


def run_pids(data_dir: Path) -> list[int]:
    """The PIDs of the runs' processes in the folder's run folders, as recovery finds them."""
    identities = [spool.read_identity(folder) or {} for folder in run_folders_root(data_dir).glob("run-*")]
    return [pid for pid in (identity.get("pid") for identity in identities) if isinstance(pid, int)]


async def test_run_left_running_by_a_crash_fails_as_interrupted(data_dir: Path, cli: Cli) -> None:
    """Its process gone too (as after a reboot): a run still going would be followed again instead."""
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await observer.start()
    await observer.events.create({"name": "Long", "type": "BASH", "content": "echo started; sleep 60"})
    process, said = cli_run(cli, "Long")
    try:
        await wait_for_status(observer, "RUNNING")
        # RUNNING is recorded before the run starts, then its identity: kill once it is.
        deadline = time.monotonic() + 30
        while not run_pids(data_dir) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    await observer.stop()
    stop_launcher(data_dir)  # as a reboot: no one is left to record the run's end
    for pid in run_pids(data_dir):
        os.killpg(pid, signal.SIGKILL)  # the run's session

    restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await restarted.start(scheduler=True)
    try:
        [run] = await restarted.runs.list()
        assert run.status == "FAILURE"
        assert run.error == INTERRUPTED
        detail = await restarted.runs.get(run.execution_id)
        assert detail.attempts[-1].error == INTERRUPTED
    finally:
        await restarted.stop(grace_seconds=1)


async def test_the_run_folder_a_crash_left_is_removed_at_next_start(data_dir: Path, cli: Cli) -> None:
    """The run folder holds the run's script, input and results: it must not outlive a crash."""
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await observer.start()
    await observer.variables.set("DB_PASSWORD", "hunter2-in-the-run-folder", secret=True)
    await observer.events.create({"name": "Long", "type": "BASH", "content": "echo $$ > script.pid; sleep 60"})
    process, said = cli_run(cli, "Long")
    root = run_folders_root(data_dir)
    script_pid = None
    try:
        await wait_for_status(observer, "RUNNING")
        deadline = time.monotonic() + 10
        while not (folders := [path for path in root.glob("run-*") if path.is_dir()]) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # RUNNING is recorded just before the folder is made
        [folder] = folders
        while not (folder / "script.pid").exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        script_pid = int((folder / "script.pid").read_text())
        assert (folder / "script.sh").is_file()
        # Variables are read on demand (runtime_requests), never written into the folder.
        assert not any(b"hunter2-in-the-run-folder" in path.read_bytes() for path in folder.rglob("*") if path.is_file())
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop_launcher(data_dir)
        os.killpg(os.getpgid(script_pid), signal.SIGKILL)  # the run is gone too (as after a reboot)
        await observer.stop()
        stranger = root / "run-999999-still-going"  # another run's folder is not touched
        stranger.mkdir()

        restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
        await restarted.start(scheduler=True)
        try:
            [run] = await restarted.runs.list()
            assert run.status == "FAILURE" and run.error == INTERRUPTED
            assert not folder.exists()
            assert stranger.is_dir()
        finally:
            await restarted.stop(grace_seconds=1)
    finally:
        if process.poll() is None:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


async def test_interrupted_run_with_retries_left_is_retried_at_next_start(data_dir: Path) -> None:
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create(
        {"name": "Resilient", "type": "BASH", "content": "echo attempt done", "retries": 1, "retry_backoff_seconds": 0}
    )
    # Leave a run exactly as a crash would: recorded RUNNING with its first attempt open.
    from cronium_desktop.engine.store.models import Attempt, Execution

    with first.ctx.db.write() as session:
        execution = Execution(event_id=event_id, event_name="Resilient", trigger="MANUAL", status="RUNNING",
                              max_attempts=2, started_at=None)
        session.add(execution)
        session.flush()
        session.add(Attempt(execution_id=execution.id, number=1, status="RUNNING"))
        execution_id = execution.id
    await first.stop()

    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    try:
        run = await second.runs.wait(execution_id, timeout=15)
        assert (run.status, run.attempt) == ("SUCCESS", 2)
        detail = await second.runs.get(execution_id)
        assert [(a.number, a.status) for a in detail.attempts] == [(1, "FAILURE"), (2, "SUCCESS")]
    finally:
        await second.stop(grace_seconds=1)


async def test_pending_runs_run_at_next_start(data_dir: Path) -> None:
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create({"name": "Queued", "type": "BASH", "content": "echo ran"})
    from cronium_desktop.engine.store.models import Execution

    with first.ctx.db.write() as session:
        execution = Execution(event_id=event_id, event_name="Queued", trigger="SCHEDULE", status="PENDING")
        session.add(execution)
        session.flush()
        execution_id = execution.id
    await first.stop()

    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    try:
        assert (await second.runs.wait(execution_id, timeout=15)).status == "SUCCESS"
    finally:
        await second.stop(grace_seconds=1)


async def test_run_event_action_passes_output_as_input(engine: Engine) -> None:
    await engine.events.create(
        {"name": "Load", "type": "PYTHON", "content": "import cronium\ncronium.output({'loaded': cronium.input()['rows']})"}
    )
    extract = await engine.events.create(
        {
            "name": "Extract",
            "type": "PYTHON",
            "content": "import cronium\ncronium.output({'rows': 42})",
            "conditional_actions": [
                {"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "Load"},
                {"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "Load"},
            ],
        }
    )
    first = await engine.runs.wait(await engine.runs.start(extract))
    await engine.runs.idle()
    runs = await engine.runs.list()
    assert [r.event for r in runs] == ["Load", "Extract"]  # ON_FAILURE did not fire
    load = await engine.runs.get(runs[0].execution_id)
    assert (load.trigger, load.input, load.output) == ("ACTION", {"rows": 42}, {"loaded": 42})
    assert load.parent_execution_id == first.execution_id


async def test_on_condition_and_always_actions_follow_the_run(engine: Engine) -> None:
    await engine.events.create({"name": "Target", "type": "BASH", "content": "true"})
    source = await engine.events.create(
        {
            "name": "Source",
            "type": "PYTHON",
            "content": "import cronium, sys\ncronium.setCondition(True)\nsys.exit(1)",
            "conditional_actions": [
                {"on": "ON_CONDITION", "action": "RUN_EVENT", "event": "Target"},
                {"on": "ALWAYS", "action": "RUN_EVENT", "event": "Target"},
                {"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "Target"},
            ],
        }
    )
    await engine.runs.wait(await engine.runs.start(source))
    await engine.runs.idle()
    assert [r.event for r in await engine.runs.list()].count("Target") == 2


async def test_run_event_chain_deeper_than_twenty_is_stopped(engine: Engine) -> None:
    loop_id = await engine.events.create({"name": "Ouroboros", "type": "BASH", "content": "true"})
    spec = await engine.events.get(loop_id)
    spec["conditional_actions"] = [{"on": "ALWAYS", "action": "RUN_EVENT", "event": "Ouroboros"}]
    await engine.events.update(loop_id, spec)
    await engine.runs.start(loop_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await engine.runs.idle()
        runs = await engine.runs.list(limit=100)
        if len(runs) >= MAX_CHAIN_DEPTH + 1 and all(r.status == "SUCCESS" for r in runs):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    runs = await engine.runs.list(limit=100)
    assert len(runs) == MAX_CHAIN_DEPTH + 1  # the first run plus twenty chained ones
    last = runs[0]
    texts = [line.text for line in await engine.runs.log(last.execution_id)]
    assert any("deeper than 20" in text for text in texts)


async def test_interrupted_run_gets_its_on_failure_action_at_next_start(data_dir: Path) -> None:
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    await first.events.create({"name": "Clean up", "type": "BASH", "content": "echo cleaned"})
    event_id = await first.events.create(
        {"name": "Nightly", "type": "BASH", "content": "sleep 60",
         "conditional_actions": [{"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "Clean up"}]}
    )
    from cronium_desktop.engine.store.models import Attempt, Execution

    with first.ctx.db.write() as session:
        execution = Execution(event_id=event_id, event_name="Nightly", trigger="SCHEDULE", status="RUNNING")
        session.add(execution)
        session.flush()
        session.add(Attempt(execution_id=execution.id, number=1, status="RUNNING"))
        execution_id = execution.id
    await first.stop()

    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    try:
        await wait_for_status(second, "SUCCESS")
        await second.runs.idle()
        cleanup = next(run for run in await second.runs.list() if run.event == "Clean up")
        assert cleanup.status == "SUCCESS"
        assert (await second.runs.get(cleanup.execution_id)).parent_execution_id == execution_id
        assert (await second.runs.summary(execution_id)).error == INTERRUPTED
    finally:
        await second.stop(grace_seconds=1)


async def test_queued_node_run_of_an_interrupted_workflow_is_cancelled_not_run(data_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "node-ran"
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create({"name": "Node", "type": "BASH", "content": f"touch {marker}"})
    from cronium_desktop.engine.store.models import Execution, WorkflowExecution

    with first.ctx.db.write() as session:
        workflow_run = WorkflowExecution(workflow_name="Publish", trigger="MANUAL", status="RUNNING")
        session.add(workflow_run)
        session.flush()
        execution = Execution(event_id=event_id, event_name="Node", trigger="WORKFLOW", status="PENDING",
                              workflow_execution_id=workflow_run.id, workflow_node_key="n1")
        session.add(execution)
        session.flush()
        execution_id = execution.id
    await first.stop()

    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    try:
        await asyncio.sleep(0.5)
        await second.runs.idle()
        run = await second.runs.summary(execution_id)
        assert run.status == "CANCELLED"
        assert "workflow run was interrupted" in (run.error or "")
        assert not marker.exists()
    finally:
        await second.stop(grace_seconds=1)


async def test_window_started_during_a_cli_run_leaves_that_run_alone(data_dir: Path, cli: Cli) -> None:
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await observer.start()
    await observer.events.create(
        {"name": "Deploy", "type": "BASH", "content": "echo started; sleep 25", "retries": 1, "retry_backoff_seconds": 0}
    )
    await observer.stop()
    process, said = cli_run(cli, "Deploy")
    window = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    try:
        await until_a_run_is_running(data_dir, process, said)
        await window.start(scheduler=True)
        [run] = await window.runs.list()
        assert (run.status, run.attempt, run.error) == ("RUNNING", 1, None)  # not "interrupted", not retried
        assert process.wait(timeout=60) == 0
        detail = await window.runs.get(run.execution_id)
        assert (detail.status, [(a.number, a.status) for a in detail.attempts]) == ("SUCCESS", [(1, "SUCCESS")])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await window.stop(grace_seconds=1)


def cli_run(cli: Cli, name: str) -> tuple[subprocess.Popen[bytes], Path]:
    """`run NAME` in a process of its own, what it says kept in a file beside the data folder."""
    said = cli.data_dir.parent / f"cli-run-{name}.txt"
    with open(said, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run", name], env=cli.env,
                                   stdout=output, stderr=subprocess.STDOUT)
    return process, said


async def until_a_run_is_running(data_dir: Path, process: subprocess.Popen[bytes], said: Path,
                                 timeout: float = 60) -> None:
    """Wait until the store shows a RUNNING run (read straight from the file: the CLI's start-up
    under load would take a good part of the script's own time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (data_dir / "cronium.db").exists():
            with sqlite3.connect(data_dir / "cronium.db") as connection:
                if connection.execute("SELECT 1 FROM executions WHERE status = 'RUNNING'").fetchone():
                    return
        await asyncio.sleep(0.1)
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        runs = connection.execute("SELECT id, status, error FROM executions").fetchall()
    raise AssertionError(f"no run started; the CLI {'exited ' + str(process.returncode) if process.poll() is not None else 'still runs'}, "
                         f"runs {runs}, it said: {said.read_text(errors='replace')[-2000:]!r}")


async def test_run_of_a_cli_killed_while_the_window_runs_is_followed_once_the_cli_is_gone(data_dir: Path, cli: Cli) -> None:
    """The script outlives the killed CLI: the window follows it again and records how it ended."""
    observer = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await observer.start()
    await observer.events.create({"name": "Long", "type": "BASH", "content": "echo started; sleep 25"})
    await observer.stop()
    process, said = cli_run(cli, "Long")
    window = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    try:
        await until_a_run_is_running(data_dir, process, said)
        await window.start(scheduler=True)
        [running] = await window.runs.list()
        assert running.status == "RUNNING"
        # Killed once it has recorded the script's first line (the CLI reads the output in batches),
        # so the log reads in the order things happened: the line, then the window taking over.
        deadline = time.monotonic() + 30
        while not [record for record in await window.runs.log(running.execution_id) if record.text == "started"]:
            assert time.monotonic() < deadline, "the CLI never recorded the script's first line"
            await asyncio.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait()
        await wait_for_status(window, "SUCCESS", timeout=60)
        [run] = await window.runs.list()
        assert run.exit_code == 0
        texts = [record.text for record in await window.runs.log(run.execution_id)]
        assert texts == ["started", REATTACHED]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        await window.stop(grace_seconds=1)


async def test_an_event_run_by_another_events_action_cannot_be_deleted(engine: Engine) -> None:
    cleanup = await engine.events.create({"name": "Cleanup", "type": "BASH", "content": "true"})
    backup = await engine.events.create(
        {"name": "Backup", "type": "BASH", "content": "false",
         "conditional_actions": [{"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "Cleanup"}]}
    )
    blocker = await engine.events.delete_blocker(cleanup)  # what a window says before offering to delete
    assert blocker is not None and "conditional action of event 'Backup'" in blocker
    assert await engine.events.delete_blocker(backup) is None
    with pytest.raises(ValidationError) as refused:
        await engine.events.delete(cleanup)
    assert refused.value.field == "event"
    assert "conditional action of event 'Backup'" in str(refused.value)
    assert (await engine.events.get("Cleanup"))["name"] == "Cleanup"  # still there
    await engine.events.delete(backup)  # once its caller is gone, it can go too
    await engine.events.delete(cleanup)
    assert await engine.events.list() == []


async def test_a_run_whose_end_was_not_recorded_is_recorded_with_its_true_status_at_next_start(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app dies after a run ended and before its end was committed (here: that write fails). The
    run's folder, with its status and output, stays until that commit, so the next start records what
    really happened (exit 3, its output) instead of "interrupted"."""
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create({"name": "Quick", "type": "BASH", "content": "echo done\nexit 3"})

    def died(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the app died before this write")

    monkeypatch.setattr(Runner, "_record_final", died)
    execution_id = await first.runs.start(event_id)
    root = run_folders_root(data_dir)
    deadline = time.monotonic() + 15
    while not any(spool.read_status(folder) is not None for folder in root.glob(f"run-{execution_id}-*")):
        assert time.monotonic() < deadline, "no run folder with its status: it must stay until the end is recorded"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # its end read and the write failed
    await first.stop(grace_seconds=0)
    monkeypatch.undo()

    restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    folder_when_told: list[bool] = []  # when the restarted app says the run finished, is its folder still there?
    restarted.bus.subscribe(lambda notice: folder_when_told.append(bool(list(root.glob(f"run-{execution_id}-*"))))
                            if isinstance(notice, RunFinished) and notice.execution_id == execution_id else None)
    await restarted.start(scheduler=True)
    try:
        await wait_for_status(restarted, "FAILURE")
        [run] = await restarted.runs.list()
        assert (run.status, run.exit_code) == ("FAILURE", 3) and run.error != INTERRUPTED
        assert [record.text for record in await restarted.runs.log(run.execution_id) if record.stream == "stdout"] == ["done"]
        gone = time.monotonic() + 10  # removed once its end is committed: just after the status shows
        while not folder_when_told:
            assert time.monotonic() < gone, "no notice that the run finished"
            await asyncio.sleep(0.05)
        assert folder_when_told == [False]  # recorded, then removed, then announced, as a fresh run
        assert not list(root.glob(f"run-{execution_id}-*"))
    finally:
        await restarted.stop(grace_seconds=1)
