"""The Tools view: credentials for Slack, Discord, Teams, webhooks and email (stored as secrets).

A form per tool type (no raw JSON), a Test button that sends one message with what is typed, and
editing of a saved credential (double-click or Edit), whose settings are loaded into the same form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.ui.common import header, local_time, spawn
from cronium_desktop.ui.empty_state import EmptyOr, EmptyState
from cronium_desktop.ui.forms import user_message
from cronium_desktop.ui.tools.form import TYPE_TITLES, ToolForm

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class ToolsPage(QWidget):
    message = Signal(str)  # for the status bar

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.tools: list[Any] = []
        self.editing: str | None = None  # the name of the credential the form edits; None: a new one
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Name", "Type", "Added"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.doubleClicked.connect(lambda _index: self.edit())
        self.form = ToolForm(self)
        self.test_button = QPushButton("Send a test message", self)
        self.test_button.clicked.connect(self.test)
        self.save_button = QPushButton("Add tool", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton("New", self)
        self.new_button.clicked.connect(self.start_new)
        self.result = QLabel(self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        edit = QPushButton("Edit", self)
        edit.clicked.connect(self.edit)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.result, 1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        self.form_box = QGroupBox("Add a tool credential", self)
        box_layout = QVBoxLayout(self.form_box)
        box_layout.addWidget(self.form)
        box_layout.addLayout(buttons)
        self.empty = EmptyState("No tools yet", "A tool sends messages: Slack, Discord, Teams, a webhook or email. "
                                "Events use it as a Tool action or after a run.", "Add your first tool",
                                lambda: self.form.name.setFocus())
        self.body = EmptyOr(self.table, self.empty, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Tools", edit, delete))
        layout.addWidget(self.body, 1)
        layout.addWidget(self.form_box)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading tools")

    async def _refresh(self, select: str | None = None) -> None:
        self.tools = await self.engine.tools.list()
        self.body.set_empty(not self.tools)
        self.table.setRowCount(len(self.tools))
        for row, tool in enumerate(self.tools):
            for column, text in enumerate((tool.name, TYPE_TITLES.get(tool.type, tool.type.title()), local_time(tool.created_at))):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if select is not None and tool.name.lower() == select.lower():
                self.table.selectRow(row)

    def _selected_name(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text() if item else None

    def start_new(self) -> None:
        self.editing = None
        self.form.clear()
        self.form.kind.setEnabled(True)
        self.form_box.setTitle("Add a tool credential")
        self.save_button.setText("Add tool")
        self.result.clear()
        self.form.name.setFocus()

    def edit(self) -> None:
        name = self._selected_name()
        if name is None:
            self.message.emit("Select a tool to edit first.")
            return
        spawn(self._edit(name), self, "Opening the tool")

    async def _edit(self, name: str) -> None:
        info = await self.engine.tools.get(name)
        config = await self.engine.tools.get_config(name)
        self.form.load(info.name, info.type, config)
        self.form.kind.setEnabled(False)  # the engine keeps a credential's type; make a new one to change it
        self.editing = info.name
        self.form_box.setTitle(f"Edit '{info.name}'")
        self.save_button.setText("Save changes")
        self.result.clear()

    def _show(self, error: ValidationError) -> None:
        text = user_message(self.form.label_of(error.field), error.message)
        self.form.show_error(error.field, text)
        self.result.setText(text)

    def save(self) -> None:
        spawn(self._save(), self, "Saving the tool")

    async def _save(self) -> None:
        name, kind, config = self.form.name.text().strip(), self.form.kind.currentData(), self.form.config()
        try:
            if self.editing is None:
                await self.engine.tools.add(name, kind, config)
            else:
                await self.engine.tools.update(self.editing, name=name, config=config)
        except ValidationError as error:
            self._show(error)
            return
        self.form.show_error(None, "")
        said = f"Tool '{name}' {'added' if self.editing is None else 'saved'}."
        self.start_new()
        self.result.setText(said)
        self.message.emit(said)
        await self._refresh(select=name)

    def test(self) -> None:
        spawn(self._test(), self, "Testing the tool")

    async def _test(self) -> None:
        self.result.setText("Sending a test message…")
        try:
            await self.engine.tools.test_config(self.form.kind.currentData(), self.form.config(), self.form.name.text().strip())
        except ValidationError as error:
            self._show(error)
            return
        except Exception as error:  # delivery failed: say so beside the button, the form stays as typed
            self.result.setText(f"The test message was not delivered: {error}")
            return
        self.form.show_error(None, "")
        self.result.setText("✓ Test message sent.")
        self.message.emit("Test message sent.")

    def delete(self) -> None:
        name = self._selected_name()
        if name is None:
            self.message.emit("Select a tool to delete first.")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete tool", f"Delete the tool '{name}'?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes
                             and spawn(self._delete(name), self, "Deleting the tool"))
        box.open()

    async def _delete(self, name: str) -> None:
        await self.engine.tools.delete(name)
        await self._refresh()
        self.message.emit(f"Tool '{name}' deleted.")
