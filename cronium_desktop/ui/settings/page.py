"""Settings: concurrency, interpreters, data folder, secrets status, theme."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.common import header, show_error


class SettingsPage(QWidget):
    def __init__(self, engine: Any, apply_theme: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._apply_theme = apply_theme
        self.concurrency = QSpinBox(minimum=1, maximum=256)
        self.health = QSpinBox(minimum=10, maximum=3600, suffix=" s")
        self.webhook_port = QSpinBox(minimum=0, maximum=65535)
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
        save = QPushButton("Save settings", objectName="primary")
        save.clicked.connect(self.save)

        running = QGroupBox("Running")
        form = QFormLayout(running)
        form.addRow("Runs at once", self.concurrency)
        form.addRow("Server health check every", self.health)
        form.addRow("Webhook port (127.0.0.1)", self.webhook_port)
        interpreters = QGroupBox("Interpreters")
        interpreter_form = QFormLayout(interpreters)
        for kind, edit in self.interpreters.items():
            interpreter_form.addRow({"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js"}[kind], edit)
        about = QGroupBox("Data and secrets")
        about_form = QFormLayout(about)
        about_form.addRow("Data folder", self.data_dir)
        about_form.addRow("Secrets", self.secrets)
        about_form.addRow("Theme", self.theme)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Settings", save))
        layout.addWidget(running)
        layout.addWidget(interpreters)
        layout.addWidget(about)
        layout.addStretch(1)

    def refresh(self) -> None:
        settings = self.engine.settings.all()
        self.concurrency.setValue(int(settings["concurrency"]))
        self.health.setValue(int(settings["health_check_seconds"]))
        self.webhook_port.setValue(int(settings["webhook_port"]))
        for kind, edit in self.interpreters.items():
            edit.setText(settings["interpreters"].get(kind, ""))
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings["theme"])))
        status = self.engine.secrets.status
        self.secrets.setText({
            "keychain": "The master key is in the OS keychain.",
            "passphrase": "Protected by a passphrase (no OS keychain on this computer).",
            "new": "No secret stored yet; the master key is created in the OS keychain on first use.",
            "locked": "Locked: secrets are read when first needed (keychain or passphrase).",
        }.get(status, status))

    def save(self) -> None:
        try:
            self.engine.settings.set("concurrency", self.concurrency.value())
            self.engine.settings.set("health_check_seconds", self.health.value())
            self.engine.settings.set("webhook_port", self.webhook_port.value())
            self.engine.settings.set("interpreters", {k: e.text().strip() for k, e in self.interpreters.items() if e.text().strip()})
            self.engine.settings.set("theme", self.theme.currentData())
        except Exception as error:  # the store refused: tell the user, keep the form
            show_error(self, "Settings were not saved", str(error))
            return
        self._apply_theme(self.theme.currentData())
