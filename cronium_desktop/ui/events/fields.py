"""Form rows that can show their own error: the event editor's fields, each with its label and a slot
under it where a validation message appears next to the field it is about (SPEC §1: name the field)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

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


@dataclass
class Field:
    """One field the engine may name in a ValidationError: its label, widget and error slot."""

    key: str
    label: str
    widget: QWidget
    error: QLabel | None = None


def user_message(label: str, message: str) -> str:
    """'Name' + 'is required.' → 'Name is required.'; other messages follow the label and a colon."""
    if message.startswith(("is ", "must ", "lists ")):
        return f"{label} {message}"
    return f"{label}: {message}"


class FieldForm(QFormLayout):
    """A QFormLayout whose rows record their field key, so errors can be shown under the right row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, Field] = {}
        self.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

    def add(self, key: str | None, label: str, widget: QWidget) -> QWidget:
        self.addRow(label, widget)
        if key is not None:
            error = QLabel(objectName="error", wordWrap=True)
            self.addRow("", error)
            self.setRowVisible(error, False)
            self.fields[key] = Field(key, label, widget, error)
        return widget

    def show_error(self, key: str | None, text: str) -> None:
        for field in self.fields.values():
            if field.error is not None:
                shown = field.key == key
                field.error.setText(text if shown else "")
                self.setRowVisible(field.error, shown)
