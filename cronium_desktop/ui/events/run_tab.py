"""The event editor's Run tab: where and how the event runs (location, servers, timeout, retries, policies).

Rows that belong to one run location sit in `location_rows`, shown only for that location, so a new
location's settings (e.g. a container's) are one more entry there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from cronium_desktop.engine.validation import MISFIRES, OVERLAPS, PRIORITIES, RUN_LOCATIONS
from cronium_desktop.ui.events.container_box import ContainerSettings
from cronium_desktop.ui.events.fields import TIME_UNITS, FieldForm, combo, set_combo
from cronium_desktop.ui.events.limits_box import LocalLimits

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class RunTab(QWidget):
    changed = Signal()  # where or how the event runs edited

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._kind = "BASH"
        self.form = form = FieldForm(self)
        self.run_location = combo(RUN_LOCATIONS, {"LOCAL": "This computer", "CONTAINER": "Container (Docker)",
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
        self.overlap = combo(OVERLAPS, {"SKIP": "Skip (log a skipped run)", "QUEUE": "Queue (run after it)",
                                        "ALLOW": "Allow (run in parallel)"})
        self.misfire = combo(MISFIRES, {"RUN_ONCE": "Run once to catch up", "SKIP": "Skip missed runs",
                                        "RUN_ALL": "Run each missed run (up to the cap on Triggers)"})
        self.priority = combo(PRIORITIES)
        set_combo(self.priority, "NORMAL")
        self.max_executions = QSpinBox(minimum=0, maximum=10**9, specialValueText="unlimited")  # type: ignore[call-arg]  # Qt property keyword
        self.reset_counter = QCheckBox("Reset the run counter when activated", checked=True)  # type: ignore[call-overload]  # Qt property keyword
        form.add("run_location", "Run on", self.run_location)
        form.add("servers", "Servers", self.servers)
        self.container = ContainerSettings(engine)
        self._loaded_container: dict[str, Any] | None = None
        form.add("container", "Container", self.container)
        self.limits = LocalLimits()  # optional memory and CPU limits of a local run
        form.add("limit_memory_mb", "Limits", self.limits)
        self.location_rows: dict[str, list[QWidget]] = {"REMOTE": [self.servers], "CONTAINER": [self.container],
                                                         "LOCAL": [self.limits]}
        form.add("timeout_seconds", "Timeout", timeout)
        form.add("retries", "Retries", self.retries)
        form.add("retry_backoff_seconds", "First retry after", self.backoff)
        form.add("overlap", "While a run is going", self.overlap)
        form.add("misfire", "Missed runs", self.misfire)
        form.add("priority", "Priority", self.priority)
        form.add("max_executions", "Pause after runs", self.max_executions)
        form.addRow("", self.reset_counter)
        self.run_location.currentIndexChanged.connect(self.show_location_rows)
        self.show_location_rows()
        self._report_changes()

    def _report_changes(self) -> None:
        self.servers.textChanged.connect(self.changed)
        for box in (self.run_location, self.overlap, self.misfire, self.priority, self.timeout_unit):
            box.currentIndexChanged.connect(self.changed)
        for spin in (self.timeout_value, self.retries, self.backoff, self.max_executions):
            spin.valueChanged.connect(self.changed)
        self.reset_counter.toggled.connect(self.changed)
        container = self.container
        for number in (container.memory, container.cpus, container.pids):
            number.valueChanged.connect(self.changed)
        container.network.currentIndexChanged.connect(self.changed)
        container.image.editTextChanged.connect(self.changed)

    def show_location_rows(self) -> None:
        location = self.run_location.currentData()
        for owner, widgets in self.location_rows.items():
            for widget in widgets:
                self.form.setRowVisible(widget, owner == location)
        if location == "CONTAINER":
            self.container.set_type(self._kind)
            self.container.refresh_images()

    def set_type(self, kind: str) -> None:
        """The event's type: the container's default image and the images listed follow it."""
        self._kind = kind
        if self.run_location.currentData() == "CONTAINER":
            self.container.set_type(kind)
            self.container.refresh_images()

    def load(self, event: dict[str, Any]) -> None:
        self._kind = event["type"]
        self._loaded_container = event["container"]
        self.container.load(self._loaded_container, self._kind)
        set_combo(self.run_location, event["run_location"])
        self.servers.setText(", ".join(event["servers"]))
        seconds = float(event["timeout_seconds"])
        unit = "hours" if seconds % 3600 == 0 else "minutes" if seconds % 60 == 0 else "seconds"
        self.timeout_unit.setCurrentText(unit)
        self.timeout_value.setValue(seconds / TIME_UNITS[unit])
        self.retries.setValue(int(event["retries"]))
        self.backoff.setValue(float(event["retry_backoff_seconds"]))
        set_combo(self.overlap, event["overlap"])
        set_combo(self.misfire, event["misfire"])
        set_combo(self.priority, event["priority"])
        self.max_executions.setValue(int(event["max_executions"]))
        self.reset_counter.setChecked(bool(event["reset_counter_on_activate"]))
        self.limits.load(event)
        self.show_location_rows()

    def fill(self, data: dict[str, Any]) -> None:
        data.update(
            run_location=self.run_location.currentData(),
            servers=[s.strip() for s in self.servers.text().split(",") if s.strip()],
            timeout_seconds=self.timeout_value.value() * TIME_UNITS[self.timeout_unit.currentText()],
            retries=self.retries.value(),
            retry_backoff_seconds=self.backoff.value(),
            overlap=self.overlap.currentData(),
            misfire=self.misfire.currentData(),
            priority=self.priority.currentData(),
            max_executions=self.max_executions.value(),
            reset_counter_on_activate=self.reset_counter.isChecked(),
            # Settings of another location are kept as they were, not replaced by the hidden form's.
            container=self.container.value() if self.run_location.currentData() == "CONTAINER"
            else self._loaded_container,
            **self.limits.value(),
        )
