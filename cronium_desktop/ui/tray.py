"""The tray icon: open the window, pause or resume all schedules, quit; failed runs notify.

A notice about a failed, timed-out or partial run is a tray message (the desktop's notification);
clicking it opens that run. Settings → "Notify when a run fails" turns them off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from cronium_desktop.engine.states import FAILED_STATES

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.bridge import EngineBridge

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The application icon at every size it is drawn in (PNGs rendered from the SVG)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(ICONS / f"cronium-desktop-{size}.png"))
    return icon


class Tray(QSystemTrayIcon):
    def __init__(self, engine: Engine, bridge: EngineBridge, show_window: Callable[[], None], quit_app: Callable[[], None],
                 open_run: Callable[[int], None] | None = None) -> None:
        super().__init__(app_icon())
        self.engine = engine
        self.open_run = open_run
        self.clicked_run: int | None = None  # the run the last tray message is about
        self.told_about_tray = False
        self.setToolTip("Cronium Desktop")
        menu = QMenu()
        self.open_action = menu.addAction("Open Cronium", show_window)
        self.pause_action = QAction("Pause all schedules", menu, checkable=True)
        self.pause_action.toggled.connect(self.set_paused)
        menu.addAction(self.pause_action)
        menu.addSeparator()
        self.quit_action = menu.addAction("Quit", quit_app)
        self.setContextMenu(menu)
        self.menu = menu
        self.activated.connect(lambda reason: show_window() if reason == QSystemTrayIcon.ActivationReason.Trigger else None)
        self.notifications: list[tuple[str, str]] = []
        bridge.runFinished.connect(self._run_finished)
        self.messageClicked.connect(self.message_clicked)
        from cronium_desktop.ui.tray_glance import TrayGlance

        self.glance = TrayGlance(self, engine, bridge)  # badge, next runs, last failures, run alerts

    def set_paused(self, paused: bool) -> None:
        scheduler = self.engine.scheduler
        if scheduler is None:
            return
        if paused:
            scheduler.pause_all()
        else:
            scheduler.resume_all()
        self.pause_action.setText("Resume schedules" if paused else "Pause all schedules")

    def notify(self, title: str, text: str, execution_id: int | None = None) -> None:
        self.notifications.append((title, text))
        self.clicked_run = execution_id
        if self.isVisible() and QSystemTrayIcon.supportsMessages():
            self.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 8000)

    def _run_finished(self, execution_id: int, status: str, event_name: str) -> None:
        if status in FAILED_STATES and self.engine.settings.get("notifications"):
            self.notify(f"{event_name}: {status.replace('_', ' ').title()}",
                        f"Run #{execution_id} did not succeed. Click to see its log.", execution_id)

    def message_clicked(self) -> None:
        """The user clicked the last message: open the run it was about (or just the window)."""
        if self.clicked_run is not None and self.open_run is not None:
            self.open_run(self.clicked_run)

    def window_closed(self) -> None:
        if not self.told_about_tray:
            self.told_about_tray = True
            self.notify("Cronium keeps running", "Schedules keep running in the tray. Quit from the tray menu to stop them.")
