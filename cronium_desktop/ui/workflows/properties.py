"""The workflow's properties beside the canvas: name, trigger (manual, schedule, webhook), its further
triggers and conditions in words, and description.

Every change goes through the undo stack as a `SetPropertiesCommand`; the panel redraws from the model.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from cronium_desktop.ui.editor.schedule_builder import ScheduleBuilder
from cronium_desktop.ui.triggers.workflow_box import WorkflowTriggersBox
from cronium_desktop.ui.workflows.commands import SetPropertiesCommand
from cronium_desktop.ui.workflows.model import TRIGGERS, WorkflowModel

TRIGGER_NAMES = {"MANUAL": "Manual", "SCHEDULE": "Schedule", "WEBHOOK": "Webhook"}


class PropertiesPanel(QWidget):
    def __init__(self, model: WorkflowModel, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model, self.stack = model, stack
        self.webhook_base: str | None = None
        self.webhook_token: str | None = None
        self.name = QLineEdit(self, placeholderText="Workflow name")
        self.trigger = QComboBox(self)
        for trigger in TRIGGERS:
            self.trigger.addItem(TRIGGER_NAMES[trigger], trigger)
        self.schedule = ScheduleBuilder(self)
        self.webhook_url = QLineEdit(self, readOnly=True)
        self.webhook_url.setPlaceholderText("Save the workflow to get its URL")
        self.token = QLineEdit(self, readOnly=True, echoMode=QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Save the workflow to get its token")
        copy_url = QPushButton("Copy", self)
        copy_url.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.webhook_url.text()))
        copy_token = QPushButton("Copy", self)
        copy_token.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.webhook_token or ""))
        self.webhook = QWidget(self)
        webhook_form = QFormLayout(self.webhook)
        webhook_form.setContentsMargins(0, 0, 0, 0)
        webhook_form.addRow("URL", _row(self.webhook_url, copy_url))
        webhook_form.addRow("Token", _row(self.token, copy_token))
        webhook_form.addRow(QLabel("POST to the URL with the token; the request body becomes the workflow's input.",  # type: ignore[call-overload]  # Qt property keyword
                                   self.webhook, objectName="muted", wordWrap=True))
        self.description = QPlainTextEdit(self, placeholderText="What this workflow does")
        self.description.setMaximumHeight(110)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Name", self.name)
        form.addRow("Trigger", self.trigger)
        form.addRow(self.schedule)
        form.addRow(self.webhook)
        self.triggers = WorkflowTriggersBox(self)
        form.addRow("Also runs", self.triggers)
        form.addRow("Description", self.description)
        self.name.textEdited.connect(lambda text: self._push({"name": text}))
        self.trigger.activated.connect(lambda _index: self._trigger_changed())
        self.schedule.changed.connect(self._schedule_changed)
        for signal in (self.schedule.mode.currentIndexChanged, self.schedule.cron.currentTextChanged,
                       self.schedule.every.valueChanged, self.schedule.unit.currentIndexChanged):
            signal.connect(self._schedule_changed)
        self.description.textChanged.connect(self._description_changed)
        self.triggers.edited.connect(lambda values: self._push({"triggers": values}))
        model.propertiesChanged.connect(self.show_model)
        model.modelReset.connect(self.show_model)
        self._showing = False
        self.show_model()

    def set_webhook(self, base_url: str | None, token: str | None) -> None:
        self.webhook_base, self.webhook_token = base_url, token
        self.webhook_url.setText(f"{base_url}{token}" if base_url and token else "")
        self.token.setText(token or "")

    def show_model(self) -> None:
        self._showing = True
        try:
            if self.name.text() != self.model.name:
                self.name.setText(self.model.name)
            self.trigger.setCurrentIndex(max(0, self.trigger.findData(self.model.trigger)))
            if self.schedule.timezone != self.model.timezone:
                self.schedule.set_context(self.model.timezone)
            if self.model.schedule and self.model.schedule != self.schedule.schedule():
                self.schedule.set_schedule(self.model.schedule)
            if self.description.toPlainText() != self.model.description:
                self.description.setPlainText(self.model.description)
            self.schedule.setVisible(self.model.trigger == "SCHEDULE")
            self.webhook.setVisible(self.model.trigger == "WEBHOOK")
            self.triggers.show_triggers(self.model.triggers)
        finally:
            self._showing = False

    def _push(self, values: dict[str, object]) -> None:
        if not self._showing:
            self.stack.push(SetPropertiesCommand(self.model, values))

    def _trigger_changed(self) -> None:
        trigger = self.trigger.currentData()
        values: dict[str, object] = {"trigger": trigger}
        if trigger == "SCHEDULE" and not self.model.schedule:
            values["schedule"] = self.schedule.schedule()
        self._push(values)

    def _schedule_changed(self) -> None:
        if self.model.trigger == "SCHEDULE" and self.schedule.schedule() != self.model.schedule:
            self._push({"schedule": self.schedule.schedule()})

    def _description_changed(self) -> None:
        if self.description.toPlainText() != self.model.description:
            self._push({"description": self.description.toPlainText()})


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        row.addWidget(widget, 1 if index == 0 else 0)
    return holder
