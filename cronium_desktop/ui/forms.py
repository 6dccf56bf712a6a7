"""Form rows that can show their own error: a validation message appears under the field it names,
with the field's label, instead of an internal key in a line at the bottom."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget


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
            error = QLabel(objectName="error", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
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
