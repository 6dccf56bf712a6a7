"""Runs one attempt of an execution end to end: prepare, execute, record, retry or finish.

State changes are committed as they happen (the store is the truth); the executor only reports
through its sink and its result.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cronium_desktop.engine import runtime
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.events import secret_env_owner
from cronium_desktop.engine.executors.base import (
    CANCELLED,
    FAILURE,
    TIMEOUT,
    ExecResult,
    Executor,
    Job,
)
from cronium_desktop.engine.masking import MASKED_NOTE, mask_copies
from cronium_desktop.engine.notices import AttemptFinished, RunFinished, RunStarted, Segment
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.runs import records as run_records
from cronium_desktop.engine.runs.logsink import LastBlock, LogSink
from cronium_desktop.engine.runtime_requests import ON_DEMAND_LOCATIONS, RunRequests
from cronium_desktop.engine.secrets import Masker, SecretsError
from cronium_desktop.engine.store import group
from cronium_desktop.engine.store.models import Attempt, Execution
from cronium_desktop.engine.variables import VariableService

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600.0
DETACHABLE = ("BASH", "PYTHON", "NODEJS")
DETACHED_LOCATIONS = ("LOCAL", "REMOTE")  # where a run goes on while the app stops and lets it finish
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
    started_at: Any = None  # the attempt's start
    execution_started_at: Any = None  # the first attempt's: the run's duration counts from it
    has_actions: bool = False  # the run's phases end when its conditional actions are done
    queued_s: float | None = None  # how long the attempt waited to start (None when re-attached)


ExecutorFactory = Callable[[Job], Executor | str]
NOT_BEGUN: Any = object()  # `execute` without a run begun in the transaction that recorded it
PACK_IN_WRITER_BYTES = 64 * 1024  # a run's last block up to this size is packed by the writer


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
        # Executors that re-attach runs, by the kind of what a stopped app left ("local", "ssh", "container").
        self.reattachers: dict[str, Any] = {}

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

    async def execute(self, execution_id: int, begun: Any = NOT_BEGUN) -> None:
        """Called by the queue for each attempt it starts; `begun`: what `begin_in` gave when the
        run was marked RUNNING in the transaction that recorded it."""
        try:
            await self._execute(execution_id, begun)
        finally:
            self._cancel_requested.discard(execution_id)

    def begin_in(self, session: Any, execution_id: int) -> Prepared | RunFinished | Exception | None:
        """Mark a run RUNNING and gather its job in the caller's transaction (the one recording the
        run, for a run that starts at once); an error is returned, not raised: `_begin` writes
        nothing before its job is put together, and the run fails on its own (see `_execute`)."""
        try:
            return self._begin(session, execution_id)
        except Exception as error:  # noqa: BLE001 - the run's own failure, recorded by `_execute`
            return error

    async def _execute(self, execution_id: int, begun: Any = NOT_BEGUN) -> None:
        if begun is NOT_BEGUN:
            try:
                begun = await self._writer.run(lambda session: self._begin(session, execution_id))
            except Exception as error:  # noqa: BLE001 - handled below, as one returned by `begin_in`
                begun = error
        if isinstance(begun, Exception):  # locked secrets, a damaged row: the run ends instead of staying PENDING
            failure = begun
            if not isinstance(failure, SecretsError):
                log.error("execution %s could not be prepared", execution_id, exc_info=failure)
            finished = await self._writer.run(lambda session: self._fail_unprepared(session, execution_id, failure))
            self._release(execution_id)
            if finished is not None:
                self._ctx.bus.publish(finished)
            return
        prepared: Prepared | RunFinished | None = begun
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
                if self.detaching and job.run_location in DETACHED_LOCATIONS and job.event_type in DETACHABLE:
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
        last = await self._packed(await sink.close(keep_last=True))

        retry = (
            execution_id not in self._cancel_requested
            and result.status in (FAILURE, TIMEOUT)
            and job.attempt < prepared.max_attempts
        )
        if retry:
            delay = retry_delay(prepared.retry_backoff_seconds, job.attempt)
            await self._writer.run(lambda session: self._record_retry(session, execution_id, result, delay, sink,
                                                                      prepared.queued_s, last), then=result.release)
            await self._reported(execution_id, job.attempt, result, None)
            self._resubmit(execution_id, job.event_id, prepared.priority, prepared.exclusive, delay)
            return
        finish = asyncio.ensure_future(self._writer.run(lambda session: self._record_final(session, execution_id, result,
                                                                                           prepared, sink, last),
                                                        then=result.release))
        notice = await asyncio.shield(finish)
        await self._reported(execution_id, job.attempt, result, notice)
        if not cancelled:
            await self._after_run(execution_id)
            if prepared.has_actions:
                await self._writer.run(lambda session: self._record_actions_done(session, execution_id, job.attempt))

    async def adopt(self, execution_id: int, left: tuple[str, Any]) -> None:
        """Follow a run left RUNNING by a stopped app, from where its stored log ends, and record it as
        any run: its true exit status, the rest of its output, then its actions. `left`: (kind, what
        the kind's executor found of it), e.g. ("local", run folder)."""
        kind, folder = left
        executor = self.reattachers.get(kind) or self.local
        prepared = await self._writer.run(lambda session: self._begin(session, execution_id, adopting=True))
        if not isinstance(prepared, Prepared):
            return
        job = prepared.job

        def resume_point(session: Any) -> Any:  # local and container runs' spool files go on by bytes, SSH counts lines
            if kind in ("local", "container"):
                return logstore.spool_offsets(session.connection(), execution_id, job.attempt)
            return logstore.stored_line_counts(session.connection(), execution_id, job.attempt)

        resume = await self._writer.run(resume_point)
        sink = LogSink(self._ctx, execution_id, job.attempt, prepared.masker, prepared.log_cap_bytes, self._write_block)
        sink.line("system", REATTACHED)
        work = asyncio.get_running_loop().create_task(self._follow_again(executor, folder, job, sink, resume,
                                                                         prepared))
        self._working[execution_id] = work
        if execution_id in self._cancel_requested:  # cancelled while it was being picked up
            work.cancel()
        try:
            result = await work
        except asyncio.CancelledError:
            if self.detaching:
                await sink.close()
                return
            await asyncio.shield(executor.stop_left_behind(folder))  # cancelled before it was followed
            result = ExecResult(status=CANCELLED, error="Cancelled.")
        finally:
            self._working.pop(execution_id, None)
            self._cancel_requested.discard(execution_id)
        if result.error:
            result.error = prepared.masker.mask(result.error)
        await sink.close()
        if result.release is None and result.leftover is None:  # a remote folder, a container, the folder of a run cancelled while picked up
            result.leftover = functools.partial(executor.forget, folder)
        notice = await asyncio.shield(self._writer.run(lambda session: self._record_final(session, execution_id,
                                                                                          result, prepared, sink),
                                                       then=result.release))
        await self._reported(execution_id, job.attempt, result, notice)
        if result.status != CANCELLED:
            await self._after_run(execution_id)
            if prepared.has_actions:
                await self._writer.run(lambda session: self._record_actions_done(session, execution_id, job.attempt))

    async def _reported(self, execution_id: int, attempt: int, result: ExecResult, notice: Any) -> None:
        """Once an attempt's end is recorded: what it left that a slow call removes (a container, a
        remote run's record) goes — a run reported finished has left nothing behind —, then the attempt
        is reported finished, its place in the queue given back and `notice` (the run's end) published;
        those three even if the engine stops meanwhile, as the end is recorded."""
        try:
            if result.leftover is not None:
                await asyncio.shield(result.leftover())
        finally:
            self._ctx.bus.publish(AttemptFinished(execution_id, attempt, result.status, None))
            self._release(execution_id)
            if notice is not None:
                self._ctx.bus.publish(notice)

    @staticmethod
    async def _follow_again(executor: Any, left: Any, job: Job, sink: LogSink, resume: Any,
                            prepared: Prepared) -> ExecResult:
        if job.event_type not in runtime.SCRIPT_NAMES:
            return await executor.reattach(left, job, sink, resume, prepared.started_at)  # type: ignore[no-any-return]
        tail = runtime.StdoutTail(sink)  # a script's last JSON line is its output, as in a fresh run
        result: ExecResult = await executor.reattach(left, job, tail, resume, prepared.started_at)
        runtime.output_from_stdout(result, tail, prepared.masker.mask, sink)
        return result

    async def _run_executor(self, job: Job, sink: LogSink, masker: Masker) -> ExecResult:
        executor = self._select_executor(job)
        if isinstance(executor, str):
            sink.line("system", executor)
            return ExecResult(status=FAILURE, error=executor)
        try:
            async with asyncio.timeout(job.timeout_seconds + TIMEOUT_SAFETY_SECONDS):  # in this task: no task of its own
                if job.event_type not in runtime.SCRIPT_NAMES:
                    return await executor.run(job, sink)
                tail = runtime.StdoutTail(sink)
                result = await executor.run(job, tail)
            runtime.output_from_stdout(result, tail, masker.mask, sink)
            return result
        except TimeoutError:
            message = f"Timed out after {job.timeout_seconds:g} s and did not stop in time."
            sink.line("system", message)
            return ExecResult(status=TIMEOUT, error=message)

    @staticmethod
    async def _packed(last: LastBlock | None) -> LastBlock | None:
        """The run's last block, packed off the loop: a small one in the writer's transaction that
        records the run's end (a hop less per run), a big one in a worker thread first."""
        if last is None or not last.segments:
            return None
        if last.size > PACK_IN_WRITER_BYTES:
            last.packed = await asyncio.to_thread(logstore.pack, last.segments)
        return last

    @staticmethod
    def _write_last(connection: Any, execution_id: int, attempt: int, last: LastBlock | None) -> None:
        if last is not None:
            block = last.packed or logstore.pack(last.segments)
            logstore.insert_block(connection, execution_id, attempt, block, last.offsets)

    async def _write_block(self, execution_id: int, attempt: int, segments: list[Segment],
                           offsets: tuple[int | None, int | None]) -> None:
        block = await asyncio.to_thread(logstore.pack, segments)  # compression off the loop and the writer
        await self._writer.run(lambda session: logstore.insert_block(session.connection(), execution_id, attempt,
                                                                     block, offsets))

    # -- store work (the group writer's thread) ------------------------------------------------------------------

    def _begin(self, session: Any, execution_id: int, adopting: bool = False) -> Prepared | RunFinished | None:
        """Mark the execution RUNNING and gather its job; a RunFinished if it cannot run at all.
        `adopting`: a run already RUNNING (re-attached): only gather its job."""
        now, connection = utcnow(), session.connection()
        found = run_records.begin(connection, execution_id, adopting, now)
        if found is None:
            return None
        execution, event, started_at = found
        queued = None
        if not adopting:
            waited_from = execution.not_before if execution.attempt > 1 and execution.not_before else execution.created_at
            queued = max(0.0, (now - waited_from).total_seconds()) if waited_from else 0.0
        if event is None:
            row = session.get(Execution, execution_id)
            row.end("FAILURE", "The event was deleted before the run started.", now)
            return RunFinished(row.id, None, row.event_name, "FAILURE", None, row.error)

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
            servers=run_records.servers_of(connection, event.id) if event.run_location == "REMOTE" else [],
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
        if not adopting:
            run_records.mark_running(connection, execution_id, execution.attempt, now)
        return Prepared(
            job=job,
            masker=masker,
            max_attempts=execution.max_attempts,
            retry_backoff_seconds=event.retry_backoff_seconds,
            priority=execution.priority,
            exclusive=event.overlap == "QUEUE",
            log_cap_bytes=int(float(self._ctx.settings.get("log_cap_mb")) * 1024 * 1024),
            started_at=started_at,
            execution_started_at=execution.started_at,
            has_actions=bool(event.action_count),
            queued_s=queued,
        )

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

    @staticmethod
    def _record_metrics(connection: Any, execution_id: int, attempt: int, event_id: int | None, started: Any,
                        finished: Any, result: ExecResult, sink: LogSink | None, queued: float | None,
                        created: Any = None) -> None:
        """The attempt's figures and phases, in the same transaction as its final state; `queued` is
        known for an attempt this process started, else counted from `created` for a first attempt."""
        figures = result.metrics.as_dict() if result.metrics is not None else {}
        if queued is None and attempt == 1 and started is not None and created is not None:
            queued = max(0.0, (started - created).total_seconds())
        run_records.add_metric(connection, {
            "execution_id": execution_id, "attempt": attempt, "event_id": event_id, "queued_s": queued,
            "started_at": started, "first_output_at": sink.first_output_at if sink is not None else None,
            "finished_at": finished, **figures})

    @staticmethod
    def _record_actions_done(session: Any, execution_id: int, attempt: int) -> None:
        run_records.actions_done(session.connection(), execution_id, attempt, utcnow())

    def _record_retry(self, session: Any, execution_id: int, result: ExecResult, delay: float,
                      sink: LogSink | None = None, queued: float | None = None, last: LastBlock | None = None) -> None:
        execution, now, connection = session.get(Execution, execution_id), utcnow(), session.connection()
        assert execution is not None
        self._write_last(connection, execution_id, execution.attempt, last)
        run_records.close_attempt(connection, execution_id, execution.attempt, result, now)
        started = run_records.attempt_started(connection, execution_id, execution.attempt) or execution.started_at
        self._record_metrics(connection, execution_id, execution.attempt, execution.event_id, started, now, result, sink,
                             queued, execution.created_at)
        execution.attempt += 1
        execution.status = "PENDING"
        execution.exit_code, execution.error = result.exit_code, result.error
        from datetime import timedelta

        execution.not_before = now + timedelta(seconds=delay)

    def _record_final(self, session: Any, execution_id: int, result: ExecResult, prepared: Prepared,
                      sink: LogSink | None = None, last: LastBlock | None = None) -> RunFinished:
        job, now, connection = prepared.job, utcnow(), session.connection()
        self._write_last(connection, execution_id, job.attempt, last)
        run_records.finish(connection, execution_id, job.attempt, prepared.execution_started_at, result, now)
        self._record_metrics(connection, execution_id, job.attempt, job.event_id, prepared.started_at, now, result, sink,
                             prepared.queued_s)
        for key, value in result.variables.items():
            self._variables.write(session, key, value)
        return RunFinished(
            execution_id=execution_id,
            event_id=job.event_id,
            event_name=job.event_name,
            status=result.status,
            exit_code=result.exit_code,
            error=result.error,
            record=run_records.summary_row(connection, execution_id),
        )
