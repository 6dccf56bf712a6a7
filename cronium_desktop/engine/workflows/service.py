"""Workflow runs (SPEC §5): run the graphs `definitions.py` keeps, watch and cancel their runs.

A workflow run is a `WorkflowExecution` plus one `WorkflowNodeRun` per node; every node that runs
is an ordinary execution (trigger WORKFLOW) linked to it, so logs, outputs and history are uniform.
Ready nodes start together and the run queue's concurrency limit applies to them as to any run.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from cronium_desktop.engine import versions
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound
from cronium_desktop.engine.notices import NodeStateChanged, WorkflowRunFinished
from cronium_desktop.engine.runs.service import INTERRUPTED, RunService
from cronium_desktop.engine.states import FAILED_STATES, RunTrigger
from cronium_desktop.engine.store.models import (
    WorkflowExecution,
    WorkflowNodeRun,
)
from cronium_desktop.engine.workflows.definitions import WorkflowDefinitions
from cronium_desktop.engine.workflows.graph import Graph, edge_satisfied, parse_graph
from cronium_desktop.engine.workflows.subworkflows import (
    ChildRuns,
    child_run_of,
    result_json,
)

log = logging.getLogger(__name__)



@dataclass
class NodeResult:
    status: str
    output: Any = None
    execution_id: int | None = None
    condition: bool = False


@dataclass
class WorkflowResult:
    workflow_execution_id: int
    workflow: str
    status: str
    nodes: dict[str, NodeResult] = field(default_factory=dict)  # by label
    started_at: datetime | None = None
    finished_at: datetime | None = None
    parent_workflow_execution_id: int | None = None  # a child run of a WORKFLOW node
    parent_node_key: str | None = None
    error: str | None = None


class _Run:
    """A workflow run in progress in this process."""

    def __init__(self, execution_id: int) -> None:
        self.execution_id = execution_id
        self.cancelled = False
        self.node_executions: dict[str, int] = {}
        self.child_runs: dict[str, int] = {}  # WORKFLOW nodes: node key → child workflow run
        self.done = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None


class WorkflowService(WorkflowDefinitions):
    """Workflows' runs: a DAG of ordinary runs, started, watched, cancelled and recovered."""

    def __init__(self, ctx: EngineContext, runs: RunService) -> None:
        super().__init__(ctx)
        self._runs = runs
        self._active: dict[int, _Run] = {}
        self.children = ChildRuns(ctx, self)

    # -- running -------------------------------------------------------------------------------------------

    async def run(self, name_or_id: int | str, input: Any = None, trigger: str = "MANUAL",
                  parent: tuple[int, str] | None = None) -> int:
        """Start a run of the workflow and return its id at once; the graph runs in the background.

        `parent` is the (run, node key) of the WORKFLOW node that starts this run as its child."""
        workflow_execution_id, graph, labels = await asyncio.to_thread(self._begin, name_or_id, input, trigger, parent)
        run = _Run(workflow_execution_id)
        self._active[workflow_execution_id] = run
        run.task = asyncio.ensure_future(self._execute(run, graph, labels, input))
        return workflow_execution_id

    def _begin(self, name_or_id: int | str, input: Any, trigger: str,
               parent: tuple[int, str] | None = None) -> tuple[int, Graph, dict[str, int]]:
        with self._ctx.db.write() as session:
            workflow = self.find(session, name_or_id)
            graph = parse_graph(self._to_dict(workflow, event_as="id"))
            execution = WorkflowExecution(workflow_id=workflow.id, workflow_name=workflow.name, trigger=trigger,
                                          status="RUNNING", input=input, started_at=utcnow(),
                                          parent_workflow_execution_id=parent[0] if parent else None,
                                          parent_node_key=parent[1] if parent else None,
                                          workflow_version=versions.current_numbers(session, "workflow", [workflow.id])
                                          .get(workflow.id))
            execution.node_runs = [WorkflowNodeRun(node_key=n.id, label=n.label, status="PENDING") for n in graph.nodes]
            session.add(execution)
            session.flush()
            return execution.id, graph, {n.id: int(n.workflow if n.kind == "WORKFLOW" else n.event) for n in graph.nodes}

    def _set_node(self, workflow_execution_id: int, node_key: str, status: str, execution_id: int | None) -> None:
        with self._ctx.db.write() as session:
            row = session.scalar(select(WorkflowNodeRun).where(
                WorkflowNodeRun.workflow_execution_id == workflow_execution_id, WorkflowNodeRun.node_key == node_key))
            if row is not None:
                row.status = status
                if execution_id is not None:
                    row.execution_id = execution_id

    async def _node_state(self, run: _Run, node_key: str, status: str, execution_id: int | None = None) -> None:
        await asyncio.to_thread(self._set_node, run.execution_id, node_key, status, execution_id)
        self._ctx.bus.publish(NodeStateChanged(run.execution_id, node_key, status, execution_id))

    async def _execute(self, run: _Run, graph: Graph, event_ids: dict[str, int], workflow_input: Any) -> None:
        results: dict[str, NodeResult] = {}
        running: dict[str, asyncio.Task[NodeResult]] = {}
        try:
            while len(results) < len(graph.nodes):
                for node in graph.nodes:
                    if node.id in results or node.id in running:
                        continue
                    incoming = graph.incoming(node.id)
                    if any(edge.source not in results for edge in incoming):
                        continue  # a predecessor has not finished
                    if run.cancelled:
                        results[node.id] = NodeResult("CANCELLED")
                        await self._node_state(run, node.id, "CANCELLED")
                        continue
                    satisfied = [e for e in incoming if edge_satisfied(e.type, results[e.source].status, results[e.source].condition)]
                    if incoming and not satisfied:
                        results[node.id] = NodeResult("SKIPPED")
                        await self._node_state(run, node.id, "SKIPPED")
                        continue
                    if not incoming:
                        node_input = workflow_input
                    elif len(satisfied) == 1:
                        node_input = results[satisfied[0].source].output
                    else:
                        node_input = {graph.node(e.source).label: results[e.source].output for e in satisfied}
                    start = self.children.run_node if node.kind == "WORKFLOW" else self._run_node
                    running[node.id] = asyncio.ensure_future(start(run, node.id, event_ids[node.id], node_input))
                if not running:
                    continue
                done, _ = await asyncio.wait(running.values(), return_when=asyncio.FIRST_COMPLETED)
                for node_id, task in list(running.items()):
                    if task in done:
                        results[node_id] = task.result()
                        del running[node_id]
        except Exception as error:  # a bug must not leave the workflow RUNNING forever
            log.exception("workflow run %s failed", run.execution_id)
            for task in running.values():
                task.cancel()
            await self._finish(run, graph, results, error=f"{type(error).__name__}: {error}")
            return
        await self._finish(run, graph, results)

    async def _run_node(self, run: _Run, node_key: str, event_id: int, node_input: Any) -> NodeResult:
        execution_id = await self._runs.start(event_id, input=node_input, trigger=RunTrigger.WORKFLOW,
                                              workflow_execution_id=run.execution_id, workflow_node_key=node_key)
        run.node_executions[node_key] = execution_id
        await self._node_state(run, node_key, "RUNNING", execution_id)
        if run.cancelled:
            await self._runs.cancel(execution_id)
        summary = await self._runs.wait(execution_id)
        detail = await self._runs.get(execution_id)
        await self._node_state(run, node_key, summary.status, execution_id)
        return NodeResult(summary.status, summary.output, execution_id, detail.condition)

    @staticmethod
    def aggregate(graph: Graph, results: dict[str, NodeResult], cancelled: bool) -> str:
        if cancelled or any(result.status == "CANCELLED" for result in results.values()):
            return "CANCELLED"
        failed = [node_id for node_id, result in results.items() if result.status in FAILED_STATES]
        if not failed:
            return "SUCCESS"
        handled = [n for n in failed if any(e.type in ("ON_FAILURE", "ALWAYS") for e in graph.outgoing(n))]
        return "PARTIAL" if len(handled) == len(failed) else "FAILURE"

    async def _finish(self, run: _Run, graph: Graph, results: dict[str, NodeResult], error: str | None = None) -> None:
        status = "FAILURE" if error else self.aggregate(graph, results, run.cancelled)

        def write() -> None:
            with self._ctx.db.write() as session:
                execution = session.get(WorkflowExecution, run.execution_id)
                if execution is not None:
                    execution.status, execution.error, execution.finished_at = status, error, utcnow()

        await asyncio.to_thread(write)
        self._active.pop(run.execution_id, None)
        workflow_id = await asyncio.to_thread(self._workflow_of, run.execution_id)
        self._ctx.bus.publish(WorkflowRunFinished(run.execution_id, workflow_id, status))
        if not run.done.done():
            run.done.set_result(status)

    def _workflow_of(self, workflow_execution_id: int) -> int | None:
        with self._ctx.db.read() as session:
            execution = session.get(WorkflowExecution, workflow_execution_id)
            return None if execution is None else execution.workflow_id

    async def cancel(self, workflow_execution_id: int) -> bool:
        """Stop running nodes (CANCELLED); nodes not started yet never start."""
        run = self._active.get(workflow_execution_id)
        if run is None:
            return False
        run.cancelled = True
        for execution_id in list(run.node_executions.values()):
            await self._runs.cancel(execution_id)
        for child_run in list(run.child_runs.values()):
            await self.cancel(child_run)
        return True

    async def wait(self, workflow_execution_id: int, timeout: float | None = None) -> WorkflowResult:
        run = self._active.get(workflow_execution_id)
        if run is not None:
            await asyncio.wait_for(asyncio.shield(run.done), timeout)
        return await self.result(workflow_execution_id)

    @in_thread
    def result(self, workflow_execution_id: int) -> WorkflowResult:
        from cronium_desktop.engine.store.models import Execution

        with self._ctx.db.read() as session:
            execution = session.get(WorkflowExecution, workflow_execution_id)
            if execution is None:
                raise NotFound(f"No workflow run with id {workflow_execution_id}.")
            nodes: dict[str, NodeResult] = {}
            for node_run in execution.node_runs:
                output, condition = None, False
                if node_run.execution_id is not None:
                    node_execution = session.get(Execution, node_run.execution_id)
                    if node_execution is not None:
                        output, condition = node_execution.output, node_execution.condition
                elif (child := child_run_of(session, execution.id, node_run.node_key)) is not None:
                    output = result_json(self.result.__wrapped__(self, child))  # type: ignore[attr-defined]
                nodes[node_run.label] = NodeResult(node_run.status, output, node_run.execution_id, condition)
            return WorkflowResult(execution.id, execution.workflow_name, execution.status, nodes,
                                  execution.started_at, execution.finished_at,
                                  execution.parent_workflow_execution_id, execution.parent_node_key, execution.error)

    @in_thread
    def runs(self, name_or_id: int | str | None = None, limit: int = 100) -> builtins.list[WorkflowResult]:
        with self._ctx.db.read() as session:
            query = select(WorkflowExecution).order_by(WorkflowExecution.id.desc()).limit(limit)
            if name_or_id is not None:
                query = query.where(WorkflowExecution.workflow_id == self.find(session, name_or_id).id)
            return [WorkflowResult(e.id, e.workflow_name, e.status, {}, e.started_at, e.finished_at,
                                   e.parent_workflow_execution_id, e.parent_node_key)
                    for e in session.scalars(query)]

    def last_run_id(self) -> int:
        """The newest workflow run's id (0 if none)."""
        with self._ctx.db.read() as session:
            return session.scalar(select(func.max(WorkflowExecution.id))) or 0

    def recover_left_behind(self, up_to: int | None = None) -> int:
        """Workflow runs left going by a stopped process fail as interrupted (up to id `up_to`).

        Blocking: call it from a worker thread.
        """
        count = 0
        left = select(WorkflowExecution).where(WorkflowExecution.status.in_(("RUNNING", "PENDING")))
        if up_to is not None:
            left = left.where(WorkflowExecution.id <= up_to)
        with self._ctx.db.write() as session:
            for execution in session.scalars(left):
                execution.status, execution.error, execution.finished_at = "FAILURE", INTERRUPTED, utcnow()
                for node_run in execution.node_runs:
                    if node_run.status in ("PENDING", "RUNNING"):
                        node_run.status = "FAILURE" if node_run.status == "RUNNING" else "CANCELLED"
                count += 1
        return count

    async def stop(self) -> None:
        for run in list(self._active.values()):
            await self.cancel(run.execution_id)
        tasks = [run.task for run in self._active.values() if run.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=15)

