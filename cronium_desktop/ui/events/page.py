"""The Events view: a sortable, filterable list with new, edit, clone, delete, pause and run now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
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
from cronium_desktop.ui.common import header, spawn
from cronium_desktop.ui.events.editor import TYPE_TITLES, EventEditor
from cronium_desktop.ui.events.model import EventsFilter, EventsModel


class EventsPage(QWidget):
    runStarted = Signal(int)  # execution id, so the window can show its live log

    def __init__(self, engine: Any, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.model = EventsModel()
        self.proxy = EventsFilter()
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
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

        self.new_button = QPushButton("New event", self, objectName="primary")
        self.new_button.clicked.connect(self.new)
        self.example_button = QPushButton("New from example…", self)
        self.example_button.clicked.connect(self.new_from_example)
        self.import_button = QPushButton("Import schedules…", self)
        self.import_button.setToolTip("Bring jobs in from a crontab, systemd timers, launchd agents or Task Scheduler")
        self.import_button.clicked.connect(self.import_schedules)
        self.buttons: dict[str, QPushButton] = {}
        actions = (("Run now", self.run_now), ("Edit", self.edit), ("Clone", self.clone),
                   ("Activate", self.toggle), ("Delete", self.delete))
        for title, slot in actions:
            button = QPushButton(title, self)
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
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        bridge.eventsChanged.connect(self.refresh)
        bridge.runFinished.connect(lambda *args: self.refresh())
        self._selection_changed()

    def import_schedules(self) -> None:
        from cronium_desktop.ui.imports import open_import_schedules_dialog

        open_import_schedules_dialog(self, self.engine)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading events")

    async def _refresh(self) -> None:
        selected = self.selected()
        events = await self.engine.events.list()
        self.model.set_events(events)
        if selected is not None:
            self.select(selected.id)
        self._selection_changed()

    def select(self, event_id: int) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.event_at(row).id == event_id:
                self.table.selectRow(row)
                return

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.proxy.event_at(rows[0].row()) if rows else None

    def _selection_changed(self, *args: Any) -> None:
        event = self.selected()
        for button in self.buttons.values():
            button.setEnabled(event is not None)
        if event is not None:
            self.buttons["Activate"].setText("Pause" if event.status == "ACTIVE" else "Activate")

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
        event = self.selected()
        if event is not None:
            spawn(self._edit(event.id), self, "Opening the event")

    async def _edit(self, event_id: int) -> None:
        data = await self.engine.events.get(event_id)
        editor = EventEditor(self.engine, data, self)
        editor.accepted.connect(lambda: self._after_save(editor))
        editor.open()

    def _after_save(self, editor: EventEditor) -> None:
        spawn(self._refresh_and_select(editor.saved_id), self, "Loading events")

    async def _refresh_and_select(self, event_id: int | None) -> None:
        await self._refresh()
        if event_id is not None:
            self.select(event_id)

    def clone(self) -> None:
        event = self.selected()
        if event is not None:
            spawn(self._clone(event.id), self, "Cloning the event")

    async def _clone(self, event_id: int) -> None:
        await self._refresh_and_select(await self.engine.events.clone(event_id))

    def toggle(self) -> None:
        event = self.selected()
        if event is not None:
            status = "PAUSED" if event.status == "ACTIVE" else "ACTIVE"
            spawn(self.engine.events.set_status(event.id, status), self, "Changing the status")

    def delete(self) -> None:
        event = self.selected()
        if event is None:
            return
        answer = QMessageBox.question(self, "Delete event", f"Delete the event '{event.name}'? Its run history is kept.")
        if answer == QMessageBox.StandardButton.Yes:
            spawn(self.engine.events.delete(event.id), self, "Deleting the event")

    def run_now(self) -> None:
        event = self.selected()
        if event is not None:
            spawn(self._run(event.id), self, "Starting the run")

    async def _run(self, event_id: int) -> None:
        execution_id = await self.engine.runs.start(event_id)
        self.runStarted.emit(execution_id)
