"""A run's two records on the hot path, in SQLAlchemy Core: marked RUNNING (with what its job needs
read in the same transaction), and finished.

Every run goes through both; the ORM's identity map, unit of work and lazy loads cost several
milliseconds of Python per run while holding the single writer, so these read only the columns
they need and write with plain UPDATE and INSERT statements.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, update

from cronium_desktop.engine.executors.base import ExecResult, ServerRef
from cronium_desktop.engine.store.models import (
    Attempt,
    ConditionalAction,
    Event,
    EventServer,
    Execution,
    Server,
    ServerResult,
)

EXECUTION_COLUMNS = (Execution.id, Execution.status, Execution.event_id, Execution.event_name, Execution.attempt,
                     Execution.input, Execution.max_attempts, Execution.priority, Execution.started_at,
                     Execution.created_at, Execution.not_before)
EVENT_COLUMNS = (Event.id, Event.name, Event.type, Event.content, Event.run_location, Event.timeout_seconds,
                 Event.env, Event.secret_env, Event.http, Event.tool_action, Event.container,
                 Event.retry_backoff_seconds, Event.overlap, Event.limit_memory_mb, Event.limit_cpu_seconds)
# How many conditional actions the event has, read in the same statement (its run's phases end after them).
ACTION_COUNT = (select(func.count()).where(ConditionalAction.event_id == Event.id)
                .correlate(Event).scalar_subquery().label("ev_action_count"))


def begin(connection: Any, execution_id: int, adopting: bool, now: datetime) -> tuple[Any, Any, Any] | None:
    """(execution row, event row or None, when the attempt started) of a run to start, marked
    RUNNING with its attempt recorded; None if it is not PENDING (RUNNING when `adopting`: a run
    re-attached after a restart, only read). The event's columns come in the same row (`ev_*`)."""
    row = connection.execute(
        select(*EXECUTION_COLUMNS, *(column.label(f"ev_{column.key}") for column in EVENT_COLUMNS), ACTION_COUNT)
        .outerjoin(Event, Event.id == Execution.event_id).where(Execution.id == execution_id)).first()
    if row is None or row.status != ("RUNNING" if adopting else "PENDING"):
        return None
    execution = row
    event = SimpleNamespace(**{column.key: getattr(row, f"ev_{column.key}") for column in EVENT_COLUMNS},
                            action_count=row.ev_action_count) if row.event_id is not None else None
    if event is None or event.id is None:
        return execution, None, None
    if adopting:
        started = connection.execute(select(Attempt.started_at).where(
            Attempt.execution_id == execution_id, Attempt.number == execution.attempt)).scalar()
        return execution, event, started or execution.started_at
    connection.execute(update(Execution).where(Execution.id == execution_id).values(
        status="RUNNING", started_at=func.coalesce(Execution.started_at, now), not_before=None))
    connection.execute(insert(Attempt).values(execution_id=execution_id, number=execution.attempt, status="RUNNING",
                                              started_at=now))
    return SimpleNamespace(**{**execution._asdict(), "started_at": execution.started_at or now}), event, now


def servers_of(connection: Any, event_id: int) -> list[ServerRef]:
    return [ServerRef(row.id, row.name) for row in connection.execute(
        select(Server.id, Server.name).join(EventServer, EventServer.server_id == Server.id)
        .where(EventServer.event_id == event_id).order_by(EventServer.position))]


def finish(connection: Any, execution_id: int, attempt: int, started_at: datetime | None, result: ExecResult,
           now: datetime) -> None:
    """Close the attempt and give the execution its final state (`started_at`: the execution's)."""
    connection.execute(update(Attempt).where(Attempt.execution_id == execution_id,
                                             Attempt.number == attempt).values(
        status=result.status, exit_code=result.exit_code, error=result.error, finished_at=now))
    if result.servers:
        connection.execute(insert(ServerResult), [
            {"execution_id": execution_id, "attempt": attempt, "server_id": outcome.server_id,
             "server_name": outcome.server_name, "status": outcome.status, "exit_code": outcome.exit_code,
             "error": outcome.error, "output": outcome.output, "started_at": outcome.started_at,
             "finished_at": outcome.finished_at} for outcome in result.servers])
    duration = int((now - started_at).total_seconds() * 1000) if started_at else None
    connection.execute(update(Execution).where(Execution.id == execution_id).values(
        status=result.status, error=result.error, finished_at=now, duration_ms=duration, exit_code=result.exit_code,
        output=result.output, condition=result.condition))
