"""The schedule builder's calendar parts: business-day forms, the calendar and its policy, the next runs.

The calendars come from the engine once (`ScheduleBuilder.set_calendars`), so previews are drawn
without reaching the store from the GUI thread. The next-runs list marks the days a calendar
skipped or shifted, with the calendar day's name.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, time
from typing import Any

from PySide6.QtCore import QTime, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListView, QSpinBox, QTimeEdit, QWidget

from cronium_desktop.engine.scheduling.business_days import PreviewEntry

POLICY_TITLES = {"SKIP": "skip the run", "NEXT_BUSINESS_DAY": "run on the next business day",
                 "PREVIOUS_BUSINESS_DAY": "run on the previous business day"}
NO_CALENDAR = "No calendar"
KIND_ROLE = 0x0100 + 1  # Qt.UserRole + 1: RUN, SHIFTED or SKIPPED


class BusinessDayPage(QWidget):
    """The n-th business day of the month (or the last), at a time of day."""

    changed = Signal()

    def __init__(self, last: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.last = last
        self.nth = QSpinBox(self, minimum=1, maximum=23, value=1)
        self.nth.setSuffix(". business day" if not last else ". from the end")
        self.at = QTimeEdit(QTime(9, 0), self)
        self.at.setDisplayFormat("HH:mm")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        if last:
            self.nth.setValue(1)
            self.nth.setVisible(False)
            row.addWidget(QLabel("Last business day of the month, at", self))
        else:
            row.addWidget(self.nth)
            row.addWidget(QLabel("of the month, at", self))
        row.addWidget(self.at)
        row.addStretch(1)
        self.nth.valueChanged.connect(self.changed)
        self.at.timeChanged.connect(self.changed)

    def schedule(self) -> dict[str, Any]:
        nth = -self.nth.value() if self.last else self.nth.value()
        return {"business_day": nth, "at": self.at.time().toString("HH:mm")}

    def load(self, schedule: dict[str, Any]) -> None:
        self.nth.setValue(abs(int(schedule["business_day"])))
        parsed = time.fromisoformat(schedule["at"])
        self.at.setTime(QTime(parsed.hour, parsed.minute))


class CalendarRow(QWidget):
    """Which calendar the schedule avoids, and what a run on one of its days does."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calendar = QComboBox(self)
        self.calendar.addItem(NO_CALENDAR, None)
        self.policy = QComboBox(self)
        for policy, title in POLICY_TITLES.items():
            self.policy.addItem(f"On its days: {title}", policy)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Calendar", self))
        row.addWidget(self.calendar, 1)
        row.addWidget(self.policy, 1)
        self.calendar.currentIndexChanged.connect(self._calendar_changed)
        self.policy.currentIndexChanged.connect(self.changed)
        self._calendar_changed()

    def set_names(self, names: list[str]) -> None:
        current = self.name()
        self.calendar.blockSignals(True)
        self.calendar.clear()
        self.calendar.addItem(NO_CALENDAR, None)
        for name in sorted(names, key=str.lower):
            self.calendar.addItem(name, name)
        self.calendar.blockSignals(False)
        self.select(current)

    def select(self, name: str | None) -> None:
        index = self.calendar.findData(name) if name else 0
        if index < 0:  # named by the schedule but not known (yet): keep it selectable
            self.calendar.addItem(str(name), name)
            index = self.calendar.count() - 1
        self.calendar.setCurrentIndex(index)

    def name(self) -> str | None:
        data = self.calendar.currentData()
        return str(data) if data else None

    def set_policy_shown(self, shown: bool) -> None:
        self.policy.setVisible(shown and self.name() is not None)

    def _calendar_changed(self) -> None:
        self.policy.setEnabled(self.name() is not None)
        self.changed.emit()

    def apply(self, schedule: dict[str, Any], with_policy: bool) -> dict[str, Any]:
        if self.name() is None:
            return schedule
        extra = {"calendar": self.name()}
        if with_policy:
            extra["on_calendar_day"] = str(self.policy.currentData())
        return {**schedule, **extra}


class NextRunsList(QListView):
    """The next runs, one a line; a shifted run says from which day, a skipped day says why."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = QStandardItemModel(self)
        self.setModel(self.runs)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QListView.SelectionMode.NoSelection)
        self.setMinimumHeight(120)

    def show_entries(self, entries: list[PreviewEntry], timezone: Any, days: Container[date]) -> None:
        self.runs.clear()
        for entry in entries:
            when = entry.when.astimezone(timezone) if timezone else entry.when
            if entry.kind == "SHIFTED" and entry.original is not None:
                original = entry.original.astimezone(timezone) if timezone else entry.original
                text = f"{when:%a %d %b %Y, %H:%M}   ↷ shifted from {original:%a %d %b} ({entry.reason})"
                colour = QColor("#b7791f")
            elif entry.kind == "SKIPPED":
                text = f"{when:%a %d %b %Y, %H:%M}   ✕ skipped: {entry.reason}"
                colour = QColor("#9b2c2c")
            else:
                text = f"{when:%a %d %b %Y, %H:%M}"
                colour = None
            item = QStandardItem(text)
            item.setData(entry.kind, KIND_ROLE)
            if colour is not None:
                item.setForeground(QBrush(colour))
            self.runs.appendRow(item)

    def show_message(self, text: str) -> None:
        self.runs.clear()
        self.runs.appendRow(QStandardItem(text))

    def kinds(self) -> list[str]:
        return [str(self.runs.item(row).data(KIND_ROLE)) for row in range(self.runs.rowCount())]

    def texts(self) -> list[str]:
        return [self.runs.item(row).text() for row in range(self.runs.rowCount())]
