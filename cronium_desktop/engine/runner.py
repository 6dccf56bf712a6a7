"""Runs one attempt of an execution end to end: prepare, execute, record, retry or finish.

State changes are committed as they happen (the store is the truth); the executor only reports
through its sink and its result.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cronium_desktop.engine import logstore, runtime
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.events import secret_env_owner, utcnow
from cronium_desktop.engine.executors.base import (
    CANCELLED,
    FAILURE,
    TIMEOUT,
    ExecResult,
    Executor,
    Job,
    ServerRef,
)
from cronium_desktop.engine.logsink import LogSink
from cronium_desktop.engine.masking import MASKED_NOTE, mask_copies
from cronium_desktop.engine.notices import AttemptFinished, RunFinished, RunStarted, Segment
from cronium_desktop.engine.runtime_requests import ON_DEMAND_LOCATIONS, RunRequests
from cronium_desktop.engine.secrets import Masker, SecretsError
from cronium_desktop.engine.store import group
from cronium_desktop.engine.store.models import Attempt, Event, Execution, RunMetric, ServerResult
from cronium_desktop.engine.variables import VariableService

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
DETACHABLE = ("BASH", "PYTHON", "NODEJS")
REATTACHED = "Re-attached after the app restarted."
# Beyond the event's own timeout, how long an executor may take to stop before the runner gives up.
TIMEOUT_SAFETY_SECONDS = 30.0


def retry_delay(base_seconds: float, attempt: int, rng: random.Random | None = None) -> float:
    """Backoff before attempt `attempt + 1`: base × 2^(attempt-1), capped at 1 h, ±10 % jitter."""
    delay = min(base_seconds * (2 ** (attempt - 1)), MAX_BACKOFF_SECONDS)
    jitter = (rng or random).uniform(-0.1, 0.1)
    return max(0.0, delay * (1 + jitter))


@dataclass
class Prepared:
    job: Job
    masker: Masker
    max_attempts: int
    retry_backoff_seconds: float
    priority: int
    exclusive: bool
    log_cap_bytes: int = 100 * 1024 * 1024
    started_at: Any = None
    has_actions: bool = False  # the run's phases end when its conditional actions are done


ExecutorFactory = Callable[[Job], Executor | str]


class Runner:
    def __init__(
        self,
        ctx: EngineContext,
        variables: VariableService,
        select_executor: ExecutorFactory,
        resubmit: Callable[[int, int | None, int, bool, float], None],
        release: Callable[[int], None],
        after_run: Callable[[int], Awaitable[None]],
    ) -> None:
        self._ctx = ctx
        self._variables = variables
        self._select_executor = select_executor
        self._resubmit = resubmit
        self._release = release
        self._after_run = after_run
        self._working: dict[int, asyncio.Task[ExecResult]] = {}  # executor tasks, by execution id
        self._cancel_requested: set[int] = set()
        self._writer = group.writer(ctx.db)
        self.detaching = False  # the app is stopping and lets local runs finish on their own
        self.local: Any = None  # the local executor, which re-attaches runs
        self._queued: dict[int, float] = {}  # execution id → seconds its attempt waited to start

    def cancel(self, execution_id: int) -> bool:
        """Stop the run's executor; its bookkeeping goes on and records it CANCELLED.

        Only the executor's own task is cancelled: a cancel landing while the run is being
        prepared or recorded would otherwise leave it RUNNING (or PENDING) for good.
        """
        self._cancel_requested.add(execution_id)
        work = self._working.get(execution_id)
        if work is not None and not work.cancelling():
            work.cancel()
        return True

    async def execute(self, execution_id: int) -> None:
        """Called by the queue for each attempt it starts."""
        try:
            await self._execute(execution_id)
        finally:
            self._cancel_requested.discard(execution_id)

    async def _execute(self, execution_id: int) -> None:
        try:
            prepared = await self._writer.run(lambda session: self._begin(session, execution_id))
        except Exception as error:  # locked secrets, a damaged row: the run ends instead of staying PENDING
            if not isinstance(error, SecretsError):
                log.exception("execution %s could not be prepared", execution_id)
            failure = error
            finished = await self._writer.run(lambda session: self._fail_unprepared(session, execution_id, failure))
            self._release(execution_id)
            if finished is not None:
                self._ctx.bus.publish(finished)
            return
        if isinstance(prepared, RunFinished):
            self._release(execution_id)
            self._ctx.bus.publish(prepared)
            return
        if prepared is None:
            return
        job = prepared.job
        self._ctx.bus.publish(RunStarted(execution_id, job.event_id, job.attempt))
        sink = LogSink(self._ctx, execution_id, job.attempt, prepared.masker, prepared.log_cap_bytes, self._write_block)
        result = ExecResult(status=CANCELLED, error="Cancelled.")
        if execution_id in self._cancel_requested:
            sink.line("system", "Cancelled before the script started.")
        else:
            work = asyncio.get_running_loop().create_task(self._run_executor(job, sink, prepared.masker))
            self._working[execution_id] = work
            try:
                result = await work
            except asyncio.CancelledError:
                if self.detaching and job.run_location == "LOCAL" and job.event_type in DETACHABLE:
                    await sink.close()  # the app stops and lets it finish: it stays RUNNING for the next start
                    return
            except Exception as error:  # an executor bug or an unexpected failure: the run fails, the app goes on
                log.exception("execution %s failed in its executor", execution_id)
                message = prepared.masker.mask(f"{type(error).__name__}: {error}")
                sink.line("system", f"Run failed: {message}")
                result = ExecResult(status=FAILURE, error=message)
            finally:
                self._working.pop(execution_id, None)
        cancelled = result.status == CANCELLED
        if result.error:
            result.error = prepared.masker.mask(result.error)
        if mask_copies(result, prepared.masker):  # output, variables, server results: stored masked
            sink.line("system", MASKED_NOTE)
        await sink.close()

        retry = (
            execution_id not in self._cancel_requested
            and result.status in (FAILURE, TIMEOUT)
            and job.attempt < prepared.max_attempts
        )
        if retry:
            delay = retry_delay(prepared.retry_backoff_seconds, job.attempt)
            await self._writer.run(lambda session: self._record_retry(session, execution_id, result, delay, sink))
            self._ctx.bus.publish(AttemptFinished(execution_id, job.attempt, result.status, None))
            self._release(execution_id)
            self._resubmit(execution_id, job.event_id, prepared.priority, prepared.exclusive, delay)
            return
        finish = asyncio.ensure_future(self._writer.run(lambda session: self._record_final(session, execution_id, result, sink)))
        notice = await asyncio.shield(finish)
        self._ctx.bus.publish(AttemptFinished(execution_id, job.attempt, result.status, None))
        self._release(execution_id)
        self._ctx.bus.publish(notice)
        if not cancelled:
            await self._after_run(execution_id)
            if prepared.has_actions:
                await self._writer.run(lambda session: self._record_actions_done(session, execution_id, job.attempt))

    async def adopt(self, execution_id: int, folder: Any) -> None:
        """Follow a local run left RUNNING by a stopped app, from where its stored log ends, and
        record it as any run: its true exit status, the rest of its output, then its actions."""
        prepared = await self._writer.run(lambda session: self._begin(session, execution_id, adopting=True))
        if not isinstance(prepared, Prepared):
            return
        job = prepared.job
        offsets = await self._writer.run(lambda session: logstore.spool_offsets(session.connection(), execution_id,
                                                                                 job.attempt))
        sink = LogSink(self._ctx, execution_id, job.attempt, prepared.masker, prepared.log_cap_bytes, self._write_block)
        sink.line("system", REATTACHED)
        work = asyncio.get_running_loop().create_task(
            self.local.reattach(folder, job, sink, offsets, prepared.started_at))
        self._working[execution_id] = work
        if execution_id in self._cancel_requested:  # cancelled while it was being picked up
            work.cancel()
        try:
            result = await work
        except asyncio.CancelledError:
            if self.detaching:
                await sink.close()
                return
            await asyncio.shield(self.local.stop_left_behind(folder))  # cancelled before it was followed
            result = ExecResult(status=CANCELLED, error="Cancelled.")
        finally:
            self._working.pop(execution_id, None)
            self._cancel_requested.discard(execution_id)
        if result.error:
            result.error = prepared.masker.mask(result.error)
        await sink.close()
        notice = await asyncio.shield(self._writer.run(lambda session: self._record_final(session, execution_id,
                                                                                          result, sink)))
        self._ctx.bus.publish(AttemptFinished(execution_id, job.attempt, result.status, None))
        self._release(execution_id)
        self._ctx.bus.publish(notice)
        await self.local.forget(folder)
        if result.status != CANCELLED:
            await self._after_run(execution_id)
            if prepared.has_actions:
                await self._writer.run(lambda session: self._record_actions_done(session, execution_id, job.attempt))

    async def _run_executor(self, job: Job, sink: LogSink, masker: Masker) -> ExecResult:
        executor = self._select_executor(job)
        if isinstance(executor, str):
            sink.line("system", executor)
            return ExecResult(status=FAILURE, error=executor)
        try:
            if job.event_type not in runtime.SCRIPT_NAMES:
                return await asyncio.wait_for(executor.run(job, sink), job.timeout_seconds + TIMEOUT_SAFETY_SECONDS)
            tail = runtime.StdoutTail(sink)
            result = await asyncio.wait_for(executor.run(job, tail), job.timeout_seconds + TIMEOUT_SAFETY_SECONDS)
            runtime.output_from_stdout(result, tail, masker.mask, sink)
            return result
        except TimeoutError:
            message = f"Timed out after {job.timeout_seconds:g} s and did not stop in time."
            sink.line("system", message)
            return ExecResult(status=TIMEOUT, error=message)

    async def _write_block(self, execution_id: int, attempt: int, segments: list[Segment],
                           offsets: tuple[int | None, int | None]) -> None:
        block = await asyncio.to_thread(logstore.pack, segments)  # compression off the loop and the writer
        await self._writer.run(lambda session: logstore.insert_block(session.connection(), execution_id, attempt,
                                                                     block, offsets))

    # -- store work (the group writer's thread) ------------------------------------------------------------------

    def _begin(self, session: Any, execution_id: int, adopting: bool = False) -> Prepared | RunFinished | None:
        """Mark the execution RUNNING and gather its job; a RunFinished if it cannot run at all.
        `adopting`: a run already RUNNING (re-attached): only gather its job."""
        execution = session.get(Execution, execution_id)
        if execution is None or execution.status != ("RUNNING" if adopting else "PENDING"):
            return None
        event = session.get(Event, execution.event_id) if execution.event_id else None
        if event is None:
            execution.end("FAILURE", "The event was deleted before the run started.", utcnow())
            return RunFinished(execution.id, None, execution.event_name, "FAILURE", None, execution.error)
        now = utcnow()
        if not adopting:
            waited_from = execution.not_before if execution.attempt > 1 and execution.not_before else execution.created_at
            self._queued[execution.id] = max(0.0, (now - waited_from).total_seconds()) if waited_from else 0.0
            execution.status = "RUNNING"
            execution.started_at = execution.started_at or now
            execution.not_before = None
            session.add(Attempt(execution_id=execution.id, number=execution.attempt, status="RUNNING", started_at=now))

        secret_values: list[str] = []
        env = dict(event.env)
        for name in event.secret_env:
            value = self._ctx.secrets.get(session, secret_env_owner(event.id, name)) or ""
            env[name] = value
            secret_values.append(value)
        variables: dict[str, str] = {}
        # Where the script can ask for variables, none is read now: start-up stays the same
        # however many there are (secret ones join the masker as they are handed out).
        if event.run_location not in ON_DEMAND_LOCATIONS:
            for key, (value, secret) in self._variables.read_all(session).items():
                variables[key] = value
                if secret:
                    secret_values.append(value)
        job = Job(
            execution_id=execution.id,
            attempt=execution.attempt,
            event_id=event.id,
            event_name=event.name,
            event_type=event.type,
            content=event.content,
            run_location=event.run_location,
            timeout_seconds=event.timeout_seconds,
            input=execution.input,
            env=env,
            variables=variables,
            servers=[ServerRef(link.server.id, link.server.name) for link in event.servers],
            http=event.http,
            tool_action=event.tool_action,
            container=event.container,
            interpreters=dict(self._ctx.settings.get("interpreters") or {}),
            limits={name: value for name, value in (("memory_mb", event.limit_memory_mb),
                                                    ("cpu_seconds", event.limit_cpu_seconds)) if value},
        )
        masker = Masker(secret_values)
        if event.type in runtime.SCRIPT_NAMES:
            job.requests = RunRequests(self._ctx, masker)
        return Prepared(
            job=job,
            masker=masker,
            max_attempts=execution.max_attempts,
            retry_backoff_seconds=event.retry_backoff_seconds,
            priority=execution.priority,
            exclusive=event.overlap == "QUEUE",
            log_cap_bytes=int(float(self._ctx.settings.get("log_cap_mb")) * 1024 * 1024),
            has_actions=bool(event.actions),
        )

    @staticmethod
    def _attempt_started(session: Any, execution: Execution) -> Any:
        attempt = session.scalar(
            select(Attempt).where(Attempt.execution_id == execution.id, Attempt.number == execution.attempt)
        )
        return attempt.started_at if attempt is not None and attempt.started_at else execution.started_at

    def _fail_unprepared(self, session: Any, execution_id: int, error: Exception) -> RunFinished | None:
        """Record as FAILURE a run whose job could not be put together (nothing of it ran)."""
        message = str(error) if isinstance(error, SecretsError) else f"The run could not start: {type(error).__name__}: {error}"
        execution = session.get(Execution, execution_id)
        if execution is None or execution.status not in ("PENDING", "RUNNING"):
            return None
        now = utcnow()
        execution.started_at = execution.started_at or now
        execution.end("FAILURE", message, now)
        session.add(Attempt(execution_id=execution.id, number=execution.attempt, status="FAILURE",
                            started_at=now, finished_at=now, error=message))
        session.flush()
        logstore.write_system_line(session.connection(), execution.id, execution.attempt, now, message)
        return RunFinished(execution.id, execution.event_id, execution.event_name, "FAILURE", None, message)

    def _close_attempt(self, session: Any, execution: Execution, result: ExecResult,
                       sink: LogSink | None = None) -> None:
        attempt = session.scalar(
            select(Attempt).where(Attempt.execution_id == execution.id, Attempt.number == execution.attempt)
        )
        if attempt is not None:
            attempt.status, attempt.exit_code, attempt.error = result.status, result.exit_code, result.error
            attempt.finished_at = utcnow()
        self._record_metrics(session, execution, attempt, result, sink)
        for outcome in result.servers:
            session.add(
                ServerResult(
                    execution_id=execution.id,
                    attempt=execution.attempt,
                    server_id=outcome.server_id,
                    server_name=outcome.server_name,
                    status=outcome.status,
                    exit_code=outcome.exit_code,
                    error=outcome.error,
                    output=outcome.output,
                    started_at=outcome.started_at,
                    finished_at=outcome.finished_at,
                )
            )

    def _record_metrics(self, session: Any, execution: Execution, attempt: Attempt | None, result: ExecResult,
                        sink: LogSink | None) -> None:
        """The attempt's figures and phases, in the same transaction as its final state."""
        figures = result.metrics.as_dict() if result.metrics is not None else {}
        started = attempt.started_at if attempt is not None else execution.started_at
        queued = self._queued.pop(execution.id, None)
        if queued is None and execution.attempt == 1 and started is not None and execution.created_at is not None:
            queued = max(0.0, (started - execution.created_at).total_seconds())
        session.add(RunMetric(
            execution_id=execution.id, attempt=execution.attempt, event_id=execution.event_id, queued_s=queued,
            started_at=started, first_output_at=sink.first_output_at if sink is not None else None,
            finished_at=attempt.finished_at if attempt is not None else utcnow(), **figures))

    @staticmethod
    def _record_actions_done(session: Any, execution_id: int, attempt: int) -> None:
        row = session.scalar(select(RunMetric).where(RunMetric.execution_id == execution_id,
                                                     RunMetric.attempt == attempt))
        if row is not None:
            row.actions_done_at = utcnow()

    def _record_retry(self, session: Any, execution_id: int, result: ExecResult, delay: float,
                      sink: LogSink | None = None) -> None:
        execution = session.get(Execution, execution_id)
        assert execution is not None
        self._close_attempt(session, execution, result, sink)
        execution.attempt += 1
        execution.status = "PENDING"
        execution.exit_code, execution.error = result.exit_code, result.error
        from datetime import timedelta

        execution.not_before = utcnow() + timedelta(seconds=delay)

    def _record_final(self, session: Any, execution_id: int, result: ExecResult, sink: LogSink) -> RunFinished:
        execution = session.get(Execution, execution_id)
        assert execution is not None
        self._close_attempt(session, execution, result, sink)
        now = utcnow()
        execution.end(result.status, result.error, now)
        execution.exit_code = result.exit_code
        execution.output = result.output
        execution.condition = result.condition
        for key, value in result.variables.items():
            self._variables.write(session, key, value)
        return RunFinished(
            execution_id=execution.id,
            event_id=execution.event_id,
            event_name=execution.event_name,
            status=result.status,
            exit_code=result.exit_code,
            error=result.error,
        )
