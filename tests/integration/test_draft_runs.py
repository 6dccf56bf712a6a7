"""Draft runs from the editor (SPEC §2): the unsaved text runs, recorded with trigger DRAFT,
counting toward no max runs and firing no conditional actions — through the real engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.runs.service import DRAFT_INTERRUPTED
from cronium_desktop.engine.store.models import Event, Execution
from tests.conftest import TEST_PASSPHRASE


def stored_count_and_status(engine: Engine, event_id: int) -> tuple[int, str]:
    with engine.ctx.db.read() as session:
        event = session.get(Event, event_id)
        assert event is not None
        return event.execution_count, event.status


async def log_text(engine: Engine, execution_id: int) -> str:
    return "\n".join(line.text for line in await engine.runs.log(execution_id))


async def test_unsaved_text_runs_as_a_draft_listed_with_trigger_draft(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Saved", "type": "BASH", "content": "echo saved text"})
    execution_id = await engine.drafts.start(event_id, 'source cronium.sh; echo "draft says $(cronium_input)"', {"n": 3})
    summary = await engine.runs.wait(execution_id, timeout=30)
    assert summary.status == "SUCCESS"
    text = await log_text(engine, execution_id)
    assert 'draft says {"n": 3}' in text.replace('{"n":3}', '{"n": 3}')
    assert "saved text" not in text
    [listed] = await engine.runs.list(event="Saved")
    assert (listed.execution_id, listed.trigger) == (execution_id, "DRAFT")


async def test_a_draft_runs_in_the_editors_language(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Switching", "type": "BASH", "content": "echo bash"})
    execution_id = await engine.drafts.start(event_id, "print('from python', 6 * 7)", event_type="PYTHON")
    summary = await engine.runs.wait(execution_id, timeout=30)
    assert summary.status == "SUCCESS", await log_text(engine, execution_id)
    assert "from python 42" in await log_text(engine, execution_id)


async def test_a_draft_leaves_max_runs_and_conditional_actions_alone(engine: Engine) -> None:
    await engine.events.create({"name": "Follow-up", "type": "BASH", "content": "echo follow-up"})
    event_id = await engine.events.create({
        "name": "Limited", "type": "BASH", "content": "echo saved", "status": "ACTIVE",
        "trigger": "SCHEDULE", "schedule": {"every": 1, "unit": "HOURS"}, "max_executions": 1, "retries": 2,
        "conditional_actions": [{"on": "ALWAYS", "action": "RUN_EVENT", "event": "Follow-up"}],
    })
    execution_id = await engine.drafts.start(event_id, "exit 3")
    summary = await engine.runs.wait(execution_id, timeout=30)
    await engine.runs.idle()
    assert summary.status == "FAILURE" and summary.attempt == 1  # never retried
    assert await asyncio.to_thread(stored_count_and_status, engine, event_id) == (0, "ACTIVE")
    assert await engine.runs.list(event="Follow-up") == []


async def test_a_draft_left_pending_by_a_stop_is_cancelled_not_run_with_the_saved_text(data_dir: Path) -> None:
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create({"name": "Pending draft", "type": "BASH", "content": "echo saved",
                                          "conditional_actions": [{"on": "ALWAYS", "action": "RUN_EVENT", "event": "Pending draft"}]})
    with first.ctx.db.write() as session:  # as a draft recorded just before the app stopped
        session.add(Execution(event_id=event_id, event_name="Pending draft", trigger="DRAFT", status="PENDING",
                              priority=1, attempt=1, max_attempts=1, created_at=utcnow()))
    await first.stop(grace_seconds=1)
    restarted = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await restarted.start(scheduler=True)
    try:
        await asyncio.sleep(0.5)
        await restarted.runs.idle()
        [run] = await restarted.runs.list()
        assert (run.status, run.error) == ("CANCELLED", DRAFT_INTERRUPTED)
        assert await restarted.runs.log(run.execution_id) == []
    finally:
        await restarted.stop(grace_seconds=1)
