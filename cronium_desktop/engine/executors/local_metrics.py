"""A local run's figures: the launcher waits for its process with `os.wait4`, the event's limits go
through its environment (`spool.LIMITS`), and what the OS, the status record and the sampler saw
are merged.

See `engine.metrics` for the sources and `launcher` for what is recorded at exit.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from cronium_desktop.engine import metrics
from cronium_desktop.engine.executors import spool
from cronium_desktop.engine.executors.base import Job


class Started:
    """A run's process as the launcher started it: its PID, a future of its exit code (None: not
    known), and once it has ended `os.wait4`'s resource usage of its tree (`usage`) and the
    launcher's own peak memory when it started it (see `measured`).

    The launcher's line calls `started` and `ended` on the loop; `ended` with no code when the line
    broke before the run ended (the launcher was killed): the run is then followed until its process
    is gone, as one an earlier app started (its status will never come)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, token: str) -> None:
        self.pid = 0  # set once started
        self.token = token
        self.launcher_peak = 0
        self.begun: asyncio.Future[int] = loop.create_future()  # the PID, or why it did not start
        self.exited: asyncio.Future[int | None] = loop.create_future()
        self.usage: Any = None  # os.wait4's resource usage, once it has ended
        self._loop = loop

    def started(self, pid: int | OSError) -> None:
        if isinstance(pid, OSError):
            self.begun.set_exception(pid)
        else:
            self.pid = pid
            self.begun.set_result(pid)

    def ended(self, code: int | None, usage: Any, peak: int) -> None:
        if self.exited.done():
            return
        if code is None:
            self._loop.create_task(self._gone())
            return
        import resource

        self.usage = resource.struct_rusage(usage)
        self.launcher_peak = peak
        self.exited.set_result(code)

    async def _gone(self) -> None:
        await spool.until_gone({"pid": self.pid, "token": self.token})
        if not self.exited.done():
            self.exited.set_result(None)


def limit_env(limits: dict[str, int]) -> dict[str, str]:
    """The `ulimit` settings for the event's optional limits (see `spool.LIMITS`)."""
    env = {}
    if limits.get("memory_mb"):
        env["CRONIUM_LIMIT_MEMORY_KB"] = str(int(limits["memory_mb"]) * 1024)
    if limits.get("cpu_seconds"):
        env["CRONIUM_LIMIT_CPU_SECONDS"] = str(int(limits["cpu_seconds"]))
    return env


SLACK_BYTES = 4 * 1024 * 1024
OUT_OF_MEMORY_WORDS = (b"MemoryError", b"Cannot allocate memory", b"out of memory", b"bad_alloc")


def measured(folder: Path, job: Job, exit_code: int | None, process: Started | None,
             sampled: metrics.RunMetrics | None, status: str | None = None) -> metrics.RunMetrics:
    """The run's figures from every source there is: the OS's at exit (when the launcher told this
    process), the status record (`status`: the status file, read by the caller), the app's samples;
    the signal from the exit status."""
    record = metrics.from_wrapper_record(status) if status is not None else None
    if record is None:  # `metrics`: the record of a wrapper an earlier version started
        try:
            record = metrics.from_wrapper_record((folder / "metrics").read_text())
        except OSError:
            pass
    exact = metrics.from_rusage(process.usage) if process is not None and process.usage is not None else None
    if exact is not None and process is not None and (exact.max_rss_bytes or 0) <= process.launcher_peak + SLACK_BYTES:
        # A child's exec records the peak of the memory it leaves, which right after the (v)fork is
        # the launcher's own: only a figure above it tells about the run.
        exact.max_rss_bytes = None
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
