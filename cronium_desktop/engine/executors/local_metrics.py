"""A local run's figures: the app waits for its wrapper with `os.wait4`, applies the event's limits
through the wrapper's environment, and merges what the OS, the wrapper and the sampler saw.

See `engine.metrics` for the sources and `spool.WRAPPER` for what the wrapper records at exit.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from cronium_desktop.engine import metrics
from cronium_desktop.engine.executors.base import Job


class Wrapper:
    """The started wrapper: its PID, a future of its exit code (negative: killed by that signal), and
    its `os.wait4` resource usage once it has ended.

    Where the OS gives a process file descriptor (Linux), the loop watches it and reaps the wrapper
    when it becomes readable: no thread per run. Elsewhere a thread of its own waits (not the
    executor's pool, whose few threads a long run would hold)."""

    def __init__(self, pid: int, loop: asyncio.AbstractEventLoop, app_peak: int,
                 popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid = pid
        self.app_peak = app_peak  # see `app_peak_rss`
        self.exited: asyncio.Future[int] = loop.create_future()
        self.usage: list[Any] = []
        self._popen = popen
        self._loop = loop
        self._pidfd = _pidfd(self.pid)
        if self._pidfd is not None:
            loop.add_reader(self._pidfd, self._reap)
            return

        def wait() -> None:
            _, status, usage = os.wait4(self.pid, 0)
            try:
                loop.call_soon_threadsafe(self._settle, status, usage)
            except RuntimeError:  # the loop is closed: the app stopped and let the run finish on its own
                pass

        threading.Thread(target=wait, name=f"cronium-wait-{self.pid}", daemon=True).start()

    def _reap(self) -> None:
        try:
            pid, status, usage = os.wait4(self.pid, os.WNOHANG)
        except ChildProcessError:  # reaped elsewhere: no status to tell
            pid, status, usage = self.pid, None, None
        if pid == 0:
            return
        assert self._pidfd is not None
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = None
        self._settle(status, usage)

    def _settle(self, status: int | None, usage: Any) -> None:
        code = os.waitstatus_to_exitcode(status) if status is not None else 1
        if self._popen is not None:
            self._popen.returncode = code  # so Popen never waits for it again
        if usage is not None:
            self.usage.append(usage)
        if not self.exited.done():
            self.exited.set_result(code)


def _pidfd(pid: int) -> int | None:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:  # an older kernel, or a sandbox that refuses it
        return None


def app_peak_rss() -> int:
    """This process's peak resident memory, in bytes. A child's exec records the peak of the memory
    it leaves, which right after the fork (or vfork) is the app's own: the wrapper's `ru_maxrss`
    can therefore never be below this, and only a figure above it tells about the run."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def limit_env(limits: dict[str, int]) -> dict[str, str]:
    """The wrapper's `ulimit` settings for the event's optional limits (see `spool.WRAPPER`)."""
    env = {}
    if limits.get("memory_mb"):
        env["CRONIUM_LIMIT_MEMORY_KB"] = str(int(limits["memory_mb"]) * 1024)
    if limits.get("cpu_seconds"):
        env["CRONIUM_LIMIT_CPU_SECONDS"] = str(int(limits["cpu_seconds"]))
    return env


SLACK_BYTES = 4 * 1024 * 1024
OUT_OF_MEMORY_WORDS = (b"MemoryError", b"Cannot allocate memory", b"out of memory", b"bad_alloc")


def measured(folder: Path, job: Job, exit_code: int | None, usage: list[Any] | None,
             sampled: metrics.RunMetrics | None, app_peak: int = 0, status: str | None = None) -> metrics.RunMetrics:
    """The run's figures from every source there is: the OS's at exit (when this process waited for
    the wrapper), the wrapper's own record (`status`: its status file, read by the caller), the
    app's samples; the signal from the exit status."""
    record = metrics.from_wrapper_record(status) if status is not None else None
    if record is None:  # `metrics`: the record of a wrapper an earlier version started
        try:
            record = metrics.from_wrapper_record((folder / "metrics").read_text())
        except OSError:
            pass
    exact = metrics.from_rusage(usage[0]) if usage else None
    if exact is not None and (exact.max_rss_bytes or 0) <= app_peak + SLACK_BYTES:
        exact.max_rss_bytes = None  # the app's own peak, inherited through the fork: says nothing of the run
    found = metrics.combine(exact, record, sampled)
    if found.signal is None and exit_code is not None and exit_code > 128:
        found.signal = metrics.signal_name(exit_code - 128)
    if exit_code and job.limits:
        memory_limit = job.limits.get("memory_mb")
        if memory_limit and found.signal is None and not _said_out_of_memory(folder):
            memory_limit = None  # failed for another reason
        found.limit_reason = metrics.limit_wording(found, memory_limit, job.limits.get("cpu_seconds"))
    return found


def _said_out_of_memory(folder: Path) -> bool:
    try:
        with open(folder / "stderr", "rb") as err:
            err.seek(max(0, os.fstat(err.fileno()).st_size - 65536))
            tail = err.read()
    except OSError:
        return False
    return any(word in tail for word in OUT_OF_MEMORY_WORDS)
