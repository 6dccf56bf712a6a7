"""Settings → Calendars: the calendars schedules skip or shift around, and how deep workflows may nest.

A calendar is a country's (and region's) public holidays plus dates and ranges added here or read
from an `.ics` file. The list shows what uses each calendar; the days of the chosen one are listed
for a year with their names. Every change goes through the engine, off the GUI thread.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class NewCalendarDialog(QDialog):
    """Name, country and region of a new calendar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New calendar")
        self.name = QLineEdit(self, placeholderText="e.g. Germany")
        self.country = QLineEdit(self, placeholderText="ISO code for public holidays, e.g. DE (empty: none)")
        self.region = QLineEdit(self, placeholderText="optional region, e.g. BY")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Country", self.country)
        form.addRow("Region", self.region)
        form.addRow(buttons)

    def data(self) -> dict[str, Any]:
        return {"name": self.name.text(), "country": self.country.text().strip() or None,
                "subdivision": self.region.text().strip() or None}


class CalendarSettings(QGroupBox):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("Calendars", parent)
        self.engine = engine
        self.calendars = QStandardItemModel(0, 4, self)
        self.calendars.setHorizontalHeaderLabels(["Calendar", "Holidays of", "Own dates", "Used by"])
        self.table = QTableView(self)
        self.table.setModel(self.calendars)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(110)
        self.days = QStandardItemModel(self)
        self.days_view = QListView(self)
        self.days_view.setModel(self.days)
        self.days_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.year = QSpinBox(self, minimum=1970, maximum=2200, value=date.today().year)
        self.start = QDateEdit(QDate.currentDate(), self, calendarPopup=True)  # type: ignore[call-overload]  # Qt property keyword
        self.end = QDateEdit(QDate.currentDate(), self, calendarPopup=True)  # type: ignore[call-overload]  # Qt property keyword
        for edit in (self.start, self.end):
            edit.setDisplayFormat("yyyy-MM-dd")
        self.date_name = QLineEdit(self, placeholderText="what the days are, e.g. Year-end freeze")
        self.nesting = QSpinBox(self, minimum=1, maximum=50)
        self.note = QLabel("", self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        add, delete, add_dates, ics = (QPushButton(text, self) for text in
                                       ("New…", "Delete", "Add these days", "Import .ics…"))
        add.clicked.connect(self.new_calendar)
        delete.clicked.connect(lambda: spawn(self._delete(), self, "Deleting the calendar"))
        add_dates.clicked.connect(lambda: spawn(self._add_dates(), self, "Adding the days"))
        ics.clicked.connect(self.import_ics)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_days())
        self.year.valueChanged.connect(lambda *_: self.show_days())
        self.nesting.valueChanged.connect(self._nesting_changed)
        buttons = QHBoxLayout()
        for button in (add, delete, ics):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Days in", self))
        buttons.addWidget(self.year)
        dates_row = QHBoxLayout()
        for widget in (QLabel("From", self), self.start, QLabel("to", self), self.end, self.date_name, add_dates):
            dates_row.addWidget(widget)
        lists = QHBoxLayout()
        lists.addWidget(self.table, 3)
        lists.addWidget(self.days_view, 2)
        nesting_row = QHBoxLayout()
        nesting_row.addWidget(QLabel("Workflows may run workflows this deep", self))
        nesting_row.addWidget(self.nesting)
        nesting_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(lists)
        layout.addLayout(dates_row)
        layout.addWidget(self.note)
        layout.addLayout(nesting_row)
        self._loading = False

    # -- reading ---------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._loading = True
        self.nesting.setValue(int(self.engine.settings.get("workflow_nesting_limit")))
        self._loading = False
        spawn(self._refresh(), self, "Loading the calendars")

    async def _refresh(self) -> None:
        chosen = self.selected()
        items = await self.engine.calendars.list()
        self.calendars.setRowCount(0)
        for item in items:
            holidays = " / ".join(part for part in (item.country, item.subdivision) if part) or "—"
            self.calendars.appendRow([QStandardItem(item.name), QStandardItem(holidays), QStandardItem(str(item.dates)),
                                      QStandardItem(", ".join(item.used_by) or "nothing yet")])
        names = [item.name for item in items]
        row = names.index(chosen) if chosen in names else (0 if names else -1)
        if row >= 0:
            self.table.selectRow(row)
        self.show_days()

    def selected(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.calendars.item(rows[0].row(), 0).text() if rows else None

    def show_days(self) -> None:
        name = self.selected()
        if name is None:
            self.days.clear()
            return
        spawn(self._show_days(name, self.year.value()), self, "Loading the calendar's days")

    async def _show_days(self, name: str, year: int) -> None:
        days = await self.engine.calendars.days(name)
        listed = days.between(date(year, 1, 1), date(year, 12, 31))
        if name != self.selected():
            return
        self.days.clear()
        for day, title in listed:
            self.days.appendRow(QStandardItem(f"{day:%a %d %b %Y}   {title}"))
        if not listed:
            self.days.appendRow(QStandardItem(f"No calendar days in {year}."))

    # -- changing --------------------------------------------------------------------------------------

    def new_calendar(self) -> None:
        dialog = NewCalendarDialog(self)
        dialog.accepted.connect(lambda: spawn(self._create(dialog.data()), self, "Creating the calendar"))
        dialog.open()
        self.dialog = dialog  # kept while open (and for tests)

    async def _create(self, data: dict[str, Any]) -> None:
        name = await self.engine.calendars.save(data)
        self.note.setText(f"Created calendar '{name}'.")
        await self._refresh()

    async def _add_dates(self) -> None:
        name = self.selected()
        if name is None:
            self.note.setText("Choose a calendar first.")
            return
        entry = {"start": self.start.date().toPython().isoformat(), "end": self.end.date().toPython().isoformat(),
                 "name": self.date_name.text().strip()}
        total = await self.engine.calendars.add_dates(name, [entry])
        self.note.setText(f"'{name}' holds {total} date(s) or range(s) of its own.")
        await self._refresh()

    def import_ics(self) -> None:
        name = self.selected()
        if name is None:
            self.note.setText("Choose a calendar first.")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import an .ics file", "", "iCalendar files (*.ics)")
        if path:
            spawn(self.import_ics_file(name, Path(path)), self, "Importing the .ics file")

    async def import_ics_file(self, name: str, path: Path) -> None:
        import asyncio

        from cronium_desktop.engine.calendar_ics import read_ics_file

        read = await asyncio.to_thread(read_ics_file, path)
        await self.engine.calendars.add_dates(name, read.dates)
        left_out = f" Left out recurring events: {', '.join(read.recurring)}." if read.recurring else ""
        self.note.setText(f"Added {len(read.dates)} date(s) from {path.name} to '{name}'.{left_out}")
        await self._refresh()

    async def _delete(self) -> None:
        name = self.selected()
        if name is not None:
            await self.engine.calendars.delete(name)
            self.note.setText(f"Deleted calendar '{name}'.")
            await self._refresh()

    def _nesting_changed(self, value: int) -> None:
        if not self._loading:
            self.engine.settings.set("workflow_nesting_limit", int(value))
