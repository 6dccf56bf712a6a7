"""Edit an event's or a workflow's triggers beyond schedules, and see each of them in words.

Folders watched for changes (with patterns, subfolders, the quiet time before a run, which kinds of
change count, and whether the folder is being watched or paused and why), the login trigger, the
conditions and the catch-up cap. `load()`/`fill()` speak the facade's keys (engine/triggers/spec.py).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.triggers.spec import DEFAULT_MISFIRE_CAP, FILE_KINDS, normalize_triggers
from cronium_desktop.engine.triggers.watch import WatchState
from cronium_desktop.engine.triggers.words import describe_catch_up, describe_triggers

COLUMNS = ("Folder", "Patterns", "Subfolders", "Quiet time (s)", "Changes", "Status")
FOLDER, PATTERNS, SUBFOLDERS, DEBOUNCE, KINDS, STATUS = range(len(COLUMNS))


def _row(*widgets: QWidget, stretch: bool = True) -> QWidget:
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        row.addWidget(widget)
    if stretch:
        row.addStretch(1)
    return holder


class ConditionsBox(QGroupBox):
    """The conditions a fire waits for (or is skipped without)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Conditions (scheduled, file and login runs)", parent)
        self.ac_power = QCheckBox("Only on AC power")
        self.network = QComboBox()
        for value, title in (("", "Whatever the network"), ("up", "Only when the network is up"),
                             ("host", "Only when this host answers:")):
            self.network.addItem(title, value)
        self.host = QLineEdit(placeholderText="host:port, e.g. nas.local:445")
        self.idle = QCheckBox("Only after the user has been idle")
        self.idle_minutes = QSpinBox(minimum=1, maximum=1440, value=10, suffix=" min")
        self.quiet = QCheckBox("Not between")
        self.quiet_from = QTimeEdit(QTime(22, 0), displayFormat="HH:mm")  # type: ignore[call-overload]  # Qt property keyword
        self.quiet_to = QTimeEdit(QTime(6, 0), displayFormat="HH:mm")  # type: ignore[call-overload]  # Qt property keyword
        self.when_unmet = QComboBox()
        self.when_unmet.addItem("Wait for them, up to", "WAIT")
        self.when_unmet.addItem("Skip the run", "SKIP")
        self.wait_minutes = QSpinBox(minimum=1, maximum=7 * 1440, value=60, suffix=" min")
        form = QFormLayout(self)
        form.addRow(self.ac_power)
        form.addRow(_row(self.network, self.host, stretch=False))
        form.addRow(_row(self.idle, self.idle_minutes))
        form.addRow(_row(self.quiet, self.quiet_from, QLabel("and"), self.quiet_to))
        form.addRow("If they do not hold", _row(self.when_unmet, self.wait_minutes))
        for box in (self.ac_power, self.idle, self.quiet):
            box.toggled.connect(self._changed)
        for combo in (self.network, self.when_unmet):
            combo.currentIndexChanged.connect(self._changed)
        for spin in (self.idle_minutes, self.wait_minutes):
            spin.valueChanged.connect(self._changed)
        self.host.textChanged.connect(self._changed)
        self.quiet_from.timeChanged.connect(self._changed)
        self.quiet_to.timeChanged.connect(self._changed)
        self._enable()

    def _changed(self, *args: Any) -> None:
        self._enable()
        self.changed.emit()

    def _enable(self) -> None:
        self.host.setVisible(self.network.currentData() == "host")
        self.idle_minutes.setEnabled(self.idle.isChecked())
        self.quiet_from.setEnabled(self.quiet.isChecked())
        self.quiet_to.setEnabled(self.quiet.isChecked())
        self.wait_minutes.setVisible(self.when_unmet.currentData() == "WAIT")

    def load(self, conditions: dict[str, Any] | None) -> None:
        conditions = conditions or {}
        self.ac_power.setChecked(bool(conditions.get("ac_power")))
        network = conditions.get("network")
        self.network.setCurrentIndex(0 if not network else 1 if network == "up" else 2)
        self.host.setText(network if network and network != "up" else "")
        self.idle.setChecked(bool(conditions.get("idle_minutes")))
        self.idle_minutes.setValue(int(conditions.get("idle_minutes") or 10))
        between = conditions.get("not_between")
        self.quiet.setChecked(bool(between))
        if between:
            self.quiet_from.setTime(QTime.fromString(between[0], "HH:mm"))
            self.quiet_to.setTime(QTime.fromString(between[1], "HH:mm"))
        self.when_unmet.setCurrentIndex(1 if conditions.get("when_unmet") == "SKIP" else 0)
        self.wait_minutes.setValue(int(conditions.get("wait_minutes") or 60))
        self._enable()

    def value(self) -> dict[str, Any] | None:
        network = {"": None, "up": "up"}.get(self.network.currentData(), self.host.text().strip())
        conditions = {
            "ac_power": self.ac_power.isChecked(), "network": network,
            "idle_minutes": self.idle_minutes.value() if self.idle.isChecked() else None,
            "not_between": [self.quiet_from.time().toString("HH:mm"), self.quiet_to.time().toString("HH:mm")]
            if self.quiet.isChecked() else None,
            "when_unmet": self.when_unmet.currentData(), "wait_minutes": self.wait_minutes.value(),
        }
        if not (conditions["ac_power"] or network is not None or conditions["idle_minutes"] or conditions["not_between"]):
            return None
        return conditions


class TriggersSection(QWidget):
    """The Triggers tab of the event editor, and the body of the workflow's Triggers dialog."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.misfire: str | None = None  # the Run tab's choice, for the words
        self.words = QLabel(wordWrap=True, objectName="triggerWords")  # type: ignore[call-overload]  # Qt property keyword
        self.words.setTextFormat(Qt.TextFormat.RichText)
        self.folders = QTableWidget(0, len(COLUMNS))
        self.folders.setHorizontalHeaderLabels(list(COLUMNS))
        self.folders.horizontalHeader().setSectionResizeMode(FOLDER, QHeaderView.ResizeMode.Stretch)
        for column, width in ((PATTERNS, 120), (SUBFOLDERS, 90), (DEBOUNCE, 120), (KINDS, 240), (STATUS, 110)):
            self.folders.setColumnWidth(column, width)
        self.folders.verticalHeader().hide()
        self.folders.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the folder's own name stays visible
        self.folders.setMinimumHeight(110)
        self.folders.setMaximumHeight(190)
        # Why a folder is paused, in full (the Status column has room for a word).
        self.paused = QLabel(wordWrap=True, objectName="error")  # type: ignore[call-overload]  # Qt property keyword
        self.paused.hide()
        self.folders.itemChanged.connect(self._changed)
        add = QPushButton("Add folder…")
        add.clicked.connect(self._choose_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        self.login = QCheckBox("Run when Cronium Desktop starts at login (turn on “Start at login” in Settings)")
        self.login.toggled.connect(self._changed)
        self.conditions = ConditionsBox()
        self.conditions.changed.connect(self._changed)
        self.misfire_cap = QSpinBox(minimum=1, maximum=100, value=DEFAULT_MISFIRE_CAP, suffix=" runs")
        self.misfire_cap.setToolTip("With “Run each missed run”: at most this many catch-up runs after sleep "
                                    "or while the app was closed.")
        self.misfire_cap.valueChanged.connect(self._changed)
        files_box = QGroupBox("When files change")
        files_layout = QVBoxLayout(files_box)
        files_layout.addWidget(QLabel("A burst of changes is one run once the folder has been quiet for the quiet "  # type: ignore[call-overload]  # Qt property keyword
                                      "time; the run's input lists each changed path and how it changed.",
                                      wordWrap=True, objectName="muted"))
        files_layout.addWidget(self.folders, 1)
        files_layout.addWidget(self.paused)
        files_layout.addWidget(_row(add, remove))
        summary = QGroupBox("In words")
        QVBoxLayout(summary).addWidget(self.words)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(files_box, 1)
        layout.addWidget(self.login)
        layout.addWidget(self.conditions)
        layout.addWidget(_row(QLabel("Catch-up runs after sleep, at most"), self.misfire_cap))
        self._loading = False
        self.show_words()

    # -- folders --------------------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to watch")
        if folder:
            self.add_folder({"folder": folder})

    def add_folder(self, spec: dict[str, Any]) -> None:
        self._loading, was_loading = True, self._loading
        row = self.folders.rowCount()
        self.folders.insertRow(row)
        self.folders.setItem(row, FOLDER, QTableWidgetItem(spec["folder"]))
        self.folders.setItem(row, PATTERNS, QTableWidgetItem(", ".join(spec.get("patterns", ["*"]))))
        recursive = QTableWidgetItem("")
        recursive.setFlags(recursive.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        recursive.setCheckState(Qt.CheckState.Checked if spec.get("recursive", True) else Qt.CheckState.Unchecked)
        self.folders.setItem(row, SUBFOLDERS, recursive)
        self.folders.setItem(row, DEBOUNCE, QTableWidgetItem(f"{spec.get('debounce_seconds', 2):g}"))
        self.folders.setItem(row, KINDS, QTableWidgetItem(", ".join(spec.get("kinds", FILE_KINDS))))
        status = QTableWidgetItem("Not saved")
        status.setFlags(status.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.folders.setItem(row, STATUS, status)
        self._loading = was_loading
        self._changed()

    def _remove(self) -> None:
        if self.folders.currentRow() >= 0:
            self.folders.removeRow(self.folders.currentRow())
            self._changed()

    def show_states(self, states: list[WatchState]) -> None:
        """Whether each saved folder is being watched, or paused and why."""
        by_index = {state.key[2]: state for state in states}  # type: ignore[index]
        reasons = []
        for row in range(self.folders.rowCount()):
            state = by_index.get(row)
            text = "Inactive" if state is None else "Watching" if state.watching else "⚠ Paused"
            tip = ("Watched only while it is active, in the app that runs the schedules" if state is None
                   else state.reason or "Watching for changes")
            if state is not None and not state.watching:
                reasons.append(f"Paused: {state.reason}.")
            item = self.folders.item(row, STATUS)
            if item is not None:
                item.setText(text)
                item.setToolTip(tip)
        self.paused.setText("\n".join(reasons))
        self.paused.setVisible(bool(reasons))

    def _folder_specs(self) -> list[dict[str, Any]]:
        specs = []
        for row in range(self.folders.rowCount()):
            def text(column: int, row: int = row) -> str:
                item = self.folders.item(row, column)
                return item.text().strip() if item is not None else ""
            debounce_text = text(DEBOUNCE)
            try:
                debounce: Any = float(debounce_text)
            except ValueError:
                debounce = debounce_text  # the engine names it
            subfolders = self.folders.item(row, SUBFOLDERS)
            specs.append({
                "folder": text(FOLDER),
                "patterns": [p.strip() for p in text(PATTERNS).split(",") if p.strip()] or ["*"],
                "recursive": subfolders is not None and subfolders.checkState() == Qt.CheckState.Checked,
                "debounce_seconds": debounce,
                "kinds": [k.strip().lower() for k in text(KINDS).split(",") if k.strip()],
            })
        return specs

    # -- data in and out --------------------------------------------------------------------------------

    def load(self, data: dict[str, Any]) -> None:
        self._loading = True
        try:
            self.folders.setRowCount(0)
            for spec in data.get("file_triggers") or []:
                self.add_folder(spec)
            self.login.setChecked(bool(data.get("run_at_login")))
            self.conditions.load(data.get("conditions"))
            self.misfire_cap.setValue(int(data.get("misfire_cap") or DEFAULT_MISFIRE_CAP))
            self.misfire = data.get("misfire", self.misfire)
        finally:
            self._loading = False
        self.show_words()

    def fill(self, data: dict[str, Any]) -> None:
        data.update(file_triggers=self._folder_specs(), run_at_login=self.login.isChecked(),
                    conditions=self.conditions.value(), misfire_cap=self.misfire_cap.value())

    def set_misfire(self, misfire: str | None) -> None:
        self.misfire = misfire
        self.show_words()

    def show_words(self) -> None:
        data: dict[str, Any] = {}
        self.fill(data)
        try:
            spec = normalize_triggers(data)
        except ValidationError as error:
            self.words.setText(f"<i>Not yet complete: {error}</i>")
            return
        lines = [f"• {line}" for line in describe_triggers(spec)]
        if not lines:
            lines.append("<i>No file, login or condition triggers: only its schedule or a manual run starts it.</i>")
        if self.misfire:
            lines.append(f"• {describe_catch_up(self.misfire, spec['misfire_cap'])}")
        self.words.setText("<br>".join(lines))

    def _changed(self, *args: Any) -> None:
        if self._loading:
            return
        self.show_words()
        self.changed.emit()
