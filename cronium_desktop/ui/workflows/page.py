"""The Workflows view: the workflows of this data folder, run them and watch their nodes' states."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.common import header, spawn
from cronium_desktop.ui.theme import colour


class WorkflowsPage(QWidget):
    def __init__(self, engine: Any, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.workflows: list[Any] = []
        self.current_run: int | None = None
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Workflow", "Trigger", "Nodes", "Last result"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selected)
        self.nodes = QTableWidget(0, 3, self)
        self.nodes.setHorizontalHeaderLabels(["Node", "Event", "State"])
        self.nodes.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.nodes.verticalHeader().hide()
        self.nodes.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.info = QLabel("Select a workflow.", self, objectName="muted", wordWrap=True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        run = QPushButton("Run", self, objectName="primary")
        run.clicked.connect(self.run)
        cancel = QPushButton("Cancel run", self)
        cancel.clicked.connect(self.cancel)
        importing = QPushButton("Import…", self)
        importing.clicked.connect(self.import_file)
        exporting = QPushButton("Export…", self)
        exporting.clicked.connect(self.export_file)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.info)
        detail_layout.addWidget(self.nodes, 1)
        split.addWidget(detail)
        buttons = QHBoxLayout()
        for button in (run, cancel, exporting, delete):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Workflows", importing))
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        bridge.workflowsChanged.connect(self.refresh)
        bridge.workflowRunFinished.connect(lambda *args: self.refresh())
        bridge.nodeStateChanged.connect(self._node_state)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading workflows")

    async def _refresh(self) -> None:
        self.workflows = await self.engine.workflows.list()
        selected = self.table.currentRow()
        self.table.setRowCount(len(self.workflows))
        for row, workflow in enumerate(self.workflows):
            last = QTableWidgetItem((workflow.last_status or "—").title())
            if workflow.last_status:
                last.setForeground(QColor(colour(workflow.last_status)))
            for column, item in enumerate((QTableWidgetItem(workflow.name), QTableWidgetItem(workflow.trigger.title()),
                                           QTableWidgetItem(str(workflow.nodes)), last)):
                self.table.setItem(row, column, item)
        if 0 <= selected < len(self.workflows):
            self.table.selectRow(selected)

    def _workflow(self) -> Any:
        row = self.table.currentRow()
        return self.workflows[row] if 0 <= row < len(self.workflows) else None

    def _selected(self) -> None:
        workflow = self._workflow()
        if workflow is not None:
            spawn(self._show(workflow.id), self, "Loading the workflow")

    async def _show(self, workflow_id: int) -> None:
        data = await self.engine.workflows.get(workflow_id)
        text = data["description"] or "No description."
        if data["trigger"] == "WEBHOOK" and self.engine.webhooks is not None:
            text += f"\nWebhook: POST {self.engine.webhooks.url}{data['webhook_token']}"
        elif data["trigger"] == "SCHEDULE":
            text += f"\nSchedule: {data['schedule']}"
        self.info.setText(text)
        self.nodes.setRowCount(len(data["nodes"]))
        for row, node in enumerate(data["nodes"]):
            self.nodes.setItem(row, 0, QTableWidgetItem(node["label"]))
            self.nodes.setItem(row, 1, QTableWidgetItem(node["event"]))
            self.nodes.setItem(row, 2, QTableWidgetItem("—"))
            self.nodes.item(row, 0).setData(Qt.ItemDataRole.UserRole, node["id"])

    def _node_state(self, workflow_execution_id: int, node_key: str, status: str, _execution_id: int) -> None:
        if workflow_execution_id != self.current_run:
            return
        for row in range(self.nodes.rowCount()):
            if self.nodes.item(row, 0).data(Qt.ItemDataRole.UserRole) == node_key:
                item = QTableWidgetItem(status.title())
                item.setForeground(QColor(colour(status)))
                self.nodes.setItem(row, 2, item)

    def run(self) -> None:
        workflow = self._workflow()
        if workflow is not None:
            spawn(self._run(workflow.id), self, "Starting the workflow")

    async def _run(self, workflow_id: int) -> None:
        await self._show(workflow_id)
        for row in range(self.nodes.rowCount()):
            self.nodes.setItem(row, 2, QTableWidgetItem("Pending"))
        self.current_run = await self.engine.workflows.run(workflow_id)

    def cancel(self) -> None:
        if self.current_run is not None:
            spawn(self.engine.workflows.cancel(self.current_run), self, "Cancelling the workflow")

    def delete(self) -> None:
        workflow = self._workflow()
        if workflow and QMessageBox.question(self, "Delete workflow", f"Delete the workflow '{workflow.name}'?") == QMessageBox.StandardButton.Yes:
            spawn(self.engine.workflows.delete(workflow.id), self, "Deleting the workflow")

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import", "", "Cronium files (*.cronium.json *.json)")
        if path:
            spawn(self._import(path), self, "Importing")

    async def _import(self, path: str) -> None:
        from pathlib import Path

        report = await self.engine.files.import_file(Path(path))
        QMessageBox.information(self, "Imported", "\n".join(report.lines()) or "Nothing to import.")
        await self._refresh()

    def export_file(self) -> None:
        workflow = self._workflow()
        if workflow is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export", f"{workflow.name}.cronium.json", "Cronium files (*.cronium.json)")
        if path:
            from pathlib import Path

            spawn(self.engine.files.export_workflow(workflow.name, Path(path)), self, "Exporting")
