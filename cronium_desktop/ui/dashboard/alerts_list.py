"""The Dashboard's list of late and slow run alerts (engine/alerts.py): newest first, a click opens the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from cronium_desktop.ui.common import local_time, spawn
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.bridge import EngineBridge

RunRole = Qt.ItemDataRole.UserRole + 2
SHOWN = 30
ICONS = {"LATE": "⏰", "SLOW": "🐢"}


class AlertsList(QListWidget):
    showRun = Signal(int)  # execution id

    def __init__(self, engine: Engine, bridge: EngineBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.setToolTip("Runs that started late or ran longer than usual. Click one to open it.")
        self.itemActivated.connect(self._open)
        self.itemClicked.connect(self._open)
        if bridge is not None:
            bridge.runAlerted.connect(lambda _alert: self.refresh())

    def refresh(self) -> None:
        spawn(self.load(), self, "Loading alerts")

    async def load(self) -> None:
        alerts = await self.engine.alerts.list(SHOWN)
        self.clear()
        for alert in alerts:
            when = local_time(alert.created_at)
            text = f"{ICONS.get(alert.kind, '!')} {when}  {alert.event_name} — {alert.kind.lower()}"
            item = QListWidgetItem(text)
            tip = alert.message + (f"\n{alert.delivery_error}" if alert.delivery_error else "")
            item.setToolTip(tip)
            item.setData(RunRole, alert.execution_id)
            item.setForeground(QColor(colour("PAUSED" if alert.kind == "LATE" else "TIMEOUT")))
            self.addItem(item)
        if not alerts:
            empty = QListWidgetItem("No late or slow runs.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(empty)

    def _open(self, item: QListWidgetItem) -> None:
        execution_id = item.data(RunRole)
        if execution_id is not None:
            self.showRun.emit(int(execution_id))
