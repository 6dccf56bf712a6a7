"""The import preview as a table model: one row per job, ticked to be imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from cronium_desktop.ui.common import local_time

if TYPE_CHECKING:
    from cronium_desktop.engine.imports.service import ImportPlan, PlannedEvent

COLUMNS = ("Import", "Source line", "Name", "Schedule", "Next runs (your time)", "Will create")
Index = QModelIndex | QPersistentModelIndex


class ImportPreviewModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[PlannedEvent] = []
        self.ticked: list[bool] = []

    def set_plan(self, plan: ImportPlan | None) -> None:
        self.beginResetModel()
        self.items = list(plan.events) if plan is not None else []
        # Jobs already imported cannot be ticked: importing them again would add nothing.
        self.ticked = [item.existing is None for item in self.items]
        self.endResetModel()

    def chosen(self) -> set[int]:
        return {row for row, ticked in enumerate(self.ticked) if ticked}

    def set_ticked(self, row: int, ticked: bool) -> None:
        self.setData(self.index(row, 0), Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked,
                     Qt.ItemDataRole.CheckStateRole)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsSelectable
        item = self.items[index.row()]
        if item.existing is None:
            flags |= Qt.ItemFlag.ItemIsEnabled
            if index.column() == 0:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item, column = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if self.ticked[index.row()] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join([item.job.text.strip(), *item.notes])
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        zone = f" ({item.spec['timezone']})" if item.spec["timezone"] else ""
        return {
            1: item.job.source.replace("\\", "/").rsplit("/", 1)[-1],  # the file's name and the line
            2: item.name,
            3: item.schedule_words + zone,
            4: "\n".join(local_time(t) for t in item.next_runs) or "never",
            5: item.creates + (" — see notes" if item.notes else ""),
        }.get(column, "")

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0 or self.items[index.row()].existing is not None:
            return False
        self.ticked[index.row()] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [role])
        return True
