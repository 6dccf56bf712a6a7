"""The live log view: stdout and stderr told apart, timestamps, search, follow the tail."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.runs import trace_links
from cronium_desktop.ui.runs.log_model import LineColumns, LogModel

# A flood is shown in frames: up to this many lines twenty times a second (400,000 lines a second).
# Each frame repaints the view from Python (a few hundred `data` calls); at sixty frames a second
# the painting alone kept the loop busy and a 10 ms timer waited 50-100 ms while a run flooded.
LINES_PER_FRAME = 20_000
FRAME_MS = 50


class LogView(QWidget):
    """A log of any size: the model holds the lines, the view paints only what is on screen."""

    scriptLineClicked = Signal(int)  # a traceback line naming a line of the script (1 = first)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogModel()
        self._queued: deque[LineColumns] = deque()  # a flood's batches, shown a frame's worth at a time
        self._frame = QTimer(self, interval=FRAME_MS, singleShot=True)
        self._frame.timeout.connect(self._next_frame)
        # A table with fixed-height rows: its header keeps row sizes as spans, so appending a batch
        # costs the same with ten lines or a million (a QListView lays out every row again).
        self.list = QTableView(self)
        self.list.setModel(self.model)
        self.list.setObjectName("logList")
        self.list.setShowGrid(False)
        self.list.setWordWrap(False)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.horizontalHeader().hide()
        self.list.horizontalHeader().setStretchLastSection(True)
        self.list.verticalHeader().hide()
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.list.setFont(font)
        rows = self.list.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(QFontMetrics(font).height() + 4)
        self.list.setColumnWidth(0, QFontMetrics(font).horizontalAdvance("00:00:00.000") + 16)
        trace_links.install(self.list, self.scriptLineClicked.emit)

        self.search = QLineEdit(self, placeholderText="Search the log…")
        self.search.returnPressed.connect(lambda: self.find_next(True))
        previous_button = QToolButton(self, text="↑", toolTip="Previous match (Shift+Enter)")  # type: ignore[call-arg]  # Qt property keyword
        next_button = QToolButton(self, text="↓", toolTip="Next match (Enter)")  # type: ignore[call-arg]  # Qt property keyword
        previous_button.clicked.connect(lambda: self.find_next(False))
        next_button.clicked.connect(lambda: self.find_next(True))
        self.matches = QLabel(self)
        self.follow = QCheckBox("Follow tail", self, checked=True)  # type: ignore[call-overload]  # Qt property keyword
        self.follow.toggled.connect(lambda on: self.list.scrollToBottom() if on else None)
        timestamps = QCheckBox("Timestamps", self, checked=True)  # type: ignore[call-overload]  # Qt property keyword
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

    def append(self, lines: LineColumns) -> None:
        """Add lines; a flood is shown a frame's worth at a time so the window never stalls."""
        if not self._queued and len(lines) <= LINES_PER_FRAME:
            self._show(lines)
            return
        self._queued.append(lines)
        if not self._frame.isActive():
            self._frame.start()

    @property
    def queued(self) -> int:
        """Lines received and not shown yet."""
        return sum(len(lines) for lines in self._queued)  # a few batches, each of thousands of lines

    def _next_frame(self) -> None:
        batch, room = LineColumns(), LINES_PER_FRAME
        while self._queued and room > 0:
            lines = self._queued.popleft()
            if len(lines) > room:
                lines, rest = lines.split(room)
                self._queued.appendleft(rest)
            batch.extend(lines)
            room -= len(lines)
        self._show(batch)
        if self._queued:
            self._frame.start()

    def flush(self) -> None:
        """Show every queued line now."""
        self._frame.stop()
        batch = LineColumns()
        while self._queued:
            batch.extend(self._queued.popleft())
        self._show(batch)

    def _show(self, lines: LineColumns) -> None:
        if not lines:
            return
        self.model.append_lines(lines)
        rows = self.model.rowCount()
        self.count.setText(f"{rows:,} line" if rows == 1 else f"{rows:,} lines")
        if self.follow.isChecked():
            self.list.scrollToBottom()

    def clear(self) -> None:
        self._frame.stop()
        self._queued.clear()
        self.model.clear()
        self.count.setText("0 lines")

    @property
    def match_row(self) -> int:
        return self.model.match_row

    def _scrolled(self, value: int) -> None:
        bar = self.list.verticalScrollBar()
        at_bottom = value >= bar.maximum() - 1
        if self.follow.isChecked() != at_bottom and self.list.isVisible() and self.model.rowCount():
            self.follow.blockSignals(True)
            self.follow.setChecked(at_bottom)
            self.follow.blockSignals(False)

    def _set_timestamps(self, on: bool) -> None:
        self.list.setColumnHidden(0, not on)

    def find_next(self, forward: bool = True) -> int | None:
        self.flush()  # search every line, also those still waiting for their frame
        start = self.match_row if self.match_row >= 0 else (-1 if forward else 0)
        row = self.model.find(self.search.text(), start, forward)
        if row is None:
            self.matches.setText("no match" if self.search.text() else "")
            return None
        self.model.match_row = row
        self.matches.setText(f"line {row + 1:,}")
        self.follow.setChecked(False)
        self.list.scrollTo(self.model.index(row, 1), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.list.viewport().update()
        return row

    def copy_selection(self) -> None:
        rows = sorted({index.row() for index in self.list.selectionModel().selectedIndexes()})
        QApplication.clipboard().setText(self.model.text_of(rows))
