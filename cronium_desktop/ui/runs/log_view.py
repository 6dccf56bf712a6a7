"""The live log view: stdout and stderr told apart, timestamps, search, follow the tail."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.runs.log_model import LogModel, StreamRole, TextRole, TimeRole
from cronium_desktop.ui.theme import colour


class LogLineDelegate(QStyledItemDelegate):
    def __init__(self, view: LogView) -> None:
        super().__init__(view)
        self._view = view

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        elif index.row() == self._view.match_row:
            painter.fillRect(option.rect, QColor(colour("match")))
        rect = option.rect.adjusted(6, 0, -6, 0)
        painter.setFont(self._view.font())
        metrics = painter.fontMetrics()
        if self._view.show_timestamps:
            ts: datetime = index.data(TimeRole)
            stamp = ts.replace(tzinfo=UTC).astimezone().strftime("%H:%M:%S.%f")[:-3]
            painter.setPen(QColor(colour("muted")))
            width = metrics.horizontalAdvance("00:00:00.000  ")
            painter.drawText(QRect(rect.left(), rect.top(), width, rect.height()), Qt.AlignmentFlag.AlignVCenter, stamp)
            rect.setLeft(rect.left() + width)
        stream = index.data(StreamRole)
        pen = {"stderr": colour("stderr"), "system": colour("system")}.get(stream, colour("text"))
        if option.state & QStyle.StateFlag.State_Selected:
            pen = option.palette.highlightedText().color().name()
        painter.setPen(QColor(pen))
        text = index.data(TextRole)
        if stream == "system":
            font = painter.font()
            font.setItalic(True)
            painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(rect.width(), 2000)))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(100, self._view.fontMetrics().height() + 4)


class LogView(QWidget):
    """A log of any size: the model holds the lines, the view paints only what is on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogModel()
        self.show_timestamps = True
        self.match_row = -1
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setObjectName("logList")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.list.setFont(font)
        self.list.setItemDelegate(LogLineDelegate(self))

        self.search = QLineEdit(self, placeholderText="Search the log…")
        self.search.returnPressed.connect(lambda: self.find_next(True))
        previous_button = QToolButton(self, text="↑", toolTip="Previous match (Shift+Enter)")
        next_button = QToolButton(self, text="↓", toolTip="Next match (Enter)")
        previous_button.clicked.connect(lambda: self.find_next(False))
        next_button.clicked.connect(lambda: self.find_next(True))
        self.matches = QLabel(self)
        self.follow = QCheckBox("Follow tail", self, checked=True)
        self.follow.toggled.connect(lambda on: on and self.list.scrollToBottom())
        timestamps = QCheckBox("Timestamps", self, checked=True)
        timestamps.toggled.connect(self._set_timestamps)
        self.count = QLabel("0 lines", self)
        self.count.setObjectName("muted")

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.search, 1)
        bar.addWidget(previous_button)
        bar.addWidget(next_button)
        bar.addWidget(self.matches)
        bar.addSpacing(12)
        bar.addWidget(self.follow)
        bar.addWidget(timestamps)
        bar.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.list, 1)

        self.list.verticalScrollBar().valueChanged.connect(self._scrolled)
        QShortcut(QKeySequence.StandardKey.Copy, self.list, self.copy_selection)
        QShortcut(QKeySequence("Shift+Return"), self.search, lambda: self.find_next(False))

    def append(self, lines: list[tuple[datetime, str, str]]) -> None:
        self.model.append_lines(lines)
        self.count.setText(f"{self.model.rowCount():,} lines")
        if self.follow.isChecked():
            self.list.scrollToBottom()

    def clear(self) -> None:
        self.model.clear()
        self.match_row = -1
        self.count.setText("0 lines")

    def _scrolled(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        at_bottom = value >= bar.maximum() - 1
        if self.follow.isChecked() != at_bottom and self.list.isVisible() and self.model.rowCount():
            self.follow.blockSignals(True)
            self.follow.setChecked(at_bottom)
            self.follow.blockSignals(False)

    def _set_timestamps(self, on: bool) -> None:
        self.show_timestamps = on
        self.list.viewport().update()

    def find_next(self, forward: bool = True) -> int | None:
        start = self.match_row if self.match_row >= 0 else (-1 if forward else 0)
        row = self.model.find(self.search.text(), start, forward)
        if row is None:
            self.matches.setText("no match" if self.search.text() else "")
            return None
        self.match_row = row
        self.matches.setText(f"line {row + 1:,}")
        self.follow.setChecked(False)
        self.list.scrollTo(self.model.index(row), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.list.viewport().update()
        return row

    def copy_selection(self) -> None:
        rows = sorted(index.row() for index in self.list.selectionModel().selectedIndexes())
        QApplication.clipboard().setText(self.model.text_of(rows))
