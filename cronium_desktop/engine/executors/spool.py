"""A local run's process outlives the app: a POSIX `sh` wrapper, spool files, a status file.

The app starts `sh -c WRAPPER` in a session of its own with stdout and stderr going to the spool
files `stdout` and `stderr` in the run's folder (appended to, never pipes to the app). The wrapper
runs the script in the foreground, writes its exit status to `status` ("CODE\\n": a reader takes it
only once the newline is there, so a half-written file is no status) followed by its record of the
run's resources (`exit CODE`, `times`, /proc/$$/io), and exits. The `GUARDIAN`
(one process for all runs, not one per run) enforces the runs' timeouts while the app is down.

`identity` records what the app needs to find the run again after a restart: the wrapper's PID and
a per-run token that is also in the wrapper's environment (`CRONIUM_RUN_IDENTITY`): a PID alone can
be reused by a stranger, who will not have the token. The wrapper writes it, and the guardian's
`deadline`, before anything else, from its environment: the app writes nothing once the run has
started, and an app that dies at any moment after the start leaves what it takes to find the run.
(An earlier version wrote `identity` itself, with the wrapper's start time: still understood.)

A `SpoolReader` follows one run's spool files: large reads, lines split over reads, secrets masked
on whole lines (a secret split across two reads is still one line), handed to the sink as segments
with how far each file is read. One thread (`POLLER`) does the reading for every run going on.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cronium_desktop.engine.clock import utcnow
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
GUARDIAN_CHECK_SECONDS = 5.0
TOKEN_ENV = "CRONIUM_RUN_IDENTITY"
DEADLINE_ENV = "CRONIUM_RUN_DEADLINE"
STREAMS = ("stdout", "stderr")

# $1: the run's folder; the rest: the command. The wrapper outlives the app and leaves the status.
# Optional limits arrive in the environment and are applied with `ulimit` (inherited by every process
# of the tree). After the status line it records what it can tell about the whole tree, which it
# reaped: `times` (its and its children's CPU) and /proc/$$/io (storage bytes; Linux), read with
# builtins (no fork). Every file it writes costs the run time: it writes three, its identity and
# deadline first (`CRONIUM_RUN_DEADLINE`: when the guardian may stop it, epoch seconds), and starts
# in the run's folder (it is spawned without a working directory of its own: `spawn`).
WRAPPER = r"""d=$1; shift
printf '{"pid": %s, "token": "%s"}\n' $$ "$CRONIUM_RUN_IDENTITY" > "$d/identity"
printf '%s %s %s\n' "$CRONIUM_RUN_DEADLINE" $$ "$CRONIUM_RUN_IDENTITY" > "$d/deadline"
cd "$d" || exit 126
trap 'stopping=1' TERM
if [ -n "$CRONIUM_LIMIT_MEMORY_KB" ]; then ulimit -v "$CRONIUM_LIMIT_MEMORY_KB"; fi
if [ -n "$CRONIUM_LIMIT_CPU_SECONDS" ]; then ulimit -t "$CRONIUM_LIMIT_CPU_SECONDS"; fi
unset CRONIUM_LIMIT_MEMORY_KB CRONIUM_LIMIT_CPU_SECONDS CRONIUM_RUN_DEADLINE
"$@" </dev/null
code=$?
{ printf '%s\nexit %s\n' "$code" "$code"; times
  if [ -r /proc/$$/io ]; then while IFS= read -r l; do echo "$l"; done < /proc/$$/io; fi; } > "$d/status" 2>/dev/null
"""

# One per run folders root, in a session of its own, started by the app and outliving it: once a
# second it looks at the runs' `deadline` files ("EPOCH_SECONDS PGID TOKEN") and stops a run past
# its deadline that has no status yet (the app stops runs itself while it is up; the deadline has
# some slack so that it acts first): it marks `timedout`, SIGTERMs the run's process group, and
# SIGKILLs it 5 s later. The token check keeps a reused PID safe. It leaves after a minute with no
# run to watch: one that ended (its status written), was stopped, or whose process is gone counts
# for nothing (a run folder left behind for good would otherwise keep it up for ever).
GUARDIAN = r"""root=$1
echo $$ > "$root/guardian.pid"
idle=0
while [ "$idle" -lt "${2:-60}" ]; do
  sleep 1
  now=$(date +%s)
  found=0
  for dl in "$root"/run-*/deadline; do
    [ -f "$dl" ] || continue
    r=${dl%/deadline}
    [ -f "$r/status" ] && continue
    [ -f "$r/timedout" ] && continue
    read -r when pg tok < "$dl"
    [ -d "/proc/$pg" ] || continue
    if [ "$now" -lt "$when" ]; then found=1; continue; fi
    tr '\0' '\n' < "/proc/$pg/environ" 2>/dev/null | grep -qx "CRONIUM_RUN_IDENTITY=$tok" || continue
    found=1
    : > "$r/timedout"
    kill -TERM -"$pg" 2>/dev/null
    ( sleep 5; [ -f "$r/status" ] || kill -KILL -"$pg" 2>/dev/null ) &
  done
  if [ "$found" = 1 ]; then idle=0; else idle=$((idle + 1)); fi
done
rm -f "$root/guardian.pid"
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


def write_new(path: Path, data: bytes) -> None:
    """Write a whole file readable by this user only, in as few system calls as it takes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def replace_with(path: Path, data: bytes) -> None:
    """Replace a file at once: a reader finds the old content or the new, never half of it."""
    temporary = path.with_name(path.name + ".tmp")
    write_new(temporary, data)
    os.replace(temporary, path)


def deadline_of(timeout_seconds: float) -> int:
    """When the guardian may stop a run starting now (epoch seconds): after the app would have."""
    return int(time.time() + timeout_seconds + WATCHDOG_SLACK_SECONDS) + 1


@functools.cache
def shell() -> str:
    """The wrapper's shell by its path: the run's PATH, which is searched otherwise, starts with the
    run folder."""
    return shutil.which("sh") or "/bin/sh"


@functools.cache
def _close_range() -> Callable[[], int] | None:
    """Linux's close_range(2) marking every descriptor from 3 up close-on-exec (Linux 5.11; None
    where there is none)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    syscall = ctypes.CDLL(None, use_errno=True).syscall
    syscall.restype = ctypes.c_long
    close_range, first, last, cloexec = 436, 3, 0xFFFFFFFF, 4  # SYS_close_range, CLOSE_RANGE_CLOEXEC
    return lambda: int(syscall(ctypes.c_long(close_range), ctypes.c_uint(first), ctypes.c_uint(last),
                               ctypes.c_uint(cloexec)))


def _descriptors_closed_on_exec() -> None:
    """Every descriptor of this process from 3 up closes on exec, as the next spawn starts.

    `posix_spawn` (unlike `subprocess`) leaves the parent's descriptors open in the child. Those
    Python, SQLite and Qt open are close-on-exec already; this covers any other (one handed to the
    app by whatever started it, one a library opened without the flag)."""
    close_range = _close_range()
    if close_range is not None and close_range() == 0:
        return
    listing = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    for name in os.listdir(listing):
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):
                os.set_inheritable(fd, False)


Opened = tuple[int, str, int, int]  # a descriptor of the new process: (fd, path, flags, mode)
SPOOL_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT  # how a wrapper's output goes to its spool files


@functools.cache
def _glibc_posix_spawn() -> Callable[[str, list[str], dict[bytes, bytes], list[Opened]], int] | None:
    """glibc's posix_spawn(3), called without holding the interpreter's lock (None elsewhere).

    `os.posix_spawn` holds it until the new process has exec'd, which on a busy machine includes
    waiting for a CPU: every other thread of the app (the event loop, the store's writer) stands
    still meanwhile, for a millisecond or more per run. A foreign function called through ctypes
    lets them go on."""
    if not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"):
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    setsid = 0x80  # POSIX_SPAWN_SETSID (glibc 2.26)
    # The opaque types' sizes vary by architecture (80 and 336 bytes on x86-64): room for any.
    room = 1024
    add_open = libc.posix_spawn_file_actions_addopen
    add_open.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint]
    set_flags = libc.posix_spawnattr_setflags
    set_flags.argtypes = [ctypes.c_void_p, ctypes.c_short]
    posix_spawn = libc.posix_spawn
    strings = ctypes.POINTER(ctypes.c_char_p)
    posix_spawn.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                            strings, strings]

    def spawn(path: str, argv: list[str], env: dict[bytes, bytes], opened: list[Opened]) -> int:
        actions, attributes = ctypes.create_string_buffer(room), ctypes.create_string_buffer(room)
        libc.posix_spawn_file_actions_init(actions)
        libc.posix_spawnattr_init(attributes)
        try:
            for fd, name, flags, mode in opened:
                if add_open(actions, fd, os.fsencode(name), flags, mode):
                    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), name)
            set_flags(attributes, setsid)
            arguments = [os.fsencode(argument) for argument in argv]
            variables = [name + b"=" + value for name, value in env.items()]
            if b"\0" in b"".join(arguments) or b"\0" in b"".join(variables):  # C would cut the string there
                raise ValueError("embedded null byte")
            pid = ctypes.c_int()
            code = posix_spawn(ctypes.byref(pid), os.fsencode(path), actions, attributes,
                               (ctypes.c_char_p * (len(arguments) + 1))(*arguments, None),
                               (ctypes.c_char_p * (len(variables) + 1))(*variables, None))
        finally:
            libc.posix_spawn_file_actions_destroy(actions)
            libc.posix_spawnattr_destroy(attributes)
        if code:
            raise OSError(code, os.strerror(code), path)
        return pid.value

    return spawn


def environment(overrides: dict[str, str]) -> dict[bytes, bytes]:
    """This app's environment with `overrides` set over it, encoded as a process gets it. Read from
    `posix.environ`, the table `os.environ` writes through, in one copy: decoding `os.environ` name by
    name, and encoding it back, cost a run more than starting its wrapper."""
    import posix

    env = dict(posix.environ)
    env.update((os.fsencode(name), os.fsencode(value)) for name, value in overrides.items())
    return env


def spawn(folder: Path, command: list[str], overrides: dict[str, str]) -> tuple[int, subprocess.Popen[bytes] | None]:
    """Start the wrapper for `command` in a session of its own, with this app's environment and
    `overrides` set over it, its output appended to the run folder's spool files (made here), its
    input empty. (PID, None) through `posix_spawn`: a few system calls, where `subprocess` costs the
    app several times as much Python per run; where the platform cannot start a session that way,
    (PID, the Popen, which must not be collected before the wrapper is reaped)."""
    argv = [shell(), "-c", WRAPPER, "cronium-run", str(folder), *command]
    out, err = str(folder / STREAMS[0]), str(folder / STREAMS[1])
    opened: list[Opened] = [(0, os.devnull, os.O_RDONLY, 0), (1, out, SPOOL_FLAGS, 0o600), (2, err, SPOOL_FLAGS, 0o600)]
    if not hasattr(os, "posix_spawn"):
        return _popen(argv, {**os.environ, **overrides}, out, err)
    env = environment(overrides)
    _descriptors_closed_on_exec()
    native = _glibc_posix_spawn()
    if native is not None:
        return native(argv[0], argv, env, opened), None
    try:
        return os.posix_spawn(argv[0], argv, env, setsid=True,
                              file_actions=[(os.POSIX_SPAWN_OPEN, *action) for action in opened]), None
    except NotImplementedError:  # no POSIX_SPAWN_SETSID here
        return _popen(argv, env, out, err)


def _popen(argv: list[str], env: Mapping[bytes, bytes] | Mapping[str, str], out: str,
           err: str) -> tuple[int, subprocess.Popen[bytes]]:
    stdout = os.open(out, SPOOL_FLAGS | os.O_CLOEXEC, 0o600)
    stderr = os.open(err, SPOOL_FLAGS | os.O_CLOEXEC, 0o600)
    try:
        popen = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 start_new_session=True)
    finally:
        os.close(stdout)
        os.close(stderr)
    return popen.pid, popen


_guardian_checked = [0.0]


def ensure_guardian(root: Path) -> None:
    """Start the root's guardian unless one is running (looked at once every few seconds)."""
    if time.monotonic() - _guardian_checked[0] < GUARDIAN_CHECK_SECONDS:
        return
    _guardian_checked[0] = time.monotonic()
    try:
        pid = int((root / "guardian.pid").read_text())
        if b"cronium-guardian" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
    except (OSError, ValueError):
        pass
    # Started through a shell that leaves at once: the guardian is never the app's child, so it is
    # never left a zombie waiting for the app to reap it.
    subprocess.run([shell(), "-c", 'sh -c "$1" cronium-guardian "$2" &', "cronium-start-guardian", GUARDIAN, str(root)],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True, close_fds=True, check=False)


def read_identity(folder: Path) -> dict[str, object] | None:
    """The run's identity as its wrapper recorded it (None: not recorded yet, or not a run's)."""
    try:
        found = json.loads((folder / "identity").read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("pid"), int) else None


def _wrapper_environ(identity: dict[str, object]) -> list[bytes] | None:
    """The environment of the wrapper recorded in `identity` (NAME=VALUE entries), if it is still
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
    """Whether the wrapper recorded in `identity` is still running (`_wrapper_environ`)."""
    return _wrapper_environ(identity) is not None


def environment_value(identity: dict[str, object], name: str) -> str | None:
    """The value of `name` in the environment the wrapper recorded in `identity` was started with,
    while it still runs."""
    prefix = f"{name}=".encode()
    for entry in _wrapper_environ(identity) or ():
        if entry.startswith(prefix):
            return os.fsdecode(entry[len(prefix):])
    return None


def read_record(folder: Path) -> str | None:
    """The wrapper's `status` file as it is (None: not written). Read with plain system calls: it is
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
    """The exit status at the head of the wrapper's record; None while it is not all there."""
    if record is None or "\n" not in record:
        return None  # not written, or the wrapper was stopped while writing it
    try:  # the first line is the exit status; the wrapper's record of the run's resources follows
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

    While the run goes on, the `POLLER` thread reads (`follow`); once the wrapper is gone, whoever
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
        """Read until the files hold nothing more (the wrapper is gone; whatever else still writes
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
