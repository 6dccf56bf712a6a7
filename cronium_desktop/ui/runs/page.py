"""The Runs view: history with filters, and one run's live log, output and per-server results."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.runs.service import RunSummary
from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import duration_text, header, local_time, spawn
from cronium_desktop.ui.metrics.run_figures import RunFigures
from cronium_desktop.ui.runs.log_model import LineColumns
from cronium_desktop.ui.runs.log_view import LogView
from cronium_desktop.ui.runs.trace_links import open_event_at_line
from cronium_desktop.ui.theme import colour
from cronium_desktop.ui.versions.link import VersionLink

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

COLUMNS = ("Run", "Event", "Status", "Trigger", "Attempt", "Started", "Duration")
PAGE_SIZE = 200  # runs per page of history
STATES = ("PENDING", "RUNNING", "SUCCESS", "FAILURE", "TIMEOUT", "CANCELLED", "PARTIAL", "SKIPPED")


class RunsModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunSummary] = []

    def set_runs(self, runs: list[RunSummary]) -> None:
        self.beginResetModel()
        self.runs = runs
        self.endResetModel()

    def append_runs(self, runs: list[RunSummary]) -> None:
        """The next page of older runs, below those shown."""
        if runs:
            self.beginInsertRows(QModelIndex(), len(self.runs), len(self.runs) + len(runs) - 1)
            self.runs.extend(runs)
            self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return COLUMNS[section] if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (f"Run #{run.execution_id}", run.event, run.status_text.title(), run.trigger.title(), str(run.attempt),
                    local_time(run.started_at or run.created_at, True), duration_text(run.duration_ms))[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return QColor(colour(run.status))
        return None


class RunsPage(QWidget):
    def __init__(self, engine: Engine, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reload = Coalesced(self, lambda: spawn(self._refresh(), self, "Loading runs"))
        self.engine = engine
        self.current: int | None = None
        self._last_log_id = 0
        self._loading = False
        self._buffer = LineColumns()
        self.model = RunsModel()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 80), (2, 90), (3, 90), (4, 74), (5, 160), (6, 90)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        # History is read a page at a time: scrolling near the end loads the next, older page.
        self._more = False
        self._paging: Any = None
        self.table.verticalScrollBar().valueChanged.connect(self._scrolled)

        self.event_filter = QComboBox(self)
        self.event_filter.addItem("All events", None)
        self.state_filter = QComboBox(self)
        self.state_filter.addItem("All states", None)
        for state in STATES:
            self.state_filter.addItem(state.title(), state)
        self.period = QComboBox(self)
        for title, days in (("Any time", None), ("Last 24 hours", 1), ("Last 7 days", 7), ("Last 30 days", 30)):
            self.period.addItem(title, days)
        for combo in (self.event_filter, self.state_filter, self.period):
            combo.currentIndexChanged.connect(self.refresh)

        self.title = QLabel("Select a run to see its log.", self)
        self.title.setObjectName("muted")
        self.cancel = QPushButton("Cancel run", self)
        self.cancel.clicked.connect(self._cancel)
        self.cancel.setEnabled(False)
        self.log = LogView(self)
        self.log.scriptLineClicked.connect(lambda line: open_event_at_line(self.engine, self.current, line, self))
        self.output = QTreeWidget(self)
        self.output.setHeaderLabels(["Key", "Value"])
        self.output.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.servers = QTableView(self)
        self.servers_model = _ServersModel()
        self.servers.setModel(self.servers_model)
        self.servers.verticalHeader().hide()
        self.servers.horizontalHeader().setStretchLastSection(True)
        self.details = QTabWidget(self)
        self.details.addTab(self.log, "Log")
        # An empty Output tab says why it is empty instead of showing a blank tree.
        self.output_note = QLabel(self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        output_page = QWidget(self)
        output_layout = QVBoxLayout(output_page)
        output_layout.setContentsMargins(8, 8, 8, 8)
        output_layout.addWidget(self.output_note)
        output_layout.addWidget(self.output, 1)
        self.details.addTab(output_page, "Output")
        self.details.addTab(self.servers, "Servers")
        self.figures = RunFigures(self)  # CPU, memory, I/O, signal and the phase bar
        self.details.addTab(self.figures, "Resources")

        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        self.version_link = VersionLink(engine, self)  # the event's version this run ran
        top.addWidget(self.version_link)
        top.addWidget(self.cancel)
        detail_layout.addLayout(top)
        detail_layout.addWidget(self.details, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setSizes([260, 420])
        filters = QHBoxLayout()
        filters.addWidget(self.event_filter, 1)
        filters.addWidget(self.state_filter)
        filters.addWidget(self.period)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Runs"))
        layout.addLayout(filters)
        layout.addWidget(split, 1)

        bridge.logLines.connect(self._log_lines)
        bridge.runQueued.connect(lambda _id: self.refresh())
        bridge.runStarted.connect(self._run_changed)
        bridge.runFinished.connect(lambda execution_id, *_: self._run_changed(execution_id))
        bridge.eventsChanged.connect(self._load_events)

    def refresh(self) -> None:
        self._reload()  # every run queued, started and finished asks: a burst reloads a few times a second

    def _filters(self) -> dict[str, Any]:
        from datetime import UTC, datetime, timedelta

        days = self.period.currentData()
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days) if days else None
        return {"event_id": self.event_filter.currentData(), "status": self.state_filter.currentData(), "since": since}

    async def _refresh(self) -> None:
        shown = max(PAGE_SIZE, len(self.model.runs))  # a refresh keeps what was scrolled into view
        runs = await self.engine.history.page(**self._filters(), limit=shown)
        self._more = len(runs) == shown
        self.model.set_runs(runs)
        if self.current is not None:
            for row, run in enumerate(runs):
                if run.execution_id == self.current:
                    self.table.selectionModel().blockSignals(True)
                    self.table.selectRow(row)
                    self.table.selectionModel().blockSignals(False)

    async def load_more(self) -> None:
        """The next page of older runs, below the oldest shown (keyset paging: each run once)."""
        if not self.model.runs:
            return
        oldest = self.model.runs[-1].execution_id
        runs = await self.engine.history.page(**self._filters(), before_id=oldest, limit=PAGE_SIZE)
        if self.model.runs and self.model.runs[-1].execution_id == oldest:  # the list was not reloaded meanwhile
            self._more = len(runs) == PAGE_SIZE
            self.model.append_runs(runs)

    def _scrolled(self, value: int) -> None:
        bar = self.table.verticalScrollBar()
        if self._more and value >= bar.maximum() - 5 and (self._paging is None or self._paging.done()):
            self._paging = spawn(self.load_more(), self, "Loading older runs")

    def _load_events(self) -> None:
        spawn(self._events(), self, "Loading events")

    async def _events(self) -> None:
        chosen = self.event_filter.currentData()
        events = await self.engine.events.list()
        self.event_filter.blockSignals(True)
        self.event_filter.clear()
        self.event_filter.addItem("All events", None)
        for event in events:
            self.event_filter.addItem(event.name, event.id)
        index = self.event_filter.findData(chosen)
        self.event_filter.setCurrentIndex(max(0, index))
        self.event_filter.blockSignals(False)

    def _selected(self, *args: Any) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.show_run(self.model.runs[rows[0].row()].execution_id)

    def show_run(self, execution_id: int) -> None:
        self.current = execution_id
        self._last_log_id = 0
        self._loading = True
        self._buffer = LineColumns()
        self.log.clear()
        spawn(self._load_run(execution_id), self, "Loading the run")

    async def _load_run(self, execution_id: int) -> None:
        detail = await self.engine.runs.get(execution_id)
        if self.current != execution_id:
            return
        attempts = f" · attempt {detail.attempt}" if detail.attempt > 1 else ""
        error = f" · {detail.error}" if detail.error and detail.status not in ("SUCCESS", "RUNNING") else ""
        self.title.setText(f"Run #{detail.execution_id} of {detail.event} · {detail.status_text.title()}{attempts}{error}")
        self.title.setStyleSheet(f"color: {colour(detail.status)}; font-weight: 600;")
        self.cancel.setEnabled(detail.status in ("PENDING", "RUNNING"))
        self.version_link.show_for(detail)
        records = await self.engine.runs.log(execution_id, after_id=self._last_log_id)
        if self.current != execution_id:
            return
        if records:
            self._last_log_id = records[-1].id
            self.log.append(LineColumns.of_records(records))
        # Lines that arrived live while the stored ones loaded: keep those the store did not have yet.
        self.log.append(self._buffer.newer_than(records[-1].ts if records else None))
        self._loading, self._buffer = False, LineColumns()
        self._show_output(detail.output, detail)
        self.figures.show_run(detail.metrics)
        self.servers_model.set_results(detail.servers)
        self.details.setTabVisible(2, bool(detail.servers))
        await self._refresh()

    def show_event_runs(self, event_id: int | None, day: Any = None) -> None:
        """The runs of one event (or all), newest first, the newest shown: the Dashboard's click-through."""
        self.state_filter.setCurrentIndex(0)
        self.period.setCurrentIndex(self.period.findData(30) if day is not None else 0)
        self.event_filter.setCurrentIndex(max(0, self.event_filter.findData(event_id)))
        spawn(self._show_newest(event_id, day), self, "Loading runs")

    async def _show_newest(self, event_id: int | None, day: Any) -> None:
        await self._events()
        self.event_filter.blockSignals(True)
        self.event_filter.setCurrentIndex(max(0, self.event_filter.findData(event_id)))
        self.event_filter.blockSignals(False)
        await self._refresh()
        for row, run in enumerate(self.model.runs):
            if day is None or (run.created_at is not None and run.created_at.date() == day):
                self.table.selectRow(row)
                return

    def _log_lines(self, execution_id: int, lines: LineColumns) -> None:
        if execution_id != self.current:
            return
        if self._loading:
            self._buffer.extend(lines)
        else:
            self.log.append(lines)

    def _run_changed(self, execution_id: int) -> None:
        if execution_id == self.current:
            spawn(self._refresh_current(execution_id), self, "Loading the run")
        else:
            self.refresh()

    async def _refresh_current(self, execution_id: int) -> None:
        detail = await self.engine.runs.get(execution_id)
        if self.current != execution_id:
            return
        self.title.setText(f"Run #{detail.execution_id} of {detail.event} · {detail.status_text.title()}"
                           + (f" · {detail.error}" if detail.error and detail.status != "SUCCESS" else ""))
        self.title.setStyleSheet(f"color: {colour(detail.status)}; font-weight: 600;")
        self.cancel.setEnabled(detail.status in ("PENDING", "RUNNING"))
        self._show_output(detail.output, detail)
        self.figures.show_run(detail.metrics)
        self.servers_model.set_results(detail.servers)
        self.details.setTabVisible(2, bool(detail.servers))
        await self._refresh()

    def _show_output(self, output: Any, detail: Any = None) -> None:
        self.output.clear()
        self.output.setVisible(output is not None)
        self.output_note.setVisible(output is None)
        if output is None:
            status = getattr(detail, "status", "")
            if status in ("PENDING", "RUNNING"):
                note = "The output data appears here when the run ends."
            elif status in ("SUCCESS", "SKIPPED", "CANCELLED"):
                note = ("This run passed no output data on. A script sets it with cronium.output(…) "
                        "(Bash: cronium_output '{…}'), or by printing a JSON object as its last line.")
            else:
                exit_code = getattr(detail, "exit_code", None)
                code = f" (exit code {exit_code})" if exit_code is not None else ""
                note = (f"No output data: the run ended {status.title() or 'without output'}{code} before passing "
                        "any on. The Log tab shows what it printed and why it stopped.")
            self.output_note.setText(note)
            return

        def add(parent: QTreeWidget | QTreeWidgetItem, key: str, value: Any) -> None:
            item = QTreeWidgetItem([key, "" if isinstance(value, dict | list) else json.dumps(value)])
            if isinstance(parent, QTreeWidget):
                parent.addTopLevelItem(item)
            else:
                parent.addChild(item)
            children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
            for child_key, child in children:
                add(item, str(child_key), child)

        if isinstance(output, dict | list):
            for key, value in (output.items() if isinstance(output, dict) else enumerate(output)):
                add(self.output, str(key), value)
        else:
            add(self.output, "value", output)
        self.output.expandToDepth(1)

    def _cancel(self) -> None:
        if self.current is not None:
            spawn(self.engine.runs.cancel(self.current), self, "Cancelling the run")


class _ServersModel(QAbstractTableModel):
    HEADERS = ("Server", "Status", "Exit code", "Error")

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def set_results(self, results: list[Any]) -> None:
        self.beginResetModel()
        self.results = results
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.results)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.HEADERS[section] if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        result = self.results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (result.server, result.status.title(), "—" if result.exit_code is None else str(result.exit_code),
                    result.error or "")[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            return QColor(colour(result.status))
        return None
