"""One scheduler per data folder, and the presence of other processes running executions there.

Both use OS file locks that die with their process.

The lock is an advisory lock on ``scheduler.lock`` in the data folder (flock on POSIX, msvcrt on
Windows). The operating system releases it when the holder exits, however it exits — a process
killed with SIGKILL leaves nothing stuck. The file holds the holder's PID so a refusal can name it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from cronium_desktop.engine.errors import CroniumError

LOCK_FILENAME = "scheduler.lock"


def _private(path: str, flags: int) -> int:
    """Lock files are created private to the user, like everything in the data folder (SPEC §7)."""
    return os.open(path, flags, 0o600)
T = TypeVar("T")


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
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(self.path, "a+", opener=_private)  # noqa: SIM115 - held open for the lock's lifetime
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


RUNNERS_DIRNAME = "runners"
RUNNERS_GATE_FILENAME = "runners.lock"


class RunnerPresence:
    """Processes that run executions without owning the data folder (the CLI's `run`) say so here.

    The scheduler recovers runs a stopped process left RUNNING (SPEC §2), but a RUNNING run of a CLI
    command still going looks the same in the store: recovering it would fail a live run and start
    it a second time. So each such process holds a lock on its own file in ``runners/`` while its
    engine is started, and the scheduler recovers only when none of those locks is held. A short
    gate lock makes announcing and checking exclusive, so a command starting during a recovery
    waits for it to finish. Exclusive locks only, so it works with msvcrt as with flock.
    """

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / RUNNERS_DIRNAME
        self._gate_path = data_dir / RUNNERS_GATE_FILENAME
        self._handle: IO[str] | None = None
        self._path: Path | None = None

    def _open_gate(self, wait_seconds: float) -> IO[str] | None:
        import time

        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(self._gate_path, "a+", opener=_private)  # noqa: SIM115 - closed by the caller
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                _lock(handle)
                return handle
            except OSError:
                if time.monotonic() >= deadline:
                    handle.close()
                    return None
                time.sleep(0.05)

    @staticmethod
    def _close_gate(handle: IO[str]) -> None:
        try:
            _unlock(handle)
        finally:
            handle.close()

    def announce(self) -> None:
        """Mark this process as running executions (blocking: call it from a worker thread)."""
        if self._handle is not None:
            return
        gate = self._open_gate(wait_seconds=60)
        try:
            path = self.folder / f"{os.getpid()}-{os.urandom(4).hex()}.lock"
            handle = open(path, "a+", opener=_private)  # noqa: SIM115 - held open for the lock's lifetime
            _lock(handle)
            self._handle, self._path = handle, path
        finally:
            if gate is not None:
                self._close_gate(gate)

    def withdraw(self) -> None:
        if self._handle is None or self._path is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None
            self._path.unlink(missing_ok=True)
            self._path = None

    def _others_present(self) -> bool:
        """True if another process holds its presence lock; removes files of processes gone."""
        present = False
        for path in self.folder.glob("*.lock"):
            if path == self._path:
                continue
            try:
                handle = open(path, "a+")  # noqa: SIM115 - closed below
            except OSError:
                continue
            try:
                _lock(handle)
            except OSError:
                present = True
                handle.close()
                continue
            _unlock(handle)
            handle.close()
            path.unlink(missing_ok=True)
        return present

    def run_alone(self, work: Callable[[], T]) -> tuple[bool, T | None]:
        """Run `work` if no other process runs executions; (False, None) if one does.

        While `work` runs, no process can announce itself (blocking: call it from a worker thread).
        """
        gate = self._open_gate(wait_seconds=1)
        if gate is None:
            return False, None
        try:
            if self._others_present():
                return False, None
            return True, work()
        finally:
            self._close_gate(gate)
