"""The once-a-second look at every local run's process tree: its peak memory, CPU and I/O so far.

One thread serves all runs (not one per run) and sleeps while none is going. Each tick lists the
processes once (on Linux straight from /proc, elsewhere through psutil) and walks each run's tree from its wrapper, adding up the resident memory
of its members (the tree's peak is a sum at one moment, which the OS's per-process figures cannot
give) and remembering the last CPU and I/O figures of every member seen, so a process that ended
between ticks still counts for what it had used when last seen. The exact figures at exit come from
`os.wait4` or the wrapper's record; these fill in what they cannot tell. A peak shorter than the
time between two looks can be missed: sampling, not accounting.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from cronium_desktop.engine.metrics import RunMetrics

INTERVAL_SECONDS = 1.0
FIRST_LOOK_SECONDS = 0.1
YOUNG_SECONDS, YOUNG_INTERVAL_SECONDS = 1.0, 0.1  # a run's first second: ten looks
GROWING_SECONDS, GROWING_INTERVAL_SECONDS = 5.0, 0.25  # up to five seconds: four looks a second
PROC = Path("/proc")


@dataclass
class _Tree:
    root: int
    since: float = field(default_factory=time.monotonic)
    peak_rss: int = 0
    # pid → (user, system, read bytes, write bytes) when last seen
    members: dict[int, tuple[float, float, int, int]] = field(default_factory=dict)


class TreeSampler:
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._trees: dict[int, _Tree] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.own_cpu_seconds = 0.0  # the thread's own CPU time, for the bench
        self.enabled = True  # off only in the bench, to compare runs with and without sampling
        self._sleeping_until = 0.0  # when the thread wakes by itself (inf: until told)

    def watch(self, root_pid: int) -> None:
        """Start sampling the tree under `root_pid` (the run's wrapper); the thread looks at it at once."""
        if not self.enabled:
            return
        tree = _Tree(root_pid)
        with self._lock:
            self._trees[root_pid] = tree
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="cronium-tree-sampler", daemon=True)
                self._thread.start()
            elif self._sleeping_until > tree.since + FIRST_LOOK_SECONDS:  # it would look too late
                self._wake.notify()

    def release(self, root_pid: int) -> RunMetrics | None:
        """Stop sampling the tree and return what was seen (None if it was never watched)."""
        with self._lock:
            tree = self._trees.pop(root_pid, None)
        if tree is None:
            return None
        if not tree.members:
            return RunMetrics(max_rss_bytes=tree.peak_rss or None)
        seen = tree.members.values()
        return RunMetrics(cpu_user_s=round(sum(m[0] for m in seen), 3), cpu_system_s=round(sum(m[1] for m in seen), 3),
                          max_rss_bytes=tree.peak_rss or None, read_bytes=sum(m[2] for m in seen) or None,
                          write_bytes=sum(m[3] for m in seen) or None)

    def _loop(self) -> None:
        started = time.thread_time()
        while True:
            with self._lock:
                if not self._trees:
                    self._sleeping_until = float("inf")
                    self._wake.wait(60)
                    if not self._trees:
                        self._thread = None
                        return
                trees = list(self._trees.values())
            now = time.monotonic()
            # A run is first looked at FIRST_LOOK_SECONDS after it started (a trivial run never is:
            # its figures at exit say it all), then more often while it is young (a short script's
            # peak would otherwise fall between two looks), then once a second.
            due = [tree for tree in trees if now - tree.since >= FIRST_LOOK_SECONDS]
            if due:
                table = _process_table()
                for tree in due:
                    self._look(tree, table)
                self.ticks += 1
                self.own_cpu_seconds = time.thread_time() - started
            ages = [now - tree.since for tree in trees]
            wait = (YOUNG_INTERVAL_SECONDS if min(ages) < YOUNG_SECONDS
                    else GROWING_INTERVAL_SECONDS if min(ages) < GROWING_SECONDS else self.interval)
            with self._lock:
                self._sleeping_until = time.monotonic() + min(wait, self.interval)
                self._wake.wait(min(wait, self.interval))
                self._sleeping_until = 0.0

    @staticmethod
    def _look(tree: _Tree, table: _Table) -> None:
        children, stats = table
        pending, total = [tree.root], 0
        while pending:
            pid = pending.pop()
            pending.extend(children.get(pid, ()))
            seen = _from_stat(stats[pid]) if pid in stats else _from_psutil(pid)
            if seen is None:
                continue
            rss, user, system, read, write = seen
            total += rss
            if pid in stats:  # the process's own peak since it started: catches what fell between looks
                tree.peak_rss = max(tree.peak_rss, _high_water(pid))
            # The wrapper's I/O includes its reaped children's, already counted as members.
            tree.members[pid] = (user, system, 0, 0) if pid == tree.root else (user, system, read, write)
        tree.peak_rss = max(tree.peak_rss, total)


# parent pid → child pids; pid → its raw /proc/PID/stat (Linux; empty elsewhere)
_Table = tuple[dict[int, list[int]], dict[int, bytes]]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _from_stat(stat: bytes) -> tuple[int, float, float, int, int] | None:
    """rss, user and system seconds from a /proc/PID/stat line read in the table pass (Linux).
    Storage I/O is left to the wrapper's exact record at exit."""
    try:
        fields = stat[stat.rindex(b")") + 2:].split()
        return (int(fields[21]) * PAGE_BYTES, int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS, 0, 0)
    except (ValueError, IndexError):
        return None


def _high_water(pid: int) -> int:
    """VmHWM of /proc/PID/status in bytes (0 if gone). A fresh exec starts it afresh, so unlike the
    wrapper's ru_maxrss it holds nothing of the app's memory."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            text = status.read()
        found = text.find(b"VmHWM:")
        return int(text[found + 6:text.index(b"kB", found)]) * 1024 if found >= 0 else 0
    except (OSError, ValueError):
        return 0


def _from_psutil(pid: int) -> tuple[int, float, float, int, int] | None:
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            rss = process.memory_info().rss
            cpu = process.cpu_times()
            io = _io(process)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None
    return rss, cpu.user, cpu.system, io[0], io[1]


def _io(process: psutil.Process) -> tuple[int, int]:
    try:
        counters = process.io_counters()  # type: ignore[attr-defined]  # not on macOS
    except (AttributeError, psutil.AccessDenied, NotImplementedError):
        return 0, 0
    return int(counters.read_bytes), int(counters.write_bytes)


def _process_table() -> _Table:
    """Parent pid → child pids, from one pass over the process table.

    On Linux the pass reads /proc/PID/stat directly and keeps each line, which also holds the
    process's memory and CPU: psutil's per-process objects cost about ten times as much for the
    whole table. Elsewhere psutil lists the table and tells each member's figures."""
    if not PROC.is_dir():
        return _children_map_psutil(), {}
    children: dict[int, list[int]] = {}
    stats: dict[int, bytes] = {}
    for name in os.listdir(PROC):
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY)
            try:
                data = os.read(fd, 1024)
            finally:
                os.close(fd)
            parent = int(data[data.rindex(b")") + 2:].split(b" ", 2)[1])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(name)
        children.setdefault(parent, []).append(pid)
        stats[pid] = data
    return children, stats


def _children_map_psutil() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for process in psutil.process_iter(["ppid"]):
        parent = process.info.get("ppid")
        if parent:
            children.setdefault(parent, []).append(process.pid)
    return children


SAMPLER = TreeSampler()
