"""The History tab beside the canvas: past runs of the open workflow (SPEC §5, §10).

Choosing a run emits `runChosen` with its record; the page colours the canvas with that run's node
states, and choosing a node (here or on the canvas) shows its log and output in the Run tab. The
records come from `engine.workflow_history`, as `workflow runs` / `workflow show-run` read them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.clock import to_local
from cronium_desktop.ui.theme import colour

SHOWN_RUNS = 50


def _when(moment: Any) -> str:
    if moment is None:
        return "—"
    return to_local(moment).strftime("%d %b %H:%M:%S")  # short: the side panel is narrow


def _duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return table


def _status_item(status: str) -> QTableWidgetItem:
    item = QTableWidgetItem(status.title())
    item.setForeground(QColor(colour(status)))
    return item


class RunHistoryPanel(QWidget):
    runChosen = Signal(object)  # a WorkflowRunRecord, with its nodes
    nodeChosen = Signal(str)  # a node key of the chosen run

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[Any] = []
        self.chosen: Any = None
        self.note = QLabel("Save and run the workflow: its runs are listed here.", self, objectName="muted",  # type: ignore[call-overload]  # Qt property keyword
                           wordWrap=True)
        self.runs_table = _table(self, ["Run", "Status", "Started", "Took"])
        self.runs_table.itemSelectionChanged.connect(self._run_selected)
        self.nodes_table = _table(self, ["Node", "Status", "Took"])
        self.nodes_table.itemSelectionChanged.connect(self._node_selected)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.runs_table, 3)
        layout.addWidget(QLabel("Nodes of the chosen run (choose one for its log and output)", self,  # type: ignore[call-overload]  # Qt property keyword
                                objectName="muted", wordWrap=True))
        layout.addWidget(self.nodes_table, 2)

    def set_runs(self, runs: list[Any]) -> None:
        """Newest first; the chosen run stays chosen if it is still listed."""
        chosen_id = self.chosen.workflow_execution_id if self.chosen is not None else None
        self.runs = runs
        self.runs_table.blockSignals(True)
        self.runs_table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            number = QTableWidgetItem(f"#{run.workflow_execution_id}")
            number.setData(Qt.ItemDataRole.UserRole, run.workflow_execution_id)
            self.runs_table.setItem(row, 0, number)
            self.runs_table.setItem(row, 1, _status_item(run.status))
            self.runs_table.setItem(row, 2, QTableWidgetItem(_when(run.started_at)))
            self.runs_table.setItem(row, 3, QTableWidgetItem(_duration(run.duration_ms)))
            if run.workflow_execution_id == chosen_id:
                self.runs_table.selectRow(row)
        self.runs_table.blockSignals(False)
        self.note.setText(f"The last {len(runs)} run(s); choose one to see its node states on the canvas."
                          if runs else "No runs yet. Run the workflow: its runs are listed here.")
        if chosen_id is not None and all(run.workflow_execution_id != chosen_id for run in runs):
            self.show_run(None)

    def row_of(self, workflow_execution_id: int) -> int:
        return next((row for row, run in enumerate(self.runs) if run.workflow_execution_id == workflow_execution_id), -1)

    def choose(self, workflow_execution_id: int) -> None:
        row = self.row_of(workflow_execution_id)
        if row >= 0:
            self.runs_table.selectRow(row)

    def _run_selected(self) -> None:
        row = self.runs_table.currentRow()
        if 0 <= row < len(self.runs):
            self.runChosen.emit(self.runs[row])

    def show_run(self, run: Any) -> None:
        """List the nodes of `run` (a record with nodes), or nothing."""
        self.chosen = run
        nodes = run.nodes if run is not None else []
        self.nodes_table.blockSignals(True)
        self.nodes_table.setRowCount(len(nodes))
        for row, node in enumerate(nodes):
            label = QTableWidgetItem(node.label)
            label.setData(Qt.ItemDataRole.UserRole, node.key)
            self.nodes_table.setItem(row, 0, label)
            self.nodes_table.setItem(row, 1, _status_item(node.status))
            self.nodes_table.setItem(row, 2, QTableWidgetItem(_duration(node.duration_ms)))
        self.nodes_table.clearSelection()
        self.nodes_table.blockSignals(False)

    def _node_selected(self) -> None:
        row = self.nodes_table.currentRow()
        if self.chosen is not None and 0 <= row < len(self.chosen.nodes):
            self.nodeChosen.emit(self.chosen.nodes[row].key)
