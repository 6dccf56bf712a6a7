"""Settings: concurrency, interpreters, Docker, data folder, desktop, secrets status and passphrase, theme,
calendars (`calendars.py`).

Changes apply as they are made, as in a platform preferences window: the theme at once, the rest a
moment after the last keystroke, each followed by "Saved" beside the title (or the store's refusal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.engine.secrets import PASSPHRASE_ENV, SecretsLocked, WrongPassphrase
from cronium_desktop.ui.common import header, show_error, spawn
from cronium_desktop.ui.settings.calendars import CalendarSettings
from cronium_desktop.ui.settings.desktop import DesktopSettings
from cronium_desktop.ui.settings.docker_box import DockerSettings
from cronium_desktop.ui.settings.passphrase import CREATE, UNLOCK, PassphraseDialog
from cronium_desktop.ui.settings.rotate_key import RotateKeyButton

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


def passphrase_action(status: str, mode: str | None) -> str | None:
    """What the passphrase button offers: UNLOCK, CREATE, or nothing (None)."""
    if status == "locked" and mode == "passphrase":
        return UNLOCK
    return CREATE if status == "new" else None


class SettingsPage(QWidget):
    message = Signal(str)  # for the status bar

    def __init__(self, engine: Engine, apply_theme: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._apply_theme = apply_theme
        self._loading = False
        self._applied_theme: str | None = None
        self.concurrency = QSpinBox(minimum=1, maximum=256)
        self.health = QSpinBox(minimum=10, maximum=3600, suffix=" s")
        self.webhook_port = QSpinBox(minimum=0, maximum=65535)
        self.webhook_port.setSpecialValueText("any free port")
        for spin in (self.concurrency, self.health, self.webhook_port):
            spin.setMaximumWidth(140)
        self.interpreters = {kind: QLineEdit(placeholderText=f"found on PATH ({default})")
                             for kind, default in (("BASH", "bash"), ("PYTHON", "python3"), ("NODEJS", "node"))}
        self.theme = QComboBox()
        for title, value in (("Follow the system", "system"), ("Light", "light"), ("Dark", "dark")):
            self.theme.addItem(title, value)
        self.data_dir = QLabel(str(engine.data_dir))
        self.data_dir.setWordWrap(True)
        self.secrets = QLabel()
        self.secrets.setWordWrap(True)
        self.passphrase_button = QPushButton(self)
        self.passphrase_button.clicked.connect(self.ask_passphrase)
        self.passphrase_dialog: PassphraseDialog | None = None
        secrets_row = QHBoxLayout()
        secrets_row.setContentsMargins(0, 0, 0, 0)
        secrets_row.addWidget(self.secrets, 1)
        secrets_row.addWidget(self.passphrase_button)
        self.rotate_key = RotateKeyButton(engine, self)
        self._secrets_note = ""  # what was last done to the key; it stays when the status is shown again
        self.rotate_key.rotated.connect(self._rotated)
        secrets_row.addWidget(self.rotate_key)
        self.saved = QLabel("", objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        self._save_timer = QTimer(self, singleShot=True, interval=400)
        self._save_timer.timeout.connect(self.save)

        running = QGroupBox("Running")
        form = QFormLayout(running)
        form.addRow("Runs at once", self.concurrency)
        form.addRow("Server health check every", self.health)
        form.addRow("Webhook port (127.0.0.1)", self.webhook_port)
        from cronium_desktop.ui.events.limits_box import PLATFORMS_NOTE

        form.addRow("Run limits", QLabel(PLATFORMS_NOTE, objectName="muted", wordWrap=True))  # type: ignore[call-overload]  # Qt property keyword; which platforms honour them  # type: ignore[call-overload]  # Qt property keyword
        self.alert_defaults = QPushButton("Late and slow alerts…", self)
        self.alert_defaults.setToolTip("The alert rules of every event that has none of its own")
        self.alert_defaults.clicked.connect(self.edit_alert_defaults)
        form.addRow("Alerts", self.alert_defaults)
        interpreters = QGroupBox("Interpreters")
        interpreter_form = QFormLayout(interpreters)
        for kind, edit in self.interpreters.items():
            interpreter_form.addRow({"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js"}[kind], edit)
        about = QGroupBox("Data and secrets")
        about_form = QFormLayout(about)
        about_form.addRow("Data folder", self.data_dir)
        about_form.addRow("Secrets", secrets_row)
        about_form.addRow("Theme", self.theme)
        # The groups scroll: with Calendars they are taller than a small window.
        content = QWidget(self)
        scroll = QScrollArea(self, widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)  # type: ignore[call-arg]  # Qt property keyword
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Settings", self.saved))
        layout.addWidget(running)
        layout.addWidget(interpreters)
        self.docker = DockerSettings(engine)
        layout.addWidget(self.docker)
        layout.addWidget(about)
        from cronium_desktop.ui.settings.history_box import HistorySettings

        self.history = HistorySettings(engine)  # retention: saved on each change
        self.history.load()
        layout.addWidget(self.history)
        self.desktop = DesktopSettings(engine)  # takes effect on each click, not with "Save"
        layout.addWidget(self.desktop)
        self.calendars = CalendarSettings(engine)
        layout.addWidget(self.calendars)
        layout.addStretch(1)
        for spin in (self.concurrency, self.health, self.webhook_port):
            spin.valueChanged.connect(self._changed)
        for edit in (*self.interpreters.values(), self.docker.endpoint, *self.docker.images.values()):
            edit.textChanged.connect(self._changed)
        self.theme.currentIndexChanged.connect(self._theme_changed)

    def _changed(self, *args: Any) -> None:
        if not self._loading:
            self.saved.setText("Saving…")
            self._save_timer.start()

    def _theme_changed(self) -> None:
        """The theme is previewed at once; it is stored with the rest."""
        if self._loading:
            return
        self._save_timer.stop()
        self.save()

    def refresh_unless_editing(self) -> None:
        """Settings changed elsewhere: show them, unless an edit here is about to be saved."""
        if not self._save_timer.isActive():
            self.refresh()

    def edit_alert_defaults(self) -> None:
        from cronium_desktop.ui.alerts.rules_dialog import AlertRulesDialog

        dialog = AlertRulesDialog(self.engine, None, self)
        dialog.refresh()
        dialog.open()

    def refresh(self) -> None:
        self._loading = True
        try:
            self._load()
        finally:
            self._loading = False

    def _load(self) -> None:
        settings = self.engine.settings.all()
        self.concurrency.setValue(int(settings["concurrency"]))
        self.health.setValue(int(settings["health_check_seconds"]))
        self.webhook_port.setValue(int(settings["webhook_port"]))
        for kind, edit in self.interpreters.items():
            edit.setText(settings["interpreters"].get(kind, ""))
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings["theme"])))
        self.desktop.refresh()
        self._applied_theme = settings["theme"]
        self.show_secrets_status()
        self.docker.refresh()
        self.calendars.refresh()

    def _rotated(self, text: str) -> None:
        self._secrets_note = text
        self.saved.setText("")
        self.show_secrets_status()

    def show_secrets_status(self) -> None:
        status, mode = self._secrets_state()
        if status == "locked":
            text = ("Locked: enter the passphrase to let runs use their secrets." if mode == "passphrase" else
                    "Locked: the master key is read from the OS keychain when a secret is first needed.")
        else:
            text = {
                "keychain": "The master key is in the OS keychain.",
                "passphrase": "Unlocked with the passphrase (the master key is not kept in an OS keychain).",
                "new": "No secret stored yet; the master key is created in the OS keychain on first use "
                       "(or protect secrets with a passphrase where there is no keychain).",
            }.get(status, status)
        self.secrets.setText(f"{self._secrets_note} {text}" if self._secrets_note else text)
        action = passphrase_action(status, mode)
        self.passphrase_button.setVisible(action is not None)
        self.passphrase_button.setText("Unlock…" if action == UNLOCK else "Use a passphrase…")
        self.rotate_key.update_for(status)

    def _secrets_state(self) -> tuple[str, str | None]:
        """The secrets' status and key mode (each may read the store once)."""
        secrets = self.engine.secrets
        return secrets.status, secrets.mode

    def ask_passphrase(self, why: str | None = None) -> None:
        action = passphrase_action(*self._secrets_state())
        if action is None or (self.passphrase_dialog is not None and self.passphrase_dialog.isVisible()):
            return
        self.passphrase_dialog = dialog = PassphraseDialog(self.engine.secrets, action, self.window())
        dialog.finished.connect(lambda _result: self.show_secrets_status())
        if why:
            dialog.show_error(why)
        dialog.open()

    def unlock_at_start(self) -> None:
        """A passphrase-protected folder is unlocked at start: from CRONIUM_PASSPHRASE, else by asking."""

        async def unlock() -> None:
            if self.engine.secrets.mode != "passphrase":
                return
            try:
                await asyncio.to_thread(self.engine.secrets.unlock)
            except WrongPassphrase:
                self.ask_passphrase(f"The passphrase in {PASSPHRASE_ENV} is wrong for this data folder; "
                                    "enter the right one.")
            except SecretsLocked:  # no passphrase given
                self.ask_passphrase()
            self.show_secrets_status()

        spawn(unlock(), self, "Unlocking the secrets")

    def save(self) -> None:
        try:
            self.engine.settings.set("concurrency", self.concurrency.value())
            self.engine.settings.set("health_check_seconds", self.health.value())
            self.engine.settings.set("webhook_port", self.webhook_port.value())
            self.engine.settings.set("interpreters", {k: e.text().strip() for k, e in self.interpreters.items() if e.text().strip()})
            self.engine.settings.set("theme", self.theme.currentData())
            self.docker.save()
        except Exception as error:  # the store refused: tell the user, keep the form
            self.saved.setText("Not saved")
            show_error(self, "Settings were not saved", str(error))
            return
        if self.theme.currentData() != self._applied_theme:
            self._applied_theme = self.theme.currentData()
            self._apply_theme(self.theme.currentData())
        self.saved.setText("✓ Saved")
        self.message.emit("Settings saved.")
