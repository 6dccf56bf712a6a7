"""The event library beside the canvas: a searchable list of events to drag onto it, and "New event…"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.workflows import style
from cronium_desktop.ui.workflows.mime import MIME_EVENT, EventInfo, event_mime

Index = QModelIndex | QPersistentModelIndex


class EventListModel(QAbstractListModel):
    """Events as draggable rows: the name, the type as an icon and a tooltip."""

    InfoRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.events: list[EventInfo] = []

    def set_events(self, events: Sequence[EventInfo]) -> None:
        self.beginResetModel()
        self.events = sorted(events, key=lambda e: e.name.lower())
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.events)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return info.name
        if role == Qt.ItemDataRole.DecorationRole:
            return style.type_icon(info.type)
        if role == Qt.ItemDataRole.ToolTipRole:
            last = f", last run: {info.last_status.title()}" if info.last_status else ""
            return f"{style.TYPE_NAMES.get(info.type, info.type)}{last}. Drag onto the canvas to add a node."
        if role == self.InfoRole:
            return info
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [MIME_EVENT]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return event_mime(self.events[indexes[0].row()])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class EventLibrary(QWidget):
    newEventRequested = Signal()
    eventActivated = Signal(str)  # double-click: add this event at the centre of the canvas

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search = QLineEdit(self, placeholderText="Search events…", clearButtonEnabled=True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.list = QListView(self)
        self.list.setModel(self.proxy)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.list.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.setSpacing(1)
        self.list.doubleClicked.connect(lambda index: self.eventActivated.emit(index.data()))
        for keys in ("Return", "Enter"):  # the keyboard's double-click: add the current event to the canvas
            QShortcut(QKeySequence(keys), self.list, self._add_current, context=Qt.ShortcutContext.WidgetShortcut)
        self.empty = QLabel("No events yet. Create one, then drag it onto the canvas.", self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        self.empty.hide()
        new = QPushButton("New event…", self)
        new.setToolTip("Create an event in the event editor; it appears here when saved.")
        new.clicked.connect(self.newEventRequested)
        title = QLabel("Events", self)
        title.setStyleSheet("font-weight: 600;")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(new)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        hint = QLabel("Drag an event onto the canvas. Drag from a node's right port to another node to connect.",  # type: ignore[call-overload]  # Qt property keyword
                      self, objectName="muted", wordWrap=True)
        layout.addWidget(hint)

    def _add_current(self) -> None:
        index = self.list.currentIndex()
        if index.isValid():
            self.eventActivated.emit(index.data())

    def set_events(self, events: Sequence[EventInfo]) -> None:
        self.model.set_events(events)
        self.empty.setVisible(not events)

    def visible_names(self) -> list[str]:
        return [self.proxy.index(row, 0).data() for row in range(self.proxy.rowCount())]
