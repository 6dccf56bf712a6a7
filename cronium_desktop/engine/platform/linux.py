"""Linux and other freedesktop systems: process groups, XDG folders, an XDG autostart entry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cronium_desktop.engine.platform.base import APP_ID, APP_TITLE, AutostartEntry, Platform, is_frozen

# The Desktop Entry spec: an argument holding one of these is quoted, and inside the quotes
# these four are escaped with a backslash.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = '"`$\\'


def desktop_exec(command: list[str]) -> str:
    """`command` as the Exec= value of a .desktop file."""
    parts = []
    for argument in command:
        if argument and not (set(argument) & _RESERVED):
            parts.append(argument.replace("%", "%%"))
            continue
        inner = "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in argument).replace("%", "%%")
        parts.append(f'"{inner}"')
    # The file format reads "\\" as one backslash, so every backslash is written twice again.
    return " ".join(parts).replace("\\", "\\\\")


class LinuxPlatform(Platform):
    name = "linux"

    def _xdg(self, variable: str, fallback: str) -> Path:
        value = self.env.get(variable, "")
        # The spec: a relative path in an XDG variable is invalid and is ignored.
        return Path(value) if value and Path(value).is_absolute() else self.home / fallback

    def data_dir(self) -> Path:
        return self._xdg("XDG_DATA_HOME", ".local/share") / APP_ID

    def autostart_entry(self, command: list[str]) -> AutostartEntry:
        content = "\n".join([
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_TITLE}",
            "Comment=Runs your schedules from the tray",
            f"Exec={desktop_exec(command)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ])
        return AutostartEntry("file", str(self._xdg("XDG_CONFIG_HOME", ".config") / "autostart"),
                              f"{APP_ID}.desktop", content)

    def child_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Without the bundle's library folder: a system python3 or bash must load its own libraries.

        PyInstaller's bootloader puts the bundle first on LD_LIBRARY_PATH and keeps the user's value
        in LD_LIBRARY_PATH_ORIG; every program the app starts would otherwise inherit the former.
        """
        env = super().child_environment(base)
        if not is_frozen():
            return env
        original = env.pop("LD_LIBRARY_PATH_ORIG", None)
        if original:
            env["LD_LIBRARY_PATH"] = original
        else:
            env.pop("LD_LIBRARY_PATH", None)
        return env
