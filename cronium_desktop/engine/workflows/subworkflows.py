"""Workflows that run workflows: the `WORKFLOW` node kind (SPEC §5, proposed).

A WORKFLOW node starts a run of its child workflow with the node's input; the node's result is the
child run's state and its output the child's final outputs, in the shape `run-workflow --json`
prints. The child run records its parent run and node (history, canvas). Saving a workflow that
would call itself through its children (A → B → A) is refused naming the path; how deep runs may
nest is the Setting `workflow_nesting_limit` (default 5). Cancelling the parent cancels the child.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.states import RunTrigger
from cronium_desktop.engine.store.models import Workflow, WorkflowExecution, WorkflowNode
from cronium_desktop.engine.workflows.graph import Graph

if TYPE_CHECKING:
    from cronium_desktop.engine.workflows.service import NodeResult, WorkflowResult, WorkflowService, _Run


def result_json(result: WorkflowResult) -> dict[str, Any]:
    """A workflow run as `run-workflow --json` prints it; a child run also names its parent run."""
    document: dict[str, Any] = {
        "workflow_execution_id": result.workflow_execution_id,
        "status": result.status,
        "nodes": {label: {"status": node.status, "output": node.output} for label, node in result.nodes.items()},
    }
    if result.parent_workflow_execution_id is not None:
        document["parent_workflow_execution_id"] = result.parent_workflow_execution_id
    return document


def workflow_by_name(session: Session, ref: Any) -> int | None:
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref if session.get(Workflow, ref) is not None else None
    return session.scalar(select(Workflow.id).where(func.lower(Workflow.name) == str(ref).strip().lower()))


def resolve_children(session: Session, graph: Graph, field_prefix: str) -> dict[str, int]:
    """The child workflow id of every WORKFLOW node, by node id (a missing workflow is an error)."""
    children: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        if node.kind != "WORKFLOW":
            continue
        child_id = workflow_by_name(session, node.workflow)
        if child_id is None:
            raise ValidationError(f"{field_prefix}.nodes[{index}].workflow",
                                  f"no workflow {node.workflow!r}; save or import it first.")
        children[node.id] = child_id
    return children


def check_no_cycle(session: Session, workflow_id: int | None, name: str, children: dict[str, int],
                   graph: Graph, field_prefix: str) -> None:
    """Refuse a workflow that would run itself through its children, naming the path (A → B → A)."""
    calls: dict[int, set[int]] = {}
    for parent_id, child_id in session.execute(
        select(WorkflowNode.workflow_id, WorkflowNode.child_workflow_id).where(WorkflowNode.child_workflow_id.is_not(None))
    ):
        if child_id is not None:
            calls.setdefault(parent_id, set()).add(child_id)
    names: dict[int, str] = {row[0]: row[1] for row in session.execute(select(Workflow.id, Workflow.name))}
    me = workflow_id if workflow_id is not None else -1
    names[me] = name
    calls[me] = set(children.values())

    def path_back(current: int, path: list[int]) -> list[int] | None:
        for child in sorted(calls.get(current, ())):
            if child == me:
                return [*path, child]
            if child not in path and (found := path_back(child, [*path, child])):
                return found
        return None

    for node in graph.nodes:
        if node.id not in children:
            continue
        start = children[node.id]
        cycle = [me, start] if start == me else path_back(start, [me, start])
        if cycle:
            index = graph.nodes.index(node)
            shown = " → ".join(names.get(item, "?") for item in cycle)
            raise ValidationError(f"{field_prefix}.nodes[{index}].workflow",
                                  f"running {names.get(start, '?')!r} here makes a cycle of workflows: {shown}. "
                                  "A workflow must not run itself, directly or through others.")


def parents_using(session: Session, workflow_id: int) -> list[str]:
    """Names of the workflows whose WORKFLOW nodes run this one."""
    rows = session.scalars(
        select(Workflow.name).join(WorkflowNode, WorkflowNode.workflow_id == Workflow.id)
        .where(WorkflowNode.child_workflow_id == workflow_id).distinct()
    )
    return sorted(rows)


def nesting_of(session: Session, workflow_execution_id: int) -> int:
    """How many parent runs stand above this run (0 for a run started on its own)."""
    depth, current = 0, session.get(WorkflowExecution, workflow_execution_id)
    while current is not None and current.parent_workflow_execution_id is not None and depth < 1000:
        depth += 1
        current = session.get(WorkflowExecution, current.parent_workflow_execution_id)
    return depth


def child_run_of(session: Session, workflow_execution_id: int, node_key: str) -> int | None:
    return session.scalar(
        select(WorkflowExecution.id).where(WorkflowExecution.parent_workflow_execution_id == workflow_execution_id,
                                           WorkflowExecution.parent_node_key == node_key)
        .order_by(WorkflowExecution.id.desc()).limit(1)
    )


class ChildRuns:
    """Runs WORKFLOW nodes for the workflow service."""

    def __init__(self, ctx: EngineContext, workflows: WorkflowService) -> None:
        self._ctx = ctx
        self._workflows = workflows

    def child_run(self, workflow_execution_id: int, node_key: str) -> int | None:
        """The run a WORKFLOW node started in this parent run (blocking: call from a thread)."""
        with self._ctx.db.read() as session:
            return child_run_of(session, workflow_execution_id, node_key)

    def _refuse(self, child_id: int, parent: int, node_key: str, node_input: Any, error: str) -> int:
        """Record a child run that could not start (too deep), so history says why the node failed."""
        with self._ctx.db.write() as session:
            child = session.get(Workflow, child_id)
            execution = WorkflowExecution(
                workflow_id=child_id, workflow_name=child.name if child else "?", trigger=RunTrigger.WORKFLOW, status="FAILURE",
                input=node_input, error=error, started_at=utcnow(), finished_at=utcnow(),
                parent_workflow_execution_id=parent, parent_node_key=node_key,
            )
            session.add(execution)
            session.flush()
            return execution.id

    def _nesting(self, workflow_execution_id: int) -> int:
        with self._ctx.db.read() as session:
            return nesting_of(session, workflow_execution_id)

    async def run_node(self, run: _Run, node_key: str, child_id: int, node_input: Any) -> NodeResult:
        from cronium_desktop.engine.workflows.service import NodeResult

        limit = int(self._ctx.settings.get("workflow_nesting_limit"))
        depth = await asyncio.to_thread(self._nesting, run.execution_id) + 1
        if depth > limit:
            error = (f"workflows nest {depth} deep here, more than the limit of {limit} (Setting "
                     "workflow_nesting_limit); raise it or flatten the workflows.")
            child_run = await asyncio.to_thread(self._refuse, child_id, run.execution_id, node_key, node_input, error)
        else:
            child_run = await self._workflows.run(child_id, input=node_input, trigger=RunTrigger.WORKFLOW,
                                                  parent=(run.execution_id, node_key))
        run.child_runs[node_key] = child_run
        await self._workflows._node_state(run, node_key, "RUNNING")
        if run.cancelled:
            await self._workflows.cancel(child_run)
        result = await self._workflows.wait(child_run)
        await self._workflows._node_state(run, node_key, result.status)
        return NodeResult(result.status, result_json(result), None, False)
