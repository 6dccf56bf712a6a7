"""A local run's process outlives the app: a POSIX `sh` wrapper, spool files, a status file.

The app starts `sh -c WRAPPER` in a session of its own with stdout and stderr going to the spool
files `stdout` and `stderr` in the run's folder (appended to, never pipes to the app). The wrapper
runs the script in the foreground, writes its exit status to `status` ("CODE\\n": a reader takes it
only once the newline is there, so a half-written file is no status) followed by its record of the
run's resources (`exit CODE`, `times`, /proc/$$/io), and exits. The `GUARDIAN`
(one process for all runs, not one per run) enforces the runs' timeouts while the app is down.

`identity` records what the app needs to find the run again after a restart: the wrapper's PID, its
start time (from /proc) and a per-run token that is also in the wrapper's environment
(`CRONIUM_RUN_IDENTITY`): a PID alone can be reused by a stranger. The app writes the token before
it starts the wrapper and the rest once it has started; the wrapper writes its own PID (`pid`) before
anything else, so an app that dies between the two still leaves what it takes to find the run.

`SpoolReader` follows the spool files in a thread of its own: large reads, lines split over reads,
secrets masked on whole lines (a secret split across two reads is still one line), handed to the
sink as segments with how far each file is read.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.notices import Segment
from cronium_desktop.engine.secrets import Masker

READ_BYTES = 1024 * 1024
# After a read that found less than this, the reader lets output gather this long before reading on:
# a script printing steadily is then read in tens of kilobytes, not a write at a time (each read is
# a segment that crosses to the loop, the store and the window).
GATHER_BYTES, GATHER_SECONDS = 256 * 1024, 0.005
MAX_LINE_BYTES = 1024 * 1024
WATCHDOG_SLACK_SECONDS = 2.0
GUARDIAN_CHECK_SECONDS = 5.0
TOKEN_ENV = "CRONIUM_RUN_IDENTITY"
STREAMS = ("stdout", "stderr")

# $1: the run's folder; the rest: the command. The wrapper outlives the app and leaves the status.
# Optional limits arrive in the environment and are applied with `ulimit` (inherited by every process
# of the tree). After the status line it records what it can tell about the whole tree, which it
# reaped: `times` (its and its children's CPU) and /proc/$$/io (storage bytes; Linux), read with
# builtins (no fork). Every file it writes costs the run time: it writes two, its PID first.
WRAPPER = r"""d=$1; shift
echo $$ > "$d/pid"
trap 'stopping=1' TERM
if [ -n "$CRONIUM_LIMIT_MEMORY_KB" ]; then ulimit -v "$CRONIUM_LIMIT_MEMORY_KB"; fi
if [ -n "$CRONIUM_LIMIT_CPU_SECONDS" ]; then ulimit -t "$CRONIUM_LIMIT_CPU_SECONDS"; fi
unset CRONIUM_LIMIT_MEMORY_KB CRONIUM_LIMIT_CPU_SECONDS
"$@" </dev/null
code=$?
{ printf '%s\nexit %s\n' "$code" "$code"; times
  if [ -r /proc/$$/io ]; then while IFS= read -r l; do echo "$l"; done < /proc/$$/io; fi; } > "$d/status" 2>/dev/null
"""

# One per run folders root, in a session of its own, started by the app and outliving it: once a
# second it looks at the runs' `deadline` files ("EPOCH_SECONDS PGID TOKEN") and stops a run past
# its deadline that has no status yet (the app stops runs itself while it is up; the deadline has
# some slack so that it acts first): it marks `timedout`, SIGTERMs the run's process group, and
# SIGKILLs it 5 s later. The token check keeps a reused PID safe. It leaves after a minute with no run.
GUARDIAN = r"""root=$1
echo $$ > "$root/guardian.pid"
idle=0
while [ "$idle" -lt 60 ]; do
  sleep 1
  now=$(date +%s)
  found=0
  for dl in "$root"/run-*/deadline; do
    [ -f "$dl" ] || continue
    found=1
    r=${dl%/deadline}
    [ -f "$r/status" ] && continue
    [ -f "$r/timedout" ] && continue
    read -r when pg tok < "$dl"
    [ "$now" -ge "$when" ] || continue
    tr '\0' '\n' < "/proc/$pg/environ" 2>/dev/null | grep -qx "CRONIUM_RUN_IDENTITY=$tok" || continue
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


def write_token(folder: Path, token: str) -> None:
    """The identity's first half, written before the wrapper starts (its PID is not known yet)."""
    (folder / "identity").write_text(json.dumps({"token": token}))


def write_identity(folder: Path, pid: int, token: str, timeout_seconds: float) -> None:
    (folder / "identity.tmp").write_text(json.dumps({"pid": pid, "start": process_start_time(pid), "token": token}))
    os.replace(folder / "identity.tmp", folder / "identity")
    deadline = int(time.time() + timeout_seconds + WATCHDOG_SLACK_SECONDS) + 1
    (folder / "deadline.tmp").write_text(f"{deadline} {pid} {token}\n")
    os.replace(folder / "deadline.tmp", folder / "deadline")


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
    subprocess.Popen(["sh", "-c", GUARDIAN, "cronium-guardian", str(root)], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)


def read_identity(folder: Path) -> dict[str, object] | None:
    """The run's identity; one the app had no time to complete takes the PID the wrapper wrote
    (`complete` False then: the guardian has no deadline for it yet)."""
    try:
        found = json.loads((folder / "identity").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    if "pid" not in found:
        try:
            pid = int((folder / "pid").read_text())
        except (OSError, ValueError):
            return found
        found.update(pid=pid, start=process_start_time(pid), complete=False)
    return found


def is_same_process(identity: dict[str, object]) -> bool:
    """Whether the wrapper recorded in `identity` is still running: PID, start time and token agree."""
    pid = identity.get("pid")
    if not isinstance(pid, int):
        return False
    start = process_start_time(pid)
    if start is None or start != identity.get("start"):
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{TOKEN_ENV}={identity.get('token')}".encode() in environ.split(b"\0")


def read_status(folder: Path) -> int | None:
    try:
        text = (folder / "status").read_text()
    except OSError:
        return None
    if "\n" not in text:
        return None  # the wrapper was stopped while writing it
    try:  # the first line is the exit status; the wrapper's record of the run's resources follows
        return int(text.split("\n", 1)[0])
    except ValueError:
        return None


def held_open_by_others(folder: Path) -> bool:
    """Whether a process still has a spool file open (a background child, a daemon it started).

    A write lease is granted only on a file no one else has open (Linux); elsewhere: assume not."""
    import fcntl

    lease = getattr(fcntl, "F_SETLEASE", None)
    if lease is None:
        return False
    for name in STREAMS:
        try:
            fd = os.open(folder / name, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.fcntl(fd, lease, fcntl.F_WRLCK)
            fcntl.fcntl(fd, lease, fcntl.F_UNLCK)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EBUSY):
                return True
        finally:
            os.close(fd)
    return False


Deliver = Callable[[Segment, tuple[int | None, int | None]], None]


class SpoolReader(threading.Thread):
    """Follows a run's spool files from `offsets` until told the run is over.

    `exited()`: the wrapper is gone; the reader catches up, then holds (no file open, so a lease can
    tell whether anyone else still has them). `finish()`: read to the end, hand over a last partial
    line, stop."""

    def __init__(self, folder: Path, masker: Masker, deliver: Deliver, offsets: tuple[int, int] = (0, 0)) -> None:
        super().__init__(name=f"cronium-spool-{folder.name}", daemon=True)
        self._folder = folder
        self._masker = masker
        self._deliver = deliver
        self.offsets = list(offsets)
        self._pending = [b"", b""]
        self._wake = threading.Event()
        self._exited = False
        self._finishing = False
        self.caught_up = threading.Event()

    def exited(self) -> None:
        self._exited = True
        self._wake.set()

    def finish(self) -> None:
        self._finishing = True
        self._wake.set()

    def run(self) -> None:
        interval = 0.002
        while True:
            finishing, exited = self._finishing, self._exited
            got = self._read_all()
            if finishing:
                self._read_all()
                for index, stream in enumerate(STREAMS):
                    if self._pending[index]:
                        self._emit_line(index, stream, self._pending[index])
                        self._pending[index] = b""
                return
            if exited and not got:
                # `exited()` woke it while it was reading output: cleared first, the wait holds until
                # `finish()` (a stale wake would read again during the lease check and cost it 50 ms)
                self._wake.clear()
                self.caught_up.set()
                self._wake.wait()
                continue
            if got:
                interval = 0.002
                if got < GATHER_BYTES and not exited:  # once the wrapper is gone, only catching up is left
                    self._wake.wait(GATHER_SECONDS)  # `exited()` or `finish()` cut it short
                    self._wake.clear()
                continue
            self._wake.wait(interval)
            self._wake.clear()
            interval = min(interval * 2, 0.1)

    def _read_all(self) -> int:
        """Read what both files hold. stderr's size is taken first and stdout is read to its end
        before stderr: a line is never stored before the stdout lines written ahead of it."""
        fds: list[int | None] = []
        try:
            for stream in STREAMS:
                try:
                    fds.append(os.open(self._folder / stream, os.O_RDONLY))
                except FileNotFoundError:
                    fds.append(None)
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
        finally:
            for fd in fds:
                if fd is not None:
                    os.close(fd)

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


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
