"""What the event editor's tabs share: type titles, time units, combo helpers and the field form."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox

from cronium_desktop.ui.forms import Field, FieldForm, user_message

__all__ = ["Field", "FieldForm", "user_message", "combo", "set_combo", "TIME_UNITS", "TYPE_TITLES", "SCRIPT_TYPES"]

TIME_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}
TYPE_TITLES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js", "HTTP_REQUEST": "HTTP request",
               "TOOL_ACTION": "Tool action"}
SCRIPT_TYPES = ("BASH", "PYTHON", "NODEJS")


def combo(values: tuple[str, ...], titles: dict[str, str] | None = None) -> QComboBox:
    box = QComboBox()
    for value in values:
        box.addItem((titles or {}).get(value, value.replace("_", " ").title()), value)
    return box


def set_combo(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)



