"""Settings → Docker: the engine's state (version, or why it is not running), its endpoint, and the
default image of each script type for container runs. Docker is asked in a worker thread."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from cronium_desktop.engine.docker_engine import DEFAULT_ENDPOINT
from cronium_desktop.engine.executors.container_config import DEFAULT_IMAGES
from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

TYPE_TITLES = {"BASH": "Bash image", "PYTHON": "Python image", "NODEJS": "Node.js image"}


class DockerSettings(QGroupBox):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("Docker", parent)
        self.engine = engine
        self.state = QLabel("Not checked yet.", wordWrap=True)
        self.check_button = QPushButton("Check again")
        self.check_button.clicked.connect(self.check)
        state_row = QHBoxLayout()
        state_row.setContentsMargins(0, 0, 0, 0)
        state_row.addWidget(self.state, 1)
        state_row.addWidget(self.check_button)
        self.endpoint = QLineEdit(placeholderText=f"DOCKER_HOST, else {DEFAULT_ENDPOINT}")
        self.images = {kind: QLineEdit(placeholderText=default) for kind, default in DEFAULT_IMAGES.items()}
        form = QFormLayout(self)
        form.addRow("State", state_row)
        form.addRow("Endpoint", self.endpoint)
        for kind, edit in self.images.items():
            form.addRow(TYPE_TITLES[kind], edit)

    def refresh(self) -> None:
        self.endpoint.setText(str(self.engine.settings.get("docker_endpoint") or ""))
        images = dict(self.engine.settings.get("container_images") or {})
        for kind, edit in self.images.items():
            edit.setText(images.get(kind, ""))
        self.check()

    def save(self) -> None:
        """Store the endpoint and images (the caller reports a refusal), then check the state again."""
        self.engine.settings.set("docker_endpoint", self.endpoint.text().strip())
        self.engine.settings.set("container_images", {
            kind: edit.text().strip() or DEFAULT_IMAGES[kind] for kind, edit in self.images.items()})
        self.engine.docker.forget()  # the next run connects to the endpoint as it is now
        self.check()

    def check(self) -> None:
        async def check() -> None:
            self.check_button.setEnabled(False)
            self.state.setText("Checking…")
            try:
                status = await asyncio.to_thread(self.engine.docker.status)
            finally:
                self.check_button.setEnabled(True)
            if status.running:
                self.state.setText(f"Running: Docker {status.version} at {status.endpoint}.")
            else:
                self.state.setText(f"Not available: {status.reason}")

        spawn(check(), self, "Checking Docker")
