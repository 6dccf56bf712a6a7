"""The event editor: every field of SPEC §1, checked by the engine's own validators as you type."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.validation import (
    ACTION_TRIGGERS,
    EVENT_TYPES,
    MISFIRES,
    OVERLAPS,
    PRIORITIES,
    RUN_LOCATIONS,
    STATUSES,
)
from cronium_desktop.ui import theme
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.editor import event_wiring
from cronium_desktop.ui.editor.code_editor import TEMPLATES, CodeEditor
from cronium_desktop.ui.editor.schedule_builder import ScheduleBuilder
from cronium_desktop.ui.events.container_box import ContainerSettings

TIME_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600}
TYPE_TITLES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js", "HTTP_REQUEST": "HTTP request",
               "TOOL_ACTION": "Tool action"}


def _combo(values: tuple[str, ...], titles: dict[str, str] | None = None) -> QComboBox:
    combo = QComboBox()
    for value in values:
        combo.addItem((titles or {}).get(value, value.replace("_", " ").title()), value)
    return combo


def _set_combo(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class EventEditor(QDialog):
    """Create or edit one event; `saved_id` is set when the engine accepted it."""

    def __init__(self, engine: Any, event: dict[str, Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.original = event or {}
        self.event_id: int | None = self.original.get("id")
        self.saved_id: int | None = None
        self.setWindowTitle(f"Edit {self.original['name']}" if self.event_id else "New event")
        self.resize(920, 720)
        self._fields: dict[str, QWidget] = {}

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._general_tab(), "General")
        self.tabs.addTab(self._content_tab(), "Script")
        self.tabs.addTab(self._run_tab(), "Run")
        self.tabs.addTab(self._env_tab(), "Environment")
        self.tabs.addTab(self._actions_tab(), "Conditional actions")

        self.error = QLabel(self, wordWrap=True)
        self.error.setObjectName("error")
        save = QPushButton("Save", self, objectName="primary")
        save.setDefault(True)
        save.clicked.connect(self.save)
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        self._check_timer = QTimer(self, singleShot=True, interval=250)
        self._check_timer.timeout.connect(self.check)
        self.load(self.original)
        self._connect_changes()
        event_wiring.wire(self, self.engine, self.code, self.draft, self.env)

    # -- tabs -------------------------------------------------------------------------------------------

    def _general_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.name = QLineEdit(placeholderText="e.g. Nightly backup")
        self.type = _combo(EVENT_TYPES, TYPE_TITLES)
        self.description = QLineEdit(placeholderText="What this event is for")
        self.tags = QLineEdit(placeholderText="comma-separated, e.g. backup, nightly")
        self.status = _combo(STATUSES)
        self.trigger = _combo(("MANUAL", "SCHEDULE"), {"MANUAL": "Manual (Run now)", "SCHEDULE": "On a schedule"})
        self.schedule = ScheduleBuilder()
        self.timezone = QComboBox(editable=True)
        from zoneinfo import available_timezones

        self.timezone.addItem("This computer's zone", None)
        for name in sorted(available_timezones()):
            self.timezone.addItem(name, name)
        self.start_time = self._optional_time()
        self.end_time = self._optional_time()
        form.addRow("Name", self.name)
        form.addRow("Type", self.type)
        form.addRow("Description", self.description)
        form.addRow("Tags", self.tags)
        form.addRow("Status", self.status)
        form.addRow("Trigger", self.trigger)
        form.addRow("Schedule", self.schedule)
        form.addRow("Timezone", self.timezone)
        form.addRow("Not before", self.start_time)
        form.addRow("Not after", self.end_time)
        self._fields.update(name=self.name, type=self.type, description=self.description, tags=self.tags,
                            status=self.status, trigger=self.trigger, schedule=self.schedule.cron,
                            timezone=self.timezone, start_time=self.start_time, end_time=self.end_time)
        return page

    def _optional_time(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        box.enabled = QCheckBox("set", box)  # type: ignore[attr-defined]
        box.edit = QDateTimeEdit(QDateTime.currentDateTime(), box, calendarPopup=True)  # type: ignore[attr-defined]
        box.edit.setDisplayFormat("yyyy-MM-dd HH:mm")  # type: ignore[attr-defined]
        box.edit.setEnabled(False)  # type: ignore[attr-defined]
        box.enabled.toggled.connect(box.edit.setEnabled)  # type: ignore[attr-defined]
        row.addWidget(box.enabled)  # type: ignore[attr-defined]
        row.addWidget(box.edit, 1)  # type: ignore[attr-defined]
        return box

    def _content_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.templates = QPushButton("Insert a template…")
        self.templates.clicked.connect(self._show_templates)
        top = QHBoxLayout()
        self.content_hint = QLabel()
        self.content_hint.setObjectName("muted")
        top.addWidget(self.content_hint, 1)
        top.addWidget(self.templates)
        self.code = CodeEditor(theme=theme.current(), settings=self.engine.settings)
        self.draft = event_wiring.draft_pane(self.engine, lambda: (self.event_id, self.code.text(), self.type.currentData()))
        self.http_method = _combo(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
        self.http_url = QLineEdit(placeholderText="https://example.com/api")
        self.http_headers = QPlainTextEdit(placeholderText='{"Authorization": "Bearer …"}')
        self.http_body = QPlainTextEdit(placeholderText="Request body (text or JSON)")
        self.http_expected = QLineEdit(placeholderText="e.g. 200, 201 (empty: any 2xx)")
        self.http_box = QWidget()
        http_form = QFormLayout(self.http_box)
        http_form.addRow("Method", self.http_method)
        http_form.addRow("URL", self.http_url)
        http_form.addRow("Headers (JSON)", self.http_headers)
        http_form.addRow("Body", self.http_body)
        http_form.addRow("Expected status", self.http_expected)
        self.tool_name = QComboBox(editable=True)
        self.tool_action = QLineEdit("send_message")
        self.tool_params = QPlainTextEdit(placeholderText='{"subject": "…", "body": "…"}')
        self.tool_box = QWidget()
        tool_form = QFormLayout(self.tool_box)
        tool_form.addRow("Tool credential", self.tool_name)
        tool_form.addRow("Action", self.tool_action)
        tool_form.addRow("Parameters (JSON)", self.tool_params)
        layout.addLayout(top)
        layout.addWidget(event_wiring.script_area(self.code, self.draft), 1)
        layout.addWidget(self.http_box, 1)
        layout.addWidget(self.tool_box, 1)
        self._fields.update(content=self.code, http=self.http_url, tool_action=self.tool_params)
        self._fields["http.url"] = self.http_url
        self._fields["http.headers"] = self.http_headers
        self._fields["http.expected_status"] = self.http_expected
        return page

    def _run_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.run_location = _combo(RUN_LOCATIONS, {"LOCAL": "This computer", "CONTAINER": "Container (Docker)",
                                                   "REMOTE": "Remote servers (SSH)"})
        self.servers = QLineEdit(placeholderText="server names, comma-separated")
        self.timeout_value = QDoubleSpinBox(minimum=0.1, maximum=604800, decimals=1, value=1)
        self.timeout_unit = QComboBox()
        self.timeout_unit.addItems(list(TIME_UNITS))
        self.timeout_unit.setCurrentText("hours")
        timeout = QWidget()
        timeout_row = QHBoxLayout(timeout)
        timeout_row.setContentsMargins(0, 0, 0, 0)
        timeout_row.addWidget(self.timeout_value)
        timeout_row.addWidget(self.timeout_unit)
        timeout_row.addStretch(1)
        self.retries = QSpinBox(minimum=0, maximum=99)
        self.backoff = QDoubleSpinBox(minimum=0, maximum=3600, value=5, suffix=" s")
        self.overlap = _combo(OVERLAPS, {"SKIP": "Skip (log a skipped run)", "QUEUE": "Queue (run after it)",
                                         "ALLOW": "Allow (run in parallel)"})
        self.misfire = _combo(MISFIRES, {"RUN_ONCE": "Run once to catch up", "SKIP": "Skip missed runs"})
        self.priority = _combo(PRIORITIES)
        _set_combo(self.priority, "NORMAL")
        self.max_executions = QSpinBox(minimum=0, maximum=10**9, specialValueText="unlimited")
        self.reset_counter = QCheckBox("Reset the run counter when activated", checked=True)
        form.addRow("Run on", self.run_location)
        form.addRow("Servers", self.servers)
        self.container = ContainerSettings(self.engine)
        self._loaded_container: dict[str, Any] | None = None
        form.addRow(self.container)
        self.run_location.currentIndexChanged.connect(self._location_changed)
        self.type.currentIndexChanged.connect(self._location_changed)
        for box in (self.container.memory, self.container.cpus, self.container.pids):
            box.valueChanged.connect(self._schedule_check)
        self.container.network.currentIndexChanged.connect(self._schedule_check)
        self.container.image.editTextChanged.connect(self._schedule_check)
        form.addRow("Timeout", timeout)
        form.addRow("Retries", self.retries)
        form.addRow("First retry after", self.backoff)
        form.addRow("While a run is going", self.overlap)
        form.addRow("Missed runs", self.misfire)
        form.addRow("Priority", self.priority)
        form.addRow("Pause after runs", self.max_executions)
        form.addRow("", self.reset_counter)
        self._fields.update(run_location=self.run_location, servers=self.servers, timeout_seconds=self.timeout_value,
                            retries=self.retries, retry_backoff_seconds=self.backoff, overlap=self.overlap,
                            misfire=self.misfire, priority=self.priority, max_executions=self.max_executions,
                            container=self.container)
        self.container.hide()
        return page

    def _location_changed(self) -> None:
        in_container = self.run_location.currentData() == "CONTAINER"
        self.container.setVisible(in_container)
        if in_container:
            self.container.set_type(self.type.currentData())
            self.container.refresh_images()

    def _env_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.env = QTableWidget(0, 3)
        self.env.setHorizontalHeaderLabels(["Name", "Value", "Secret"])
        self.env.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        add = QPushButton("Add variable")
        add.clicked.connect(lambda: self._add_env("", "", False))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.env.removeRow(self.env.currentRow()))
        hint = QLabel("Secret values are stored encrypted, masked as •••••• in logs and never shown again; "
                      "leave a secret empty to keep its stored value.", wordWrap=True)
        hint.setObjectName("muted")
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addWidget(hint)
        layout.addWidget(self.env, 1)
        layout.addLayout(row)
        self._fields["env"] = self.env
        self._fields["secret_env"] = self.env
        return page

    def _add_env(self, name: str, value: str, secret: bool) -> None:
        row = self.env.rowCount()
        self.env.insertRow(row)
        self.env.setItem(row, 0, QTableWidgetItem(name))
        value_item = QTableWidgetItem("" if secret else value)
        if secret:
            value_item.setToolTip("Stored encrypted; type a new value to replace it.")
        self.env.setItem(row, 1, value_item)
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if secret else Qt.CheckState.Unchecked)
        self.env.setItem(row, 2, check)

    def _actions_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.actions = QTableWidget(0, 5)
        self.actions.setHorizontalHeaderLabels(["When", "Action", "Event, tool or variable", "Subject", "Body or value"])
        self.actions.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((140, 140, 170, 200)):  # room for the choices and the header titles
            self.actions.setColumnWidth(column, width)
        add = QPushButton("Add action")
        add.clicked.connect(lambda: self._add_action({"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": ""}))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.actions.removeRow(self.actions.currentRow()))
        hint = QLabel("RUN_EVENT starts another event with this run's output as input. SEND_MESSAGE sends the subject "
                      "and body (Jinja2 templates with event, execution, output and variables) through a tool. "
                      "SET_VARIABLE sets the named variable to the value template.",
                      wordWrap=True)
        hint.setObjectName("muted")
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addWidget(hint)
        layout.addWidget(self.actions, 1)
        layout.addLayout(row)
        self._fields["conditional_actions"] = self.actions
        return page

    def _add_action(self, action: dict[str, Any]) -> None:
        row = self.actions.rowCount()
        self.actions.insertRow(row)
        on = _combo(ACTION_TRIGGERS)
        _set_combo(on, action.get("on"))
        kind = _combo(("RUN_EVENT", "SEND_MESSAGE", "SET_VARIABLE"))
        _set_combo(kind, action.get("action"))
        self.actions.setCellWidget(row, 0, on)
        self.actions.setCellWidget(row, 1, kind)
        target = {"RUN_EVENT": action.get("event"), "SET_VARIABLE": action.get("key")}.get(
            action.get("action", ""), action.get("tool"))
        self.actions.setItem(row, 2, QTableWidgetItem(target or ""))
        self.actions.setItem(row, 3, QTableWidgetItem(action.get("subject", "")))
        self.actions.setItem(row, 4, QTableWidgetItem(action.get("value", action.get("body", ""))))
        on.currentIndexChanged.connect(self._schedule_check)
        kind.currentIndexChanged.connect(self._schedule_check)

    # -- data in and out --------------------------------------------------------------------------------

    def load(self, event: dict[str, Any]) -> None:
        self.name.setText(event.get("name", ""))
        _set_combo(self.type, event.get("type", "BASH"))
        self.description.setText(event.get("description", ""))
        self.tags.setText(", ".join(event.get("tags", [])))
        _set_combo(self.status, event.get("status", "DRAFT"))
        _set_combo(self.trigger, event.get("trigger", "MANUAL"))
        self.schedule.set_schedule(event.get("schedule"))
        if event.get("timezone"):
            self.timezone.setCurrentText(event["timezone"])
        for box, key in ((self.start_time, "start_time"), (self.end_time, "end_time")):
            if event.get(key):
                box.enabled.setChecked(True)  # type: ignore[attr-defined]
                box.edit.setDateTime(QDateTime.fromString(event[key][:19], Qt.DateFormat.ISODate))  # type: ignore[attr-defined]
        language = event.get("type", "BASH")
        self.code.set_language(language)
        self.code.set_text(event.get("content") or TEMPLATES.get(language, {}).get("Hello", ""))
        http = event.get("http") or {}
        _set_combo(self.http_method, http.get("method", "GET"))
        self.http_url.setText(http.get("url", ""))
        self.http_headers.setPlainText(json.dumps(http["headers"], indent=2) if http.get("headers") else "")
        body = http.get("body")
        self.http_body.setPlainText(json.dumps(body, indent=2) if isinstance(body, dict | list) else (body or ""))
        self.http_expected.setText(", ".join(str(c) for c in http.get("expected_status") or []))
        tool = event.get("tool_action") or {}
        self.tool_name.setCurrentText(tool.get("tool", ""))
        self.tool_action.setText(tool.get("action", "send_message"))
        self.tool_params.setPlainText(json.dumps(tool.get("params", {}), indent=2) if tool else "")
        _set_combo(self.run_location, event.get("run_location", "LOCAL"))
        self.servers.setText(", ".join(event.get("servers", [])))
        self._loaded_container = event.get("container")
        self.container.load(self._loaded_container, event.get("type", "BASH"))
        seconds = float(event.get("timeout_seconds", 3600))
        unit = "hours" if seconds % 3600 == 0 else "minutes" if seconds % 60 == 0 else "seconds"
        self.timeout_unit.setCurrentText(unit)
        self.timeout_value.setValue(seconds / TIME_UNITS[unit])
        self.retries.setValue(int(event.get("retries", 0)))
        self.backoff.setValue(float(event.get("retry_backoff_seconds", 5)))
        _set_combo(self.overlap, event.get("overlap", "SKIP"))
        _set_combo(self.misfire, event.get("misfire", "RUN_ONCE"))
        _set_combo(self.priority, event.get("priority", "NORMAL"))
        self.max_executions.setValue(int(event.get("max_executions", 0)))
        self.reset_counter.setChecked(bool(event.get("reset_counter_on_activate", True)))
        secret = set(event.get("secret_env", []))
        for name, value in (event.get("env") or {}).items():
            self._add_env(name, value, name in secret)
        for action in event.get("conditional_actions", []):
            self._add_action(action)
        self._type_changed()

    def _time(self, box: QWidget) -> str | None:
        if not box.enabled.isChecked():  # type: ignore[attr-defined]
            return None
        return box.edit.dateTime().toPython().isoformat()  # type: ignore[attr-defined]

    def data(self) -> dict[str, Any]:
        """The event as the engine's facade takes it. Raises ValidationError for unreadable JSON fields."""
        kind = self.type.currentData()
        data: dict[str, Any] = {
            "name": self.name.text(),
            "type": kind,
            "description": self.description.text(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
            "status": self.status.currentData(),
            "trigger": self.trigger.currentData(),
            "schedule": self.schedule.schedule() if self.trigger.currentData() == "SCHEDULE" else None,
            "timezone": self.timezone.currentData() if self.timezone.currentIndex() > 0 else (self.timezone.currentText() or None),
            "start_time": self._time(self.start_time),
            "end_time": self._time(self.end_time),
            "content": self.code.text() if kind in ("BASH", "PYTHON", "NODEJS") else "",
            "run_location": self.run_location.currentData(),
            "servers": [s.strip() for s in self.servers.text().split(",") if s.strip()],
            "timeout_seconds": self.timeout_value.value() * TIME_UNITS[self.timeout_unit.currentText()],
            "retries": self.retries.value(),
            "retry_backoff_seconds": self.backoff.value(),
            "overlap": self.overlap.currentData(),
            "misfire": self.misfire.currentData(),
            "priority": self.priority.currentData(),
            "max_executions": self.max_executions.value(),
            "reset_counter_on_activate": self.reset_counter.isChecked(),
            # Settings of another location are kept as they were, not replaced by the hidden form's.
            "container": self.container.value() if self.run_location.currentData() == "CONTAINER"
            else self._loaded_container,
        }
        if data["timezone"] == "This computer's zone":
            data["timezone"] = None
        env: dict[str, str] = {}
        secret_env: list[str] = []
        for row in range(self.env.rowCount()):
            name = (self.env.item(row, 0) or QTableWidgetItem()).text().strip()
            if not name:
                continue
            env[name] = (self.env.item(row, 1) or QTableWidgetItem()).text()
            if (self.env.item(row, 2) or QTableWidgetItem()).checkState() == Qt.CheckState.Checked:
                secret_env.append(name)
        data["env"], data["secret_env"] = env, secret_env
        actions = []
        for row in range(self.actions.rowCount()):
            on, kind_box = self.actions.cellWidget(row, 0), self.actions.cellWidget(row, 1)
            assert isinstance(on, QComboBox) and isinstance(kind_box, QComboBox)
            target = (self.actions.item(row, 2) or QTableWidgetItem()).text().strip()
            if kind_box.currentData() == "RUN_EVENT":
                actions.append({"on": on.currentData(), "action": "RUN_EVENT", "event": target})
            elif kind_box.currentData() == "SET_VARIABLE":
                actions.append({"on": on.currentData(), "action": "SET_VARIABLE", "key": target,
                                "value": (self.actions.item(row, 4) or QTableWidgetItem()).text()})
            else:
                actions.append({"on": on.currentData(), "action": "SEND_MESSAGE", "tool": target,
                                "subject": (self.actions.item(row, 3) or QTableWidgetItem()).text(),
                                "body": (self.actions.item(row, 4) or QTableWidgetItem()).text()})
        data["conditional_actions"] = actions
        if kind == "HTTP_REQUEST":
            data["http"] = {
                "method": self.http_method.currentData(),
                "url": self.http_url.text().strip(),
                "headers": self._json(self.http_headers.toPlainText(), "http.headers", {}),
                "body": self._body(),
                "expected_status": self._codes(),
            }
        if kind == "TOOL_ACTION":
            data["tool_action"] = {"tool": self.tool_name.currentText().strip(), "action": self.tool_action.text().strip(),
                                   "params": self._json(self.tool_params.toPlainText(), "tool_action.params", {})}
        return data

    @staticmethod
    def _json(text: str, field: str, empty: Any) -> Any:
        if not text.strip():
            return empty
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError(field, f"is not valid JSON ({error}).") from error

    def _body(self) -> Any:
        text = self.http_body.toPlainText()
        if not text.strip():
            return None
        try:
            value = json.loads(text)
            return value if isinstance(value, dict | list) else text
        except ValueError:
            return text

    def _codes(self) -> list[int] | None:
        parts = [p.strip() for p in self.http_expected.text().split(",") if p.strip()]
        if not parts:
            return None
        if not all(p.isdigit() for p in parts):
            raise ValidationError("http.expected_status", "must be status codes separated by commas, e.g. 200, 204.")
        return [int(p) for p in parts]

    # -- checking and saving ------------------------------------------------------------------------------

    def _connect_changes(self) -> None:
        for widget in (self.name, self.description, self.tags, self.servers, self.http_url, self.http_expected,
                       self.tool_action):
            widget.textChanged.connect(self._schedule_check)
        for combo in (self.type, self.status, self.trigger, self.timezone, self.run_location, self.overlap,
                      self.misfire, self.priority, self.http_method, self.timeout_unit):
            combo.currentIndexChanged.connect(self._schedule_check)
        for spin in (self.timeout_value, self.retries, self.backoff, self.max_executions):
            spin.valueChanged.connect(self._schedule_check)
        self.schedule.changed.connect(self._schedule_check)
        self.code.textChanged.connect(self._schedule_check)
        self.env.itemChanged.connect(self._schedule_check)
        self.type.currentIndexChanged.connect(self._type_changed)
        self.trigger.currentIndexChanged.connect(self._type_changed)
        self.timezone.currentIndexChanged.connect(self._timezone_changed)

    def _timezone_changed(self) -> None:
        zone_name = self.timezone.currentData() if self.timezone.currentIndex() > 0 else None
        try:
            self.schedule.set_context(zone_name)
        except ValidationError:
            pass

    def _type_changed(self) -> None:
        kind = self.type.currentData()
        script = kind in ("BASH", "PYTHON", "NODEJS")
        self.code.setVisible(script)
        self.draft.setVisible(script)
        self.templates.setVisible(script)
        self.http_box.setVisible(kind == "HTTP_REQUEST")
        self.tool_box.setVisible(kind == "TOOL_ACTION")
        self.tabs.setTabText(1, {"HTTP_REQUEST": "Request", "TOOL_ACTION": "Tool action"}.get(kind, "Script"))
        self.content_hint.setText({
            "BASH": "Bash script: `source cronium.sh` for cronium_input, cronium_output, cronium_setVariable…",
            "PYTHON": "Python script: `import cronium` for input(), output(), getVariable(), setCondition()…",
            "NODEJS": 'Node.js script: `const cronium = require("cronium")` (every helper is async).',
        }.get(kind, ""))
        if script:
            self.code.set_language(kind)
        self.schedule.setEnabled(self.trigger.currentData() == "SCHEDULE")

    def _show_templates(self) -> None:
        menu = QMenu(self)
        for title, text in TEMPLATES.get(self.type.currentData(), {}).items():
            menu.addAction(title, lambda text=text: self.code.set_text(text))
        menu.exec(self.templates.mapToGlobal(self.templates.rect().bottomLeft()))

    def _schedule_check(self, *args: Any) -> None:
        self._check_timer.start()

    def _mark(self, field: str | None) -> None:
        for name, widget in self._fields.items():
            widget.setProperty("invalid", field is not None and (field == name or field.startswith(name + ".")))
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def show_error(self, error: ValidationError) -> None:
        self.error.setText(f"{error.field}: {error.message}")
        self._mark(error.field)

    def check(self) -> bool:
        """Field rules, as the engine applies them; the message appears under the form."""
        try:
            self.engine.events.validate(self.data())
        except ValidationError as error:
            self.show_error(error)
            return False
        self.error.setText("")
        self._mark(None)
        return True

    def save(self) -> None:
        if not self.check():
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
            self.show_error(error)
            return
        event_wiring.say_problems_left(self.engine, data["name"], self.code)
        self.accept()

    def show_script_line(self, line: int) -> None:
        """Open on the script at `line` (1 = first), marked: where a traceback pointed."""
        self.tabs.setCurrentIndex(1)
        self.code.go_to_line(line, mark=True)

    @staticmethod
    def parse_local(text: str) -> datetime:
        return datetime.fromisoformat(text)
