"""What the computer says about its power supply and its user's idle time, per operating system.

Conditions (SPEC §1: only on AC power, only after the user has been idle N minutes) read these. Each
system has a reader that asks the machine, and pure functions that decide from what it answered, so
the macOS and Windows decisions are checked on Linux. None means the computer did not say.

- Linux: AC power from /sys/class/power_supply (mains/USB `online`, else battery `status`); idle time
  from logind (`loginctl show-session`, over D-Bus), set by the desktop session.
- macOS: `pmset -g batt` and the HID system's `HIDIdleTime` (`ioreg`).
- Windows: `GetSystemPowerStatus` and `GetLastInputInfo` against `GetTickCount`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

POWER_SUPPLIES = Path("/sys/class/power_supply")
Run = Callable[[list[str]], str | None]


def _run(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


class MachineState(Protocol):
    def on_ac_power(self) -> bool | None: ...

    def idle_seconds(self) -> float | None: ...


# -- Linux ---------------------------------------------------------------------------------------------


def linux_ac_power(supplies: dict[str, dict[str, str]]) -> bool | None:
    """`supplies`: each power supply's attribute files (type, online, status).

    A mains or USB supply that is online means AC. Without any supply the computer is a desktop (on
    mains). With only batteries, a discharging one means battery power."""
    if not supplies:
        return True
    mains = [s for s in supplies.values() if s.get("type") in ("Mains", "USB")]
    if any(s.get("online") == "1" for s in mains):
        return True
    batteries = [s for s in supplies.values() if s.get("type") == "Battery"]
    if mains:
        return False
    if not batteries:
        return True
    return not any(s.get("status") == "Discharging" for s in batteries)


def logind_idle_seconds(show_session: str, monotonic_now: float) -> float | None:
    """Idle time from `loginctl show-session -p IdleHint -p IdleSinceHintMonotonic` output."""
    values = dict(line.split("=", 1) for line in show_session.splitlines() if "=" in line)
    hint = values.get("IdleHint")
    if hint is None:
        return None
    if hint != "yes":
        return 0.0
    since = values.get("IdleSinceHintMonotonic", "")
    if not since.isdigit() or int(since) == 0:
        return None
    return max(0.0, monotonic_now - int(since) / 1_000_000)


class LinuxMachine:
    def __init__(self, root: Path = POWER_SUPPLIES, run: Run = _run, session: str | None = None) -> None:
        self.root, self.run = root, run
        self.session = session or os.environ.get("XDG_SESSION_ID") or "auto"

    def on_ac_power(self) -> bool | None:
        supplies: dict[str, dict[str, str]] = {}
        try:
            folders = list(self.root.iterdir()) if self.root.exists() else []
            for folder in folders:
                supplies[folder.name] = {name: (folder / name).read_text().strip()
                                         for name in ("type", "online", "status") if (folder / name).exists()}
        except OSError:
            return None
        return linux_ac_power(supplies)

    def idle_seconds(self) -> float | None:
        out = self.run(["loginctl", "show-session", self.session, "-p", "IdleHint", "-p", "IdleSinceHintMonotonic"])
        # CLOCK_MONOTONIC, as logind's *Monotonic values.
        return None if out is None else logind_idle_seconds(out, time.clock_gettime(time.CLOCK_MONOTONIC))


# -- macOS -----------------------------------------------------------------------------------------------


def pmset_ac_power(pmset_batt: str) -> bool | None:
    match = re.search(r"drawing from '([^']+)'", pmset_batt)
    return None if match is None else match.group(1) == "AC Power"


def ioreg_idle_seconds(ioreg: str) -> float | None:
    match = re.search(r'"HIDIdleTime"\s*=\s*(\d+)', ioreg)
    return None if match is None else int(match.group(1)) / 1_000_000_000


class MacMachine:
    def __init__(self, run: Run = _run) -> None:
        self.run = run

    def on_ac_power(self) -> bool | None:
        out = self.run(["pmset", "-g", "batt"])
        return None if out is None else pmset_ac_power(out)

    def idle_seconds(self) -> float | None:
        out = self.run(["ioreg", "-c", "IOHIDSystem", "-d", "4"])
        return None if out is None else ioreg_idle_seconds(out)


# -- Windows ---------------------------------------------------------------------------------------------


def windows_ac_power(ac_line_status: int) -> bool | None:
    """SYSTEM_POWER_STATUS.ACLineStatus: 0 offline, 1 online, 255 unknown."""
    return {0: False, 1: True}.get(ac_line_status)


def windows_idle_seconds(tick_count: int, last_input_tick: int) -> float:
    """Both are 32-bit millisecond counters that wrap after 49.7 days."""
    return ((tick_count - last_input_tick) & 0xFFFFFFFF) / 1000


class WindowsMachine:  # pragma: no cover - needs Windows; the decisions above are tested
    def on_ac_power(self) -> bool | None:
        import ctypes

        class PowerStatus(ctypes.Structure):
            _fields_ = [("ACLineStatus", ctypes.c_ubyte), ("BatteryFlag", ctypes.c_ubyte),
                        ("BatteryLifePercent", ctypes.c_ubyte), ("SystemStatusFlag", ctypes.c_ubyte),
                        ("BatteryLifeTime", ctypes.c_ulong), ("BatteryFullLifeTime", ctypes.c_ulong)]

        status = PowerStatus()
        if not ctypes.windll.kernel32.GetSystemPowerStatus(ctypes.byref(status)):  # type: ignore[attr-defined]
            return None
        return windows_ac_power(status.ACLineStatus)

    def idle_seconds(self) -> float | None:
        import ctypes

        class LastInput(ctypes.Structure):
            _fields_ = [("cbSize", ctypes.c_uint), ("dwTime", ctypes.c_uint)]

        info = LastInput(ctypes.sizeof(LastInput), 0)
        if not ctypes.windll.user32.GetLastInputInfo(ctypes.byref(info)):  # type: ignore[attr-defined]
            return None
        return windows_idle_seconds(ctypes.windll.kernel32.GetTickCount(), info.dwTime)  # type: ignore[attr-defined]


def machine_for(system: str = sys.platform) -> MachineState:
    if system == "darwin":
        return MacMachine()
    if system == "win32":
        return WindowsMachine()
    return LinuxMachine()
