"""Everything that differs between operating systems, behind one small interface.

`current()` is the `Platform` of the system this runs on: interpreters for script events, the
default data folder, private file permissions, process trees (groups, terminate, kill, signal
names), the child environment, and "Start at login". One module per system: `linux` (also other
POSIX systems), `macos`, `windows`; `base` holds what they share.
"""

from __future__ import annotations

import functools
import sys

from cronium_desktop.engine.platform.base import (
    AutostartEntry,
    InterpreterMissing,
    Platform,
    is_frozen,
    launch_command,
    signal_name,
)

__all__ = ["AutostartEntry", "InterpreterMissing", "Platform", "current", "for_system", "is_frozen",
           "launch_command", "signal_name"]


def for_system(system: str) -> Platform:
    """The implementation for a `sys.platform` value ("linux", "darwin", "win32", ...)."""
    if system == "darwin":
        from cronium_desktop.engine.platform.macos import MacPlatform

        return MacPlatform()
    if system == "win32":
        from cronium_desktop.engine.platform.windows import WindowsPlatform

        return WindowsPlatform()
    from cronium_desktop.engine.platform.linux import LinuxPlatform

    return LinuxPlatform()


@functools.cache
def current() -> Platform:
    return for_system(sys.platform)
