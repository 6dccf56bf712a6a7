"""The triggers beyond schedules, for events and workflows alike: file changes, login, conditions.

`TriggerService` lives beside the scheduler in the process that owns the data folder. It keeps the
folder watches in step with the store (`EventsChanged`/`WorkflowsChanged`), turns a debounced batch
of file changes into one run whose input lists the changed paths and kinds, runs the login triggers
when the app was started at login, and is the gate every automatic fire passes: a fire whose
conditions do not hold waits (re-checked every `recheck_seconds`, up to the item's deadline) or is
skipped, and a skipped fire is a SKIPPED run naming the reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.notices import EventsChanged, Message, Notice, WorkflowsChanged
from cronium_desktop.engine.runs.service import RunService
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.store.models import Event, Workflow
from cronium_desktop.engine.triggers.conditions import ConditionChecker, Verdict
from cronium_desktop.engine.triggers.records import note_runs, record_skipped
from cronium_desktop.engine.triggers.spec import unpack
from cronium_desktop.engine.triggers.watch import FileChange, FolderWatcher, WatchState

log = logging.getLogger(__name__)

RECHECK_SECONDS = 30.0
WorkflowStarter = Callable[[int, Any, str], Awaitable[Any]]


@dataclass(frozen=True)
class TriggerItem:
    """What the service knows of an ACTIVE event or workflow with triggers beyond schedules."""

    kind: str  # "event" or "workflow"
    id: int
    name: str
    timezone: str | None
    triggers: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.kind.capitalize()} {self.name!r}"


def _item(kind: str, row: Event | Workflow) -> TriggerItem | None:
    if row.status != "ACTIVE" or not row.triggers:
        return None
    return TriggerItem(kind, row.id, row.name, row.timezone, unpack(row.triggers))


class TriggerService:
    def __init__(self, ctx: EngineContext, runs: RunService, start_workflow: WorkflowStarter | None = None,
                 checker: ConditionChecker | None = None, recheck_seconds: float = RECHECK_SECONDS,
                 health_seconds: float | None = None) -> None:
        self._ctx = ctx
        self._runs = runs
        self.start_workflow = start_workflow
        self.checker = checker or ConditionChecker()
        self._recheck_seconds = recheck_seconds
        self.seconds_per_minute = 60.0  # tests shorten the wait deadline with it
        self._health_seconds = health_seconds
        self._items: dict[tuple[str, int], TriggerItem] = {}
        self._watcher: FolderWatcher | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reloading: asyncio.Future[None] | None = None
        self._stale = False  # a change came that no reload has read yet
        self._waiting: dict[tuple[str, int, str], Any] = {}  # fires waiting for their conditions

    # -- life cycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        kwargs = {} if self._health_seconds is None else {"health_seconds": self._health_seconds}
        self._watcher = FolderWatcher(self._on_file_changes, self._on_watch_state, **kwargs)
        await self.reload()
        self._unsubscribe = self._ctx.bus.subscribe(self._on_notice)

    async def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._watcher is not None:
            await asyncio.to_thread(self._watcher.stop)
            self._watcher = None

    async def settled(self) -> None:
        """Wait until the notices already received were applied (for tests and the editor)."""
        while self._reloading is not None and not self._reloading.done():
            await self._reloading

    async def reload(self) -> None:
        items = await asyncio.to_thread(self._load)
        self._items = {(item.kind, item.id): item for item in items}
        if self._watcher is not None:
            wanted: dict[Hashable, dict[str, Any]] = {
                (item.kind, item.id, index): spec
                for item in items for index, spec in enumerate(item.triggers["file_triggers"])
            }
            self._watcher.set_triggers(wanted)

    def _load(self) -> list[TriggerItem]:
        with self._ctx.db.read() as session:
            rows = [_item("event", row) for row in session.scalars(
                select(Event).where(Event.status == "ACTIVE", Event.triggers.is_not(None)))]
            rows += [_item("workflow", row) for row in session.scalars(
                select(Workflow).where(Workflow.status == "ACTIVE", Workflow.triggers.is_not(None)))]
        return [row for row in rows if row is not None]

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, EventsChanged | WorkflowsChanged):
            # A change during a reload may have come after that reload read the store: read again
            # after it (two watcher events created back to back would otherwise watch only one).
            self._stale = True
            if self._reloading is None or self._reloading.done():
                self._reloading = asyncio.ensure_future(self._reload_until_fresh())

    async def _reload_until_fresh(self) -> None:
        while self._stale:
            self._stale = False
            await self.reload()

    def watch_states(self, kind: str | None = None, item_id: int | None = None) -> list[WatchState]:
        """Each watched folder and whether it is watched or paused (with the reason)."""
        states = self._watcher.states() if self._watcher is not None else []
        return [s for s in states if kind is None or (s.key[0], s.key[1]) == (kind, item_id)]  # type: ignore[index]

    def _on_watch_state(self, state: WatchState) -> None:
        item = self._items.get((state.key[0], state.key[1]))  # type: ignore[index]
        name = item.label if item else "A file trigger"
        if state.watching:
            self._ctx.bus.publish(Message("info", f"{name}: watching {state.folder} again."))
        else:
            self._ctx.bus.publish(Message("warning", f"{name}: file trigger paused: {state.reason}."))

    # -- firing -----------------------------------------------------------------------------------------

    def _on_file_changes(self, key: Hashable, changes: list[FileChange]) -> None:
        kind, item_id, index = cast(tuple[str, int, int], key)
        item = self._items.get((kind, item_id))
        if item is None:
            return
        folder = item.triggers["file_triggers"][index]["folder"]
        payload = {"trigger": "FILE", "folder": folder, "changes": [change.as_input() for change in changes]}
        self._spawn(self.fire(kind, item_id, RunTrigger.FILE, payload))

    async def run_login_triggers(self) -> int:
        """The app was started at login: run every item with a login trigger; returns how many."""
        await self.settled()
        items = [item for item in self._items.values() if item.triggers["run_at_login"]]
        for item in items:
            self._spawn(self.fire(item.kind, item.id, RunTrigger.LOGIN, {"trigger": "LOGIN"}))
        return len(items)

    def has_conditions(self, kind: str, item_id: int) -> bool:
        item = self._items.get((kind, item_id))
        return bool(item and item.triggers["conditions"])

    async def _wait(self, item: TriggerItem, conditions: dict[str, Any]) -> Verdict | None:
        """Re-check every `recheck_seconds` until the conditions hold or the deadline passes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + conditions["wait_minutes"] * self.seconds_per_minute
        verdict = Verdict(False)
        while loop.time() < deadline:
            await asyncio.sleep(min(self._recheck_seconds, max(0.0, deadline - loop.time())))
            current = self._items.get((item.kind, item.id))
            if current is None:
                return None
            conditions = current.triggers["conditions"] or {}
            verdict = await self.checker.check(conditions, current.timezone)
            if verdict.holds:
                return verdict
        return verdict

    def submit(self, kind: str, item_id: int, trigger: str, payload: Any = None, *,
               scheduled_for: datetime | None = None, note: str | None = None) -> None:
        """Fire without waiting for the conditions (the scheduler's fires)."""
        self._spawn(self.fire(kind, item_id, trigger, payload, scheduled_for=scheduled_for, note=note))

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every fire taken has been started, skipped or given up (for tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def fire(self, kind: str, item_id: int, trigger: str, payload: Any = None, *,
                   scheduled_for: datetime | None = None, note: str | None = None) -> int | None:
        """Start a run once the item's conditions hold (or record it SKIPPED); returns the run's id.

        While one fire waits for its conditions, further fires of the same item and trigger fold into
        it (a file trigger's changes are added to its input): a minutely schedule waiting an hour for
        the charger is one run when it comes, not sixty."""
        item = self._items.get((kind, item_id))
        conditions = item.triggers["conditions"] if item else None
        if item is not None and conditions:
            waiting_key = (kind, item_id, trigger)
            waiting = self._waiting.get(waiting_key)
            if waiting is not None:
                if isinstance(waiting, dict) and isinstance(payload, dict) and "changes" in waiting:
                    waiting["changes"].extend(payload.get("changes", []))
                return None
            # Registered before the first check: fires arriving during it fold in too.
            self._waiting[waiting_key] = payload if isinstance(payload, dict) else True
            try:
                verdict = await self.checker.check(conditions, item.timezone)
            except BaseException:
                self._waiting.pop(waiting_key, None)
                raise
            if verdict.holds or conditions["when_unmet"] != "WAIT":
                self._waiting.pop(waiting_key, None)
            if not verdict.holds and conditions["when_unmet"] == "WAIT":
                try:
                    waited = await self._wait(item, conditions)
                finally:
                    self._waiting.pop(waiting_key, None)
                if waited is None:
                    return None  # the item was paused or deleted meanwhile
                if not waited.holds:
                    reason = f"{waited.reason} (waited {conditions['wait_minutes']} min)"
                    return await record_skipped(self._ctx, kind, item_id, trigger, reason, scheduled_for)
            elif not verdict.holds:
                return await record_skipped(self._ctx, kind, item_id, trigger, verdict.reason, scheduled_for)
        try:
            if kind == "event":
                execution_id = await self._runs.start(item_id, input=payload, trigger=trigger, scheduled_for=scheduled_for)
                if note:
                    await note_runs(self._ctx, [execution_id], note)
                return execution_id
            if self.start_workflow is not None:
                return int(await self.start_workflow(item_id, payload, trigger))
        except CroniumError as error:
            self._ctx.bus.publish(Message("error", f"A {trigger.lower()} run did not start: {error}"))
        return None
