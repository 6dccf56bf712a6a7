"""The Events view: a sortable, filterable list with new, edit, clone, delete, pause and run now.

Enter edits the selected event, Delete deletes it, F5 runs it (the window's Run menu); every action
leaves the row it acted on selected and says what happened in the status bar (`message`). With
several rows selected (Ctrl/Shift-click), the bulk bar (`bulk.py`) acts on all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.validation import EVENT_TYPES, STATUSES
from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import header, show_error, spawn
from cronium_desktop.ui.empty_state import EmptyOr, EmptyState
from cronium_desktop.ui.events.bulk import BulkBar
from cronium_desktop.ui.events.editor import TYPE_TITLES, EventEditor
from cronium_desktop.ui.events.model import EventsFilter, EventsModel
from cronium_desktop.ui.metrics.trend import TrendPanel

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class EventsTable(QTableView):
    """Enter edits the selected row and Delete deletes it, as in a file manager's list."""

    editRequested = Signal()
    deleteRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.editRequested.emit()
        elif event.key() == Qt.Key.Key_Delete:
            self.deleteRequested.emit()
        else:
            super().keyPressEvent(event)


class EventsPage(QWidget):
    runStarted = Signal(int)  # execution id, so the window can show its live log
    message = Signal(str)  # what an action did, for the status bar

    def __init__(self, engine: Engine, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reload = Coalesced(self, lambda: spawn(self._refresh(), self, "Loading events"))
        self.engine = engine
        self.model = EventsModel()
        self.proxy = EventsFilter()
        self.proxy.setSourceModel(self.model)
        self.table = EventsTable(self)
        self.table.editRequested.connect(self.edit)
        self.table.deleteRequested.connect(self.delete)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 110), (2, 90), (3, 150), (4, 150), (5, 110)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _index: self.edit())

        self.search = QLineEdit(self, placeholderText="Search name or tag  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda text: self.proxy.set_filters(text=text))
        self.type_filter = QComboBox(self)
        self.type_filter.addItem("All types", "")
        for kind in EVENT_TYPES:
            self.type_filter.addItem(TYPE_TITLES[kind], kind)
        self.type_filter.currentIndexChanged.connect(lambda: self.proxy.set_filters(type_=self.type_filter.currentData()))
        self.status_filter = QComboBox(self)
        self.status_filter.addItem("All statuses", "")
        for status in STATUSES:
            self.status_filter.addItem(status.title(), status)
        self.status_filter.currentIndexChanged.connect(lambda: self.proxy.set_filters(status=self.status_filter.currentData()))

        self.new_button = QPushButton("New event", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.new_button.clicked.connect(self.new)
        self.example_button = QPushButton("New from example…", self)
        self.example_button.clicked.connect(self.new_from_example)
        self.import_button = QPushButton("Import schedules…", self)
        self.import_button.setToolTip("Bring jobs in from a crontab, systemd timers, launchd agents or Task Scheduler")
        self.import_button.clicked.connect(self.import_schedules)
        self.buttons: dict[str, QPushButton] = {}
        actions = (("Run now", self.run_now), ("Edit", self.edit), ("Clone", self.clone),
                   ("Activate", self.toggle), ("Delete", self.delete))
        tips = {"Run now": "Run the selected event now (F5)", "Edit": "Edit the selected event (Enter)",
                "Clone": "Copy the selected event", "Delete": "Delete the selected event (Delete)"}
        for title, slot in actions:
            button = QPushButton(title, self)
            button.setToolTip(tips.get(title, "Activate or pause the selected event's schedule"))
            button.clicked.connect(slot)
            self.buttons[title] = button
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.type_filter)
        filters.addWidget(self.status_filter)
        row = QHBoxLayout()
        for button in self.buttons.values():
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Events", self.import_button, self.example_button, self.new_button))
        layout.addLayout(filters)
        self.empty = EmptyState("No events yet",
                                "An event is one script, HTTP request or message, run by hand or on a schedule.",
                                "Create your first event", self.new)
        self.body = EmptyOr(self.table, self.empty, self)
        layout.addWidget(self.body, 1)
        layout.addLayout(row)
        self.bulk = BulkBar(engine, self.selected_events, self)
        self.bulk.done.connect(self._after_bulk)
        self.bulk.runsStarted.connect(lambda ids: self.runStarted.emit(ids[-1]) if ids else None)
        layout.addWidget(self.bulk)
        self.trend = TrendPanel(engine, self)  # the selected event's last 200 runs
        self.trend.setMaximumHeight(240)
        layout.addWidget(self.trend)
        # the event last selected or made by an action: kept selected across reloads (a reload resets the model)
        self.current_id: int | None = None
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        bridge.eventsChanged.connect(self.refresh)
        bridge.runFinished.connect(lambda *args: self.refresh())
        self._selection_changed()

    def import_schedules(self) -> None:
        from cronium_desktop.ui.imports import open_import_schedules_dialog

        open_import_schedules_dialog(self, self.engine)

    def refresh(self) -> None:
        self._reload()  # every run finished asks (the last run column)

    async def _refresh(self) -> None:
        events = await self.engine.events.list()
        self.model.set_events(events)
        self.body.set_empty(not events)
        if self.current_id is not None:
            self.select(self.current_id)
        self._selection_changed()

    def select(self, event_id: int) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.event_at(row).id == event_id:
                self.table.selectRow(row)
                self.table.scrollTo(self.proxy.index(row, 0))
                return

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.proxy.event_at(rows[0].row()) if rows else None

    def selected_events(self) -> list[Any]:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return [self.proxy.event_at(index.row()) for index in sorted(rows, key=lambda index: index.row())]

    def _after_bulk(self, text: str) -> None:
        self.message.emit(text)
        self.refresh()

    def _selection_changed(self, *args: Any) -> None:
        self.bulk.update_count(len(self.selected_events()))
        event = self.selected()
        if event is not None:
            self.current_id = event.id
        for button in self.buttons.values():
            button.setEnabled(event is not None)
        if event is not None:
            self.buttons["Activate"].setText("Pause" if event.status == "ACTIVE" else "Activate")
        self.trend.show_event(event.id if event is not None else None, event.name if event is not None else "")

    def _need_selection(self, what: str) -> Any:
        event = self.selected()
        if event is None:
            self.message.emit(f"Select an event to {what} first.")
        return event

    def new(self) -> None:
        editor = EventEditor(self.engine, None, self)
        editor.accepted.connect(lambda: self._after_save(editor))
        editor.open()

    def new_from_example(self) -> None:
        from cronium_desktop.ui.examples_dialog import ExamplesDialog

        dialog = ExamplesDialog(self)
        dialog.accepted.connect(lambda: dialog.chosen and spawn(self._import_example(dialog.chosen), self, "Importing"))
        dialog.open()
        self.examples_dialog = dialog  # for tests, and so it is not collected while open

    async def _import_example(self, path: Any) -> None:
        from cronium_desktop.ui.examples_dialog import import_example

        report = await import_example(self, path, lambda p, replace: self.engine.files.import_file(p, replace=replace))
        if report is None:
            return
        await self._refresh()
        created = report.created + report.replaced
        if created:
            for row in range(self.proxy.rowCount()):
                if self.proxy.event_at(row).name == created[0]:
                    self.table.selectRow(row)
        QMessageBox(QMessageBox.Icon.Information, "Imported", "\n".join(report.lines()),
                    QMessageBox.StandardButton.Ok, self).open()

    def edit(self) -> None:
        event = self._need_selection("edit")
        if event is not None:
            spawn(self._edit(event.id), self, "Opening the event")

    async def _edit(self, event_id: int) -> None:
        data = await self.engine.events.get(event_id)
        editor = EventEditor(self.engine, data, self)
        editor.accepted.connect(lambda: self._after_save(editor))
        editor.open()

    def _after_save(self, editor: EventEditor) -> None:
        created = editor.event_id is None
        spawn(self._refresh_and_select(editor.saved_id), self, "Loading events")
        self.message.emit(f"Event '{editor.name.text().strip()}' {'created' if created else 'saved'}.")

    async def _refresh_and_select(self, event_id: int | None) -> None:
        if event_id is not None:
            self.current_id = event_id
        await self._refresh()
        self.table.setFocus()

    def clone(self) -> None:
        event = self._need_selection("clone")
        if event is not None:
            spawn(self._clone(event.id), self, "Cloning the event")

    async def _clone(self, event_id: int) -> None:
        clone_id = await self.engine.events.clone(event_id)
        await self._refresh_and_select(clone_id)
        clone = self.selected()
        self.message.emit(f"Cloned as '{clone.name}' (a draft)." if clone is not None else "Event cloned.")

    def toggle(self) -> None:
        event = self._need_selection("activate or pause")
        if event is not None:
            spawn(self._toggle(event), self, "Changing the status")

    async def _toggle(self, event: Any) -> None:
        status = "PAUSED" if event.status == "ACTIVE" else "ACTIVE"
        await self.engine.events.set_status(event.id, status)
        await self._refresh_and_select(event.id)
        self.message.emit(f"'{event.name}' is now {status.lower()}.")

    def delete(self) -> None:
        event = self._need_selection("delete")
        if event is not None:
            spawn(self._delete(event), self, "Deleting the event")

    async def _delete(self, event: Any) -> None:
        """Say why an event cannot go before asking whether it should."""
        blocker = await self.engine.events.delete_blocker(event.id)
        if blocker is not None:
            show_error(self, "This event cannot be deleted", f"Event {blocker}")
            self.message.emit(f"'{event.name}' was not deleted.")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Delete event",
                          f"Delete the event '{event.name}'? Its run history is kept.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: result == QMessageBox.StandardButton.Yes
                             and spawn(self._delete_now(event), self, "Deleting the event"))
        box.open()

    async def _delete_now(self, event: Any) -> None:
        row = self.table.currentIndex().row()
        await self.engine.events.delete(event.id)
        self.current_id = None
        await self._refresh()
        if self.proxy.rowCount():
            self.table.selectRow(min(max(row, 0), self.proxy.rowCount() - 1))
        self.message.emit(f"Event '{event.name}' deleted.")

    def run_now(self) -> None:
        event = self._need_selection("run")
        if event is not None:
            spawn(self._run(event.id), self, "Starting the run")

    async def _run(self, event_id: int) -> None:
        execution_id = await self.engine.runs.start(event_id)
        self.runStarted.emit(execution_id)
        self.message.emit(f"Run #{execution_id} started.")
