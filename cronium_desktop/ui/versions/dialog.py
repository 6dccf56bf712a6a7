"""The history of an event or a workflow: its versions (time, what changed), a side-by-side diff
of the script and the fields against the version before, and Restore (which saves a new version)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.common import local_time, spawn
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

NumberRole = Qt.ItemDataRole.UserRole + 1
SIDE_COLOURS = {"delete": "FAILURE", "insert": "SUCCESS", "replace": "PAUSED"}


def _tinted(name: str) -> QColor:
    shade = QColor(colour(name))
    shade.setAlpha(45)
    return shade


class ScriptDiff(QTableWidget):
    """Old and new script side by side: line number and text per side, changed lines tinted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 4, parent)
        self.setHorizontalHeaderLabels(["", "Before", "", "After"])
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        for column in (0, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

    def show_rows(self, rows: list[Any]) -> None:
        self.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = [str(row.old_number or ""), row.old_text, str(row.new_number or ""), row.new_text]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (0, 2):
                    item.setForeground(QColor(colour("muted")))
                side_has_line = (row.old_number if column < 2 else row.new_number) is not None
                if row.tag != "equal" and side_has_line:
                    item.setBackground(_tinted(SIDE_COLOURS["delete" if column < 2 and row.tag == "replace" else
                                                             "insert" if row.tag == "replace" else row.tag]))
                self.setItem(index, column, item)
        self.resizeRowsToContents()


class VersionsDialog(QDialog):
    restored = Signal(int)  # the new version's number

    def __init__(self, engine: Engine, kind: str, object_id: int, name: str, select: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine, self.kind, self.object_id, self.wanted = engine, kind, object_id, select
        self.setWindowTitle(f"History of {name}")
        self.resize(1100, 680)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._chosen)
        self.caption = QLabel("", self, objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        self.fields = QTableWidget(0, 3, self)
        self.fields.setHorizontalHeaderLabels(["Field", "Before", "After"])
        self.fields.verticalHeader().hide()
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2):
            self.fields.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.fields.setMaximumHeight(180)
        self.script = ScriptDiff(self)
        self.restore_button = QPushButton("Restore this version", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.restore_button.setToolTip("Saves this definition again as a new version; nothing is lost.")
        self.restore_button.clicked.connect(self.restore)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.caption)
        right_layout.addWidget(QLabel("Fields", self, objectName="muted"))  # type: ignore[call-overload]  # Qt property keyword
        right_layout.addWidget(self.fields)
        right_layout.addWidget(QLabel("Script", self, objectName="muted"))  # type: ignore[call-overload]  # Qt property keyword
        right_layout.addWidget(self.script, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.list)
        split.addWidget(right)
        split.setSizes([330, 770])
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.versions: list[Any] = []

    def refresh(self) -> None:
        spawn(self.load(), self, "Loading the history")

    async def load(self) -> None:
        self.versions = await self.engine.versions.list(self.kind, self.object_id)
        self.list.clear()
        for version in self.versions:
            current = " · current" if version.current else ""
            item = QListWidgetItem(f"Version {version.number}{current} — {local_time(version.created_at)}\n{version.summary}")
            item.setData(NumberRole, version.number)
            if version.current:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
        row = next((i for i, v in enumerate(self.versions) if v.number == self.wanted), 0)
        if self.versions:
            self.list.setCurrentRow(row)

    def _chosen(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is not None:
            spawn(self.show_version(int(item.data(NumberRole))), self, "Comparing versions")

    async def show_version(self, number: int) -> None:
        """Compare `number` with the version before it (the first version with itself)."""
        older = max(1, number - 1)
        numbers = [v.number for v in self.versions]
        if older not in numbers:  # pruned: compare with the oldest kept
            older = min(numbers)
        diff = await self.engine.versions.diff(self.kind, self.object_id, older, number)
        current = self.versions[0].number if self.versions else number
        self.caption.setText(f"Version {number} compared with version {older}" if older != number
                             else f"Version {number}, the first kept")
        self.restore_button.setEnabled(number != current)
        self.fields.setRowCount(len(diff.fields))
        for row, change in enumerate(diff.fields):
            for column, text in enumerate((change.field, change.old, change.new)):
                cell = QTableWidgetItem(text)
                if column:
                    cell.setBackground(_tinted("FAILURE" if column == 1 else "SUCCESS"))
                self.fields.setItem(row, column, cell)
        self.script.show_rows(diff.script)
        self.shown = number

    def restore(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            spawn(self._restore(int(item.data(NumberRole))), self, "Restoring the version")

    async def _restore(self, number: int) -> None:
        new = await self.engine.versions.restore(self.kind, self.object_id, number)
        self.wanted = new
        await self.load()
        self.restored.emit(new)
