"""The tray icon: open the window, pause or resume all schedules, quit; failed runs notify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from cronium_desktop.ui.bridge import EngineBridge

FAILED = ("FAILURE", "TIMEOUT", "PARTIAL")


def app_icon() -> QIcon:
    pixmap = QPixmap(64, 64)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2563eb"))
    painter.setPen(QColor("#2563eb"))
    painter.drawEllipse(4, 4, 56, 56)
    painter.setPen(QColor("white"))
    painter.setBrush(QColor("white"))
    painter.drawRect(30, 14, 4, 20)
    painter.drawRect(30, 30, 16, 4)
    painter.end()
    return QIcon(pixmap)


class Tray(QSystemTrayIcon):
    def __init__(self, engine: Any, bridge: EngineBridge, show_window: Callable[[], None], quit_app: Callable[[], None]) -> None:
        super().__init__(app_icon())
        self.engine = engine
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

    def set_paused(self, paused: bool) -> None:
        scheduler = self.engine.scheduler
        if scheduler is None:
            return
        if paused:
            scheduler.pause_all()
        else:
            scheduler.resume_all()
        self.pause_action.setText("Resume schedules" if paused else "Pause all schedules")

    def notify(self, title: str, text: str) -> None:
        self.notifications.append((title, text))
        if self.isVisible() and QSystemTrayIcon.supportsMessages():
            self.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 8000)

    def _run_finished(self, execution_id: int, status: str, event_name: str) -> None:
        if status in FAILED:
            self.notify(f"{event_name}: {status.title()}", f"Run #{execution_id} did not succeed. Open Cronium to see its log.")

    def window_closed(self) -> None:
        if not self.told_about_tray:
            self.told_about_tray = True
            self.notify("Cronium keeps running", "Schedules keep running in the tray. Quit from the tray menu to stop them.")
