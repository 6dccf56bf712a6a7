"""Reading run metrics back: a run's figures and phases, an event's trend, the week's heaviest events.

Plain Core queries over `run_metrics` (written by the runner with each attempt's final state); the
window, the CLI and `RunService` use these through the `Engine` facade, `list runs` without the ORM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.store.tables import EVENTS, EXECUTIONS, RUN_METRICS

# The figures `list runs --json` and `logs --json` carry (SPEC §9), in that order.
JSON_FIGURES = ("queued_s", "cpu_user_s", "cpu_system_s", "max_rss_bytes", "read_bytes", "write_bytes", "signal")
T = TypeVar("T")
TREND_RUNS = 200
TOP_EVENTS = 5


@dataclass
class Phases:
    """Where an attempt's time went: created → started → first output → finished → actions done."""

    queued_s: float | None = None
    started_at: datetime | None = None
    first_output_at: datetime | None = None
    finished_at: datetime | None = None
    actions_done_at: datetime | None = None

    def spans(self) -> dict[str, float]:
        """Seconds per phase: queued, starting (to the first output), running, actions."""
        def between(start: datetime | None, end: datetime | None) -> float:
            return max(0.0, (end - start).total_seconds()) if start and end else 0.0

        first = self.first_output_at if self.first_output_at and self.finished_at and (
            self.first_output_at <= self.finished_at) else None
        return {
            "queued": self.queued_s or 0.0,
            "starting": between(self.started_at, first) if first else 0.0,
            "running": between(first or self.started_at, self.finished_at),
            "actions": between(self.finished_at, self.actions_done_at),
        }


@dataclass
class MeasuredRun:
    """One attempt's figures (None: not measured where it ran) and its phases."""

    execution_id: int
    attempt: int
    figures: dict[str, Any] = field(default_factory=dict)
    limit_reason: str | None = None
    phases: Phases = field(default_factory=Phases)

    def json_figures(self) -> dict[str, Any]:
        """The measured figures under SPEC §9's names; what was not measured is left out."""
        return {name: self.figures[name] for name in JSON_FIGURES if self.figures.get(name) is not None}


@dataclass
class TrendPoint:
    execution_id: int
    finished_at: datetime
    status: str
    duration_s: float | None
    cpu_s: float | None
    max_rss_bytes: int | None


@dataclass
class HeavyEvent:
    event_id: int
    name: str
    runs: int
    value: float  # CPU seconds, or peak memory in bytes


def measured(row: Any) -> MeasuredRun:
    """An attempt's figures from its `run_metrics` row."""
    return MeasuredRun(
        execution_id=row.execution_id, attempt=row.attempt,
        figures={name: getattr(row, name) for name in JSON_FIGURES},
        limit_reason=row.limit_reason,
        phases=Phases(row.queued_s, row.started_at, row.first_output_at, row.finished_at, row.actions_done_at),
    )


def latest_for(session: Any, execution_ids: list[int]) -> dict[int, MeasuredRun]:
    """Each run's last measured attempt, by execution id."""
    found: dict[int, MeasuredRun] = {}
    for start in range(0, len(execution_ids), 500):  # SQLite's limit on bound parameters
        chunk = execution_ids[start:start + 500]
        rows = session.execute(select(RUN_METRICS).where(RUN_METRICS.c.execution_id.in_(chunk))
                               .order_by(RUN_METRICS.c.attempt))
        for row in rows:
            found[row.execution_id] = measured(row)
    return found


def attempts_of(session: Any, execution_id: int) -> list[MeasuredRun]:
    rows = session.execute(select(RUN_METRICS).where(RUN_METRICS.c.execution_id == execution_id)
                           .order_by(RUN_METRICS.c.attempt))
    return [measured(row) for row in rows]


def trend(session: Any, event_id: int, limit: int = TREND_RUNS) -> list[TrendPoint]:
    """The event's last `limit` finished runs, oldest first: duration, CPU, peak memory, status."""
    rows = session.execute(
        select(EXECUTIONS.c.id, EXECUTIONS.c.finished_at, EXECUTIONS.c.status, EXECUTIONS.c.duration_ms,
               RUN_METRICS.c.cpu_user_s, RUN_METRICS.c.cpu_system_s, RUN_METRICS.c.max_rss_bytes)
        .select_from(EXECUTIONS.outerjoin(RUN_METRICS, (RUN_METRICS.c.execution_id == EXECUTIONS.c.id)
                                          & (RUN_METRICS.c.attempt == EXECUTIONS.c.attempt)))
        .where(EXECUTIONS.c.event_id == event_id, EXECUTIONS.c.finished_at.is_not(None), EXECUTIONS.c.status != "SKIPPED")
        .order_by(EXECUTIONS.c.id.desc()).limit(limit)
    ).all()
    points = []
    for execution_id, finished, status, duration_ms, user, system, rss in reversed(rows):
        cpu = None if user is None and system is None else (user or 0.0) + (system or 0.0)
        points.append(TrendPoint(execution_id, finished, status, None if duration_ms is None else duration_ms / 1000,
                                 cpu, rss))
    return points


def heaviest(session: Any, now: datetime, by: str, days: int = 7, limit: int = TOP_EVENTS) -> list[HeavyEvent]:
    """The events that used the most CPU (total seconds) or memory (largest peak) since `days` ago."""
    value: Any
    if by == "cpu":
        value = func.sum(func.coalesce(RUN_METRICS.c.cpu_user_s, 0.0) + func.coalesce(RUN_METRICS.c.cpu_system_s, 0.0))
        measured_rows = RUN_METRICS.c.cpu_user_s.is_not(None)
    elif by == "memory":
        value = func.max(RUN_METRICS.c.max_rss_bytes)
        measured_rows = RUN_METRICS.c.max_rss_bytes.is_not(None)
    else:
        raise ValueError(f"unknown measure {by!r}: use 'cpu' or 'memory'")
    rows = session.execute(
        select(RUN_METRICS.c.event_id, EVENTS.c.name, func.count(RUN_METRICS.c.id), value)
        .select_from(RUN_METRICS.join(EVENTS, EVENTS.c.id == RUN_METRICS.c.event_id))
        .where(RUN_METRICS.c.finished_at >= now - timedelta(days=days), measured_rows)
        .group_by(RUN_METRICS.c.event_id, EVENTS.c.name).order_by(value.desc()).limit(limit)
    ).all()
    return [HeavyEvent(event_id, name, runs, float(total or 0)) for event_id, name, runs, total in rows]


class RunMetricsService:
    """The facade's `engine.metrics`: each call reads in a worker thread."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    async def of_run(self, execution_id: int) -> list[MeasuredRun]:
        return await asyncio.to_thread(self._read, lambda session: attempts_of(session, execution_id))

    async def latest(self, execution_ids: list[int]) -> dict[int, MeasuredRun]:
        return await asyncio.to_thread(self._read, lambda session: latest_for(session, execution_ids))

    async def trend(self, event_id: int, limit: int = TREND_RUNS) -> list[TrendPoint]:
        return await asyncio.to_thread(self._read, lambda session: trend(session, event_id, limit))

    async def heaviest(self, by: str, days: int = 7, limit: int = TOP_EVENTS) -> list[HeavyEvent]:
        now = utcnow()
        return await asyncio.to_thread(self._read, lambda session: heaviest(session, now, by, days, limit))

    async def heaviest_by_cpu_and_memory(self, days: int = 7,
                                         limit: int = TOP_EVENTS) -> tuple[list[HeavyEvent], list[HeavyEvent]]:
        """Both lists from one read, so they describe the same moment."""
        now = utcnow()
        return await asyncio.to_thread(self._read, lambda session: (heaviest(session, now, "cpu", days, limit),
                                                                    heaviest(session, now, "memory", days, limit)))

    def _read(self, work: Callable[[Any], T]) -> T:
        with self._ctx.db.read() as session:
            return work(session)
