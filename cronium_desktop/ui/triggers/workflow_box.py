"""The workflow's triggers in its settings beside the canvas: each trigger and condition in words, and a
dialog to edit them (the Triggers section of the event editor, plus the misfire policy)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.triggers.spec import normalize_triggers
from cronium_desktop.engine.triggers.words import describe_triggers
from cronium_desktop.ui.triggers.section import TriggersSection

MISFIRE_TITLES = {"RUN_ONCE": "Run once to catch up", "RUN_ALL": "Run each missed run (up to the cap)",
                  "SKIP": "Skip missed runs"}


def words_of(triggers: dict[str, Any]) -> list[str]:
    try:
        return describe_triggers(normalize_triggers(triggers), triggers.get("misfire") or "RUN_ONCE")
    except ValidationError as error:
        return [f"Not valid: {error}"]


class TriggersDialog(QDialog):
    def __init__(self, triggers: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workflow triggers")
        self.section = TriggersSection(self)
        self.misfire = QComboBox(self)
        for value, title in MISFIRE_TITLES.items():
            self.misfire.addItem(title, value)
        self.misfire.setCurrentIndex(max(0, self.misfire.findData(triggers.get("misfire") or "RUN_ONCE")))
        self.misfire.currentIndexChanged.connect(lambda _i: self.section.set_misfire(self.misfire.currentData()))
        self.section.load({**triggers, "misfire": triggers.get("misfire") or "RUN_ONCE"})
        self.error = QLabel(self, objectName="error", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.section, 1)
        layout.addWidget(QLabel("Missed runs (after sleep or while the app was closed)", self))
        layout.addWidget(self.misfire)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(860, 680)

    def value(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        self.section.fill(data)
        data["misfire"] = self.misfire.currentData()
        return data

    def _accept(self) -> None:
        try:
            normalize_triggers(self.value())
        except ValidationError as error:
            self.error.setText(str(error))
            return
        self.accept()


class WorkflowTriggersBox(QWidget):
    """Each trigger and condition in words, with "Edit triggers…"; `edited` carries the new values."""

    edited = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words = QLabel(self, wordWrap=True, objectName="triggerWords")  # type: ignore[call-overload]  # Qt property keyword
        self.words.setTextFormat(Qt.TextFormat.RichText)
        edit = QPushButton("Edit triggers…", self)
        edit.clicked.connect(self.open_dialog)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.words)
        layout.addWidget(edit, 0, Qt.AlignmentFlag.AlignLeft)
        self.triggers: dict[str, Any] = {}
        self.dialog: TriggersDialog | None = None
        self.show_triggers({})

    def show_triggers(self, triggers: dict[str, Any]) -> None:
        self.triggers = dict(triggers)
        lines = words_of(self.triggers)
        self.words.setText("<br>".join(f"• {line}" for line in lines))

    def open_dialog(self) -> None:
        self.dialog = dialog = TriggersDialog(self.triggers, self)
        dialog.accepted.connect(lambda: self.edited.emit(dialog.value()))
        dialog.open()
