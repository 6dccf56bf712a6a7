"""Fires scheduled events and workflows on time (SPEC §1), on APScheduler's AsyncIOScheduler.

One job per ACTIVE event (or workflow) with a SCHEDULE trigger, kept in step with the store through
`EventsChanged`/`WorkflowsChanged` notices, so edits take effect at once. Each fire goes through
`RunService.start()` (overlap policy, max_executions) and is remembered as `last_fire_at`, which is
what makes misfires visible after the app was closed: at start, an event whose schedule passed a
due time since then gets one catch-up run (misfire RUN_ONCE) or none (SKIP). A watchdog notices the
wall clock jumping (sleep/resume, clock changes) and wakes the scheduler so the same policy applies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, JobExecutionEvent, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import select
from sqlalchemy.orm import object_session

from cronium_desktop.engine.calendar_days import calendars_in
from cronium_desktop.engine.clock import from_store, to_store
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.notices import (
    EventsChanged,
    Message,
    Notice,
    ScheduleChanged,
    WorkflowsChanged,
)
from cronium_desktop.engine.runs.service import RunRequest, RunService
from cronium_desktop.engine.scheduling.schedules import Misfire, build_trigger, find_misfire
from cronium_desktop.engine.store.models import Event, Workflow
from cronium_desktop.engine.triggers.catchup import catch_up_note, catch_up_times
from cronium_desktop.engine.triggers.records import note_runs
from cronium_desktop.engine.triggers.spec import unpack as unpack_triggers

if TYPE_CHECKING:
    from cronium_desktop.engine.clock import from_store, to_store
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.triggers.service import TriggerService

log = logging.getLogger(__name__)

# The wall clock moving this much more than elapsed time means the computer slept or the clock was set.
CLOCK_JUMP_SECONDS = 10.0
WATCHDOG_SECONDS = 2.0
# A fire later than this counts as missed: dropped under misfire SKIP; RUN_ONCE fires regardless.
SKIP_GRACE_SECONDS = int(CLOCK_JUMP_SECONDS)

WorkflowStarter = Callable[[int, str], Awaitable[Any]]


# The longest single wait for the next fire. Qt's event loop (qasync) keeps timers in signed 32-bit
# milliseconds, so a wait past 24.8 days (an @yearly event) overflows; waking once a day costs nothing.
MAX_TIMER_SECONDS = 86_400.0
ADD_JOBS_AT_ONCE = 100


class _BoundedTimerScheduler(AsyncIOScheduler):
    """AsyncIOScheduler whose wake-up timer never exceeds MAX_TIMER_SECONDS (it re-arms on waking)."""

    def _start_timer(self, wait_seconds: float | None) -> None:
        super()._start_timer(None if wait_seconds is None else min(wait_seconds, MAX_TIMER_SECONDS))


@dataclass
class Schedulable:
    """What the scheduler needs of an event or a workflow."""

    kind: str  # "event" or "workflow"
    id: int
    name: str
    trigger: BaseTrigger
    misfire: str
    last_fire_at: datetime | None  # aware
    activated_at: datetime | None  # aware
    misfire_cap: int = 10  # RUN_ALL: at most this many catch-up runs

    @property
    def job_id(self) -> str:
        return f"{self.kind}:{self.id}"


def _schedulable(kind: str, row: Event | Workflow) -> Schedulable | None:
    if row.status != "ACTIVE" or row.trigger != "SCHEDULE" or not row.schedule:
        return None
    start = from_store(getattr(row, "start_time", None))
    end = from_store(getattr(row, "end_time", None))
    activated = from_store(getattr(row, "activated_at", None)) or from_store(row.created_at)
    try:
        trigger = build_trigger(
            row.schedule, row.timezone, anchor=start or activated, start_time=start, end_time=end,
            calendars=calendars_in(object_session(row)),
        )
    except CroniumError:
        log.warning("%s %s has a schedule that no longer parses", kind, row.id)
        return None
    return Schedulable(kind, row.id, row.name, trigger, row.misfire, from_store(row.last_fire_at), activated,
                       unpack_triggers(row.triggers)["misfire_cap"])


class Scheduler:
    """Keeps one APScheduler job per scheduled event or workflow and turns fires into runs.

    `now` and `wall_clock` can be replaced to test misfires and clock jumps without waiting for them.
    """

    def __init__(
        self,
        ctx: EngineContext,
        runs: RunService,
        start_workflow: WorkflowStarter | None = None,
        now: Callable[[], datetime] | None = None,
        wall_clock: Callable[[], float] = time.time,
        watchdog_seconds: float = WATCHDOG_SECONDS,
    ) -> None:
        self._ctx = ctx
        self._runs = runs
        self.start_workflow = start_workflow
        self._now = now or (lambda: datetime.now(UTC))
        self._wall_clock = wall_clock
        self._watchdog_seconds = watchdog_seconds
        self._aps: AsyncIOScheduler | None = None
        self._due: dict[str, datetime] = {}
        self._watchdog: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._paused = False
        self._pending_syncs: set[asyncio.Task[None]] = set()
        self._batch: list[RunRequest] = []
        self._recorder: asyncio.Future[None] | None = None
        # Conditions (AC power, network, idle, hours) gate the fires of the items that have them.
        self.gate: TriggerService | None = None

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        self._aps = _BoundedTimerScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
        self._aps.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._aps.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._aps.start()
        items = await asyncio.to_thread(self._load_all)
        await self._catch_up(items)
        for index, item in enumerate(items, 1):
            self._add_job(item)
            if index % ADD_JOBS_AT_ONCE == 0:
                await asyncio.sleep(0)  # a thousand schedules: the loop answers between hundreds
        self._unsubscribe = self._ctx.bus.subscribe(self._on_notice)
        self._watchdog = asyncio.get_running_loop().create_task(self._watch_clock())

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        if self._watchdog:
            self._watchdog.cancel()
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None
        # Fires already taken are recorded before the store closes (they run at next start if need be).
        try:
            await asyncio.wait_for(self.settled(), timeout=5)
        except TimeoutError:
            log.warning("scheduled fires were still being recorded at stop")

    # -- what is scheduled ------------------------------------------------------------------------------

    def _load_all(self) -> list[Schedulable]:
        with self._ctx.db.read() as session:
            items = [
                _schedulable("event", row)
                for row in session.scalars(select(Event).where(Event.status == "ACTIVE"))
            ]
            items += [
                _schedulable("workflow", row)
                for row in session.scalars(select(Workflow).where(Workflow.status == "ACTIVE"))
            ]
        return [item for item in items if item is not None]

    def _load_one(self, kind: str, item_id: int) -> Schedulable | None:
        with self._ctx.db.read() as session:
            row = self._row(session, kind, item_id)
            return None if row is None else _schedulable(kind, row)

    @staticmethod
    def _row(session: Any, kind: str, item_id: int) -> Event | Workflow | None:
        if kind == "event":
            return session.get(Event, item_id)
        return session.get(Workflow, item_id)

    @property
    def apscheduler(self) -> AsyncIOScheduler | None:
        """The underlying APScheduler instance while running (for diagnostics and tests)."""
        return self._aps

    def next_run(self, item_id: int, kind: str = "event") -> datetime | None:
        """When the event (or, with kind="workflow", the workflow) fires next; None if not scheduled."""
        if self._aps is None:
            return None
        job = self._aps.get_job(f"{kind}:{item_id}")
        return None if job is None else job.next_run_time

    def job_count(self) -> int:
        return 0 if self._aps is None else len(self._aps.get_jobs())

    @property
    def paused(self) -> bool:
        return self._paused

    def pause_all(self) -> None:
        """Stop firing every schedule (the tray's "Pause all schedules"); runs already going go on."""
        if self._aps is not None:
            self._aps.pause()
        self._paused = True
        self._ctx.bus.publish(Message("info", "All schedules are paused."))

    def resume_all(self) -> None:
        if self._aps is not None:
            self._aps.resume()
        self._paused = False
        self._ctx.bus.publish(Message("info", "Schedules resumed."))

    def _add_job(self, item: Schedulable) -> None:
        assert self._aps is not None
        self._aps.add_job(
            self._fire,
            trigger=item.trigger,
            args=[item.kind, item.id],
            id=item.job_id,
            name=item.name,
            replace_existing=True,
            coalesce=True,
            max_instances=1_000_000,  # overlap is RunService's business, not APScheduler's
            misfire_grace_time=None if item.misfire in ("RUN_ONCE", "RUN_ALL") else SKIP_GRACE_SECONDS,
        )
        job = self._aps.get_job(item.job_id)
        self._ctx.bus.publish(
            ScheduleChanged(
                item.id if item.kind == "event" else None,
                item.id if item.kind == "workflow" else None,
                job.next_run_time if job else None,
            )
        )

    async def sync(self, kind: str, item_id: int) -> None:
        """Bring one job in line with the store (after an edit, pause, activation or delete)."""
        item = await asyncio.to_thread(self._load_one, kind, item_id)
        if self._aps is None:
            return
        if item is None:
            if self._aps.get_job(f"{kind}:{item_id}") is not None:
                self._aps.remove_job(f"{kind}:{item_id}")
                self._ctx.bus.publish(
                    ScheduleChanged(
                        item_id if kind == "event" else None, item_id if kind == "workflow" else None, None
                    )
                )
            return
        self._add_job(item)

    async def sync_all(self) -> None:
        if self._aps is None:
            return
        items = {item.job_id: item for item in await asyncio.to_thread(self._load_all)}
        for job in self._aps.get_jobs():
            if job.id not in items:
                job.remove()
        for item in items.values():
            self._add_job(item)

    def _on_notice(self, notice: Notice) -> None:
        task: asyncio.Task[None] | None = None
        if isinstance(notice, EventsChanged):
            task = asyncio.ensure_future(self._sync_many("event", notice.event_ids))
        elif isinstance(notice, WorkflowsChanged):
            task = asyncio.ensure_future(self._sync_many("workflow", notice.workflow_ids))
        if task is not None:
            self._pending_syncs.add(task)
            task.add_done_callback(self._pending_syncs.discard)

    async def _sync_many(self, kind: str, ids: tuple[int, ...]) -> None:
        if not ids:
            await self.sync_all()
        for item_id in ids:
            await self.sync(kind, item_id)

    async def settled(self) -> None:
        """Wait until notices already received have been applied to the jobs (for tests and the UI)."""
        while self._pending_syncs:
            await asyncio.gather(*list(self._pending_syncs), return_exceptions=True)

    # -- firing -------------------------------------------------------------------------------------------

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        if event.scheduled_run_times:
            self._due[event.job_id] = max(event.scheduled_run_times)

    def _describe(self, kind: str, item_id: int) -> str:
        job = self._aps.get_job(f"{kind}:{item_id}") if self._aps is not None else None
        return f"{kind.capitalize()} {(job.name if job else item_id)!r}"

    def _on_missed(self, event: JobExecutionEvent) -> None:
        """A fire too late for misfire SKIP (the computer slept): remember it was handled, run nothing."""
        kind, _, item_id = event.job_id.partition(":")
        due = event.scheduled_run_time
        self._ctx.bus.publish(
            Message(
                "info",
                f"{self._describe(kind, int(item_id))} missed its run due at {due:%Y-%m-%d %H:%M:%S %Z}; "
                "skipped (misfire policy SKIP).",
            )
        )
        task = asyncio.ensure_future(asyncio.to_thread(self._remember_fire, kind, int(item_id), due))
        self._pending_syncs.add(task)
        task.add_done_callback(self._pending_syncs.discard)

    async def _fire(self, kind: str, item_id: int) -> None:
        due = self._due.pop(f"{kind}:{item_id}", None) or self._now()
        late = (self._now() - due).total_seconds()
        if late > CLOCK_JUMP_SECONDS:  # the computer slept or the loop was blocked: this is the catch-up
            self._ctx.bus.publish(
                Message(
                    "info",
                    f"{self._describe(kind, item_id)} fires {late:.0f} s late "
                    "(the computer slept or was too busy); catching up now.",
                )
            )
            await self._catch_up_after_sleep(kind, item_id, due)
            return
        if self.gate is not None and self.gate.has_conditions(kind, item_id):
            if kind != "event":
                await asyncio.to_thread(self._remember_fire, kind, item_id, due)
            self.gate.submit(kind, item_id, "SCHEDULE", scheduled_for=to_store(due))
            return
        if kind != "event":
            await self._start(kind, item_id, due)
            return
        # Group commit: fires arriving while a batch is being recorded form the next batch, so the
        # store sees a few transactions a second however many events fire (each has its own offset).
        self._batch.append(RunRequest(item_id, trigger=RunTrigger.SCHEDULE, scheduled_for=to_store(due)))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.ensure_future(self._record_fires())
            self._pending_syncs.add(self._recorder)
            self._recorder.add_done_callback(self._pending_syncs.discard)

    async def _record_fires(self) -> None:
        await asyncio.sleep(0)  # let the fires of this loop iteration join the first batch
        while self._batch and self._aps is not None:  # once stopped, the misfire policy covers the rest
            batch, self._batch = self._batch, []
            await self._start_batch(batch)

    async def _start_batch(self, batch: list[RunRequest]) -> list[int]:
        try:
            return await self._runs.start_many(batch)
        except CroniumError:
            ids: list[int] = []
            for request in batch:  # one bad item must not stop the others
                try:
                    ids += await self._runs.start_many([request])
                except CroniumError as error:
                    self._ctx.bus.publish(Message("error", f"A scheduled run did not start: {error}"))
            return ids

    async def _start(self, kind: str, item_id: int, due: datetime) -> None:
        try:
            if kind == "event":
                # RunService records last_fire_at in the same transaction as the run.
                await self._runs.start(item_id, trigger=RunTrigger.SCHEDULE, scheduled_for=to_store(due))
            else:
                await asyncio.to_thread(self._remember_fire, kind, item_id, due)
                if self.start_workflow is not None:
                    await self.start_workflow(item_id, "SCHEDULE")
        except CroniumError as error:
            log.warning("scheduled %s %s did not start: %s", kind, item_id, error)
            self._ctx.bus.publish(Message("error", f"A scheduled run did not start: {error}"))

    def _remember_fire(self, kind: str, item_id: int, due: datetime) -> None:
        self._remember_fires([(kind, item_id, due)])

    def _remember_fires(self, fires: list[tuple[str, int, datetime]]) -> None:
        """Persist `last_fire_at`: these due times are handled and never count as missed again."""
        with self._ctx.db.write() as session:
            for kind, item_id, due in fires:
                row = self._row(session, kind, item_id)
                if row is not None:
                    row.last_fire_at = to_store(due)

    # -- misfires -----------------------------------------------------------------------------------------

    def misfire_of(self, item: Schedulable, now: datetime) -> Misfire | None:
        """Fires the schedule passed since the last fire or the last activation, whichever is later.

        Fires that fell while the item was paused are not misfires: activation starts the count anew.
        """
        known = [moment for moment in (item.last_fire_at, item.activated_at) if moment is not None]
        return find_misfire(item.trigger, max(known), now) if known else None

    async def _catch_up(self, items: list[Schedulable]) -> None:
        """Apply the misfire policy to fires missed while no scheduler ran, all items at once."""
        until = self._now() - timedelta(seconds=1)  # a fire due this very second is APScheduler's
        plans = await asyncio.to_thread(lambda: [(item, self.misfire_of(item, until)) for item in items])
        requests: list[RunRequest] = []
        notes: list[str] = []
        skipped: list[tuple[str, int, datetime]] = []
        for item, misfire in plans:
            if misfire is None:
                continue
            what = f"{item.kind.capitalize()} {item.name!r} missed {misfire.describe()} while Cronium was not running"
            if item.misfire in ("RUN_ONCE", "RUN_ALL"):
                since = max(m for m in (item.last_fire_at, item.activated_at) if m is not None)
                times = catch_up_times(item.trigger, item.misfire, item.misfire_cap, since, until, misfire.last)
                note = catch_up_note(False, item.misfire, len(times), misfire.describe())
                self._ctx.bus.publish(Message("info", f"{what}; running it {len(times)} time(s) now."))
                if times[-1] < misfire.last:  # RUN_ALL past its cap: the rest count as handled
                    skipped.append((item.kind, item.id, misfire.last))
                if self.gate is not None and self.gate.has_conditions(item.kind, item.id):
                    for due in times:
                        self.gate.submit(item.kind, item.id, "SCHEDULE", scheduled_for=to_store(due), note=note)
                elif item.kind == "event":
                    requests += [RunRequest(item.id, trigger=RunTrigger.SCHEDULE, scheduled_for=to_store(due)) for due in times]
                    notes += [note] * len(times)
                else:
                    for due in times:
                        await self._start(item.kind, item.id, due)
            else:
                self._ctx.bus.publish(Message("info", f"{what}; skipped (misfire policy SKIP)."))
                skipped.append((item.kind, item.id, misfire.last))
        if requests:
            ids = await self._start_batch(requests)  # one transaction, however many events missed runs
            if len(ids) == len(requests):
                for note in dict.fromkeys(notes):
                    await note_runs(self._ctx, [i for i, n in zip(ids, notes, strict=True) if n == note], note)
        if skipped:
            await asyncio.to_thread(self._remember_fires, skipped)

    async def _catch_up_after_sleep(self, kind: str, item_id: int, due: datetime) -> None:
        """A fire the computer slept through: RUN_ONCE runs it once, RUN_ALL each missed fire up to the cap."""
        item = await asyncio.to_thread(self._load_one, kind, item_id)
        if item is None:
            return
        known = [m for m in (item.last_fire_at, item.activated_at) if m is not None]
        times = catch_up_times(item.trigger, item.misfire, item.misfire_cap, max(known) if known else None,
                               self._now(), due)
        note = catch_up_note(True, item.misfire, len(times))
        if self.gate is not None and self.gate.has_conditions(kind, item_id):
            for moment in times:
                self.gate.submit(kind, item_id, "SCHEDULE", scheduled_for=to_store(moment), note=note)
        elif kind != "event":
            for moment in times:
                await self._start(kind, item_id, moment)
        else:
            ids = await self._start_batch([RunRequest(item_id, trigger=RunTrigger.SCHEDULE, scheduled_for=to_store(moment))
                                           for moment in times])
            await note_runs(self._ctx, ids, note)
        if not times or times[-1] < due:  # RUN_ALL past its cap: the rest count as handled
            await asyncio.to_thread(self._remember_fire, kind, item_id, due)

    async def _watch_clock(self) -> None:
        """Wake the scheduler when the wall clock jumps (resume from sleep, clock set)."""
        wall, mono = self._wall_clock(), time.monotonic()
        while True:
            await asyncio.sleep(self._watchdog_seconds)
            new_wall, new_mono = self._wall_clock(), time.monotonic()
            drift = (new_wall - wall) - (new_mono - mono)
            wall, mono = new_wall, new_mono
            if abs(drift) > CLOCK_JUMP_SECONDS:
                self.clock_jumped(drift)

    def clock_jumped(self, seconds: float) -> None:
        """The wall clock moved by `seconds` more than elapsed time: re-check every job now."""
        log.info("wall clock jumped by %.0f s; re-checking schedules", seconds)
        self._ctx.bus.publish(
            Message(
                "info", f"The clock jumped by {seconds:.0f} s (sleep or clock change); schedules re-checked."
            )
        )
        if self._aps is not None:
            self._aps.wakeup()
