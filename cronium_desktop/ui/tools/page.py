"""The Tools view: credentials for Slack, Discord, Teams, webhooks and email (stored as secrets)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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

from cronium_desktop.ui.common import header, local_time, spawn

EXAMPLES = {
    "slack": '{"url": "https://hooks.slack.com/services/…"}',
    "discord": '{"url": "https://discord.com/api/webhooks/…"}',
    "teams": '{"url": "https://…webhook.office.com/…"}',
    "webhook": '{"url": "https://example.com/hook"}',
    "email": '{"host": "smtp.example.com", "port": 587, "username": "…", "password": "…", "starttls": true, "from": "…", "to": "…"}',
}


class ToolsPage(QWidget):
    def __init__(self, engine: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Name", "Type", "Added"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.name = QLineEdit(self, placeholderText="name, e.g. ops-slack")
        self.kind = QComboBox(self)
        self.kind.addItems(list(EXAMPLES))
        self.config = QLineEdit(self)
        self.kind.currentTextChanged.connect(lambda kind: self.config.setPlaceholderText(EXAMPLES[kind]))
        self.config.setPlaceholderText(EXAMPLES["slack"])
        add = QPushButton("Add", self, objectName="primary")
        add.clicked.connect(self.add)
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete)
        form = QHBoxLayout()
        form.addWidget(self.name)
        form.addWidget(self.kind)
        form.addWidget(self.config, 2)
        form.addWidget(add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Tools", delete))
        layout.addWidget(self.table, 1)
        layout.addLayout(form)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading tools")

    async def _refresh(self) -> None:
        tools = await self.engine.tools.list()
        self.table.setRowCount(len(tools))
        for row, tool in enumerate(tools):
            for column, text in enumerate((tool.name, tool.type.title(), local_time(tool.created_at))):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def add(self) -> None:
        spawn(self._add(), self, "Adding the tool")

    async def _add(self) -> None:
        try:
            config = json.loads(self.config.text() or "{}")
        except ValueError as error:
            raise ValueError(f"The configuration is not valid JSON: {error}") from error
        await self.engine.tools.add(self.name.text().strip(), self.kind.currentText(), config)
        self.name.clear()
        self.config.clear()
        await self._refresh()

    def delete(self) -> None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if item and QMessageBox.question(self, "Delete tool", f"Delete the tool '{item.text()}'?") == QMessageBox.StandardButton.Yes:
            spawn(self._delete(item.text()), self, "Deleting the tool")

    async def _delete(self, name: str) -> None:
        await self.engine.tools.delete(name)
        await self._refresh()
