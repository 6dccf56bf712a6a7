"""WORKFLOW nodes on the canvas: open the workflow a node runs, and during a run the child run's live state.

Double-clicking a WORKFLOW node opens its child workflow on the same canvas (the parent stays in the
list). When the parent is running, or has run, the child run the node started is followed: its nodes
show their states, and the notices of that run keep them moving as they do for any run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.ui.workflows.page import WorkflowsPage


def wire(page: WorkflowsPage) -> None:
    """Connect the canvas and the workflow list of `page` to the WORKFLOW node gestures."""
    page.scene.childWorkflowRequested.connect(lambda node_id: spawn(open_child(page, node_id), page,
                                                                    "Opening the child workflow"))
    page.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    page.table.customContextMenuRequested.connect(lambda point: _table_menu(page, point))
    page.properties.schedule.load_calendars(page.engine)  # a workflow's schedule may name a calendar too


def _table_menu(page: WorkflowsPage, point: QPoint) -> None:
    row = page.table.rowAt(point.y())
    if not 0 <= row < len(page.workflows):
        return
    name = page.workflows[row].name
    menu = QMenu(page.table)
    add = menu.addAction(f"Run '{name}' as a node of this workflow")
    add.setEnabled(name.lower() != page.model.name.strip().lower())
    chosen = menu.exec(page.table.viewport().mapToGlobal(point))
    if chosen is add:
        add_workflow_node(page, name)


def add_workflow_node(page: WorkflowsPage, name: str) -> str:
    return page.scene.add_workflow_node(name, page.view.mapToScene(page.view.viewport().rect().center()))


async def open_child(page: WorkflowsPage, node_id: str) -> None:
    node = page.model.nodes.get(node_id)
    if node is None or node.kind != "WORKFLOW":
        return
    parent_run = page.current_run
    entry = next((w for w in page.workflows if w.name.lower() == node.event.lower()), None)
    if entry is None:
        page.workflows = await page.source.list_workflows()
        entry = next((w for w in page.workflows if w.name.lower() == node.event.lower()), None)
    if entry is None:
        page.status.setText(f"There is no workflow named '{node.event}' to open.")
        return
    workflows = getattr(page.engine, "workflows", None)
    child_run = None
    if parent_run is not None and workflows is not None:
        child_run = await asyncio.to_thread(workflows.children.child_run, parent_run, node_id)
    await page.open_workflow(entry.id)
    if page.workflow_id != entry.id:
        return  # the open workflow could not be left (unsaved and unsaveable)
    await page._refresh_workflows()  # the list marks the workflow now shown
    page.message.emit(f"Opened '{entry.name}', run by the node '{node.label}'.")
    if child_run is not None:
        await follow_run(page, child_run)


async def follow_run(page: WorkflowsPage, workflow_execution_id: int) -> None:
    """Show a run of the open workflow on the canvas and keep following it live."""
    result = await page.engine.workflows.result(workflow_execution_id)
    page.current_run = workflow_execution_id
    page.run_status = result.status
    page.node_executions = {}
    labels = {node.label: node_id for node_id, node in page.model.nodes.items()}
    for label, node_result in result.nodes.items():
        node_id = labels.get(label)
        if node_id is None:
            continue
        if node_result.execution_id is not None:
            page.node_executions[node_id] = node_result.execution_id
        page.scene.set_node_state(node_id, node_result.status)
    page.status.setText(f"run {workflow_execution_id} of this workflow, started by "
                        f"run {result.parent_workflow_execution_id}" if result.parent_workflow_execution_id else "")
    page.run_panel.say(f"Child run {workflow_execution_id}: {result.status.title()}. Click a node to see its log and output.")
    page._update_run_actions()
