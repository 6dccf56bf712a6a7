"""What travels in drags and on the clipboard: an event from the library, or copied nodes and edges."""

from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QMimeData

MIME_EVENT = "application/x-cronium-event"
MIME_NODES = "application/x-cronium-workflow-nodes"


@dataclass
class EventInfo:
    """What the canvas needs to know of an event: enough to draw and to drag it."""

    id: int | None
    name: str
    type: str
    last_status: str | None = None


def event_mime(info: EventInfo) -> QMimeData:
    mime = QMimeData()
    payload = {"id": info.id, "name": info.name, "type": info.type}
    mime.setData(MIME_EVENT, json.dumps(payload).encode())
    mime.setText(info.name)
    return mime
