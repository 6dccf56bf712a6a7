"""OptionalDateTime: a date and time that applies only when its box is ticked (an event's "Not before",
"Not after"), read and written as the engine's ISO text or None."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QHBoxLayout, QWidget


class OptionalDateTime(QWidget):
    """A "set" box beside a date-time field; the field is editable only while the box is ticked."""

    changed = Signal()  # ticked, unticked, or the date and time edited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox("set", self)
        self.edit = QDateTimeEdit(QDateTime.currentDateTime(), self, calendarPopup=True)
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.edit.setEnabled(False)
        self.enabled.toggled.connect(self.edit.setEnabled)
        row.addWidget(self.enabled)
        row.addWidget(self.edit, 1)
        self.enabled.toggled.connect(self.changed)
        self.edit.dateTimeChanged.connect(self.changed)

    def load(self, value: str | None) -> None:
        """Tick the box and show the time for an ISO text; untick it for None or ""."""
        self.enabled.setChecked(bool(value))
        if value:
            self.edit.setDateTime(QDateTime.fromString(value[:19], Qt.DateFormat.ISODate))

    def value(self) -> str | None:
        """The ISO text of the time shown, or None while the box is unticked."""
        if not self.enabled.isChecked():
            return None
        return cast(datetime, self.edit.dateTime().toPython()).isoformat()
