"""Settings → Desktop: start at login, and notifications about runs that did not succeed.

Each box takes effect when it is clicked. "Start at login" is the autostart entry itself (an XDG
.desktop file, a LaunchAgent, a Run value), so the box shows what is really there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QGroupBox, QVBoxLayout, QWidget

from cronium_desktop.engine import platform
from cronium_desktop.ui.common import show_error

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class DesktopSettings(QGroupBox):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("Desktop", parent)
        self.engine = engine
        self.platform = platform.current()
        self.start_at_login = QCheckBox("Start at login (in the tray, with the scheduler running)")
        self.notifications = QCheckBox("Notify when a run fails, times out or is partial")
        self.start_at_login.clicked.connect(self.set_start_at_login)
        self.notifications.clicked.connect(self.set_notifications)
        layout = QVBoxLayout(self)
        layout.addWidget(self.start_at_login)
        layout.addWidget(self.notifications)

    def refresh(self) -> None:
        try:
            enabled = self.platform.autostart_enabled()
        except OSError:
            enabled = False
        self.start_at_login.setChecked(enabled)
        self.notifications.setChecked(bool(self.engine.settings.get("notifications")))

    def set_start_at_login(self, enabled: bool) -> None:
        try:
            entry = self.platform.set_autostart(enabled)
        except OSError as error:
            self.start_at_login.setChecked(not enabled)
            show_error(self, "Start at login was not changed", f"{error.strerror or error}")
            return
        self.start_at_login.setToolTip(f"{entry.location}: {entry.name}" if enabled else "")

    def set_notifications(self, enabled: bool) -> None:
        try:
            self.engine.settings.set("notifications", enabled)
        except Exception as error:  # the store refused: say so, show what is kept
            self.notifications.setChecked(not enabled)
            show_error(self, "The setting was not saved", str(error))
