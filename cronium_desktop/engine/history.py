"""Run history read at any size: the dashboard's figures as SQL aggregates, and pages of runs.

The dashboard once loaded up to 100,000 runs to count them in Python (and miscounted beyond);
here the store counts, over the (created_at, status) index. The Runs view reads history a page at a
time, newest first, each page starting below the last id shown (keyset paging: every run exactly
once, however many arrive meanwhile), and its filters use the (event_id, id) and (status, id)
indexes. Blocking methods are wrapped for the loop with `in_thread`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.run_list import RunSummary, summary_of
from cronium_desktop.engine.store.models import Execution

FINISHED = ("SUCCESS", "FAILURE", "TIMEOUT", "PARTIAL", "CANCELLED")
PAGE_SIZE = 200


def stored_time(moment: datetime) -> str:
    """A naive UTC time as the store's DateTime columns hold it, for raw SQL comparisons."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class DashboardFigures:
    """Counts per UTC day over the last `len(days)` days, and the newest finished runs."""

    days: list[date]
    per_day: Counter[date] = field(default_factory=Counter)  # runs recorded, skipped bursts aside
    ok_per_day: Counter[date] = field(default_factory=Counter)
    done_per_day: Counter[date] = field(default_factory=Counter)
    recent: list[RunSummary] = field(default_factory=list)  # oldest first, at most 50
    any_run: bool = False

    @property
    def runs_today(self) -> int:
        return self.per_day[self.days[-1]] if self.days else 0

    @property
    def success_rate(self) -> float | None:
        done = sum(self.done_per_day.values())
        return 100 * sum(self.ok_per_day.values()) / done if done else None


class RunHistory:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    @in_thread
    def dashboard(self, days: int = 30, now: datetime | None = None, recent: int = 50) -> DashboardFigures:
        today = (now or utcnow()).replace(tzinfo=None)
        since = today - timedelta(days=days)
        figures = DashboardFigures(days=[(since + timedelta(days=i + 1)).date() for i in range(days)])
        with self._ctx.db.read() as session:
            conn = session.connection()
            # date() of the stored text is the UTC day; the index (created_at, status) answers alone.
            rows = conn.execute(text(
                "SELECT substr(created_at, 1, 10) AS day, status, COUNT(*) FROM executions "
                "WHERE created_at >= :since GROUP BY day, status"), {"since": stored_time(since)}).all()
            for day_text, status, count in rows:
                day = date.fromisoformat(day_text)
                if status != "SKIPPED":
                    figures.per_day[day] += count
                if status in FINISHED:
                    figures.done_per_day[day] += count
                    if status == "SUCCESS":
                        figures.ok_per_day[day] += count
            newest = session.scalars(
                select(Execution).where(Execution.created_at >= since, Execution.status.in_(FINISHED),
                                        Execution.duration_ms.is_not(None))
                .order_by(Execution.id.desc()).limit(recent)
            ).all()
            figures.recent = [summary_of(row) for row in reversed(newest)]
            figures.any_run = bool(rows) or session.scalar(select(Execution.id).limit(1)) is not None
        return figures

    @in_thread
    def page(self, *, event_id: int | None = None, status: str | None = None, since: datetime | None = None,
             before_id: int | None = None, limit: int = PAGE_SIZE) -> list[RunSummary]:
        """Runs newest first with an id below `before_id` (None: from the newest)."""
        query = select(Execution).order_by(Execution.id.desc()).limit(limit)
        if event_id is not None:
            query = query.where(Execution.event_id == event_id)
        if status is not None:
            query = query.where(Execution.status == status)
        if since is not None:
            query = query.where(Execution.created_at >= since)
        if before_id is not None:
            query = query.where(Execution.id < before_id)
        with self._ctx.db.read() as session:
            return [summary_of(row) for row in session.scalars(query)]

    @in_thread
    def count(self) -> int:
        with self._ctx.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Execution)) or 0)
