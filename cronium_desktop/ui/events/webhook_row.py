"""The event editor's webhook row: run the event by a POST to the local listener (SPEC §5's rules).

Turning the webhook on or off, or making a new URL, takes effect at once (as the CLI's `event webhook`
does), since a URL is something the user copies elsewhere; a new event gets its webhook once saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cronium_desktop.engine.event_webhooks import webhook_url
from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


def listener_port(engine: Engine) -> int:
    listener = engine.webhooks  # None while another process owns the folder
    if listener is not None and listener.port:
        return int(listener.port)
    return int(engine.settings.get("webhook_port"))


class WebhookRow(QWidget):
    def __init__(self, engine: Engine, event_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.event_id = event_id
        self.token: str | None = None
        self.enabled = QCheckBox("Run when the URL gets a POST (the JSON body is the run's input)", self)
        self.url = QLineEdit(self, readOnly=True)
        self.url.setPlaceholderText("Save the event to give it a webhook" if event_id is None else "No webhook")
        self.copy = QPushButton("Copy", self)
        self.copy.setToolTip("Copy the URL to the clipboard")
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.url.text()))
        self.rotate = QPushButton("New URL", self)
        self.rotate.setToolTip("Make a new token: the old URL stops working at once")
        self.rotate.clicked.connect(lambda: spawn(self._rotate(), self, "Making a new webhook URL"))
        self.note = QLabel("", self, objectName="muted", wordWrap=True)  # type: ignore[call-overload]  # Qt property keyword
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.url, 1)
        row.addWidget(self.copy)
        row.addWidget(self.rotate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.enabled)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.enabled.setEnabled(event_id is not None)
        self._show(None)
        self.enabled.toggled.connect(self._toggled)
        if event_id is not None:
            spawn(self._load(), self, "Reading the event's webhook")

    def _show(self, token: str | None) -> None:
        self.token = token
        self.enabled.blockSignals(True)
        self.enabled.setChecked(token is not None)
        self.enabled.blockSignals(False)
        self.url.setText(webhook_url(listener_port(self.engine), token) if token else "")
        self.copy.setEnabled(token is not None)
        self.rotate.setEnabled(token is not None)
        self.note.setText("The listener runs while the window or `cronium-desktop headless` is open; "
                          "it answers 404 to an unknown token, 413 past 1 MB and 400 to a body that is not JSON."
                          if token else "")

    async def _load(self) -> None:
        assert self.event_id is not None
        self._show(await self.engine.event_webhooks.token(self.event_id))

    def _toggled(self, on: bool) -> None:
        spawn(self._set(on), self, "Changing the event's webhook")

    async def _set(self, on: bool) -> None:
        assert self.event_id is not None
        if on:
            self._show(await self.engine.event_webhooks.enable(self.event_id))
        else:
            await self.engine.event_webhooks.disable(self.event_id)
            self._show(None)

    async def _rotate(self) -> None:
        assert self.event_id is not None
        self._show(await self.engine.event_webhooks.rotate(self.event_id))
