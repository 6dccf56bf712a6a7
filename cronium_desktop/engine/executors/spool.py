"""A local run's process outlives the app: spool files, a status file, a launcher that waits for it.

The run folders root's `launcher` (one process for every run, never the app's child) starts the
script's process in a session of its own with stdout and stderr going to the spool files `stdout`
and `stderr` in the run's folder (appended to, never pipes to the app), waits for it, and writes
its exit status to `status` ("CODE\\n": a reader takes it only once the newline is there, so a
half-written file is no status) followed by its record of the run's resources (`exit CODE`, the
shell's `times` form, /proc/PID/io). It also enforces the runs' timeouts while the app is down.

`identity` records what the app needs to find the run again after a restart: the process's PID and
a per-run token that is also in its environment (`CRONIUM_RUN_IDENTITY`): a PID alone can be reused
by a stranger, who will not have the token. The launcher writes it as it starts the run: an app
that dies at any moment after the start leaves what it takes to find the run. (Earlier versions
started an `sh` wrapper per run that wrote the same files: its runs are still followed by them.)

A `SpoolReader` follows one run's spool files: large reads, lines split over reads, secrets masked
on whole lines (a secret split across two reads is still one line), handed to the sink as segments
with how far each file is read. One thread (`POLLER`) does the reading for every run going on.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.executors.launcher import STREAMS, write_new
from cronium_desktop.engine.notices import Segment
from cronium_desktop.engine.secrets import Masker

log = logging.getLogger(__name__)

READ_BYTES = 1024 * 1024
# After a read that found less than this, the reader lets output gather this long before reading on:
# a script printing steadily is then read in tens of kilobytes, not a write at a time (each read is
# a segment that crosses to the loop, the store and the window).
GATHER_BYTES, GATHER_SECONDS = 256 * 1024, 0.005
MAX_LINE_BYTES = 1024 * 1024
WATCHDOG_SLACK_SECONDS = 2.0
TOKEN_ENV = "CRONIUM_RUN_IDENTITY"
GONE_POLL_SECONDS = 0.1  # a run not this process's to hear of: how often to look whether it ended

# The event's optional limits, applied with `ulimit` (inherited by every process of the tree) by a
# shell that then becomes the script's process: only a run with limits pays for it.
LIMITS = r"""if [ -n "$CRONIUM_LIMIT_MEMORY_KB" ]; then ulimit -v "$CRONIUM_LIMIT_MEMORY_KB" || exit 126; fi
if [ -n "$CRONIUM_LIMIT_CPU_SECONDS" ]; then ulimit -t "$CRONIUM_LIMIT_CPU_SECONDS" || exit 126; fi
unset CRONIUM_LIMIT_MEMORY_KB CRONIUM_LIMIT_CPU_SECONDS
exec "$@"
"""

def new_token() -> str:
    return secrets.token_hex(16)


def process_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()[19]


def replace_with(path: Path, data: bytes) -> None:
    """Replace a file at once: a reader finds the old content or the new, never half of it."""
    temporary = path.with_name(path.name + ".tmp")
    write_new(temporary, data)
    os.replace(temporary, path)


def deadline_of(timeout_seconds: float) -> int:
    """When the launcher may stop a run starting now (epoch seconds): after the app would have."""
    return int(time.time() + timeout_seconds + WATCHDOG_SLACK_SECONDS) + 1


@functools.cache
def shell() -> str:
    """The shell by its path (for `LIMITS`): the run's PATH, which is searched otherwise, starts
    with the run folder."""
    return shutil.which("sh") or "/bin/sh"


def limited(command: list[str]) -> list[str]:
    """`command` under the event's limits (`LIMITS`, read from the environment)."""
    return [shell(), "-c", LIMITS, "cronium-limits", *command]


def environment_block(overrides: dict[str, str]) -> str:
    """This app's environment with `overrides` set over it, as the launcher takes it: NAME=VALUE
    entries separated by NUL, bytes that are not UTF-8 kept as surrogate escapes. Read from
    `posix.environ`, the table `os.environ` writes through, in one copy: decoding `os.environ` name by
    name, and encoding it back, cost a run more than starting it."""
    import posix

    env = dict(posix.environ)
    for name, value in overrides.items():
        encoded_name, encoded_value = os.fsencode(name), os.fsencode(value)
        if b"\0" in encoded_name or b"\0" in encoded_value:  # C would cut the string there
            raise ValueError("embedded null byte")
        env[encoded_name] = encoded_value
    return b"\0".join(name + b"=" + value for name, value in env.items()).decode("utf-8", "surrogateescape")


async def until_gone(identity: dict[str, object], folder: Path | None = None) -> None:
    """Until the run recorded in `identity`, one this process does not hear of (an earlier app
    started it, or its launcher was killed), is no longer running or has left its status in
    `folder`."""
    while (folder is None or read_status(folder) is None) and await asyncio.to_thread(is_same_process, identity):
        await asyncio.sleep(GONE_POLL_SECONDS)


def read_identity(folder: Path) -> dict[str, object] | None:
    """The run's identity as its launcher recorded it (None: not recorded yet, or not a run's)."""
    try:
        found = json.loads((folder / "identity").read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("pid"), int) else None


def _run_environ(identity: dict[str, object]) -> list[bytes] | None:
    """The environment of the process recorded in `identity` (NAME=VALUE entries), if it is still
    running: its PID has the run's token in its environment (and the start time an earlier version
    recorded, where there is one). None: gone, or another process now."""
    pid = identity.get("pid")
    if not isinstance(pid, int):
        return None
    if identity.get("start") is not None and process_start_time(pid) != identity["start"]:
        return None
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    return environ if f"{TOKEN_ENV}={identity.get('token')}".encode() in environ else None


def is_same_process(identity: dict[str, object]) -> bool:
    """Whether the process recorded in `identity` is still running (`_run_environ`)."""
    return _run_environ(identity) is not None


def environment_value(identity: dict[str, object], name: str) -> str | None:
    """The value of `name` in the environment the process recorded in `identity` was started with,
    while it still runs."""
    prefix = f"{name}=".encode()
    for entry in _run_environ(identity) or ():
        if entry.startswith(prefix):
            return os.fsdecode(entry[len(prefix):])
    return None


def read_record(folder: Path) -> str | None:
    """The run's `status` file as it is (None: not written). Read with plain system calls: it is
    read at the end of every run, and a text file object costs more than the reading."""
    try:
        fd = os.open(os.path.join(folder, "status"), os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def exit_status(record: str | None) -> int | None:
    """The exit status at the head of the run's status record; None while it is not all there."""
    if record is None or "\n" not in record:
        return None  # not written, or its writer was stopped while writing it
    try:  # the first line is the exit status; the record of the run's resources follows
        return int(record.split("\n", 1)[0])
    except ValueError:
        return None


def read_status(folder: Path) -> int | None:
    return exit_status(read_record(folder))


def _others_hold_open(fd: int) -> bool:
    """Whether a process other than this descriptor's holder has its file open (a background child,
    a daemon it started). A write lease is granted only on a file no other descriptor has open
    (Linux); elsewhere: assume not."""
    import fcntl

    lease = getattr(fcntl, "F_SETLEASE", None)
    if lease is None:
        return False
    try:
        fcntl.fcntl(fd, lease, fcntl.F_WRLCK)
        fcntl.fcntl(fd, lease, fcntl.F_UNLCK)
    except OSError as error:
        return error.errno in (errno.EAGAIN, errno.EBUSY)
    return False


Deliver = Callable[[Segment, tuple[int | None, int | None]], None]

# A reader's first look, a frame of the log view after the run started (a trivial run has ended by
# then and its end reads it all: the poller never looks at it); then twice as long after each empty
# look, up to:
FIRST_LOOK_SECONDS = 0.016
LONGEST_LOOK_SECONDS = 0.1
POLLER_IDLE_SECONDS = 60.0  # the poller's thread leaves after this long without a run to follow


class SpoolReader:
    """What is read of one run's spool files, from `offsets`: lines split over reads, masked, handed
    to `deliver` as segments with how far each file is read.

    While the run goes on, the `POLLER` thread reads (`follow`); once the run's process is gone, whoever
    records the run takes the reader back (`leave`), catches up (`catch_up`) and, when nothing else
    writes any more (`held_open_by_others`), reads to the end with `finish`. A lock keeps one reader
    at a time. The files stay open from the first read to `finish` (not opened at every look)."""

    def __init__(self, folder: Path, masker: Masker, deliver: Deliver, offsets: tuple[int, int] = (0, 0)) -> None:
        self._folder = folder
        self._paths = [os.path.join(folder, stream) for stream in STREAMS]
        self._masker = masker
        self._deliver = deliver
        self.offsets = list(offsets)
        self._pending = [b"", b""]
        self._fds: list[int | None] = [None, None]
        self._lock = threading.Lock()
        self._left = False  # taken back from the poller: it no longer reads
        self.finished = False
        self.due = 0.0  # the poller's next look (monotonic)
        self.interval = FIRST_LOOK_SECONDS

    def follow(self) -> None:
        """Let the poller read as output comes."""
        POLLER.add(self)

    def leave(self) -> None:
        """Take the reader back from the poller (waiting out a read it is doing). Blocking."""
        POLLER.discard(self)
        with self._lock:
            self._left = True

    def catch_up(self) -> None:
        """Read until the files hold nothing more (the run's process is gone; whatever else still writes
        is what `finish` reads)."""
        with self._lock:
            while self._read_all():
                pass

    def held_open_by_others(self) -> bool:
        """Whether another process still has a spool file open (`leave` first). Blocking."""
        with self._lock:
            self._open()
            return any(fd is not None and _others_hold_open(fd) for fd in self._fds)

    def finish(self) -> None:
        """Read to the end and hand over a last partial line of each stream; stop for good."""
        self.leave()
        with self._lock:
            if self.finished:
                return
            self.finished = True
            try:
                self._read_all()
            finally:
                self._close()
            for index, stream in enumerate(STREAMS):
                if self._pending[index]:
                    self._emit_line(index, stream, self._pending[index])
                    self._pending[index] = b""

    def poll(self, now: float) -> bool:
        """The poller's look: read, and say when to look next (its thread only). False: the reader
        cannot go on (the app's loop is gone, the folder removed): the poller lets it go."""
        with self._lock:
            if self._left:
                return False
            try:
                got = self._read_all()
            except Exception:  # noqa: BLE001 - whoever records the run reads the rest, or it was stopped
                log.debug("spool reader of %s stopped", self._folder, exc_info=True)
                self._left = True
                self._close()
                return False
        if not got:
            self.due = now + self.interval
            self.interval = min(self.interval * 2, LONGEST_LOOK_SECONDS)
            return True
        self.interval = FIRST_LOOK_SECONDS
        self.due = now + GATHER_SECONDS if got < GATHER_BYTES else now
        return True

    def _open(self) -> None:
        for index, path in enumerate(self._paths):
            if self._fds[index] is None:
                with contextlib.suppress(FileNotFoundError):  # not made yet, or the folder is gone
                    self._fds[index] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def _close(self) -> None:
        for index, fd in enumerate(self._fds):
            if fd is not None:
                os.close(fd)
                self._fds[index] = None

    def _read_all(self) -> int:
        """Read what both files hold. stderr's size is taken first and stdout is read to its end
        before stderr: a line is never stored before the stdout lines written ahead of it."""
        self._open()
        fds = self._fds
        ends = [0, 0]
        for index in (1, 0):
            fd = fds[index]
            ends[index] = os.fstat(fd).st_size if fd is not None else 0
        got = 0
        for index, stream in enumerate(STREAMS):
            fd = fds[index]
            while fd is not None:
                position = self.offsets[index] + len(self._pending[index])
                if position >= ends[index]:
                    break
                data = os.pread(fd, min(READ_BYTES, ends[index] - position), position)
                if not data:
                    break
                got += len(data)
                self._take(index, stream, data)
        return got

    def _take(self, index: int, stream: str, data: bytes) -> None:
        buffer = self._pending[index] + data if self._pending[index] else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._pending[index] = buffer
            while len(self._pending[index]) > MAX_LINE_BYTES:  # a very long line is cut, never lost
                self._emit_line(index, stream, self._pending[index][:MAX_LINE_BYTES])
                self._pending[index] = self._pending[index][MAX_LINE_BYTES:]
            return
        region, self._pending[index] = buffer[:cut], buffer[cut + 1:]
        count = region.count(b"\n") + 1
        self.offsets[index] += cut + 1
        if b"\r" in region:
            region = region.replace(b"\r\n", b"\n")
            if region.endswith(b"\r"):
                region = region[:-1]
        self._deliver(Segment(stream, utcnow(), self._mask(region), count), (self.offsets[0], self.offsets[1]))

    def _emit_line(self, index: int, stream: str, data: bytes) -> None:
        self.offsets[index] += len(data)
        line = data[:-1] if data.endswith(b"\r") else data
        self._deliver(Segment(stream, utcnow(), self._mask(line), 1), (self.offsets[0], self.offsets[1]))

    def _mask(self, region: bytes) -> bytes:
        if not self._masker.active:
            return region
        text = region.decode("utf-8", errors="replace")
        masked = self._masker.mask(text)
        return region if masked is text else masked.encode()


class SpoolPoller:
    """One thread reads the spool files of every local run going on (not one thread per run): each
    reader is looked at when it is due — soon after output came, less and less often while none
    comes. The thread sleeps while no run goes on, and leaves after a while."""

    def __init__(self) -> None:
        self._readers: set[SpoolReader] = set()
        self._ready = threading.Condition()
        self._running = False
        self._sleeping_until = 0.0  # when the thread wakes by itself (inf: until told)

    def add(self, reader: SpoolReader) -> None:
        now = time.monotonic()
        reader.due, reader.interval = now + FIRST_LOOK_SECONDS, FIRST_LOOK_SECONDS
        with self._ready:
            self._readers.add(reader)
            if not self._running:
                self._running = True
                threading.Thread(target=self._work, name="cronium-spool-poller", daemon=True).start()
            elif self._sleeping_until > reader.due:  # it would look too late: wake it (rarely)
                self._ready.notify()

    def discard(self, reader: SpoolReader) -> None:
        with self._ready:
            self._readers.discard(reader)

    def _work(self) -> None:
        while True:
            with self._ready:
                now = time.monotonic()
                due = [reader for reader in self._readers if reader.due <= now]
                if not due:
                    if not self._readers:
                        self._sleeping_until = float("inf")
                        self._ready.wait(POLLER_IDLE_SECONDS)
                        if not self._readers:
                            self._running = False
                            return
                    else:
                        self._sleeping_until = min(reader.due for reader in self._readers)
                        self._ready.wait(self._sleeping_until - now)
                    self._sleeping_until = 0.0
                    continue
            for reader in due:
                if not reader.poll(now):
                    self.discard(reader)


POLLER = SpoolPoller()


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
