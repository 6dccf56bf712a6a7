"""What every operating system answers, and the parts of the answers they share.

A `Platform` decides; it touches the machine only through what it is given (`which`, the home
folder, the environment, a registry), so the macOS and Windows answers can be checked on Linux.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

APP_ID = "cronium-desktop"
APP_TITLE = "Cronium Desktop"
TYPE_NAMES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js"}
# What is looked for on PATH when Settings names no interpreter, in order.
PATH_CANDIDATES: dict[str, tuple[str, ...]] = {
    "BASH": ("bash",),
    "PYTHON": ("python3", "python"),
    "NODEJS": ("node",),
}
INSTALL_HINTS = {
    "BASH": "install Bash",
    "PYTHON": "install Python 3 (python3 or python on PATH)",
    "NODEJS": "install Node.js (node on PATH)",
}

Which = Callable[[str], str | None]


class InterpreterMissing(LookupError):
    """No interpreter for an event type: the message names what was looked for and the fix."""


@dataclass(frozen=True)
class AutostartEntry:
    """What "Start at login" writes: a file with its content, or a registry value."""

    kind: str  # "file" (XDG .desktop, LaunchAgent plist) or "registry" (Windows Run key)
    location: str  # the file's path, or the registry key
    name: str  # the file name or the registry value's name
    content: str  # the file's text, or the registry value (a command line)


def is_frozen() -> bool:
    """True inside a bundle (PyInstaller sets `sys.frozen`): there is no Python of our own to lend."""
    return bool(getattr(sys, "frozen", False))


def launch_command(tray: bool = True) -> list[str]:
    """How to start this installation again: the bundle's program, the installed script, or `-m`."""
    extra = ["--tray"] if tray else []
    if is_frozen():
        return [sys.executable, *extra]
    script = shutil.which(APP_ID)
    if script:
        return [script, *extra]
    return [sys.executable, "-m", "cronium_desktop", *extra]


def signal_name(number: int) -> str:
    """SIGTERM for 15; the bare number where the system has no name for it."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


class Platform:
    """The answers of one operating system. Subclasses override what differs."""

    name = "posix"

    def __init__(self, which: Which | None = None, home: Path | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.which: Which = which or shutil.which
        self.home = home or Path.home()
        self.env = os.environ if env is None else env

    # -- interpreters ----------------------------------------------------------------------------

    def interpreter_command(self, event_type: str, overrides: Mapping[str, str] | None = None) -> list[str]:
        """The command that runs a script of `event_type` (the script's path goes after it).

        The path set in Settings wins; else the usual names on PATH. A bundled app has no Python of
        its own to offer, so a missing interpreter is an error that says what to install or set.
        """
        wanted = (overrides or {}).get(event_type, "").strip()
        if wanted:
            found = self.which(wanted)
            if found:
                return [found]
            raise InterpreterMissing(
                f"The {TYPE_NAMES[event_type]} interpreter {wanted!r} set in Settings → Interpreters was not "
                "found: correct the path, or clear it to use the one on PATH."
            )
        for candidate in PATH_CANDIDATES[event_type]:
            found = self.which(candidate)
            if found:
                return [found]
        raise InterpreterMissing(self.missing_message(event_type))

    def missing_message(self, event_type: str) -> str:
        names = " or ".join(repr(name) for name in PATH_CANDIDATES[event_type])
        bundled = " (this bundled app has no Python of its own for scripts)" if event_type == "PYTHON" and is_frozen() else ""
        return (f"No {TYPE_NAMES[event_type]} interpreter found: {names} is not on PATH{bundled}. "
                f"{INSTALL_HINTS[event_type].capitalize()}, or set its path in Settings → Interpreters.")

    def find_interpreter(self, event_type: str, overrides: Mapping[str, str] | None = None) -> str | None:
        """The interpreter's path, or None (then `missing_message` / the error says why)."""
        try:
            return self.interpreter_command(event_type, overrides)[0]
        except InterpreterMissing:
            return None

    # -- the data folder and private files -------------------------------------------------------

    def data_dir(self) -> Path:
        from platformdirs import user_data_dir

        return Path(user_data_dir(APP_ID, appauthor=False))

    def make_private(self, path: Path) -> None:
        """Only this user may read `path` (a folder may also be entered)."""
        path.chmod(0o700 if path.is_dir() else 0o600)

    # -- process trees ---------------------------------------------------------------------------

    def new_group_options(self) -> dict[str, object]:
        """Keyword arguments for subprocess/asyncio so the child leads a process tree of its own."""
        return {"start_new_session": True}

    def terminate_tree(self, pid: int) -> None:
        """Ask the process tree led by `pid` to stop (SIGTERM to its process group)."""
        self.signal_tree(pid, signal.SIGTERM)

    def kill_tree(self, pid: int) -> None:
        """Stop the process tree led by `pid` now (SIGKILL to its process group)."""
        self.signal_tree(pid, signal.SIGKILL)

    def signal_tree(self, pid: int, sig: int) -> None:
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass  # the tree is gone already, or the leader's id was reused by a stranger

    def child_environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for programs this app starts: without a bundle's private library path."""
        return dict(os.environ if base is None else base)

    # -- start at login --------------------------------------------------------------------------

    def autostart_entry(self, command: list[str]) -> AutostartEntry:
        raise NotImplementedError

    def autostart_enabled(self) -> bool:
        entry = self.autostart_entry(["cronium-desktop"])
        return (Path(entry.location) / entry.name).exists()

    def set_autostart(self, enabled: bool, command: list[str] | None = None) -> AutostartEntry:
        """Write (or remove) the entry that starts `command` at login; returns what was written."""
        entry = self.autostart_entry(command or launch_command(tray=True))
        path = Path(entry.location) / entry.name
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(path.name + ".tmp")
            temp.write_text(entry.content, encoding="utf-8")
            os.replace(temp, path)  # a half-written entry would start nothing, or something wrong
        else:
            path.unlink(missing_ok=True)
        return entry
