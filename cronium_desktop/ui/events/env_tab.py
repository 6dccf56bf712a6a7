"""The event editor's Environment tab: name → value pairs; a secret value is masked as it is typed and
never shown again: a stored one reads "stored — type to replace", and left empty it keeps its value."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

STORED = "stored — type to replace"


class EnvRow:
    """One variable: name and value fields and the Secret box, which masks the value."""

    def __init__(self, table: QTableWidget, name: str, value: str, secret: bool, stored: bool) -> None:
        self.name = QLineEdit(name, placeholderText="NAME")
        self.value = QLineEdit(value, placeholderText=STORED if stored else "value")
        self.secret = QCheckBox("Secret")
        self.secret.setChecked(secret)
        self.secret.toggled.connect(self._mask)
        self._mask(secret)
        row = table.rowCount()
        table.insertRow(row)
        for column, widget in enumerate((self.name, self.value, self.secret)):
            table.setCellWidget(row, column, widget)

    def _mask(self, secret: bool) -> None:
        self.value.setEchoMode(QLineEdit.EchoMode.Password if secret else QLineEdit.EchoMode.Normal)


class EnvTab(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[EnvRow] = []
        self.env = QTableWidget(0, 3)
        self.env.setHorizontalHeaderLabels(["Name", "Value", "Secret"])
        self.env.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.env.setColumnWidth(0, 200)
        self.env.verticalHeader().hide()
        self.add_button = QPushButton("Add variable")
        self.add_button.clicked.connect(self.add_new)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_current)
        hint = QLabel("Secret values are stored encrypted, masked as •••••• in logs and never shown again; "  # type: ignore[call-overload]  # Qt property keyword
                      "leave a stored secret empty to keep its value.", wordWrap=True, objectName="muted")
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(remove)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.env, 1)
        layout.addLayout(row)

    def add(self, name: str, value: str, secret: bool, stored: bool = False) -> EnvRow:
        row = EnvRow(self.env, name, value, secret, stored)
        for edit in (row.name, row.value):
            edit.textChanged.connect(self.changed)
        row.secret.toggled.connect(self.changed)
        self.rows.append(row)
        return row

    def add_new(self) -> None:
        """A new row with the caret in its name field: typing starts at once."""
        row = self.add("", "", False)
        self.env.setCurrentCell(self.env.rowCount() - 1, 0)
        row.name.setFocus()
        self.changed.emit()

    def remove_current(self) -> None:
        index = self.env.currentRow()
        for position, row in enumerate(self.rows):
            if row.name.hasFocus() or row.value.hasFocus() or row.secret.hasFocus():
                index = position
        if 0 <= index < len(self.rows):
            self.env.removeRow(index)
            del self.rows[index]
            self.changed.emit()

    def load(self, event: dict[str, Any]) -> None:
        secret = set(event["secret_env"])
        for name, value in (event["env"] or {}).items():
            self.add(name, "" if name in secret else value, name in secret, stored=name in secret)

    def fill(self, data: dict[str, Any]) -> None:
        env: dict[str, str] = {}
        secret_env: list[str] = []
        for row in self.rows:
            name = row.name.text().strip()
            if not name:
                continue
            env[name] = row.value.text()
            if row.secret.isChecked():
                secret_env.append(name)
        data["env"], data["secret_env"] = env, secret_env
