"""The event editor: every field of SPEC §1 on six tabs, checked by the engine's own validators as
you type, with errors shown under the field they name, a modified marker in the title and a
"Discard changes?" question before unsaved edits are dropped."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.event_fields import new_event
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.editor import event_wiring
from cronium_desktop.ui.events.actions_tab import ActionsTab
from cronium_desktop.ui.events.env_tab import EnvTab
from cronium_desktop.ui.events.field_errors import FieldErrors
from cronium_desktop.ui.events.fields import (
    SCRIPT_TYPES,
    TIME_UNITS,
    TYPE_TITLES,
    EditorTab,
    FieldForm,
    user_message,
)
from cronium_desktop.ui.events.general_tab import GeneralTab
from cronium_desktop.ui.events.run_tab import RunTab
from cronium_desktop.ui.events.script_tab import ScriptTab, is_template, starter
from cronium_desktop.ui.events.webhook_row import WebhookRow
from cronium_desktop.ui.triggers.section import TriggersSection

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

__all__ = ["EventEditor", "TIME_UNITS", "TYPE_TITLES"]
GEOMETRY_KEY = "eventEditor/geometry"
NEW_EVENT_TYPE = "BASH"  # what the type box shows for a new event


def _scrolled(widget: QWidget) -> QScrollArea:
    """A form in a scroll area, so the dialog fits a small screen and scrolls instead of clipping."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class EventEditor(QDialog):
    """Create or edit one event; `saved_id` is set when the engine accepted it."""

    def __init__(self, engine: Engine, event: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.original = event or {}
        self.event_id: int | None = self.original.get("id")
        self.saved_id: int | None = None
        self._baseline = ""
        self._closing = False
        self._question: QMessageBox | None = None  # the open "Discard?" or "Replace the script?" box
        self.setWindowTitle((f"Edit {self.original['name']}" if self.event_id else "New event") + "[*]")
        self.setSizeGripEnabled(True)
        self._setup_tabs()
        self._setup_buttons()
        self._fit_to_screen()
        self._check_timer = QTimer(self, singleShot=True, interval=250)
        self._check_timer.timeout.connect(self.check)
        self.load(self.original)
        self._kind = self.type.currentData()
        self._connect_changes()
        self._baseline = self._snapshot()
        event_wiring.wire(self, self.engine, self.code, self.script.draft,
                          lambda: [row.name.text().strip() for row in self.environment.rows], self.environment.changed)
        self.draft = self.script.draft
        self.schedule.load_calendars(self.engine)

    # -- layout -------------------------------------------------------------------------------------------

    def _setup_tabs(self) -> None:
        self.general = GeneralTab()
        self.webhook = WebhookRow(self.engine, self.event_id)  # applies at once, not with Save
        self.general.form.addRow("Webhook", self.webhook)
        self.script = ScriptTab(self.engine)
        self.script.event_id = self.event_id
        self.run = RunTab(engine=self.engine)
        self.environment = EnvTab()
        self.conditional = ActionsTab()
        self.tabs = QTabWidget(self)
        self.tabs.addTab(_scrolled(self.general), "General")
        self.tabs.addTab(self.script, "Script")
        self.tabs.addTab(_scrolled(self.run), "Run")
        self.tabs.addTab(self.environment, "Environment")
        self.tabs.addTab(self.conditional, "Conditional actions")
        self.triggers = TriggersSection()
        self.tabs.addTab(_scrolled(self.triggers), "Triggers")
        # In tab order: each loads its fields from the event, fills its keys of the saved data, reports edits.
        self.parts: tuple[EditorTab, ...] = (self.general, self.script, self.run, self.environment, self.conditional,
                                             self.triggers)
        # the fields other code and tests reach by name
        self.name, self.type, self.trigger = self.general.name, self.general.type, self.general.trigger
        self.schedule, self.timezone, self.status = self.general.schedule, self.general.timezone, self.general.status
        self.code, self.retries, self.run_location = self.script.code, self.run.retries, self.run.run_location
        self.container = self.run.container
        self.forms: list[tuple[FieldForm, int]] = [(self.general.form, 0), (self.script.http_form, 1),
                                                    (self.script.tool_form, 1), (self.run.form, 2)]
        self.field_errors = FieldErrors(self.forms, self.code, self.script.code_error)

    def _setup_buttons(self) -> None:
        self.error = QLabel(self, wordWrap=True, objectName="error")  # type: ignore[call-overload]  # Qt property keyword
        self.save_button = QPushButton("Save", self, objectName="primary")  # type: ignore[call-overload]  # Qt property keyword
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel", self)
        cancel.setToolTip("Close without saving (Esc)")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        if self.event_id is not None:  # version history and alert rules belong to a saved event
            from cronium_desktop.ui.versions.editor_buttons import add_editor_buttons

            add_editor_buttons(self, buttons)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

    def _fit_to_screen(self) -> None:
        """The last size the user gave it, else 920×720; never larger than the screen it opens on."""
        self.setMinimumSize(560, 420)
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        geometry = QSettings().value(GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        width, height = (self.width(), self.height()) if geometry is not None else (920, 720)
        if parent is not None and geometry is None:  # fit the window it belongs to, as well as the screen
            width, height = min(width, parent.width() - 40), min(height, parent.height() - 40)
        self.resize(max(560, min(width, available.width() - 40)), max(420, min(height, available.height() - 60)))

    # -- data in and out --------------------------------------------------------------------------------

    def load(self, event: dict[str, Any]) -> None:
        """Show `event`; what it does not say shows as a new event has it (the engine's defaults)."""
        complete = {**new_event(), "name": "", "type": NEW_EVENT_TYPE, **event}
        for part in self.parts:
            part.load(complete)
        self._show_kind()
        self._show_watch_states()

    def data(self) -> dict[str, Any]:
        """The event as the engine's facade takes it. Raises ValidationError for unreadable JSON fields."""
        data: dict[str, Any] = {}
        for part in self.parts:
            part.fill(data)
        return data

    def _snapshot(self) -> str:
        try:
            return json.dumps(self.data(), sort_keys=True, default=str)
        except ValidationError:  # a JSON field half typed: compare its raw text
            return "raw:" + self.script.raw_json_text()

    @property
    def dirty(self) -> bool:
        return self._snapshot() != self._baseline

    # -- reacting to edits ----------------------------------------------------------------------------------

    def _connect_changes(self) -> None:
        """Every tab reports its own edits; the editor only ties the tabs that depend on each other."""
        for part in self.parts:
            part.changed.connect(self._changed)
        run = self.run
        run.misfire.currentIndexChanged.connect(lambda _i: self.triggers.set_misfire(run.misfire.currentData()))
        self.type.currentIndexChanged.connect(self._type_changed)

    def _show_watch_states(self) -> None:
        """Whether each saved watched folder is being watched, or paused and why (in the app that owns the folder)."""
        service = self.engine.triggers  # None while another process runs the schedules
        if service is not None and self.event_id is not None:
            self.triggers.show_states(service.watch_states("event", self.event_id))

    def _changed(self, *args: Any) -> None:
        self.setWindowModified(self.dirty)
        self._check_timer.start()

    def _show_kind(self) -> None:
        kind = self.type.currentData()
        self.script.set_kind(kind)
        self.run.set_type(kind)
        self.tabs.setTabText(1, {"HTTP_REQUEST": "Request", "TOOL_ACTION": "Tool action"}.get(kind, "Script"))

    def _type_changed(self) -> None:
        """Swap the starter script for the new language when the script is untouched; ask otherwise."""
        old, new = self._kind, self.type.currentData()
        self._kind = new
        self._show_kind()
        if new not in SCRIPT_TYPES or old == new:
            return
        if is_template(self.code.text()):
            self.code.set_text(starter(new))
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Replace the script?",
                          f"The script was written for {TYPE_TITLES.get(old, old)}. Replace it with a "
                          f"{TYPE_TITLES[new]} template?", QMessageBox.StandardButton.NoButton, self)
        replace = box.addButton("Replace", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep my script", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(replace)
        box.finished.connect(lambda _r: self.code.set_text(starter(new)) if box.clickedButton() is replace else None)
        self._question = box
        box.open()

    # -- errors at the field ------------------------------------------------------------------------------

    def show_error(self, error: ValidationError, reveal: bool = False) -> None:
        """The message, with the field's label, under the field and beside the buttons; on Save
        (`reveal`) the field's tab is brought forward and the field focused."""
        label, tab, widget = self.field_errors.locate(error.field)
        text = user_message(label, error.message)
        self.error.setText(text)
        self.field_errors.mark(error.field, text)
        if reveal:
            self.tabs.setCurrentIndex(tab)
            if widget is not None:
                widget.setFocus()

    def check(self, reveal: bool = False) -> bool:
        """Field rules, as the engine applies them."""
        try:
            self.engine.events.validate(self.data())
        except ValidationError as error:
            self.show_error(error, reveal)
            return False
        self.error.setText("")
        self.field_errors.mark(None)
        return True

    # -- saving and closing -----------------------------------------------------------------------------

    def save(self) -> None:
        if not self.check(reveal=True):
            return
        spawn(self._save(), self, "Saving the event")

    async def _save(self) -> None:
        data = self.data()
        try:
            if self.event_id is None:
                self.saved_id = await self.engine.events.create(data)
            else:
                await self.engine.events.update(self.event_id, data)
                self.saved_id = self.event_id
        except ValidationError as error:
            self.show_error(error, reveal=True)
            return
        self._baseline = self._snapshot()
        self.setWindowModified(False)
        event_wiring.say_problems_left(self.engine, data["name"], self.code)
        self.accept()

    def done(self, result: int) -> None:
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        super().done(result)

    def reject(self) -> None:
        """Escape, Cancel and the close button: unsaved edits are dropped only when the user says so."""
        if self._closing or not self.dirty:
            super().reject()
            return
        if self._question is not None and self._question.isVisible():
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Discard changes?",
                          "This event has changes that are not saved. Discard them?",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: self._discard_answered(result))
        self._question = box
        box.open()

    def _discard_answered(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Discard:
            self._closing = True
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing or not self.dirty:
            event.accept()
            super().closeEvent(event)
            return
        event.ignore()
        self.reject()

    def show_script_line(self, line: int) -> None:
        """Open on the script at `line` (1 = first), marked: where a traceback pointed."""
        self.tabs.setCurrentIndex(1)
        self.code.go_to_line(line, mark=True)

    @staticmethod
    def parse_local(text: str) -> datetime:
        return datetime.fromisoformat(text)
