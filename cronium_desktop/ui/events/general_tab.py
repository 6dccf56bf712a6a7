"""The event editor's General tab: name, type, status, and when it runs (trigger, schedule, zone, window).

Schedule, timezone and the time window apply only to the "On a schedule" trigger; with "Manual" they
are hidden and one line says how the event runs instead.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from cronium_desktop.engine.validation import EVENT_TYPES, STATUSES
from cronium_desktop.ui.editor.schedule_builder import ScheduleBuilder
from cronium_desktop.ui.events.fields import TYPE_TITLES, FieldForm, combo, set_combo
from cronium_desktop.ui.optional_datetime import OptionalDateTime

LOCAL_ZONE = "This computer's zone"


class GeneralTab(QWidget):
    changed = Signal()  # any field the user can edit here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form = FieldForm(self)
        self.name = QLineEdit(placeholderText="e.g. Nightly backup")
        self.type = combo(EVENT_TYPES, TYPE_TITLES)
        self.description = QLineEdit(placeholderText="What this event is for")
        self.tags = QLineEdit(placeholderText="comma-separated, e.g. backup, nightly")
        self.status = combo(STATUSES)
        self.trigger = combo(("MANUAL", "SCHEDULE"), {"MANUAL": "Manual (Run now)", "SCHEDULE": "On a schedule"})
        self.manual_note = QLabel("Runs only when you start it: Run now (F5), a workflow or another event.",  # type: ignore[call-overload]  # Qt property keyword
                                  objectName="muted", wordWrap=True)
        self.schedule = ScheduleBuilder()
        self.timezone = QComboBox(editable=True)
        self.timezone.addItem(LOCAL_ZONE, None)
        for name in sorted(available_timezones()):
            self.timezone.addItem(name, name)
        self.start_time = OptionalDateTime()
        self.end_time = OptionalDateTime()
        form.add("name", "Name", self.name)
        form.add("type", "Type", self.type)
        form.add("description", "Description", self.description)
        form.add("tags", "Tags", self.tags)
        form.add("status", "Status", self.status)
        form.add("trigger", "Trigger", self.trigger)
        form.addRow("", self.manual_note)
        form.add("schedule", "Schedule", self.schedule)
        form.add("timezone", "Timezone", self.timezone)
        form.add("start_time", "Not before", self.start_time)
        form.add("end_time", "Not after", self.end_time)
        self.trigger.currentIndexChanged.connect(self.show_trigger_fields)
        self.timezone.currentIndexChanged.connect(self._timezone_changed)
        self._report_changes()

    def _report_changes(self) -> None:
        for line in (self.name, self.description, self.tags):
            line.textChanged.connect(self.changed)
        for box in (self.type, self.status, self.trigger, self.timezone):
            box.currentIndexChanged.connect(self.changed)
        for optional in (self.start_time, self.end_time):
            optional.changed.connect(self.changed)
        self.schedule.changed.connect(self.changed)

    def show_trigger_fields(self) -> None:
        scheduled = self.trigger.currentData() == "SCHEDULE"
        for widget in (self.schedule, self.timezone, self.start_time, self.end_time):
            self.form.setRowVisible(widget, scheduled)
            widget.setEnabled(scheduled)
        self.form.setRowVisible(self.manual_note, not scheduled)

    def _timezone_changed(self) -> None:
        zone_name = self.timezone.currentData() if self.timezone.currentIndex() > 0 else None
        self.schedule.set_context(zone_name)

    def load(self, event: dict[str, Any]) -> None:
        self.name.setText(event["name"])
        set_combo(self.type, event["type"])
        self.description.setText(event["description"])
        self.tags.setText(", ".join(event["tags"]))
        set_combo(self.status, event["status"])
        set_combo(self.trigger, event["trigger"])
        self.schedule.set_schedule(event["schedule"])
        if event["timezone"]:
            self.timezone.setCurrentText(event["timezone"])
        self.start_time.load(event["start_time"])
        self.end_time.load(event["end_time"])
        self.show_trigger_fields()

    def fill(self, data: dict[str, Any]) -> None:
        scheduled = self.trigger.currentData() == "SCHEDULE"
        zone = self.timezone.currentData() if self.timezone.currentIndex() > 0 else (self.timezone.currentText() or None)
        data.update(
            name=self.name.text(),
            type=self.type.currentData(),
            description=self.description.text(),
            tags=[t.strip() for t in self.tags.text().split(",") if t.strip()],
            status=self.status.currentData(),
            trigger=self.trigger.currentData(),
            schedule=self.schedule.schedule() if scheduled else None,
            timezone=None if zone == LOCAL_ZONE else zone,
            start_time=self.start_time.value(),
            end_time=self.end_time.value(),
        )
