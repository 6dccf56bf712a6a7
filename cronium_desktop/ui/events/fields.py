"""What the event editor's tabs share: what a tab is (`EditorTab`), type titles, time units, combo helpers and
the field form."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QComboBox

from cronium_desktop.ui.forms import Field, FieldForm, user_message

__all__ = ["EditorTab", "Field", "FieldForm", "user_message", "combo", "set_combo", "TIME_UNITS", "TYPE_TITLES",
           "SCRIPT_TYPES"]

TIME_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}
TYPE_TITLES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js", "HTTP_REQUEST": "HTTP request",
               "TOOL_ACTION": "Tool action"}
SCRIPT_TYPES = ("BASH", "PYTHON", "NODEJS")


class EditorTab(Protocol):
    """One tab of the event editor: it shows its part of an event and gives it back as the engine takes it."""

    @property
    def changed(self) -> SignalInstance:
        """Emitted when the user edits any field of the tab."""

    def load(self, event: dict[str, Any]) -> None:
        """Show this tab's fields of `event`: the engine's dict over a new event's defaults, so every
        field of `event_fields.DEFAULTS` is there."""

    def fill(self, data: dict[str, Any]) -> None:
        """Put this tab's keys into `data`; may raise ValidationError for a field that does not parse."""


def combo(values: tuple[str, ...], titles: dict[str, str] | None = None) -> QComboBox:
    box = QComboBox()
    for value in values:
        box.addItem((titles or {}).get(value, value.replace("_", " ").title()), value)
    return box


def set_combo(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)



