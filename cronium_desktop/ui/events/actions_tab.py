"""The event editor's Conditional actions tab (SPEC §4): what happens after a run, by its result."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.validation import ACTION_TRIGGERS
from cronium_desktop.ui.events.fields import combo, set_combo


class ActionsTab(QWidget):
    changed = Signal()
    # The table of actions; the name (which tests and callers use) shadows QWidget.actions(), unused here.
    actions: QTableWidget  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actions = QTableWidget(0, 5)
        self.actions.setHorizontalHeaderLabels(["When", "Action", "Event, tool or variable", "Subject", "Body or value"])
        self.actions.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((140, 140, 170, 200)):  # room for the choices and the header titles
            self.actions.setColumnWidth(column, width)
        self.actions.itemChanged.connect(self.changed)
        self.actions.verticalHeader().hide()
        add = QPushButton("Add action")
        add.clicked.connect(self.add_new)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        hint = QLabel("RUN_EVENT starts another event with this run's output as input. SEND_MESSAGE sends the subject "  # type: ignore[call-overload]  # Qt property keyword
                      "and body (Jinja2 templates with event, execution, output and variables) through a tool. "
                      "SET_VARIABLE sets the named variable to the value template.",
                      wordWrap=True, objectName="muted")
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.actions, 1)
        layout.addLayout(row)

    def add_new(self) -> None:
        self.add({"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": ""})
        self.actions.setCurrentCell(self.actions.rowCount() - 1, 2)
        self.actions.editItem(self.actions.currentItem())
        self.changed.emit()

    def _remove(self) -> None:
        if self.actions.currentRow() >= 0:
            self.actions.removeRow(self.actions.currentRow())
            self.changed.emit()

    def add(self, action: dict[str, Any]) -> None:
        row = self.actions.rowCount()
        self.actions.insertRow(row)
        on: QComboBox = combo(ACTION_TRIGGERS)
        set_combo(on, action.get("on"))
        kind: QComboBox = combo(("RUN_EVENT", "SEND_MESSAGE", "SET_VARIABLE"))
        set_combo(kind, action.get("action"))
        self.actions.setCellWidget(row, 0, on)
        self.actions.setCellWidget(row, 1, kind)
        target = {"RUN_EVENT": action.get("event"), "SET_VARIABLE": action.get("key")}.get(
            action.get("action", ""), action.get("tool"))
        self.actions.setItem(row, 2, QTableWidgetItem(target or ""))
        self.actions.setItem(row, 3, QTableWidgetItem(action.get("subject", "")))
        self.actions.setItem(row, 4, QTableWidgetItem(action.get("value", action.get("body", ""))))
        on.currentIndexChanged.connect(self.changed)
        kind.currentIndexChanged.connect(self.changed)

    def load(self, event: dict[str, Any]) -> None:
        for action in event["conditional_actions"]:
            self.add(action)

    def fill(self, data: dict[str, Any]) -> None:
        actions = []
        for row in range(self.actions.rowCount()):
            on, kind_box = self.actions.cellWidget(row, 0), self.actions.cellWidget(row, 1)
            assert isinstance(on, QComboBox) and isinstance(kind_box, QComboBox)
            target = (self.actions.item(row, 2) or QTableWidgetItem()).text().strip()
            if kind_box.currentData() == "RUN_EVENT":
                actions.append({"on": on.currentData(), "action": "RUN_EVENT", "event": target})
            elif kind_box.currentData() == "SET_VARIABLE":
                actions.append({"on": on.currentData(), "action": "SET_VARIABLE", "key": target,
                                "value": (self.actions.item(row, 4) or QTableWidgetItem()).text()})
            else:
                actions.append({"on": on.currentData(), "action": "SEND_MESSAGE", "tool": target,
                                "subject": (self.actions.item(row, 3) or QTableWidgetItem()).text(),
                                "body": (self.actions.item(row, 4) or QTableWidgetItem()).text()})
        data["conditional_actions"] = actions
