"""macOS: POSIX process groups, ~/Library folders, a LaunchAgent for "Start at login"."""

from __future__ import annotations

import plistlib
from pathlib import Path

from cronium_desktop.engine.platform.base import APP_ID, AutostartEntry, Platform

LAUNCH_AGENT_LABEL = "org.cronium.desktop"


class MacPlatform(Platform):
    name = "macos"

    def data_dir(self) -> Path:
        return self.home / "Library" / "Application Support" / APP_ID

    def autostart_entry(self, command: list[str]) -> AutostartEntry:
        plist = {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": False,  # quitting from the tray means quit, not "start me again"
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",  # only in a graphical login, where there is a menu bar
        }
        content = plistlib.dumps(plist, sort_keys=False).decode("utf-8")
        return AutostartEntry("file", str(self.home / "Library" / "LaunchAgents"),
                              f"{LAUNCH_AGENT_LABEL}.plist", content)
