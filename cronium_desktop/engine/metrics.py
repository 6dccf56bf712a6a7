"""What one run attempt cost: CPU, peak memory, I/O, the signal that ended it, and where the time went.

Every executor fills a `RunMetrics` with what its platform tells cheaply and exactly; a figure it
cannot know stays None (shown as "—"), never a guess. The sources, merged with `combine`:

- local runs: the launcher's `os.wait4` of the run's process (the reaped tree's CPU, its largest
  process's peak memory, its storage I/O) when it tells the app that started the run; its status
  record (`times` form and `/proc/PID/io`, written into the run folder at exit; an `sh` wrapper of
  earlier versions wrote the same) when the app re-attached after a restart;
  and the app's once-a-second sample of the live tree (`executors/sampler.py`) for the tree's peak;
- container runs: the engine's cgroup figures (Docker stats);
- remote runs: `times` and `/proc/$$/io` of the remote wrapper shell.
"""

from __future__ import annotations

import re
import signal
import sys
from dataclasses import dataclass, fields, replace
from typing import Any

FIGURES = ("cpu_user_s", "cpu_system_s", "max_rss_bytes", "read_bytes", "write_bytes")
SUMMED = ("cpu_user_s", "cpu_system_s", "read_bytes", "write_bytes")  # several servers: added up
TIMES_FIGURE = re.compile(r"(\d+)m([\d.]+)s")


@dataclass
class RunMetrics:
    cpu_user_s: float | None = None
    cpu_system_s: float | None = None
    max_rss_bytes: int | None = None
    read_bytes: int | None = None
    write_bytes: int | None = None
    signal: str | None = None  # "SIGKILL": the signal that ended the script, by name
    limit_reason: str | None = None  # in words, when the OOM killer or a limit ended it

    def as_dict(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @property
    def empty(self) -> bool:
        return all(value is None for value in self.as_dict().values())


def combine(*parts: RunMetrics | None) -> RunMetrics:
    """One record from several views of the same run: the larger of each figure (each source may
    miss part of the tree: a process gone between samples, a child never reaped), the first
    signal and reason given."""
    merged = RunMetrics()
    for part in parts:
        if part is None:
            continue
        for name in FIGURES:
            mine, theirs = getattr(merged, name), getattr(part, name)
            if theirs is not None and (mine is None or theirs > mine):
                setattr(merged, name, theirs)
        merged.signal = merged.signal or part.signal
        merged.limit_reason = merged.limit_reason or part.limit_reason
    return merged


def add_up(parts: list[RunMetrics | None]) -> RunMetrics | None:
    """A multi-server run: CPU and I/O summed over the servers that report them, the largest peak."""
    found = [part for part in parts if part is not None]
    if not found:
        return None
    total = replace(found[0])
    for part in found[1:]:
        for name in SUMMED:
            mine, theirs = getattr(total, name), getattr(part, name)
            if theirs is not None:
                setattr(total, name, theirs if mine is None else mine + theirs)
        if part.max_rss_bytes is not None and (total.max_rss_bytes is None or part.max_rss_bytes > total.max_rss_bytes):
            total.max_rss_bytes = part.max_rss_bytes
        total.signal = total.signal or part.signal
        total.limit_reason = total.limit_reason or part.limit_reason
    return total


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def from_rusage(usage: Any) -> RunMetrics:
    """`os.wait4`'s figures for the reaped tree. ru_maxrss is KiB on Linux, bytes on macOS; the block
    counts are 512-byte units of storage I/O (Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    metrics = RunMetrics(cpu_user_s=round(usage.ru_utime, 3), cpu_system_s=round(usage.ru_stime, 3),
                         max_rss_bytes=int(usage.ru_maxrss) * scale)
    if sys.platform.startswith("linux"):
        metrics.read_bytes, metrics.write_bytes = int(usage.ru_inblock) * 512, int(usage.ru_oublock) * 512
    return metrics


def from_times(text: str) -> RunMetrics | None:
    """The shell's `times`: its own user/system line, then its children's. Both added up (the shell's
    own share is tiny but real)."""
    found = [int(minutes) * 60 + float(seconds) for minutes, seconds in TIMES_FIGURE.findall(text)]
    if len(found) < 4:
        return None
    return RunMetrics(cpu_user_s=round(found[0] + found[2], 3), cpu_system_s=round(found[1] + found[3], 3))


def from_proc_io(text: str) -> RunMetrics | None:
    """`/proc/PID/io` of a shell that reaped the whole tree: the storage bytes it read and wrote."""
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if value.strip().isdigit():
            values[name.strip()] = int(value)
    if "read_bytes" not in values or "write_bytes" not in values:
        return None
    return RunMetrics(read_bytes=values["read_bytes"], write_bytes=values["write_bytes"])


def from_wrapper_record(text: str) -> RunMetrics | None:
    """What a wrapper shell wrote at its end: `times` output, then `/proc/$$/io` where there is one,
    and an `exit N` line (N > 128: the script was ended by signal N - 128)."""
    parts = [from_times(text), from_proc_io(text)]
    status = re.search(r"^exit (\d+)$", text, re.MULTILINE)
    result = combine(*parts) if any(parts) or status else None
    if result is not None and status and int(status.group(1)) > 128:
        result.signal = signal_name(int(status.group(1)) - 128)
    return result


CPU_LIMIT_REACHED = 0.8  # of the limit, in the CPU time reported at exit (see `limit_wording`)


def limit_wording(metrics: RunMetrics, memory_limit_mb: int | None, cpu_limit_s: int | None) -> str | None:
    """The reason, in words, a local run with limits was ended by one (same wording as containers).

    The kernel enforces a CPU limit on its sampled CPU clock, which on a busy virtual machine runs
    ahead of the exact CPU time reported at exit (a 1 s limit was seen to stop a script at 0.92 s):
    a tree stopped that way after most of its CPU limit was stopped by it."""
    if cpu_limit_s and metrics.signal in ("SIGXCPU", "SIGKILL") and (metrics.cpu_user_s or 0) + (
            metrics.cpu_system_s or 0) >= cpu_limit_s * CPU_LIMIT_REACHED:
        return (f"CPU limit: the script was stopped at its CPU time limit of {cpu_limit_s} s; raise the limit in the "
                "event's run settings or make the script do less.")
    if memory_limit_mb and metrics.signal in (None, "SIGKILL", "SIGSEGV", "SIGABRT"):
        return (f"Out of memory: the script hit its memory limit of {memory_limit_mb} MB (an allocation past it "
                "fails); raise the limit in the event's run settings or make the script use less.")
    return None


def oom_wording(memory_mb: Any) -> str:
    return (f"Out of memory: the container was stopped at its memory limit of {memory_mb} MB; "
            "raise memory_mb in the event's container settings or make the script use less.")


def human_bytes(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def human_seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"
