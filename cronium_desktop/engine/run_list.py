"""Pages of runs, newest first, with each run's last measured figures: the `runs.list()` of the
facade, the CLI's `list runs` and `logs`, read with SQLAlchemy Core (no ORM: `cli/reads.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from cronium_desktop.engine.errors import NotFound
from cronium_desktop.engine.event_list import event_id_of
from cronium_desktop.engine.metrics_store import MeasuredRun, latest_for
from cronium_desktop.engine.store.tables import EXECUTIONS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

METRICS_PAGE = 1000  # a page of runs carries each run's figures up to this many runs


@dataclass
class RunSummary:
    execution_id: int
    event_id: int | None
    event: str
    status: str
    attempt: int
    trigger: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    exit_code: int | None
    error: str | None
    workflow_execution_id: int | None
    output: Any = None
    skipped_count: int = 0  # a SKIPPED run: how many fires were skipped in its burst, until when
    skipped_until: datetime | None = None
    metrics: MeasuredRun | None = None  # the last attempt's figures and phases, if it was measured
    event_version: int | None = None  # the event's definition version the run ran

    @property
    def status_text(self) -> str:
        """The status as people read it: a burst of skipped fires says how many it stands for."""
        if self.status == "SKIPPED" and self.skipped_count > 1:
            return f"{self.status} ×{self.skipped_count}"
        return self.status


def summary_of(row: Any) -> RunSummary:
    return RunSummary(
        execution_id=row.id,
        event_id=row.event_id,
        event=row.event_name,
        status=row.status,
        attempt=row.attempt,
        trigger=row.trigger,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        exit_code=row.exit_code,
        error=row.error,
        workflow_execution_id=row.workflow_execution_id,
        output=row.output,
        skipped_count=row.skipped_count,
        skipped_until=row.skipped_until,
        event_version=row.event_version,
    )


def read_runs(reader: Session | Connection, *, event: int | str | None = None, status: str | None = None,
              since: datetime | None = None, limit: int = 200, workflow_execution_id: int | None = None,
              ) -> list[RunSummary]:
    """The newest `limit` runs that match, newest first, each with its last measured attempt's figures."""
    query = select(EXECUTIONS).order_by(EXECUTIONS.c.id.desc()).limit(limit)
    if event is not None:
        query = query.where(EXECUTIONS.c.event_id == event_id_of(reader, event))
    if status is not None:
        query = query.where(EXECUTIONS.c.status == status)
    if since is not None:
        query = query.where(EXECUTIONS.c.created_at >= since)
    if workflow_execution_id is not None:
        query = query.where(EXECUTIONS.c.workflow_execution_id == workflow_execution_id)
    summaries = [summary_of(row) for row in reader.execute(query)]
    # A page of runs carries its figures; bulk reads (the dashboard's 30 days) need none.
    ids = [summary.execution_id for summary in summaries] if len(summaries) <= METRICS_PAGE else []
    measured = latest_for(reader, ids)
    for summary in summaries:
        summary.metrics = measured.get(summary.execution_id)
    return summaries


def read_summary(reader: Session | Connection, execution_id: int) -> RunSummary:
    row = reader.execute(select(EXECUTIONS).where(EXECUTIONS.c.id == execution_id)).first()
    if row is None:
        raise NotFound(f"No run with id {execution_id}.")
    return summary_of(row)
