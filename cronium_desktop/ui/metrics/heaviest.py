"""The Dashboard's heaviest events: the top five by CPU and by peak memory over the last 7 days."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QListWidget, QListWidgetItem, QWidget

from cronium_desktop.engine.metrics import human_bytes
from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

EVENT_ID_ROLE = 0x0100 + 7  # Qt.UserRole + 7


class HeaviestEvents(QWidget):
    eventActivated = Signal(int)  # an event id: show its runs

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.by_cpu = QListWidget(self)
        self.by_memory = QListWidget(self)
        for listing in (self.by_cpu, self.by_memory):
            listing.setMaximumHeight(130)
            listing.itemActivated.connect(self._activated)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Most CPU (7 days)", self, objectName="muted"), 0, 0)  # type: ignore[call-overload]  # Qt property keyword
        layout.addWidget(QLabel("Most memory (7 days)", self, objectName="muted"), 0, 1)  # type: ignore[call-overload]  # Qt property keyword
        layout.addWidget(self.by_cpu, 1, 0)
        layout.addWidget(self.by_memory, 1, 1)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading the heaviest events")

    async def _refresh(self) -> None:
        self.fill(*await self.engine.metrics.heaviest_by_cpu_and_memory())

    def fill(self, by_cpu: list[Any], by_memory: list[Any]) -> None:
        for listing, rows, say in ((self.by_cpu, by_cpu, lambda v: f"{v:.1f} s"),
                                   (self.by_memory, by_memory, lambda v: human_bytes(int(v)))):
            listing.clear()
            for row in rows:
                item = QListWidgetItem(f"{row.name} — {say(row.value)} ({row.runs} run{'' if row.runs == 1 else 's'})")
                item.setData(EVENT_ID_ROLE, row.event_id)
                listing.addItem(item)
            if not rows:
                listing.addItem("No measured runs in the last 7 days.")

    def _activated(self, item: QListWidgetItem) -> None:
        event_id = item.data(EVENT_ID_ROLE)
        if event_id is not None:
            self.eventActivated.emit(int(event_id))
