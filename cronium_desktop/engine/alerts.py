"""Late and slow run alerts: a run not started N seconds after its time, or running past a limit.

Rules come from the event's own `alert_rules` row, each field falling back to the `alerts`
setting. Late: a queued run (any trigger but drafts) not started `late_seconds` after it was due
(its schedule time, else when it was recorded). Slow: a run still going after `slow_factor` × the
median duration of the event's last 20 successful runs (once it has at least 3) or after
`slow_seconds`, whichever comes first. Each alert is recorded once per run (a unique row), published
as a `RunAlerted` notice (the tray's desktop notification, the dashboard's list) and, when a tool is
named, sent through it.
"""

from __future__ import annotations

import asyncio
import builtins
import heapq
import logging
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.events import EventService
from cronium_desktop.engine.notices import (
    EventsChanged,
    Notice,
    RunFinished,
    RunQueued,
    RunStarted,
    SettingsChanged,
)
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.store.models import AlertRule, Execution, RunAlert

if TYPE_CHECKING:
    from cronium_desktop.engine.tools.service import ToolService

log = logging.getLogger(__name__)

MEDIAN_OF = 20  # the runs a "usual" duration is read from
MIN_HISTORY = 3  # fewer successful runs than this say nothing about "usual"
RULE_FIELDS = ("late_seconds", "slow_factor", "slow_seconds", "tool")
UNWATCHED_TRIGGERS = (RunTrigger.DRAFT.value,)


@dataclass(frozen=True)
class RunAlerted(Notice):
    """A late or slow alert was raised for a run (once per run and kind)."""

    alert_id: int
    execution_id: int
    event_id: int | None
    event_name: str
    kind: str  # LATE, SLOW
    message: str


@dataclass
class AlertRules:
    late_seconds: float = 0.0
    slow_factor: float = 0.0
    slow_seconds: float = 0.0
    tool: str = ""

    @property
    def watches_slow(self) -> bool:
        return self.slow_seconds > 0 or self.slow_factor > 0


@dataclass
class AlertInfo:
    id: int
    execution_id: int
    event_id: int | None
    event_name: str
    kind: str
    message: str
    created_at: datetime
    delivery_error: str | None


def check_rules(values: dict[str, Any], field_prefix: str = "alerts") -> dict[str, Any]:
    """Validate rule fields (None = use the default); returns the cleaned values."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in RULE_FIELDS:
            raise ValidationError(f"{field_prefix}.{key}", f"unknown alert setting; use one of {', '.join(RULE_FIELDS)}.")
        if value is None:
            clean[key] = None
        elif key == "tool":
            if not isinstance(value, str):
                raise ValidationError(f"{field_prefix}.tool", "must be a tool credential's name, or empty for none.")
            clean[key] = value.strip()
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError(f"{field_prefix}.{key}", f"must be a number of 0 or more (0 turns it off), not {value!r}.")
            if key == "slow_factor" and 0 < value <= 1:
                raise ValidationError(f"{field_prefix}.slow_factor", "must be more than 1 (times the usual duration), or 0 for off.")
            clean[key] = float(value)
    return clean


def slow_limit(rules: AlertRules, durations_ms: builtins.list[int]) -> float | None:
    """Seconds after its start at which a run is slow, or None when no rule applies."""
    limits: builtins.list[float] = []
    if rules.slow_seconds > 0:
        limits.append(rules.slow_seconds)
    if rules.slow_factor > 0 and len(durations_ms) >= MIN_HISTORY:
        limits.append(rules.slow_factor * statistics.median(durations_ms) / 1000)
    return min(limits) if limits else None


class AlertService:
    def __init__(self, ctx: EngineContext, tools: ToolService | None) -> None:
        self._ctx = ctx
        self._tools = tools
        self._watched: dict[int, tuple[int, str]] = {}  # execution → (event id, event name)
        self._timers: dict[tuple[int, str], asyncio.TimerHandle] = {}  # SLOW: one per running run
        # LATE: every queued run has a deadline, and a burst of a thousand fires a second queues
        # many: the deadlines are kept in one heap (loop time, execution id) behind one timer, and
        # `_late` holds the live ones (a started run's entry is dropped there and skipped in the heap).
        self._late: dict[int, tuple[float, str]] = {}  # execution → (loop time due, message)
        self._late_heap: builtins.list[tuple[float, int]] = []
        self._late_timer: asyncio.Handle | None = None  # a plain Handle under qasync's loop
        self._late_timer_at = 0.0
        self._rules_cache: dict[int, AlertRules] | None = None
        self._rules_loading: asyncio.Future[dict[int, AlertRules]] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._unsubscribe = ctx.bus.subscribe(self._on_notice)

    # -- rules ------------------------------------------------------------------------------------------

    def defaults(self) -> AlertRules:
        stored = dict(self._ctx.settings.get("alerts") or {})
        return AlertRules(**{key: stored[key] for key in RULE_FIELDS if stored.get(key) is not None})

    @in_thread
    def get_rules(self, event: int | str) -> dict[str, Any]:
        """The event's own values (None where it takes the default)."""
        with self._ctx.db.read() as session:
            row = session.get(AlertRule, EventService.find(session, event).id)
            return {key: getattr(row, key) if row else None for key in RULE_FIELDS}

    @in_thread
    def set_rules(self, event: int | str, values: dict[str, Any]) -> None:
        clean = check_rules(values)
        with self._ctx.db.write() as session:
            event_id = EventService.find(session, event).id
            row = session.get(AlertRule, event_id) or AlertRule(event_id=event_id)
            for key, value in clean.items():
                setattr(row, key, value)
            session.add(row)
        self._rules_cache = None

    def set_defaults(self, values: dict[str, Any]) -> None:
        clean = check_rules(values)
        merged = {**(self._ctx.settings.get("alerts") or {}), **{k: v for k, v in clean.items() if v is not None}}
        self._ctx.settings.set("alerts", merged)
        self._rules_cache = None

    def _rules(self, event_id: int) -> AlertRules:
        """The event's effective rules (a blocking read the first time; cached until events change)."""
        cache = self._rules_cache if self._rules_cache is not None else self._load_rules()
        return cache.get(event_id, cache[0])

    def _load_rules(self) -> dict[int, AlertRules]:
        """Every event's own rules and the defaults (key 0), read once and kept until a change."""
        with self._ctx.db.read() as session:
            own = {row.event_id: {k: getattr(row, k) for k in RULE_FIELDS} for row in session.scalars(select(AlertRule))}
        base = self.defaults()
        cache = {event_id: AlertRules(**{k: base.__dict__[k] if values[k] is None else values[k] for k in RULE_FIELDS})
                 for event_id, values in own.items()}
        cache[0] = base
        self._rules_cache = cache
        return cache

    @in_thread
    def list(self, limit: int = 50) -> builtins.list[AlertInfo]:
        """The newest alerts first."""
        with self._ctx.db.read() as session:
            rows = session.scalars(select(RunAlert).order_by(RunAlert.id.desc()).limit(limit))
            return [AlertInfo(r.id, r.execution_id, r.event_id, r.event_name, r.kind, r.message, r.created_at,
                              r.delivery_error) for r in rows]

    # -- watching runs ----------------------------------------------------------------------------------

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, RunQueued):
            if notice.trigger not in UNWATCHED_TRIGGERS and notice.event_id is not None:
                self._watched[notice.execution_id] = (notice.event_id, notice.event_name)
                if self._rules_cache is not None and notice.due_at is not None:  # the usual case: no task
                    self._arm_late(notice.execution_id, self._rules(notice.event_id), notice.due_at)
                else:
                    self._spawn(self._watch_late(notice.execution_id, notice.event_id, notice.due_at))
        elif isinstance(notice, RunStarted):
            self._late.pop(notice.execution_id, None)
            if notice.attempt == 1 and notice.execution_id in self._watched:
                event_id = self._watched[notice.execution_id][0]
                if self._rules_cache is not None and not self._rules(event_id).watches_slow:
                    return  # the usual case: no rule, no task
                self._spawn(self._watch_slow(notice.execution_id, event_id))
        elif isinstance(notice, RunFinished):
            self._watched.pop(notice.execution_id, None)
            self._late.pop(notice.execution_id, None)
            self._cancel(notice.execution_id, "SLOW")
        elif isinstance(notice, EventsChanged):
            self._rules_cache = None  # a deleted event's rules went with it
        elif isinstance(notice, SettingsChanged) and "alerts" in notice.keys:
            self._rules_cache = None  # the defaults, changed by the CLI

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _cancel(self, execution_id: int, kind: str) -> None:
        timer = self._timers.pop((execution_id, kind), None)
        if timer is not None:
            timer.cancel()

    def _arm(self, execution_id: int, kind: str, delay: float, message: str) -> None:
        if execution_id not in self._watched:
            return  # it finished while the rules were read
        loop = asyncio.get_running_loop()
        self._timers[(execution_id, kind)] = loop.call_later(
            max(0.0, delay), lambda: self._spawn(self._raise_if(execution_id, kind, message)))

    def _arm_late(self, execution_id: int, rules: AlertRules, due_at: datetime) -> None:
        if rules.late_seconds <= 0 or execution_id not in self._watched:
            return
        loop = asyncio.get_running_loop()
        wait = (due_at + timedelta(seconds=rules.late_seconds) - utcnow()).total_seconds()
        at = loop.time() + max(0.0, wait)
        self._late[execution_id] = (at, f"has not started {rules.late_seconds:g} s after its time ({due_at:%H:%M:%S} UTC).")
        if len(self._late_heap) > 2 * len(self._late) + 64:  # mostly runs that started: keep the live ones
            self._late_heap = [(due, key) for key, (due, _) in self._late.items()]
            heapq.heapify(self._late_heap)
        else:
            heapq.heappush(self._late_heap, (at, execution_id))
        if self._late_timer is None or at < self._late_timer_at:
            if self._late_timer is not None:
                self._late_timer.cancel()
            self._late_timer, self._late_timer_at = loop.call_at(at, self._late_due), at

    def _late_due(self) -> None:
        """Raise the LATE alerts whose time came, then wait for the next live deadline."""
        self._late_timer = None
        loop = asyncio.get_running_loop()
        heap = self._late_heap
        while heap and (heap[0][0] <= loop.time() or self._late.get(heap[0][1], (None,))[0] != heap[0][0]):
            at, execution_id = heapq.heappop(heap)
            live = self._late.get(execution_id)
            if live is not None and live[0] == at:
                del self._late[execution_id]
                self._spawn(self._raise_if(execution_id, "LATE", live[1]))
        if heap:
            self._late_timer, self._late_timer_at = loop.call_at(heap[0][0], self._late_due), heap[0][0]

    async def _rules_of(self, event_id: int) -> AlertRules:
        """As `_rules`, on the loop when they are known (every run asks: most are told "no rule");
        else read once in a worker thread, however many runs ask meanwhile."""
        cache = self._rules_cache
        if cache is None:
            if self._rules_loading is None or self._rules_loading.done():
                self._rules_loading = asyncio.ensure_future(asyncio.to_thread(self._load_rules))
            cache = await asyncio.shield(self._rules_loading)
        return cache.get(event_id, cache[0])

    async def _watch_late(self, execution_id: int, event_id: int, due_at: datetime | None) -> None:
        def due() -> datetime | None:
            with self._ctx.db.read() as session:
                row = session.execute(select(Execution.scheduled_for, Execution.created_at)
                                      .where(Execution.id == execution_id)).first()
            return None if row is None else (row.scheduled_for or row.created_at)

        rules = await self._rules_of(event_id)
        if rules.late_seconds <= 0:
            return
        if due_at is None:
            due_at = await asyncio.to_thread(due)
        if due_at is not None:
            self._arm_late(execution_id, rules, due_at)

    async def _watch_slow(self, execution_id: int, event_id: int) -> None:
        rules = await self._rules_of(event_id)
        if not rules.watches_slow:
            return

        def limit() -> tuple[float | None, datetime | None]:
            with self._ctx.db.read() as session:
                durations = builtins.list(session.scalars(
                    select(Execution.duration_ms).where(Execution.event_id == event_id, Execution.status == "SUCCESS",
                                                        Execution.duration_ms.is_not(None), Execution.id != execution_id)
                    .order_by(Execution.id.desc()).limit(MEDIAN_OF)))
                started = session.scalar(select(Execution.started_at).where(Execution.id == execution_id))
            seconds = slow_limit(rules, [int(d) for d in durations if d is not None])
            return seconds, started

        seconds, started = await asyncio.to_thread(limit)
        if seconds is None or started is None:
            return
        wait = (started + timedelta(seconds=seconds) - utcnow()).total_seconds()
        self._arm(execution_id, "SLOW", wait, f"is still running after {seconds:.1f} s, longer than usual.")

    async def _raise_if(self, execution_id: int, kind: str, message: str) -> None:
        """Record the alert if the run is still waiting (LATE) or going (SLOW), then tell and deliver it."""
        self._timers.pop((execution_id, kind), None)
        wanted = "PENDING" if kind == "LATE" else "RUNNING"

        def record() -> RunAlerted | None:
            try:
                with self._ctx.db.write() as session:
                    execution = session.get(Execution, execution_id)
                    if execution is None or execution.status != wanted:
                        return None
                    text = f"Run #{execution_id} of {execution.event_name!r} {message}"
                    alert = RunAlert(execution_id=execution_id, event_id=execution.event_id,
                                     event_name=execution.event_name, kind=kind, message=text)
                    session.add(alert)
                    session.flush()
                    return RunAlerted(alert.id, execution_id, execution.event_id, execution.event_name, kind, text)
            except IntegrityError:  # raised already (by this or another process): once per run
                return None

        notice = await asyncio.to_thread(record)
        if notice is None:
            return
        self._ctx.bus.publish(notice)
        tool = self._rules(notice.event_id or 0).tool
        if tool and self._tools is not None:
            await self._deliver(notice, tool)

    async def _deliver(self, notice: RunAlerted, tool: str) -> None:
        assert self._tools is not None
        subject = f"Cronium: {notice.event_name} is {'late' if notice.kind == 'LATE' else 'slow'}"
        try:
            await self._tools.send_message(tool, subject, notice.message)
        except Exception as error:  # noqa: BLE001 - a failed delivery is kept with the alert, never raised
            log.warning("The %s alert of run #%d could not be sent through %r: %s", notice.kind,
                        notice.execution_id, tool, error)
            reason = f"Not sent through tool {tool!r}: {error}"

            def keep() -> None:
                with self._ctx.db.write() as session:
                    row = session.get(RunAlert, notice.alert_id)
                    if row is not None:
                        row.delivery_error = reason

            await asyncio.to_thread(keep)

    def stop(self) -> None:
        self._unsubscribe()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._late_timer is not None:
            self._late_timer.cancel()
        self._late.clear()
        self._late_heap.clear()
        for task in builtins.list(self._background):
            task.cancel()
