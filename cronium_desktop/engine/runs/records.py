"""A run's two records on the hot path: marked RUNNING (with what its job needs read in the same
transaction), and finished.

Every run goes through both; the ORM's identity map, unit of work and lazy loads cost several
milliseconds of Python per run while holding the single writer, so these read only the columns
they need and write with plain UPDATE and INSERT statements. The statements are built once, here,
with bound parameters: building one (and its cache key) costs more Python than running it.

They run on the DBAPI connection itself (`store/driven.py`): SQLAlchemy's execution context costs
several times what SQLite takes to run them, while its SQL and its types' conversions are kept.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import DateTime, bindparam, func, insert, select, update

from cronium_desktop.engine.executors.base import ExecResult, ServerRef
from cronium_desktop.engine.store.driven import Driven
from cronium_desktop.engine.store.models import (
    Attempt,
    ConditionalAction,
    Event,
    EventServer,
    Execution,
    RunMetric,
    Server,
    ServerResult,
)
from cronium_desktop.engine.store.tables import EXECUTIONS

EXECUTION_COLUMNS = (Execution.id, Execution.status, Execution.event_id, Execution.event_name, Execution.attempt,
                     Execution.input, Execution.max_attempts, Execution.priority, Execution.started_at,
                     Execution.created_at, Execution.not_before)
EVENT_COLUMNS = (Event.id, Event.name, Event.type, Event.content, Event.run_location, Event.timeout_seconds,
                 Event.env, Event.secret_env, Event.http, Event.tool_action, Event.container,
                 Event.retry_backoff_seconds, Event.overlap, Event.limit_memory_mb, Event.limit_cpu_seconds)
# How many conditional actions the event has, read in the same statement (its run's phases end after them).
ACTION_COUNT = (select(func.count()).where(ConditionalAction.event_id == Event.id)
                .correlate(Event).scalar_subquery().label("ev_action_count"))


_READ = Driven(select(*EXECUTION_COLUMNS, *(column.label(f"ev_{column.key}") for column in EVENT_COLUMNS), ACTION_COUNT)
               .outerjoin(Event, Event.id == Execution.event_id).where(Execution.id == bindparam("b_id")))
_ATTEMPT_STARTED = Driven(select(Attempt.started_at).where(Attempt.execution_id == bindparam("b_id"),
                                                           Attempt.number == bindparam("b_number")))
_MARK_RUNNING = Driven(update(Execution).where(Execution.id == bindparam("b_id")).values(
    status="RUNNING", started_at=func.coalesce(Execution.started_at, bindparam("b_now", type_=DateTime)), not_before=None))
_ADD_ATTEMPT = Driven(insert(Attempt).values(execution_id=bindparam("b_id"), number=bindparam("b_number"),
                                             status="RUNNING", started_at=bindparam("b_now")))
_CLOSE_ATTEMPT = Driven(update(Attempt).where(Attempt.execution_id == bindparam("b_id"),
                                              Attempt.number == bindparam("b_number")).values(
    status=bindparam("v_status"), exit_code=bindparam("v_exit_code"), error=bindparam("v_error"),
    finished_at=bindparam("v_finished_at")))
_FINISH = Driven(update(Execution).where(Execution.id == bindparam("b_id")).values(
    status=bindparam("v_status"), error=bindparam("v_error"), finished_at=bindparam("v_finished_at"),
    duration_ms=bindparam("v_duration_ms"), exit_code=bindparam("v_exit_code"), output=bindparam("v_output"),
    condition=bindparam("v_condition")))
METRIC_COLUMNS = tuple(column.key for column in RunMetric.__table__.columns if column.key != "id")
_ADD_METRIC = Driven(insert(RunMetric).values({name: bindparam(name) for name in METRIC_COLUMNS}))
_ACTIONS_DONE = Driven(update(RunMetric).where(RunMetric.execution_id == bindparam("b_id"),
                                               RunMetric.attempt == bindparam("b_number")).values(
    actions_done_at=bindparam("v_at")))
# What a finished run's notice carries (`RunFinished.record`, read as `run_list.summary_of` reads it).
_SUMMARY = Driven(select(EXECUTIONS).where(EXECUTIONS.c.id == bindparam("b_id")))


def begin(connection: Any, execution_id: int, adopting: bool, now: datetime) -> tuple[Any, Any, Any] | None:
    """(execution row, event row or None, when the attempt started) of a run to start; None if it is
    not PENDING (RUNNING when `adopting`: a run re-attached after a restart). Only reads: the
    caller marks it RUNNING with `mark_running` once its job is put together, so a run that cannot
    be put together leaves nothing half-written. The event's columns come in the same row (`ev_*`)."""
    row = _READ.first(connection, b_id=execution_id)
    if row is None or row.status != ("RUNNING" if adopting else "PENDING"):
        return None
    execution = row
    event = SimpleNamespace(**{column.key: getattr(row, f"ev_{column.key}") for column in EVENT_COLUMNS},
                            action_count=row.ev_action_count) if row.event_id is not None else None
    if event is None or event.id is None:
        return execution, None, None
    if adopting:
        return execution, event, attempt_started(connection, execution_id, execution.attempt) or execution.started_at
    execution.started_at = execution.started_at or now
    return execution, event, now


def mark_running(connection: Any, execution_id: int, attempt: int, now: datetime) -> None:
    """The run starts: RUNNING, with its attempt recorded."""
    _MARK_RUNNING.run(connection, b_id=execution_id, b_now=now)
    _ADD_ATTEMPT.run(connection, b_id=execution_id, b_number=attempt, b_now=now)


def servers_of(connection: Any, event_id: int) -> list[ServerRef]:
    return [ServerRef(row.id, row.name) for row in connection.execute(
        select(Server.id, Server.name).join(EventServer, EventServer.server_id == Server.id)
        .where(EventServer.event_id == event_id).order_by(EventServer.position))]


def close_attempt(connection: Any, execution_id: int, attempt: int, result: ExecResult, now: datetime) -> None:
    """Close the attempt with the result, and each server's result with it."""
    _CLOSE_ATTEMPT.run(connection, b_id=execution_id, b_number=attempt, v_status=result.status,
                       v_exit_code=result.exit_code, v_error=result.error, v_finished_at=now)
    if result.servers:
        connection.execute(insert(ServerResult), [
            {"execution_id": execution_id, "attempt": attempt, "server_id": outcome.server_id,
             "server_name": outcome.server_name, "status": outcome.status, "exit_code": outcome.exit_code,
             "error": outcome.error, "output": outcome.output, "started_at": outcome.started_at,
             "finished_at": outcome.finished_at} for outcome in result.servers])


def attempt_started(connection: Any, execution_id: int, attempt: int) -> datetime | None:
    row = _ATTEMPT_STARTED.first(connection, b_id=execution_id, b_number=attempt)
    return row.started_at if row is not None else None


def finish(connection: Any, execution_id: int, attempt: int, started_at: datetime | None, result: ExecResult,
           now: datetime) -> None:
    """Close the attempt and give the execution its final state (`started_at`: the execution's)."""
    close_attempt(connection, execution_id, attempt, result, now)
    duration = int((now - started_at).total_seconds() * 1000) if started_at else None
    _FINISH.run(connection, b_id=execution_id, v_status=result.status, v_error=result.error, v_finished_at=now,
                v_duration_ms=duration, v_exit_code=result.exit_code, v_output=result.output,
                v_condition=result.condition)


def add_metric(connection: Any, values: dict[str, Any]) -> None:
    """Record an attempt's figures and phases (`values`: RunMetric's columns; those missing are NULL)."""
    _ADD_METRIC.run(connection, **{name: values.get(name) for name in METRIC_COLUMNS})


def actions_done(connection: Any, execution_id: int, attempt: int, now: datetime) -> None:
    """The attempt's conditional actions are done: its phases end here."""
    _ACTIONS_DONE.run(connection, b_id=execution_id, b_number=attempt, v_at=now)


def summary_row(connection: Any, execution_id: int) -> Any:
    """The execution's summary columns (`store/tables.EXECUTIONS`), or None."""
    return _SUMMARY.first(connection, b_id=execution_id)
