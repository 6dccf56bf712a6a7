"""Retention keeps exactly what it should: boundary days, runs still going, workflow runs together,
the per-event cap, and everything a run owns; `prune` on demand; a prune beside a live run."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.notices import Segment
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.store.models import (
    Attempt,
    Event,
    Execution,
    LogBlock,
    ServerResult,
    WorkflowExecution,
)

NOW = datetime(2026, 6, 1, 12, 0, 0)


def _event(engine: Engine, name: str) -> int:
    with engine.ctx.db.write() as session:
        event = Event(name=name, type="BASH", content="true")
        session.add(event)
        session.flush()
        return event.id


def _run(engine: Engine, event_id: int | None, created: datetime, status: str = "SUCCESS", *,
         workflow_run: int | None = None, lines: int = 3, servers: int = 0, noise: bool = False) -> int:
    """A run as the runner leaves it: the execution, its attempt, a log block, server results."""
    with engine.ctx.db.write() as session:
        run_id = session.scalar(insert(Execution).returning(Execution.id).values(
            event_id=event_id, event_name="e", trigger="SCHEDULE", status=status, created_at=created,
            started_at=created, finished_at=None if status in ("RUNNING", "PENDING") else created,
            workflow_execution_id=workflow_run))
        assert run_id is not None
        session.add(Attempt(execution_id=run_id, number=1, status=status, started_at=created))
        for index in range(servers):
            session.add(ServerResult(execution_id=run_id, server_name=f"s{index}", status=status))
        texts = "\n".join(f"line {i}" + (f" {os.urandom(12).hex()}" if noise else "") for i in range(lines)).encode()
        logstore.write_block(session.connection(), run_id, 1, [Segment("stdout", created, texts, lines)])
        return run_id


def _workflow_run(engine: Engine, created: datetime, status: str = "SUCCESS") -> int:
    with engine.ctx.db.write() as session:
        run = WorkflowExecution(workflow_name="w", trigger="MANUAL", status=status, created_at=created)
        session.add(run)
        session.flush()
        return run.id


def _ids(engine: Engine) -> set[int]:
    with engine.ctx.db.read() as session:
        return set(session.scalars(select(Execution.id)))


def _count(engine: Engine, model: Any) -> int:
    with engine.ctx.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def test_runs_older_than_the_kept_days_go_and_younger_ones_stay(engine: Engine) -> None:
    event = _event(engine, "nightly")
    boundary = NOW - timedelta(days=90)
    just_inside = _run(engine, event, boundary + timedelta(minutes=1))
    just_outside = _run(engine, event, boundary - timedelta(minutes=1))
    recent = _run(engine, event, NOW - timedelta(days=3))
    old = _run(engine, event, NOW - timedelta(days=400), "FAILURE")

    report = await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert _ids(engine) == {just_inside, recent}
    assert just_outside not in _ids(engine) and old not in _ids(engine)
    assert (report.runs, report.log_lines) == (2, 6)


async def test_runs_still_going_are_never_pruned_however_old(engine: Engine) -> None:
    event = _event(engine, "long")
    running = _run(engine, event, NOW - timedelta(days=300), "RUNNING")
    pending = _run(engine, event, NOW - timedelta(days=300), "PENDING")
    engine.settings.set("max_runs_per_event", 1)
    newer = [_run(engine, event, NOW - timedelta(days=1)) for _ in range(3)]

    await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert _ids(engine) == {running, pending, newer[-1]}


async def test_an_event_keeps_at_most_its_newest_runs(engine: Engine) -> None:
    engine.settings.set("max_runs_per_event", 3)
    busy, quiet = _event(engine, "busy"), _event(engine, "quiet")
    busy_runs = [_run(engine, busy, NOW - timedelta(hours=10 - i)) for i in range(7)]
    quiet_runs = [_run(engine, quiet, NOW - timedelta(hours=2)) for _ in range(2)]

    report = await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert _ids(engine) == set(busy_runs[-3:]) | set(quiet_runs)
    assert report.runs == 4


async def test_the_runs_of_a_workflow_go_together_with_it(engine: Engine) -> None:
    engine.settings.set("max_runs_per_event", 2)
    event = _event(engine, "step")
    old_flow = _workflow_run(engine, NOW - timedelta(days=120))
    old_nodes = [_run(engine, event, NOW - timedelta(days=120), workflow_run=old_flow) for _ in range(3)]
    new_flow = _workflow_run(engine, NOW - timedelta(days=1))
    # Node runs never count towards the event's cap, and never go without their workflow run.
    new_nodes = [_run(engine, event, NOW - timedelta(days=1), workflow_run=new_flow) for _ in range(4)]

    report = await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert _ids(engine) == set(new_nodes)
    assert not set(old_nodes) & _ids(engine)
    with engine.ctx.db.read() as session:
        assert set(session.scalars(select(WorkflowExecution.id))) == {new_flow}
    assert (report.workflow_runs, report.runs) == (1, 3)


async def test_a_pruned_run_takes_its_log_attempts_and_server_results_along(engine: Engine) -> None:
    event = _event(engine, "multi")
    _run(engine, event, NOW - timedelta(days=200), "PARTIAL", servers=3, lines=50)
    kept = _run(engine, event, NOW, servers=2, lines=5)

    report = await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert (report.server_results, report.log_lines, report.log_blocks) == (3, 50, 1)
    assert _count(engine, ServerResult) == 2 and _count(engine, Attempt) == 1 and _count(engine, LogBlock) == 1
    assert [r.text for r in await engine.runs.log(kept)] == [f"line {i}" for i in range(5)]


async def test_zero_days_and_no_cap_keep_everything(engine: Engine) -> None:
    engine.settings.set("log_retention_days", 0)
    engine.settings.set("max_runs_per_event", 0)
    event = _event(engine, "keep")
    runs = {_run(engine, event, NOW - timedelta(days=3000)) for _ in range(3)}

    report = await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert _ids(engine) == runs and report.runs == 0


def test_prune_command_says_what_it_would_remove_then_removes_it_and_the_store_shrinks(cli: Any, data_dir: Any) -> None:
    async def fill() -> None:
        engine = Engine(data_dir)
        event = _event(engine, "chatty")
        long_ago = datetime.now() - timedelta(days=200)
        for _ in range(150):
            _run(engine, event, long_ago, lines=2000, noise=True)
        _run(engine, event, datetime.now(), lines=10)
        await engine.stop()

    asyncio.run(fill())
    store = data_dir / "cronium.db"
    before = store.stat().st_size

    dry = cli("prune", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert "Would remove 150 run(s)" in dry.stdout and "300000 log line(s)" in dry.stdout
    assert cli("list", "runs", "--json").json().__len__() == 151

    done = cli("prune")
    assert done.code == 0, done.stderr
    assert "Removed 150 run(s)" in done.stdout
    assert len(cli("list", "runs", "--json").json()) == 1
    assert store.stat().st_size < before / 10


async def test_a_prune_beside_a_live_run_loses_none_of_its_lines(engine: Engine) -> None:
    event_old = _event(engine, "old")
    for _ in range(600):
        _run(engine, event_old, NOW - timedelta(days=200), lines=20)
    script = "import time\nfor i in range(4000):\n    print(f'live {i}', flush=True)\n    if i % 200 == 0: time.sleep(0.05)\n"
    live = await engine.events.create({"name": "live", "type": "PYTHON", "content": script})
    engine.settings.set("interpreters", {"PYTHON": sys.executable})
    execution_id = await engine.runs.start(live)
    pruned = asyncio.ensure_future(asyncio.to_thread(engine.retention.prune, False, lambda: None, NOW))

    summary = await engine.runs.wait(execution_id, timeout=120)
    report = await pruned
    # a second prune after the run ended: the live run is newer than the cut, so it stays whole
    await asyncio.to_thread(engine.retention.prune, False, None, NOW)

    assert summary.status == "SUCCESS"
    assert report.runs == 600
    texts = [r.text for r in await engine.runs.log(execution_id) if r.stream == "stdout"]
    assert texts == [f"live {i}" for i in range(4000)]
