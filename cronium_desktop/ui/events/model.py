"""The events table: one row per event, read from `engine.events.list()`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from cronium_desktop.engine.events import EventSummary
from cronium_desktop.ui.common import local_time
from cronium_desktop.ui.theme import colour

COLUMNS = ("Name", "Type", "Status", "Tags", "Next run", "Last result")
SortRole = Qt.ItemDataRole.UserRole + 10


class EventsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[EventSummary] = []

    def set_events(self, events: list[EventSummary]) -> None:
        self.beginResetModel()
        self.events = events
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            values: tuple[Any, ...] = (
                event.name,
                event.type.replace("_", " ").title().replace("Nodejs", "Node.js"),
                event.status.title(),
                ", ".join(event.tags),
                local_time(event.next_run) if role == Qt.ItemDataRole.DisplayRole else (event.next_run.timestamp() if event.next_run else float("inf")),
                (event.last_status or "—").title() if role == Qt.ItemDataRole.DisplayRole else (event.last_status or ""),
            )
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 2:
                return QColor(colour(event.status))
            if column == 5 and event.last_status:
                return QColor(colour(event.last_status))
            if column == 4 and event.next_run is None:
                return QColor(colour("muted"))
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and event.description:
            return event.description
        return None


class EventsFilter(QSortFilterProxyModel):
    """Free text over name and tags, plus type and status choices."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self.type = ""
        self.status = ""
        self.setSortRole(SortRole)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_filters(self, text: str | None = None, type_: str | None = None, status: str | None = None) -> None:
        if text is not None:
            self.text = text.lower()
        if type_ is not None:
            self.type = type_
        if status is not None:
            self.status = status
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, EventsModel)
        event = model.events[row]
        if self.type and event.type != self.type:
            return False
        if self.status and event.status != self.status:
            return False
        if self.text and self.text not in event.name.lower() and not any(self.text in t.lower() for t in event.tags):
            return False
        return True

    def event_at(self, proxy_row: int) -> EventSummary:
        model = self.sourceModel()
        assert isinstance(model, EventsModel)
        return model.events[self.mapToSource(self.index(proxy_row, 0)).row()]
