"""What triggers write beside ordinary runs: SKIPPED runs with the unmet condition as their reason,
and a system line in a run's log saying why it ran (caught up after sleep, or after the app was closed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.notices import RunFinished, RunQueued, WorkflowRunFinished
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.store import group
from cronium_desktop.engine.store.models import Event, Execution, Workflow, WorkflowExecution

CAUGHT_UP_AFTER_SLEEP = "Caught up after sleep"
CAUGHT_UP_AFTER_CLOSED = "Caught up after the app was closed"


async def note_runs(ctx: EngineContext, execution_ids: list[int], text: str) -> None:
    """Put `text` as a system line into each run's log (it comes before the script's own lines)."""
    if not execution_ids:
        return
    now = utcnow()

    def write(session: Session) -> None:
        connection = session.connection()
        for execution_id in execution_ids:
            logstore.write_system_line(connection, execution_id, 1, now, text)

    await group.writer(ctx.db).run(write)


async def record_skipped(ctx: EngineContext, kind: str, item_id: int, trigger: str, reason: str,
                         scheduled_for: datetime | None = None) -> int | None:
    """A SKIPPED run of the event (or workflow) whose conditions did not hold; returns its id."""
    now = utcnow()
    error = f"Skipped: {reason}."

    def write(session: Session) -> tuple[int, str] | None:
        row: Event | Workflow | None = session.get(Event, item_id) if kind == "event" else session.get(Workflow, item_id)
        if row is None:
            return None
        if trigger == RunTrigger.SCHEDULE and scheduled_for is not None:
            row.last_fire_at = scheduled_for  # handled: not a misfire at the next start
        if kind == "event":
            execution = Execution(event_id=row.id, event_name=row.name, trigger=trigger, status="SKIPPED",
                                  error=error, created_at=now, started_at=now, finished_at=now, duration_ms=0,
                                  scheduled_for=scheduled_for, skipped_count=1, skipped_until=now)
            session.add(execution)
            session.flush()
            logstore.write_system_line(session.connection(), execution.id, 1, now, error)
            return execution.id, row.name
        run = WorkflowExecution(workflow_id=row.id, workflow_name=row.name, trigger=trigger, status="SKIPPED",
                                error=error, created_at=now, started_at=now, finished_at=now)
        session.add(run)
        session.flush()
        return run.id, row.name

    written = await group.writer(ctx.db).run(write)
    if written is None:
        return None
    record_id, name = written
    if kind == "event":
        ctx.bus.publish(RunQueued(record_id, item_id, name, trigger))
        ctx.bus.publish(RunFinished(record_id, item_id, name, "SKIPPED", None, error))
    else:
        ctx.bus.publish(WorkflowRunFinished(record_id, item_id, "SKIPPED"))
    return record_id
