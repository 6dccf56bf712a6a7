"""Windows: process groups and taskkill, Git Bash or WSL for Bash, %LOCALAPPDATA%, the Run key.

Everything that touches Windows goes through `run` (a command runner) and `registry`, so what this
module decides can be checked on any system; the real registry is `winreg`, opened only on Windows.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path, PureWindowsPath
from typing import Any, Protocol

from cronium_desktop.engine.platform.base import (
    APP_ID,
    APP_TITLE,
    AutostartEntry,
    InterpreterMissing,
    Platform,
    Which,
)

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
CREATE_NEW_PROCESS_GROUP = 0x00000200
# WSL's bash is given the script's Windows path as $0 and turns it into its own /mnt/... path.
WSL_BASH = ["wsl.exe", "-e", "bash", "-c", 'exec bash "$(wslpath -u "$0")"']
PATH_CANDIDATES = {"PYTHON": ("python", "py", "python3"), "NODEJS": ("node",)}

Runner = Callable[[list[str]], Any]


class RunKey(Protocol):
    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


def _winreg() -> Any:
    import importlib

    return importlib.import_module("winreg")  # exists on Windows only


class WinRegRunKey:
    """HKEY_CURRENT_USER\\...\\Run through `winreg` (Windows only)."""

    def get(self, name: str) -> str | None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                return str(winreg.QueryValueEx(key, name)[0])
        except FileNotFoundError:
            return None

    def set(self, name: str, value: str) -> None:
        winreg = _winreg()

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def _run_quietly(command: list[str]) -> Any:
    return subprocess.run(command, capture_output=True, check=False)


class WindowsPlatform(Platform):
    name = "windows"

    def __init__(self, which: Which | None = None, home: Path | None = None, env: Mapping[str, str] | None = None,
                 registry: RunKey | None = None, run: Runner | None = None,
                 exists: Callable[[str], bool] | None = None) -> None:
        super().__init__(which, home, env)
        self._registry = registry
        self.run = run or _run_quietly
        self.exists = exists or (lambda path: Path(path).is_file())

    @property
    def registry(self) -> RunKey:
        if self._registry is None:
            self._registry = WinRegRunKey()
        return self._registry

    # -- interpreters ----------------------------------------------------------------------------

    def git_bash_candidates(self) -> list[str]:
        """Where Git for Windows puts bash.exe: beside the git on PATH, then its usual folders."""
        places = []
        git = self.which("git")
        if git:
            root = PureWindowsPath(git).parent.parent  # ...\Git\cmd\git.exe -> ...\Git
            places.append(str(root / "bin" / "bash.exe"))
        for variable, below in (("ProgramFiles", "Git"), ("ProgramW6432", "Git"), ("ProgramFiles(x86)", "Git"),
                                ("LOCALAPPDATA", r"Programs\Git")):
            if self.env.get(variable):
                places.append(str(PureWindowsPath(self.env[variable]) / below / "bin" / "bash.exe"))
        return places

    def interpreter_command(self, event_type: str, overrides: Mapping[str, str] | None = None) -> list[str]:
        if (overrides or {}).get(event_type, "").strip():
            return super().interpreter_command(event_type, overrides)
        if event_type == "BASH":
            # Git Bash first: a bare `bash` on PATH is often System32\bash.exe, WSL's old launcher.
            for candidate in self.git_bash_candidates():
                if self.exists(candidate):
                    return [candidate]
            if self.which("wsl.exe") or self.which("wsl"):
                return list(WSL_BASH)
            raise InterpreterMissing(
                "No Bash found for BASH events: install Git for Windows (it brings Git Bash) or WSL "
                "(`wsl --install`), or set the path of bash.exe in Settings → Interpreters."
            )
        for candidate in PATH_CANDIDATES[event_type]:
            found = self.which(candidate)
            # WindowsApps holds the Store's python.exe stand-in, which opens the Store instead of running.
            if found and "windowsapps" not in found.lower():
                return [found, "-3"] if candidate == "py" else [found]
        raise InterpreterMissing(self.missing_message(event_type).replace("'python3' or 'python'", "'python' or 'py'"))

    # -- the data folder and private files -------------------------------------------------------

    def data_dir(self) -> Path:
        base = self.env.get("LOCALAPPDATA") or str(self.home / "AppData" / "Local")
        return Path(base) / APP_ID

    def private_command(self, path: str, is_dir: bool) -> list[str]:
        """icacls: drop inherited access, leave full control to this user only."""
        user = self.env.get("USERNAME", "")
        grant = f"{user}:(OI)(CI)F" if is_dir else f"{user}:F"
        return ["icacls", path, "/inheritance:r", "/grant:r", grant]

    def make_private(self, path: Path) -> None:
        self.run(self.private_command(str(path), path.is_dir()))

    # -- process trees ---------------------------------------------------------------------------

    def new_group_options(self) -> dict[str, object]:
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}

    def tree_kill_command(self, pid: int) -> list[str]:
        return ["taskkill", "/T", "/F", "/PID", str(pid)]

    def terminate_tree(self, pid: int) -> None:
        """Ctrl+Break to the group (console programs can stop cleanly); kill_tree after the grace."""
        import os

        try:
            os.kill(pid, getattr(signal, "CTRL_BREAK_EVENT", signal.SIGTERM))
        except OSError:
            pass

    def kill_tree(self, pid: int) -> None:
        self.run(self.tree_kill_command(pid))

    def signal_tree(self, pid: int, sig: int) -> None:
        # Windows has no process-group signals: anything but a polite stop is a kill of the tree.
        if sig == signal.SIGTERM:
            self.terminate_tree(pid)
        else:
            self.kill_tree(pid)

    # -- start at login --------------------------------------------------------------------------

    def autostart_entry(self, command: list[str]) -> AutostartEntry:
        return AutostartEntry("registry", "HKEY_CURRENT_USER\\" + RUN_KEY, APP_TITLE,
                              subprocess.list2cmdline(command))

    def autostart_enabled(self) -> bool:
        return self.registry.get(APP_TITLE) is not None

    def set_autostart(self, enabled: bool, command: list[str] | None = None) -> AutostartEntry:
        from cronium_desktop.engine.platform.base import launch_command

        entry = self.autostart_entry(command or launch_command(tray=True))
        if enabled:
            self.registry.set(entry.name, entry.content)
        else:
            self.registry.delete(entry.name)
        return entry
