"""Late/slow alert rules: an event's own (an empty field takes the default) or, from Settings, the
defaults every event takes (setting `alerts`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

NUMBER_FIELDS = (
    ("late_seconds", "Late after (seconds)", "Alert when a run has not started this long after its time; 0 = never."),
    ("slow_factor", "Slow at × usual", "Alert when a run takes longer than this many times the median of its "
                                         "last 20 successful runs; 0 = never."),
    ("slow_seconds", "Slow after (seconds)", "Alert when a run is still going after this long; 0 = never."),
)
DEFAULT_TOOL = "(the default)"
NO_TOOL = "(none: desktop notification only)"


class AlertRulesDialog(QDialog):
    def __init__(self, engine: Engine, event_id: int | None, parent: QWidget | None = None) -> None:
        """`event_id` None: the defaults of every event (Settings)."""
        super().__init__(parent)
        self.engine, self.event_id = engine, event_id
        self.setWindowTitle("Alerts for this event" if event_id is not None else "Alert defaults")
        defaults = engine.alerts.defaults()
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key, label, tip in NUMBER_FIELDS:
            edit = QLineEdit(self)
            if event_id is not None:
                edit.setPlaceholderText(f"default: {getattr(defaults, key):g}")
            edit.setToolTip(tip)
            self.fields[key] = edit
            form.addRow(label, edit)
        self.tool = QComboBox(self)
        self.tool.setToolTip("A tool credential that also gets each alert (Slack, email, webhook…).")
        form.addRow("Also send to", self.tool)
        self.error = QLabel(self, objectName="error", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Empty fields take the defaults from Settings." if event_id is not None else  # type: ignore[call-overload]  # Qt property keyword
                                "Every event without its own rule takes these; 0 turns a rule off.",
                                self, objectName="muted", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def refresh(self) -> None:
        spawn(self.load(), self, "Loading the alert settings")

    async def load(self) -> None:
        if self.event_id is not None:
            rules = await self.engine.alerts.get_rules(self.event_id)
        else:
            defaults = self.engine.alerts.defaults()
            rules = {key: getattr(defaults, key) for key in (*self.fields, "tool")}
        tools = await self.engine.tools.list()
        for key, edit in self.fields.items():
            edit.setText("" if rules[key] is None else f"{rules[key]:g}")
        self.tool.clear()
        self.tool.addItems([*([DEFAULT_TOOL] if self.event_id is not None else []), NO_TOOL,
                            *[tool.name for tool in tools]])
        if rules["tool"] is not None:
            self.tool.setCurrentText(rules["tool"] or NO_TOOL)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, edit in self.fields.items():
            text = edit.text().strip()
            try:
                values[key] = float(text) if text else None
            except ValueError:
                raise ValidationError(f"alerts.{key}", f"must be a number, not {text!r}.") from None
        choice = self.tool.currentText()
        values["tool"] = None if choice == DEFAULT_TOOL else "" if choice == NO_TOOL else choice
        return values

    def save(self) -> None:
        spawn(self._save(), self, "Saving the alert settings")

    async def _save(self) -> None:
        try:
            if self.event_id is not None:
                await self.engine.alerts.set_rules(self.event_id, self.values())
            else:
                await asyncio.to_thread(self.engine.alerts.set_defaults, self.values())  # a store write
        except ValidationError as error:
            self.error.setText(str(error))
            return
        self.accept()
