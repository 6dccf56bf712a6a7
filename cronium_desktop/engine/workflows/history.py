"""Past runs of a workflow, node by node (SPEC §5, §9 `workflow runs` / `workflow show-run`).

A workflow run keeps one `WorkflowNodeRun` per node; a node that ran links to its ordinary execution,
whose times, exit code, output and error are read here. The window's run history and the CLI read
the same records, so both tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.store.models import Execution, WorkflowExecution
from cronium_desktop.engine.workflows.service import WorkflowService

MAX_LISTED_RUNS = 1000


@dataclass
class NodeRunRecord:
    """One node within one workflow run; a SKIPPED or CANCELLED node may have no execution."""

    key: str
    label: str
    status: str
    execution_id: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    exit_code: int | None = None
    attempt: int | None = None
    output: Any = None
    error: str | None = None


@dataclass
class WorkflowRunRecord:
    workflow_execution_id: int
    workflow_id: int | None
    workflow: str
    trigger: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = None
    input: Any = None
    nodes: list[NodeRunRecord] = field(default_factory=list)

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at).total_seconds() * 1000)


def _record(run: WorkflowExecution, with_nodes: bool, session: Any) -> WorkflowRunRecord:
    record = WorkflowRunRecord(run.id, run.workflow_id, run.workflow_name, run.trigger, run.status,
                               run.started_at, run.finished_at, run.error, run.input)
    if not with_nodes:
        return record
    for node_run in sorted(run.node_runs, key=lambda n: n.id):  # made in the graph's node order
        node = NodeRunRecord(node_run.node_key, node_run.label, node_run.status, node_run.execution_id)
        execution = session.get(Execution, node_run.execution_id) if node_run.execution_id is not None else None
        if execution is not None:
            node.started_at, node.finished_at = execution.started_at, execution.finished_at
            node.duration_ms, node.exit_code = execution.duration_ms, execution.exit_code
            node.attempt, node.output, node.error = execution.attempt, execution.output, execution.error
        record.nodes.append(node)
    return record


class WorkflowHistory:
    """Reads workflow runs; never writes."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    @in_thread
    def runs(self, workflow: int | str, last: int = 20, with_nodes: bool = False) -> list[WorkflowRunRecord]:
        """The workflow's last `last` runs, newest first (a bad count or an unknown name raises)."""
        if isinstance(last, bool) or not isinstance(last, int) or not 1 <= last <= MAX_LISTED_RUNS:
            raise ValidationError("last", f"must be a whole number from 1 to {MAX_LISTED_RUNS}, not {last!r}.")
        with self._ctx.db.read() as session:
            workflow_id = WorkflowService.find(session, workflow).id
            query = (select(WorkflowExecution).where(WorkflowExecution.workflow_id == workflow_id)
                     .order_by(WorkflowExecution.id.desc()).limit(last))
            return [_record(run, with_nodes, session) for run in session.scalars(query)]

    @in_thread
    def run(self, workflow_execution_id: int) -> WorkflowRunRecord:
        """One workflow run with every node's state, times, output and error."""
        with self._ctx.db.read() as session:
            run = session.get(WorkflowExecution, workflow_execution_id)
            if run is None:
                raise NotFound(f"No workflow run with id {workflow_execution_id}; "
                               "`workflow runs NAME` lists a workflow's runs with their ids.")
            return _record(run, True, session)
