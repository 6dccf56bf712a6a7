"""Runs (executions): start them, wait for them, cancel them, read their history and logs (SPEC §2).

Every trigger comes through `RunService.start()`, which records the execution before anything runs
and applies the event's overlap policy and max_executions counter in one place.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, func, insert, select, true, update

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound
from cronium_desktop.engine.events import EventService
from cronium_desktop.engine.metrics_store import latest_for
from cronium_desktop.engine.notices import (
    EventPaused,
    EventsChanged,
    Message,
    Notice,
    RunFinished,
    RunQueued,
    Segment,
)
from cronium_desktop.engine.run_list import RunSummary, read_runs, read_summary, summary_of
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.runs.logstore import LogRecord
from cronium_desktop.engine.runs.queue import PRIORITY_RANK, RunQueue
from cronium_desktop.engine.states import COUNTED_TRIGGERS, FINAL_STATES, OVERLAP_EXEMPT_TRIGGERS, RunTrigger
from cronium_desktop.engine.store import group
from cronium_desktop.engine.store.driven import Driven
from cronium_desktop.engine.store.models import Attempt, DefinitionVersion, Event, Execution, ServerResult

INTERRUPTED = "interrupted: the application stopped during the run"
SKIPPED_ERROR = "Skipped: a run of this event was still going (overlap policy SKIP)."
WORKFLOW_INTERRUPTED = "Cancelled: its workflow run was interrupted when the application stopped."
DRAFT_INTERRUPTED = "Cancelled: the application stopped before this draft ran; run the draft again."


@dataclass
class AttemptInfo:
    number: int
    status: str
    exit_code: int | None
    error: str | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass
class ServerResultInfo:
    server: str
    attempt: int
    status: str
    exit_code: int | None
    error: str | None
    output: Any


@dataclass
class RunDetail(RunSummary):
    input: Any = None
    condition: bool = False
    attempts: list[AttemptInfo] = field(default_factory=list)
    servers: list[ServerResultInfo] = field(default_factory=list)
    parent_execution_id: int | None = None


@dataclass
class Recovery:
    """What `RunService.recover_left_behind()` found: runs to queue again, and runs it ended."""

    # (execution id, event id, priority, exclusive, delay in seconds)
    queue: builtins.list[tuple[int, int | None, int, bool, float]] = field(default_factory=list)
    finished: builtins.list[int] = field(default_factory=list)  # their conditional actions are due
    interrupted: builtins.list[int] = field(default_factory=list)  # were RUNNING: their process is gone
    # Were RUNNING and their process outlived the app (or ended while it was down): (id, event id, folder).
    reattach: builtins.list[tuple[int, int | None, Any]] = field(default_factory=list)


@dataclass
class RunRequest:
    event_id: int
    input: Any = None
    trigger: str = "MANUAL"
    workflow_execution_id: int | None = None
    workflow_node_key: str | None = None
    parent_execution_id: int | None = None
    chain_depth: int = 0
    scheduled_for: datetime | None = None


# The statements every recorded run goes through, built once and run on the DBAPI connection
# (see runs/records.py and store/driven.py).
_VERSION_NOW = (select(func.max(DefinitionVersion.number))
                .where(DefinitionVersion.kind == "event", DefinitionVersion.object_id == Event.id)
                .correlate(Event).scalar_subquery())
_EVENT_TO_RECORD = Driven(select(Event.id, Event.name, Event.priority, Event.retries, Event.overlap, Event.status,
                                 Event.max_executions, Event.execution_count, Event.last_fire_at,
                                 _VERSION_NOW.label("version")).where(Event.id == bindparam("b_id")))
_RUN_COLUMNS = ("event_id", "event_name", "trigger", "status", "priority", "attempt", "max_attempts", "input",
                "workflow_execution_id", "workflow_node_key", "parent_execution_id", "chain_depth", "scheduled_for",
                "created_at", "error", "started_at", "finished_at", "duration_ms", "skipped_count", "skipped_until",
                "event_version", "condition")
_INSERT_RUN = Driven(insert(Execution).values({name: bindparam(name) for name in _RUN_COLUMNS}).returning(Execution.id))
# Relative to the row as it is when written: the events were read before this transaction took the
# write lock, and a pause from another process (the CLI) committed in between must not be undone.
_COUNT_FIRES = Driven(update(Event).where(Event.id == bindparam("b_id")).values(
    execution_count=Event.execution_count + bindparam("v_added"), last_fire_at=bindparam("v_last_fire_at")))
_PAUSE_AT_LIMIT = Driven(update(Event).where(Event.id == bindparam("b_id"), Event.status == "ACTIVE")
                         .values(status="PAUSED"))

# A skipped fire of a busy event: its newest run, and that run's burst counted one more.
_NEWEST_RUN = (select(Execution.id, Execution.status, Execution.trigger)
               .where(Execution.event_id == bindparam("b_event")).order_by(Execution.id.desc()).limit(1))
_FOLD_SKIP = update(Execution).where(Execution.id == bindparam("b_id")).values(
    skipped_count=Execution.skipped_count + 1, skipped_until=bindparam("b_now", type_=DateTime),
    finished_at=bindparam("b_now", type_=DateTime))


class RunService:
    def __init__(self, ctx: EngineContext, events: EventService, queue: RunQueue) -> None:
        self._ctx = ctx
        self._events = events
        self._queue = queue
        self._waiters: dict[int, list[asyncio.Future[RunSummary]]] = {}
        self._pending_starts: builtins.list[tuple[builtins.list[RunRequest], asyncio.Future[builtins.list[int]]]] = []
        self._recording: asyncio.Future[None] | None = None
        # The runner's `begin_in`: marks a run RUNNING in the transaction that records it (set by the engine).
        self.begin_in: Callable[[Any, int], Any] | None = None
        ctx.bus.subscribe(self._on_notice)

    # -- starting ---------------------------------------------------------------------------------------

    async def start(
        self,
        event: int | str,
        input: Any = None,
        trigger: str = "MANUAL",
        *,
        workflow_execution_id: int | None = None,
        workflow_node_key: str | None = None,
        parent_execution_id: int | None = None,
        chain_depth: int = 0,
        scheduled_for: datetime | None = None,
    ) -> int:
        """Record a run of `event` and queue it; returns the execution id.

        With overlap SKIP and a run of the event still going (or queued), the new run is recorded
        as SKIPPED instead. Workflow node runs are exempt: the workflow decides what runs.
        """
        if not isinstance(event, int):
            event = await asyncio.to_thread(self._resolve, event)
        request = RunRequest(event, input, trigger, workflow_execution_id, workflow_node_key,
                             parent_execution_id, chain_depth, scheduled_for)
        [execution_id] = await self.start_many([request])
        return execution_id

    async def start_many(self, requests: builtins.list[RunRequest]) -> builtins.list[int]:
        """Record several runs in one transaction (the scheduler's fires of one instant).

        Starts that arrive while a recording is under way are recorded together next (group
        commit): a burst of starts costs a few transactions, not one each."""
        future: asyncio.Future[builtins.list[int]] = asyncio.get_running_loop().create_future()
        self._pending_starts.append((requests, future))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.ensure_future(self._record_pending())
        return await future

    async def _record_pending(self) -> None:
        while self._pending_starts:
            batch, self._pending_starts = self._pending_starts, []
            try:
                ids = await self._record([request for requests, _ in batch for request in requests])
            except Exception:
                if len(batch) == 1:
                    raise_into = batch[0][1]
                    try:
                        await self._record(batch[0][0])
                    except Exception as error:  # noqa: BLE001 - handed to the caller
                        if not raise_into.done():
                            raise_into.set_exception(error)
                    continue
                for requests, future in batch:  # one bad request must not fail the others
                    try:
                        result = await self._record(requests)
                    except Exception as error:  # noqa: BLE001 - handed to the caller
                        future.set_exception(error)
                    else:
                        future.set_result(result)
                continue
            for requests, future in batch:
                future.set_result(ids[:len(requests)])
                ids = ids[len(requests):]

    async def _record(self, requests: builtins.list[RunRequest]) -> builtins.list[int]:
        busy, seen = [], set()
        for request in requests:  # a second start of an event in the same batch finds it busy
            busy.append(self._queue.is_event_busy(request.event_id) or request.event_id in seen)
            if request.trigger != RunTrigger.WORKFLOW:
                seen.add(request.event_id)
        # A run that can start at once (a free slot, nothing queued ahead, its event not busy) is
        # marked RUNNING in the transaction that records it.
        begin_in = self.begin_in
        reserved = [begin_in is not None and not event_busy and self._queue.reserve() for event_busy in busy]
        assert begin_in is not None or not any(reserved)

        def record(session: Any) -> tuple[builtins.list[RunService._Created], builtins.list[Notice], dict[int, Any]]:
            created, notices = self._create_all(session, requests, busy)
            begun = {item.execution_id: begin_in(session, item.execution_id)  # type: ignore[misc]
                     for item, reserve in zip(created, reserved, strict=True) if reserve and item.status == "PENDING"}
            return created, notices, begun

        try:
            created, notices, begun = await group.writer(self._ctx.db).run(record)
        except BaseException:
            for _ in range(sum(reserved)):
                self._queue.unreserve()
            raise
        for notice in notices:
            self._ctx.bus.publish(notice)
        for item, request, reserve in zip(created, requests, reserved, strict=True):
            if item.execution_id in begun:
                self._queue.start_reserved(item.execution_id, request.event_id, begun[item.execution_id])
                continue
            if reserve:
                self._queue.unreserve()
            if item.status == "PENDING":
                self._queue.submit(item.execution_id, request.event_id, item.priority, exclusive=item.exclusive)
        return [item.execution_id for item in created]

    def _resolve(self, event: int | str) -> int:
        with self._ctx.db.read() as session:
            return EventService.find(session, event).id

    @dataclass
    class _Created:
        execution_id: int
        status: str
        priority: int
        exclusive: bool

    def _create_all(
        self, session: Any, requests: builtins.list[RunRequest], busy: builtins.list[bool]
    ) -> tuple[builtins.list[RunService._Created], builtins.list[Notice]]:
        """Insert the executions of `requests` in one statement, and update their events in another.

        The scheduler records every fire here, a thousand a second with as many 1-second schedules;
        the ORM's per-object bookkeeping would hold the GIL for most of that second, so this is Core.
        """
        now = utcnow()
        wanted = {request.event_id for request in requests}
        connection = session.connection()
        events = {event.id: event for event in (_EVENT_TO_RECORD.first(connection, b_id=event_id) for event_id in wanted)
                  if event is not None}
        changes: dict[int, dict[str, Any]] = {}
        rows: builtins.list[dict[str, Any]] = []
        staged: builtins.list[tuple[RunRequest, Any, bool, builtins.list[Notice]]] = []
        folded: dict[int, tuple[int, Any]] = {}  # request index → (burst's execution id, event)
        for index, (request, event_busy) in enumerate(zip(requests, busy, strict=True)):
            event = events.get(request.event_id)
            if event is None:
                raise NotFound(f"No event with id {request.event_id}.")
            state = changes.setdefault(event.id, {"id": event.id, "execution_count": event.execution_count,
                                                  "status": event.status, "last_fire_at": event.last_fire_at})
            # Workflow nodes and editor drafts run whatever else is going on.
            skip = event_busy and event.overlap == "SKIP" and request.trigger not in OVERLAP_EXEMPT_TRIGGERS
            burst = self._skip_burst(connection, event.id, request.trigger) if skip else None
            if burst is not None:
                # One record per burst: a 1-second schedule on a long script is not a row a second.
                connection.execute(_FOLD_SKIP, {"b_id": burst, "b_now": now})
                self._count(event, state, request, skip)
                folded[index] = (burst, event)
                continue
            rows.append({
                "event_id": event.id, "event_name": event.name, "trigger": request.trigger,
                "status": "SKIPPED" if skip else "PENDING", "priority": PRIORITY_RANK[event.priority],
                "attempt": 1,
                "max_attempts": 1 if request.trigger == "DRAFT" else event.retries + 1, "input": request.input,
                "workflow_execution_id": request.workflow_execution_id,
                "workflow_node_key": request.workflow_node_key,
                "parent_execution_id": request.parent_execution_id, "chain_depth": request.chain_depth,
                "scheduled_for": request.scheduled_for, "created_at": now,
                "error": SKIPPED_ERROR if skip else None, "started_at": now if skip else None,
                "finished_at": now if skip else None, "duration_ms": 0 if skip else None,
                "skipped_count": 1 if skip else 0, "skipped_until": now if skip else None,
                "event_version": event.version, "condition": False,
            })
            staged.append((request, event, skip, self._count(event, state, request, skip)))
        ids = [_INSERT_RUN.first(connection, **row).id for row in rows]  # type: ignore[union-attr]
        for state in changes.values():
            _COUNT_FIRES.run(connection, b_id=state["id"], v_last_fire_at=state["last_fire_at"],
                             v_added=state["execution_count"] - events[state["id"]].execution_count)
            if state["status"] != events[state["id"]].status:
                _PAUSE_AT_LIMIT.run(connection, b_id=state["id"])
        notices: builtins.list[Notice] = []
        inserted: builtins.list[RunService._Created] = []
        for execution_id, row, (request, event, skip, more) in zip(ids, rows, staged, strict=True):
            notices.append(RunQueued(execution_id, event.id, event.name, request.trigger, request.scheduled_for or now,
                                     request.workflow_execution_id, request.workflow_node_key))
            notices += more
            if skip:
                notices.append(RunFinished(execution_id, event.id, event.name, "SKIPPED", None, SKIPPED_ERROR))
            inserted.append(RunService._Created(execution_id, row["status"], row["priority"], event.overlap == "QUEUE"))
        for burst, event in folded.values():
            notices.append(RunFinished(burst, event.id, event.name, "SKIPPED", None, SKIPPED_ERROR))
        rest = iter(inserted)
        created = [RunService._Created(folded[i][0], "SKIPPED", 0, False) if i in folded else next(rest)
                   for i in range(len(requests))]
        return created, notices

    @staticmethod
    def _skip_burst(connection: Any, event_id: int, trigger: str) -> int | None:
        """The SKIPPED run a new skipped fire adds to: the event's newest run, if it is one of the
        same trigger (nothing else was recorded since, so the same run is still going)."""
        newest = connection.execute(_NEWEST_RUN, {"b_event": event_id}).first()
        if newest is not None and newest.status == "SKIPPED" and newest.trigger == trigger:
            return int(newest.id)
        return None

    @staticmethod
    def _count(event: Any, state: dict[str, Any], request: RunRequest, skip: bool) -> builtins.list[Notice]:
        """Remember the fire and count the run towards max_executions; pause the event at its limit."""
        if request.trigger == "SCHEDULE" and request.scheduled_for is not None:
            state["last_fire_at"] = request.scheduled_for
        if request.trigger not in COUNTED_TRIGGERS or skip:
            return []
        state["execution_count"] += 1
        if not (event.max_executions and state["execution_count"] >= event.max_executions and state["status"] == "ACTIVE"):
            return []
        state["status"] = "PAUSED"
        reason = (
            f"Event {event.name!r} reached its limit of {event.max_executions} runs and was paused. "
            "Activate it again to continue."
        )
        return [EventPaused(event.id, reason), Message("info", reason, {"event_id": event.id}), EventsChanged((event.id,))]

    # -- waiting and cancelling --------------------------------------------------------------------------

    async def idle(self) -> None:
        """Wait until this process has no run queued or running (e.g. chained actions)."""
        await self._queue.idle()

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, RunFinished) and notice.execution_id in self._waiters:
            waiters = self._waiters.pop(notice.execution_id)

            def answer(summary: RunSummary) -> None:
                for future in waiters:
                    if not future.done():
                        future.set_result(summary)

            async def read_and_answer() -> None:
                answer(await self.summary(notice.execution_id))

            if notice.record is not None:  # read as it was recorded
                answer(summary_of(notice.record))
            else:
                asyncio.ensure_future(read_and_answer())

    async def wait(self, execution_id: int, timeout: float | None = None) -> RunSummary:
        """Wait until the execution reaches a final state (after its last attempt)."""
        future: asyncio.Future[RunSummary] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(execution_id, []).append(future)
        if execution_id in self._queue:  # queued or running here: its RunFinished answers, no read needed
            return await asyncio.wait_for(future, timeout)
        current = await self.summary(execution_id)
        if current.status in FINAL_STATES:
            pending = self._waiters.get(execution_id, [])
            if future in pending:
                pending.remove(future)
            return current
        return await asyncio.wait_for(future, timeout)

    async def cancel(self, execution_id: int) -> bool:
        """Stop a queued or running execution; False if it had already finished."""
        if self._queue.remove(execution_id):
            notice = await asyncio.to_thread(self._mark_cancelled, execution_id)
            if notice is not None:
                self._ctx.bus.publish(notice)
            return True
        return self._queue.cancel_running(execution_id)

    def _mark_cancelled(self, execution_id: int) -> RunFinished | None:
        with self._ctx.db.write() as session:
            execution = session.get(Execution, execution_id)
            if execution is None or execution.status in FINAL_STATES:
                return None
            now = utcnow()
            if execution.attempt > 1:  # an earlier attempt ran: this one was waiting for its retry backoff
                error = f"Cancelled while waiting to retry (attempt {execution.attempt} of {execution.max_attempts})."
            else:
                error = "Cancelled before it started."
            execution.end("CANCELLED", error, now)
            return RunFinished(execution.id, execution.event_id, execution.event_name, "CANCELLED", None, execution.error)

    # -- history -----------------------------------------------------------------------------------------

    @in_thread
    def summary(self, execution_id: int) -> RunSummary:
        with self._ctx.db.read() as session:
            return read_summary(session, execution_id)

    @in_thread
    def list(
        self,
        event: int | str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
        workflow_execution_id: int | None = None,
    ) -> builtins.list[RunSummary]:
        with self._ctx.db.read() as session:
            return read_runs(session, event=event, status=status, since=since, limit=limit,
                             workflow_execution_id=workflow_execution_id)

    @in_thread
    def get(self, execution_id: int) -> RunDetail:
        with self._ctx.db.read() as session:
            row = session.get(Execution, execution_id)
            if row is None:
                raise NotFound(f"No run with id {execution_id}.")
            base = summary_of(row)
            base.metrics = latest_for(session, [row.id]).get(row.id)
            return RunDetail(
                **base.__dict__,
                input=row.input,
                condition=row.condition,
                parent_execution_id=row.parent_execution_id,
                attempts=[
                    AttemptInfo(a.number, a.status, a.exit_code, a.error, a.started_at, a.finished_at)
                    for a in session.scalars(select(Attempt).where(Attempt.execution_id == row.id).order_by(Attempt.number))
                ],
                servers=[
                    ServerResultInfo(s.server_name, s.attempt, s.status, s.exit_code, s.error, s.output)
                    for s in session.scalars(select(ServerResult).where(ServerResult.execution_id == row.id).order_by(ServerResult.id))
                ],
            )

    @in_thread
    def log(self, execution_id: int, after_id: int = 0, limit: int | None = None) -> builtins.list[LogRecord]:
        """The run's log lines after line number `after_id` (a record's `id` is its line number)."""
        with self._ctx.db.read() as session:
            return logstore.records(session.connection(), execution_id, after_id, limit)

    def stream_log(self, execution_id: int, write: Callable[[int, int, Segment], object], after_line: int = 0) -> int:
        """`logstore.stream` of the run's log (blocking: a worker thread)."""
        with self._ctx.db.read() as session:
            return logstore.stream(session.connection(), execution_id, write, after_line)

    # -- recovery ----------------------------------------------------------------------------------------

    def last_execution_id(self) -> int:
        """The newest execution's id (0 if none): runs up to it were recorded before now."""
        with self._ctx.db.read() as session:
            return session.scalar(select(func.max(Execution.id))) or 0

    def recover_left_behind(self, up_to: int | None = None, attachable: Callable[[int], Any] | None = None) -> Recovery:
        """After a stop: RUNNING runs fail as interrupted (retried if they have attempts left);
        PENDING runs are returned to be queued again. Call only when this process owns the data folder
        and no other process runs executions there; `up_to` limits it to executions up to that id
        (those recorded before this process started). `attachable(id)` gives the run folder of a
        run whose process outlived the app: those stay RUNNING, to be followed again.
        Blocking: call it from a worker thread.

        Runs of a workflow are not resumed: the workflow run itself fails as interrupted, so its
        queued node runs are cancelled and its running ones are not retried.
        """
        from datetime import timedelta

        from cronium_desktop.engine.runs.runner import retry_delay

        recovery = Recovery()
        now = utcnow()

        def finish(execution: Execution, status: str, error: str) -> None:
            execution.end(status, error, now)
            recovery.finished.append(execution.id)

        with self._ctx.db.write() as session:
            recorded = Execution.id <= up_to if up_to is not None else true()
            for execution in session.scalars(select(Execution).where(Execution.status == "RUNNING", recorded)):
                folder = attachable(execution.id) if attachable is not None else None
                if folder is not None:
                    recovery.reattach.append((execution.id, execution.event_id, folder))
                    continue
                recovery.interrupted.append(execution.id)
                attempt = session.scalar(
                    select(Attempt).where(Attempt.execution_id == execution.id, Attempt.number == execution.attempt)
                )
                if attempt is not None:
                    attempt.status, attempt.error, attempt.finished_at = "FAILURE", INTERRUPTED, now
                event = session.get(Event, execution.event_id) if execution.event_id else None
                if (
                    event is not None
                    and execution.workflow_execution_id is None
                    and execution.attempt < execution.max_attempts
                ):
                    delay = retry_delay(event.retry_backoff_seconds, execution.attempt)
                    execution.attempt += 1
                    execution.status, execution.error = "PENDING", INTERRUPTED
                    execution.not_before = now + timedelta(seconds=delay)
                    recovery.queue.append((execution.id, event.id, execution.priority, event.overlap == "QUEUE", delay))
                else:
                    finish(execution, "FAILURE", INTERRUPTED)
            queued = {item[0] for item in recovery.queue}
            for execution in session.scalars(
                select(Execution).where(Execution.status == "PENDING", recorded).order_by(Execution.id)
            ):
                if execution.id in queued:
                    continue
                if execution.workflow_execution_id is not None:
                    finish(execution, "CANCELLED", WORKFLOW_INTERRUPTED)
                    continue
                if execution.trigger == "DRAFT":  # its text lived in the stopped process only
                    finish(execution, "CANCELLED", DRAFT_INTERRUPTED)
                    continue
                event = session.get(Event, execution.event_id) if execution.event_id else None
                delay = max(0.0, (execution.not_before - now).total_seconds()) if execution.not_before else 0.0
                exclusive = event is not None and event.overlap == "QUEUE"
                recovery.queue.append((execution.id, execution.event_id, execution.priority, exclusive, delay))
        return recovery
