"""One scheduler per data folder: an OS file lock that dies with its process.

The lock is an advisory lock on ``scheduler.lock`` in the data folder (flock on POSIX, msvcrt on
Windows). The operating system releases it when the holder exits, however it exits — a process
killed with SIGKILL leaves nothing stuck. The file holds the holder's PID so a refusal can name it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from cronium_desktop.engine.errors import CroniumError

LOCK_FILENAME = "scheduler.lock"


class FolderLocked(CroniumError):
    def __init__(self, data_dir: Path, pid: int | None) -> None:
        who = f"PID {pid}" if pid else "another process"
        super().__init__(f"another Cronium scheduler ({who}) is running on {data_dir}")
        self.pid = pid


class FolderLock:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILENAME
        self._handle: IO[str] | None = None

    def holder(self) -> int | None:
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def acquire(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise FolderLocked(self.data_dir, self.holder()) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
