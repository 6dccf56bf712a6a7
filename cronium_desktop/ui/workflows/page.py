"""The Workflows page (SPEC §10): workflow list and event library, the canvas, properties, run and files.

Constructed as `WorkflowsPage(engine, bridge=None)`; with no bridge it makes its own from `engine.bus`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.states import FINAL_STATES
from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import show_error, spawn
from cronium_desktop.ui.theme import colour
from cronium_desktop.ui.workflows import child_workflows
from cronium_desktop.ui.workflows.commands import LayoutCommand
from cronium_desktop.ui.workflows.history import SHOWN_RUNS, RunHistoryPanel
from cronium_desktop.ui.workflows.layout import layered_positions
from cronium_desktop.ui.workflows.library import EventLibrary
from cronium_desktop.ui.workflows.model import WorkflowModel
from cronium_desktop.ui.workflows.properties import PropertiesPanel
from cronium_desktop.ui.workflows.run_panel import RunPanel
from cronium_desktop.ui.workflows.scene import WorkflowScene
from cronium_desktop.ui.workflows.source import EngineSource, WorkflowEntry
from cronium_desktop.ui.workflows.toolbar import build_toolbar
from cronium_desktop.ui.workflows.view import WorkflowView

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine



class WorkflowsPage(QWidget):
    message = Signal(str)  # what an action did, for the window's status bar

    def __init__(self, engine: Engine, bridge: EngineBridge | None = None, parent: QWidget | None = None,
                 source: Any = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.source = source or EngineSource(engine)
        self.bridge = bridge or EngineBridge(engine.bus)
        if bridge is None:  # our own subscription ends with the page
            own = self.bridge
            self.destroyed.connect(lambda *_: own.close())
        self.workflow_id: int | None = None
        self.workflows: list[WorkflowEntry] = []
        self.current_run: int | None = None
        self.run_status: str | None = None
        self.node_executions: dict[str, int] = {}
        self._early_notices: dict[int, list[tuple[str, str, int]]] = {}
        self.last_import_report: list[str] | None = None
        self._shown_node: str | None = None  # the node whose run the Run tab shows
        self._build_canvas()
        left = self._build_lists()
        heading, centre = self._build_heading()
        self._build_side_panels()
        self._lay_out(left, centre, heading)
        self._connect_notices()
        child_workflows.wire(self)
        self.new_workflow()
        self._update_run_actions()

    # -- building the page ------------------------------------------------------------------------------

    def _build_canvas(self) -> None:
        """The workflow model, its undo stack, the scene and view that draw it, the library and properties."""
        self.model = WorkflowModel(self)
        self.stack = QUndoStack(self)
        self.scene = WorkflowScene(self.model, self.stack, self)
        self.view = WorkflowView(self.scene, self)
        self.library = EventLibrary(self)
        self.properties = PropertiesPanel(self.model, self.stack, self)

    def _build_lists(self) -> QSplitter:
        """The left column: the workflows (with New and Delete) above the event library."""
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Workflow", "Last run"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selected)
        new = QPushButton("New", self)
        new.clicked.connect(self.new_workflow)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        left = QSplitter(Qt.Orientation.Vertical, self)
        workflows = QWidget(left)
        workflows_layout = QVBoxLayout(workflows)
        workflows_layout.setContentsMargins(0, 0, 0, 0)
        title = QHBoxLayout()
        title.addWidget(QLabel("Workflows", objectName="pageTitle"))  # type: ignore[call-overload]  # Qt property keyword
        title.addStretch(1)
        title.addWidget(new)
        title.addWidget(delete)
        workflows_layout.addLayout(title)
        workflows_layout.addWidget(self.table, 1)
        left.addWidget(workflows)
        left.addWidget(self.library)
        left.setSizes([200, 400])
        return left

    def _build_heading(self) -> tuple[QHBoxLayout, QWidget]:
        """The open workflow's title, a status note and the toolbar, above the panels; and the canvas's place."""
        self.title = QLabel(self, objectName="workflowTitle")  # type: ignore[call-overload]  # Qt property keyword
        self.status = QLabel(self, objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long notes never push the toolbar
        self.toolbar: QToolBar
        self.actions_by_name: dict[str, QAction] = {}
        build_toolbar(self)
        self.actions_by_name.update(self.view.edit_actions)
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.view, 1)
        # The title and the toolbar span the page, above the panels: the toolbar has the page's width,
        # not the canvas's, so it fits a small window without hiding actions behind "»".
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addWidget(self.status, 1)
        heading.addWidget(self.toolbar)
        return heading, centre

    def _build_side_panels(self) -> None:
        """The right column's tabs: the selection's properties, the run being followed, past runs."""
        self.run_panel = RunPanel(self)
        properties_holder = QWidget(self)
        properties_layout = QVBoxLayout(properties_holder)
        properties_layout.addWidget(self.properties)
        properties_layout.addStretch(1)
        self.side = QTabWidget(self)
        self.side.addTab(properties_holder, "Properties")
        self.side.addTab(self.run_panel, "Run")
        self.history = RunHistoryPanel(self)
        self.side.addTab(self.history, "History")
        self.history.runChosen.connect(self.show_past_run)
        self.history.nodeChosen.connect(self.show_node_run)

    def _lay_out(self, left: QSplitter, centre: QWidget, heading: QHBoxLayout) -> None:
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(centre)
        split.addWidget(self.side)
        split.setStretchFactor(1, 1)
        # the canvas takes what the lists and the properties leave: in a small window it is still the widest part
        split.setSizes([200, 10_000, 220])
        self.side.setMinimumWidth(200)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(heading)
        layout.addWidget(split, 1)

    def _connect_notices(self) -> None:
        """What the library, the scene and the model ask for, and the engine's notices this page follows."""
        self.library.newEventRequested.connect(self.new_event)
        self.library.eventActivated.connect(self._add_at_centre)
        self.scene.nodeActivated.connect(self.show_node_run)
        self.stack.cleanChanged.connect(lambda _clean: self._update_title())
        self.model.propertiesChanged.connect(self._update_title)
        self.bridge.workflowsChanged.connect(self.refresh_workflows)
        self.bridge.eventsChanged.connect(self.refresh_events)
        self.bridge.nodeStateChanged.connect(self.on_node_state)
        self.bridge.workflowRunFinished.connect(self.on_run_finished)
        self._reload_events = Coalesced(self, lambda: spawn(self._refresh_events(), self, "Loading events"))
        self.bridge.runFinished.connect(self._reload_events)  # the library's last-run marks

    # -- lists ------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.refresh_events()
        self.refresh_workflows()
        self.refresh_history()

    def refresh_events(self) -> None:
        self._reload_events()

    async def _refresh_events(self) -> None:
        events = await self.source.list_events()
        self.library.set_events(events)
        self.scene.set_events(events)

    def refresh_workflows(self) -> None:
        spawn(self._refresh_workflows(), self, "Loading workflows")

    async def _refresh_workflows(self) -> None:
        self.workflows = await self.source.list_workflows()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.workflows))
        for row, entry in enumerate(self.workflows):
            last = QTableWidgetItem((entry.last_status or "—").title())
            if entry.last_status:
                last.setForeground(QColor(colour(entry.last_status)))
            self.table.setItem(row, 0, QTableWidgetItem(entry.name))
            self.table.setItem(row, 1, last)
            if entry.id == self.workflow_id:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        if self.workflow_id is None and not self.model.nodes and self.stack.count() == 0 and self.workflows:
            self.table.selectRow(0)  # nothing being drawn: open the first workflow rather than show a blank canvas

    def _selected(self) -> None:
        if not self.table.selectedItems():
            return  # the selection was cleared (New): the current row alone must not reopen its workflow
        row = self.table.currentRow()
        if 0 <= row < len(self.workflows) and self.workflows[row].id != self.workflow_id:
            spawn(self.open_workflow(self.workflows[row].id), self, "Opening the workflow")

    # -- one workflow ---------------------------------------------------------------------------------------

    async def open_workflow(self, workflow_id: int) -> None:
        if self.workflow_id is not None and not self.stack.isClean() and not await self._save():
            await self._refresh_workflows()  # never drop edits: an unsaveable graph stays open
            return
        data = await self.source.load(workflow_id)
        self.show_workflow(data)

    def show_workflow(self, data: dict[str, Any]) -> None:
        self.workflow_id = data.get("id")
        self.model.load(data)
        self.stack.clear()
        self.properties.set_webhook(self.source.webhook_base(), data.get("webhook_token"))
        self.current_run, self.run_status, self.node_executions = None, None, {}
        self.scene.clear_states()
        self.history.show_run(None)
        self.history.set_runs([])
        if self.workflow_id is not None:
            self.refresh_history()
        self._update_title()
        self._update_run_actions()
        QTimer.singleShot(0, self.view.fit_to_view)

    def new_workflow(self) -> None:
        names = {entry.name.lower() for entry in self.workflows}
        name, number = "New workflow", 2
        while name.lower() in names:
            name, number = f"New workflow {number}", number + 1
        self.show_workflow({"name": name, "trigger": "MANUAL", "nodes": [], "edges": []})
        self.table.clearSelection()

    def _update_title(self) -> None:
        unsaved = self.workflow_id is None or not self.stack.isClean()
        self.title.setText((self.model.name or "Untitled workflow") + (" •" if unsaved else ""))
        self.status.setText("unsaved changes" if unsaved and self.model.nodes else "")

    def save(self) -> None:
        spawn(self._save(), self, "Saving the workflow")

    async def _save(self) -> bool:
        data = self.model.to_dict()
        if self.workflow_id is not None:
            data["id"] = self.workflow_id
        elif any(entry.name.lower() == self.model.name.strip().lower()
                 for entry in await self.source.list_workflows()):  # the store's list, not a possibly stale copy
            show_error(self, "The workflow was not saved",
                       f"A workflow named '{self.model.name.strip()}' already exists. Choose another name in Properties.")
            return False
        try:
            self.workflow_id = await self.source.save(data)
        except ValidationError as error:
            show_error(self, "The workflow was not saved", f"{error}\nFix it on the canvas, then save again.")
            return False
        self.stack.setClean()
        self._update_title()
        self.message.emit(f"Workflow '{self.model.name}' saved.")
        saved = await self.source.load(self.workflow_id)
        self.properties.set_webhook(self.source.webhook_base(), saved.get("webhook_token"))
        await self._refresh_workflows()
        return True

    def delete(self) -> None:
        if self.workflow_id is None:
            return
        answer = QMessageBox.question(self, "Delete workflow", f"Delete the workflow '{self.model.name}'?")
        if answer == QMessageBox.StandardButton.Yes:
            spawn(self._delete(self.workflow_id), self, "Deleting the workflow")

    async def _delete(self, workflow_id: int) -> None:
        name = self.model.name
        await self.source.delete(workflow_id)
        self.message.emit(f"Workflow '{name}' deleted.")
        self.new_workflow()
        await self._refresh_workflows()

    # -- canvas actions ----------------------------------------------------------------------------------

    def tidy_layout(self) -> None:
        positions = layered_positions(self.model.nodes, self.model.edges)
        command = LayoutCommand(self.model, positions)
        if command.moves:
            self.stack.push(command)
        self.view.fit_to_view()

    def _add_at_centre(self, event_name: str) -> None:
        self.scene.add_event_node(event_name, self.view.mapToScene(self.view.viewport().rect().center()))

    def new_event(self) -> None:
        from cronium_desktop.ui.events.editor import EventEditor

        editor = EventEditor(self.engine, None, self)
        editor.finished.connect(lambda _result: self._event_created(editor))
        editor.open()

    def _event_created(self, editor: Any) -> None:
        if editor.saved_id is None:
            return
        name = editor.name.text().strip()

        async def add() -> None:
            await self._refresh_events()
            self._add_at_centre(name)

        spawn(add(), self, "Adding the new event")

    # -- running ------------------------------------------------------------------------------------------

    def run(self) -> None:
        spawn(self._run(), self, "Starting the workflow")

    async def _run(self) -> int | None:
        if (self.workflow_id is None or not self.stack.isClean()) and not await self._save():
            return None
        assert self.workflow_id is not None
        for node_id in self.model.nodes:
            self.scene.set_node_state(node_id, "PENDING")
        self.node_executions = {}
        self.run_status = "RUNNING"
        self.current_run = await self.source.run(self.workflow_id)
        for node_key, status, execution_id in self._early_notices.pop(self.current_run, []):
            self.on_node_state(self.current_run, node_key, status, execution_id)
        self._early_notices.clear()
        self.run_panel.say("Running… click a node to see its log and output.")
        self.message.emit(f"Workflow '{self.model.name}' started.")
        self._update_run_actions()
        return self.current_run

    def cancel(self) -> None:
        if self.current_run is not None and self.run_status == "RUNNING":
            spawn(self.source.cancel(self.current_run), self, "Cancelling the workflow")

    def on_node_state(self, workflow_execution_id: int, node_key: str, status: str, execution_id: int) -> None:
        if workflow_execution_id != self.current_run:
            if self.run_status == "RUNNING" and self.current_run is None:  # notices before run() returned
                self._early_notices.setdefault(workflow_execution_id, []).append((node_key, status, execution_id))
            return
        if execution_id:
            self.node_executions[node_key] = execution_id
        self.scene.set_node_state(node_key, status)
        if status in FINAL_STATES and self._shown_node == node_key:
            self.show_node_run(node_key)

    def on_run_finished(self, workflow_execution_id: int, status: str) -> None:
        self.refresh_history()  # runs by the scheduler, a webhook or a node action are history too
        if workflow_execution_id != self.current_run:
            return
        self.run_status = status
        self.run_panel.say(f"The run finished: {status.title()}. Click a node to see its log and output.")
        self.message.emit(f"Workflow '{self.model.name}' finished: {status.title()}.")
        self._update_run_actions()
        self.refresh_workflows()

    # -- past runs -----------------------------------------------------------------------------------------

    def refresh_history(self) -> None:
        spawn(self._refresh_history(), self, "Loading the workflow's runs")

    async def _refresh_history(self) -> None:
        workflow_id = self.workflow_id
        history = self.engine.workflow_history
        if workflow_id is None:
            return
        runs = await history.runs(workflow_id, last=SHOWN_RUNS)
        if workflow_id == self.workflow_id:
            self.history.set_runs(runs)

    def show_past_run(self, run: Any) -> None:
        spawn(self._show_past_run(run.workflow_execution_id), self, "Loading the run")

    async def _show_past_run(self, workflow_execution_id: int) -> None:
        """Colour the canvas with a past run's node states; its nodes' logs show as for a live run."""
        record = await self.engine.workflow_history.run(workflow_execution_id)
        if record.workflow_id != self.workflow_id:
            return
        self.current_run, self.run_status = record.workflow_execution_id, record.status
        self.node_executions = {node.key: node.execution_id for node in record.nodes if node.execution_id}
        self.scene.clear_states()
        for node in record.nodes:
            self.scene.set_node_state(node.key, node.status)
        self.history.show_run(record)
        self.run_panel.say(f"Run #{record.workflow_execution_id}: {record.status.title()}. "
                           "Click a node to see its log and output.")
        self._update_run_actions()

    def _update_run_actions(self) -> None:
        running = self.run_status == "RUNNING"
        self.actions_by_name["Run"].setEnabled(not running)
        self.actions_by_name["Cancel run"].setEnabled(running)

    def show_node_run(self, node_id: str) -> None:
        self._shown_node = node_id
        execution_id = self.node_executions.get(node_id)
        node = self.model.nodes.get(node_id)
        if node is None or self.current_run is None:
            return
        self.side.setCurrentIndex(1)
        if execution_id is None:
            state = self.scene.node_state(node_id) or "PENDING"
            self.run_panel.show_nothing(f"{node.label}: {state.title()} (no execution).")
            return
        spawn(self._show_node_run(node_id, execution_id), self, "Loading the node's run")

    async def _show_node_run(self, node_id: str, execution_id: int) -> None:
        run = await self.source.node_run(execution_id)
        if self._shown_node != node_id:
            return
        label = self.model.nodes[node_id].label if node_id in self.model.nodes else node_id
        self.run_panel.show_node_run(label, execution_id, run)

    # -- files -----------------------------------------------------------------------------------------------

    def ask_save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export workflow", suggested, "Cronium files (*.cronium.json)")
        return path

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Import", "", "Cronium files (*.cronium.json *.json)")
        return path

    async def confirm_replace(self, text: str) -> bool:
        """Ask without a nested event loop: the box is shown and its answer awaited on the shared loop."""
        box = QMessageBox(QMessageBox.Icon.Question, "Replace?", f"{text}\nReplace what exists with the file's version?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        box.finished.connect(lambda result: None if answer.done() else answer.set_result(result == QMessageBox.StandardButton.Yes))
        box.open()
        return await answer

    def export_file(self) -> None:
        path = self.ask_save_path(f"{self.model.name or 'workflow'}.cronium.json")
        if path:
            spawn(self._export(Path(path)), self, "Exporting the workflow")

    async def _export(self, path: Path) -> None:
        if (self.workflow_id is None or not self.stack.isClean()) and not await self._save():
            return
        if not path.name.endswith(".json"):
            path = path.with_name(path.name + ".cronium.json")
        await self.source.export_workflow(self.model.name, path)
        self.status.setText(f"Exported to {path}")
        self.message.emit(f"Workflow '{self.model.name}' exported to {path}.")

    def new_from_example(self) -> None:
        from cronium_desktop.ui.examples_dialog import ExamplesDialog

        dialog = ExamplesDialog(self)
        dialog.accepted.connect(lambda: dialog.chosen and spawn(self._import(dialog.chosen), self, "Importing"))
        dialog.open()
        self.examples_dialog = dialog  # for tests, and so it is not collected while open

    def import_file(self) -> None:
        path = self.ask_open_path()
        if path:
            spawn(self._import(Path(path)), self, "Importing")

    async def _import(self, path: Path) -> None:
        try:
            report = await self.source.import_file(path, False)
        except ValidationError as error:
            if "already exists" not in error.message or not await self.confirm_replace(str(error)):
                show_error(self, "Nothing was imported", f"{path.name}: {error}")
                return
            report = await self.source.import_file(path, True)
        self.last_import_report = report.lines()
        box = QMessageBox(QMessageBox.Icon.Information, "Imported", "\n".join(self.last_import_report) or "Nothing to import.",
                          QMessageBox.StandardButton.Ok, self)
        box.open()
        await self._refresh_events()
        await self._refresh_workflows()
        if report.workflow:
            entry = next((w for w in self.workflows if w.name.lower() == report.workflow.lower()), None)
            if entry is not None:
                await self.open_workflow(entry.id)
                await self._refresh_workflows()
