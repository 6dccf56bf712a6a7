"""The tray at a glance: a badge for running runs and for failures since the user last looked, and
a menu that lists the next three runs (click: run it now) and the last failures (click: open the run).

Late and slow alerts (engine/alerts.py) become tray messages here, as failed runs do in `tray.py`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter

from cronium_desktop.engine.states import FAILED_STATES
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import local_time, spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

if TYPE_CHECKING:
    from cronium_desktop.ui.bridge import EngineBridge
    from cronium_desktop.ui.tray import Tray

log = logging.getLogger(__name__)

SHOWN = 3  # next runs and failures listed in the menu
BADGE_SIZE = 64


def badged_icon(base: QIcon, running: int, failures: int) -> QIcon:
    """The app icon with a blue count of running runs (bottom left) and a red count of new failures (top right)."""
    if not running and not failures:
        return base
    pixmap = base.pixmap(BADGE_SIZE, BADGE_SIZE)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(22)
    painter.setFont(font)
    for count, colour, rect in ((running, "#2563eb", QRectF(0, 30, 34, 34)), (failures, "#cf222e", QRectF(30, 0, 34, 34))):
        if count:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawEllipse(rect)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count) if count < 10 else "9+")
    painter.end()
    return QIcon(pixmap)


class TrayGlance(QObject):
    def __init__(self, tray: Tray, engine: Engine, bridge: EngineBridge) -> None:
        super().__init__(tray)
        self._reload = Coalesced(self, lambda: asyncio.ensure_future(self._fill_quietly()))
        self._badges: dict[tuple[int, int], QIcon] = {}
        self._badge_shown: tuple[int, int] | None = None
        self.tray, self.engine = tray, engine
        self.base_icon = tray.icon()
        self.running: set[int] = set()
        self.unseen_failures = 0
        self.next_actions: list[QAction] = []
        self.failure_actions: list[QAction] = []
        menu = tray.menu
        self.next_header = QAction("Next runs — click to run now", menu, enabled=False)
        self.failures_header = QAction("Last failures — click to open", menu, enabled=False)
        self.anchor = menu.insertSeparator(tray.pause_action)
        menu.insertAction(self.anchor, self.next_header)
        self.failures_separator = menu.insertSeparator(self.anchor)
        menu.insertAction(self.anchor, self.failures_header)
        menu.insertSeparator(self.next_header)
        menu.aboutToShow.connect(self.looked)
        bridge.runStarted.connect(self._started)
        bridge.runFinished.connect(self._finished)
        bridge.runAlerted.connect(self._alerted)
        bridge.eventsChanged.connect(self.refresh)
        tray.activated.connect(lambda _reason: self.looked())
        self.refresh()

    # -- badge ---------------------------------------------------------------------------------------

    def _started(self, execution_id: int) -> None:
        self.running.add(execution_id)
        self.update_badge()

    def _finished(self, execution_id: int, status: str, _event_name: str) -> None:
        self.running.discard(execution_id)
        if status in FAILED_STATES:
            self.unseen_failures += 1
            self.refresh()
        self.update_badge()

    def looked(self) -> None:
        """The user opened the menu or the window: failures so far are seen."""
        self.unseen_failures = 0
        self.update_badge()
        self.refresh()

    def update_badge(self) -> None:
        # Drawn once per pair of counts it shows (each run's start and end would repaint it otherwise).
        shown = (min(len(self.running), 10), min(self.unseen_failures, 10))  # from 10 on: "9+"
        if shown != self._badge_shown:
            if shown not in self._badges:
                self._badges[shown] = badged_icon(self.base_icon, *shown)
            self.tray.setIcon(self._badges[shown])
            self._badge_shown = shown
        parts = [f"{len(self.running)} running"] if self.running else []
        if self.unseen_failures:
            parts.append(f"{self.unseen_failures} failed since you last looked")
        self.tray.setToolTip("Cronium Desktop" + (" — " + ", ".join(parts) if parts else ""))

    def _alerted(self, alert: Any) -> None:
        if self.engine.settings.get("notifications"):
            what = "late" if alert.kind == "LATE" else "slow"
            self.tray.notify(f"{alert.event_name} is {what}", alert.message, alert.execution_id)

    # -- menu ----------------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._reload()  # every failed run asks: a burst of failures fills the menu a few times a second

    async def _fill_quietly(self) -> None:
        """The menu is refreshed in the background, up to the engine's stop: a failure is logged, not a dialog."""
        try:
            await self.fill()
        except Exception as error:  # noqa: BLE001 - e.g. the store closed while the app quits
            log.info("The tray menu was not updated: %s", error)

    async def fill(self) -> None:
        """List the next runs and the last failures in the menu."""
        events = await self.engine.events.list()
        coming = sorted((e for e in events if e.next_run is not None), key=lambda e: cast(datetime, e.next_run))[:SHOWN]
        recent = await self.engine.runs.list(limit=100)
        failures = [r for r in recent if r.status in FAILED_STATES][:SHOWN]
        menu = self.tray.menu
        for action in self.next_actions + self.failure_actions:
            menu.removeAction(action)
            action.deleteLater()  # a child of the menu: removed from it, it would live as long as the app
        self.next_actions, self.failure_actions = [], []
        for event in coming:
            action = QAction(f"▶  {cast(datetime, event.next_run).astimezone():%a %H:%M}   {event.name}", menu)
            action.setToolTip(f"Run {event.name} now")
            action.triggered.connect(lambda _checked=False, event_id=event.id: self.run_now(event_id))
            menu.insertAction(self.failures_separator, action)
            self.next_actions.append(action)
        if not coming:
            action = QAction("Nothing scheduled", menu, enabled=False)
            menu.insertAction(self.failures_separator, action)
            self.next_actions.append(action)
        for run in failures:
            when = local_time(run.finished_at or run.created_at)[11:]
            action = QAction(f"✗  {when}   {run.event} — {run.status.title()}", menu)
            action.triggered.connect(lambda _checked=False, execution_id=run.execution_id: self.open_run(execution_id))
            menu.insertAction(self.anchor, action)
            self.failure_actions.append(action)
        if not failures:
            action = QAction("No failures", menu, enabled=False)
            menu.insertAction(self.anchor, action)
            self.failure_actions.append(action)
        self.filled_at = datetime.now(UTC)

    def run_now(self, event_id: int) -> None:
        spawn(self.engine.runs.start(event_id), None, "Running the event")

    def open_run(self, execution_id: int) -> None:
        if self.tray.open_run is not None:
            self.tray.open_run(execution_id)
