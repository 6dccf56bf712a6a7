"""The Variables view: values shared by every run; secret ones hidden until revealed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import header, local_time, spawn
from cronium_desktop.ui.empty_state import EmptyOr, EmptyState

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class VariablesPage(QWidget):
    message = Signal(str)  # for the status bar

    def __init__(self, engine: Engine, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reload = Coalesced(self, lambda: spawn(self._refresh(), self, "Loading variables"))
        self.engine = engine
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Key", "Value", "Kind", "Updated"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 220)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.key = QLineEdit(self, placeholderText="KEY")
        self.value = QLineEdit(self, placeholderText="value")
        self.secret = QCheckBox("Secret", self)
        self.secret.toggled.connect(  # a secret value is masked while it is typed
            lambda secret: self.value.setEchoMode(QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal))
        save = QPushButton("Set", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        save.clicked.connect(self.set_variable)
        reveal = QPushButton("Reveal", self)
        reveal.clicked.connect(self.reveal)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        form = QHBoxLayout()
        form.addWidget(self.key)
        form.addWidget(self.value, 2)
        form.addWidget(self.secret)
        form.addWidget(save)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Variables", reveal, delete))
        self.empty = EmptyState("No variables yet", "Variables are shared by every run: scripts read them with "
                                "getVariable and set them with setVariable, or you set one below.",
                                "Set your first variable", lambda: self.key.setFocus())
        self.body = EmptyOr(self.table, self.empty, self)
        layout.addWidget(self.body, 1)
        layout.addLayout(form)
        # Secrets the user revealed stay revealed when the list reloads, until their value changes.
        self._revealed: dict[str, tuple[Any, str]] = {}  # key -> (updated_at, value)
        bridge.variablesChanged.connect(self.refresh)
        bridge.runFinished.connect(lambda *args: self.refresh())

    def refresh(self) -> None:
        self._reload()  # every run finished asks (a run may set variables)

    async def _refresh(self) -> None:
        variables = await self.engine.variables.list()
        self.body.set_empty(not variables)
        self.table.setRowCount(len(variables))
        self._revealed = {variable.key: self._revealed[variable.key] for variable in variables
                          if variable.secret and self._revealed.get(variable.key, (None,))[0] == variable.updated_at}
        for row, variable in enumerate(variables):
            value = self._revealed[variable.key][1] if variable.key in self._revealed else variable.value
            for column, text in enumerate((variable.key, value, "secret" if variable.secret else "plain",
                                           local_time(variable.updated_at))):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _selected_key(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text() if item else None

    def set_variable(self) -> None:
        spawn(self._set(), self, "Setting the variable")

    async def _set(self) -> None:
        key = self.key.text().strip()
        await self.engine.variables.set(key, self.value.text(), secret=self.secret.isChecked())
        self.message.emit(f"Variable '{key}' set.")
        self.key.clear()
        self.value.clear()
        await self._refresh()

    def reveal(self) -> None:
        key = self._selected_key()
        if key:
            spawn(self._reveal(key), self, "Revealing the variable")

    async def _reveal(self, key: str) -> None:
        info = await self.engine.variables.get(key, reveal=True)
        self._revealed[key] = (info.updated_at, info.value)
        for row in range(self.table.rowCount()):  # the list may have reloaded meanwhile
            item = self.table.item(row, 0)
            if item is not None and item.text() == key:
                self.table.setItem(row, 1, QTableWidgetItem(info.value))

    def delete(self) -> None:
        key = self._selected_key()
        if key and QMessageBox.question(self, "Delete variable", f"Delete the variable '{key}'?") == QMessageBox.StandardButton.Yes:
            spawn(self.engine.variables.delete(key), self, "Deleting the variable")
