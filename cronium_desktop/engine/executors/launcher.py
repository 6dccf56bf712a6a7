"""The launcher: one process per run folders root starts every local run and waits for it.

A local run outlives the app, so something other than the app must wait for its process and keep
its exit status. That is the launcher, started by the first app process that runs something in the
root, in a session of its own (never the app's child) and left when it has had no run and no app
to serve for `IDLE_SECONDS`. The app asks it over `launcher-2.sock` in the root (the root is the
user's alone, `local.private_folder`) to start a run; the launcher starts the script's process
directly (`posix_spawn`: in its own session, in the run's folder, output appended to the spool
files, input empty), writes the run's `identity` file, stops the run at its deadline if it is still
going then (the app stops it before, while it is up: the deadline has some slack; `timedout` marks
it), and when the process ends reaps it and writes its `status` (`status_record`: the exit status,
128 + N when ended by signal N, `exit N`, the tree's CPU time in the form of the shell's `times`
and its storage I/O, `/proc/PID/io` on Linux), as the `sh` wrapper of earlier versions did. It tells the app that asked, if it is still there, with the
OS's exact figures (`os.wait4`). An app that started after the run follows it by those files.

A process of its own, rather than a shell wrapper per run: the wrapper doubled what a short run's
processes cost (a second exec and fork per run), and a launcher that starts a run costs a fraction
of one. This file imports the standard library only: it is started as a script (`python -S`), or
through the bundle's program (`--cronium-launcher`), and serves in a few milliseconds.

The protocol is JSON lines. The app sends ``{"spawn": n, "folder", "argv", "env", "token",
"deadline"}`` (``argv`` and ``env`` each one string, its entries separated by NUL, ``env`` as
``NAME=VALUE``, bytes that are not UTF-8 kept as surrogate escapes) and gets ``{"started": n,
"pid"}`` or ``{"failed": n, "errno", "error"}``, later ``{"ended": n, "code", "usage", "peak"}``
(``usage``: `os.wait4`'s resource usage; ``peak``: the launcher's own peak memory when it started the
run, which a vfork'd child's figure starts from). ``deadline``: epoch seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Named by the protocol's version: an app whose protocol is another starts a launcher of its own
# beside an older one still seeing its runs to the end.
PROTOCOL = 2  # 2: the launcher keeps the deadlines itself (1 wrote them for a guardian)
SOCKET_NAME = f"launcher-{PROTOCOL}.sock"
LOCK_NAME = f"launcher-{PROTOCOL}.lock"
IDLE_SECONDS = 10.0  # with no run and no app this long, it leaves (the next run starts one again)
START_SECONDS = 10.0  # how long an app waits for a launcher it started to listen
KILL_GRACE_SECONDS = 5.0  # a run stopped at its deadline: SIGTERM, then SIGKILL this much later
SPOOL_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT
STREAMS = ("stdout", "stderr")
BUNDLE_ARGUMENT = "--cronium-launcher"  # the bundle's program serves as the launcher with this first
# Python ignores these; a script's process gets the defaults back, as `subprocess` gives them.
DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, name))

StartCallback = Callable[[int | OSError], None]  # the PID, or why it did not start
EndCallback = Callable[[int | None, Any, int], None]  # exit code (None: not known), wait4 usage, peak


def received(line: socket.socket, buffer: bytearray) -> list[bytearray] | None:
    """The whole JSON lines `line` has for us now (`buffer` keeps a partial last one between calls);
    None once it is closed. Called when it is readable: one read, which does not block."""
    try:
        data = line.recv(1 << 20)
    except OSError:
        data = b""
    if not data:
        return None
    buffer += data
    *whole, rest = buffer.split(b"\n")
    buffer[:] = rest
    return whole


# ---- the launcher process ---------------------------------------------------------------------


@dataclass
class _Child:
    number: int
    folder: str
    peak: int
    line: socket.socket | None
    due: float  # epoch seconds: its deadline (after the app would have stopped it), then when it is killed
    popen: subprocess.Popen[bytes] | None = None
    sent: signal.Signals | None = None  # SIGTERM once stopped at its deadline, SIGKILL once killed


def _peak_rss() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def write_new(path: str | Path, data: bytes) -> None:
    """Write a whole file readable by this user only, in as few system calls as it takes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def status_record(code: int, usage: Any, io: str) -> bytes:
    """A run's `status` file: its exit status, `exit N`, `times` lines (the launcher's own share, none,
    then the reaped tree's) and /proc/PID/io's lines, as `metrics.from_wrapper_record` reads them."""

    def times(seconds: float) -> str:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)}m{rest:.3f}s"

    return f"{code}\nexit {code}\n0m0.000s 0m0.000s\n{times(usage.ru_utime)} {times(usage.ru_stime)}\n{io}".encode()


def _start(folder: str, argv: list[str], env: dict[str, str]) -> tuple[int, subprocess.Popen[bytes] | None]:
    """Start `argv` in a session of its own, in `folder`, its output appended to the folder's spool
    files: `posix_spawn` where it can start a session (the launcher's working folder is the run's
    while it does, `/` otherwise), else `subprocess`."""
    out, err = os.path.join(folder, STREAMS[0]), os.path.join(folder, STREAMS[1])
    if hasattr(os, "posix_spawn"):
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, out, SPOOL_FLAGS, 0o600),
                   (os.POSIX_SPAWN_OPEN, 2, err, SPOOL_FLAGS, 0o600)]
        os.chdir(folder)
        try:
            return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True,
                                  setsigdef=DEFAULT_SIGNALS), None
        except NotImplementedError:  # no POSIX_SPAWN_SETSID here
            pass
        finally:
            os.chdir("/")
    stdout = os.open(out, SPOOL_FLAGS | os.O_CLOEXEC, 0o600)
    stderr = os.open(err, SPOOL_FLAGS | os.O_CLOEXEC, 0o600)
    try:
        popen = subprocess.Popen(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                 start_new_session=True)
    finally:
        os.close(stdout)
        os.close(stderr)
    return popen.pid, popen


class _Launcher:
    def __init__(self, root: str, idle_seconds: float) -> None:
        self.root = root
        self.idle_seconds = idle_seconds
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, _Child] = {}
        self.lines: dict[socket.socket, bytearray] = {}
        self.outbox: dict[socket.socket, list[bytes]] = {}  # sent once per turn of the loop, not per message
        self.listener: socket.socket | None = None

    def serve(self) -> None:
        import fcntl

        lock = os.open(os.path.join(self.root, LOCK_NAME), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)  # one launcher per root: a second one waits for the first to leave
        path = os.path.join(self.root, SOCKET_NAME)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a launcher before it was killed
        self._listen(path)
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.selector.register(wake_read, selectors.EVENT_READ, "child")
        os.chdir("/")  # holds no folder busy
        idle_since = time.monotonic()
        while True:
            if self.children or self.lines:
                idle_since, timeout = time.monotonic(), self._until_due()
            else:
                timeout = self.idle_seconds - (time.monotonic() - idle_since)
                if timeout <= 0:
                    # Leaving: first no one finds this launcher any more (an app then starts another,
                    # which waits for this one's lock), then anyone who came before that is served.
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                    if not self._accept():
                        break
                    self._listen(path)
                    continue
            for key, _ in self.selector.select(timeout):
                if key.data == "accept":
                    self._accept()
                elif key.data == "child":
                    with contextlib.suppress(BlockingIOError):
                        while os.read(wake_read, 512):
                            pass
                    self._reap()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            self._reap()  # a child that ended before its SIGCHLD handler was in place
            self._stop_overdue()
            self._flush()

    def _until_due(self) -> float | None:
        """Seconds until a run's deadline or its kill falls due (None: none will)."""
        due = [child.due for child in self.children.values() if child.sent is not signal.SIGKILL]
        return max(0.0, min(due) - time.time()) if due else None

    def _stop_overdue(self) -> None:
        """A run past its deadline (the app that should have stopped it is gone, or failed to) is
        marked `timedout` and its process group gets SIGTERM, then SIGKILL `KILL_GRACE_SECONDS` later
        if it is still there. Its PID cannot be another's: it is this process's child, not reaped."""
        now = time.time()
        for pid, child in self.children.items():
            if child.sent is signal.SIGKILL or now < child.due:
                continue
            if child.sent is None:
                with contextlib.suppress(OSError):
                    write_new(os.path.join(child.folder, "timedout"), b"")
            child.sent = signal.SIGKILL if child.sent else signal.SIGTERM
            child.due = now + KILL_GRACE_SECONDS
            with contextlib.suppress(OSError):
                os.killpg(pid, child.sent)

    def _listen(self, path: str) -> None:
        if self.listener is not None:
            self.selector.unregister(self.listener)
            self.listener.close()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")

    def _accept(self) -> bool:
        assert self.listener is not None
        accepted = False
        while True:
            try:
                line, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return accepted
            line.setblocking(True)
            self.lines[line] = bytearray()
            self.selector.register(line, selectors.EVENT_READ, "line")
            accepted = True

    def _read(self, line: socket.socket) -> None:
        requests = received(line, self.lines[line])
        if requests is None:
            self._drop(line)
            return
        for request in requests:
            try:
                self._spawn(line, json.loads(request))
            except (ValueError, KeyError, TypeError, AttributeError):  # not an app of ours: no more of it
                self._drop(line)
                return

    def _drop(self, line: socket.socket) -> None:
        self.selector.unregister(line)
        del self.lines[line]
        line.close()
        for child in self.children.values():
            if child.line is line:
                child.line = None  # its run goes on; its status file is what tells

    def _send(self, line: socket.socket | None, message: dict[str, Any]) -> None:
        if line is not None:
            self.outbox.setdefault(line, []).append(json.dumps(message).encode() + b"\n")

    def _flush(self) -> None:
        outbox, self.outbox = self.outbox, {}
        for line, messages in outbox.items():
            if line in self.lines:
                try:
                    line.sendall(b"".join(messages))
                except OSError:
                    self._drop(line)

    def _spawn(self, line: socket.socket, request: dict[str, Any]) -> None:
        number, folder = request["spawn"], request["folder"]
        argv = request["argv"].split("\0")
        env = dict(entry.split("=", 1) for entry in request["env"].split("\0") if "=" in entry)
        try:
            pid, popen = _start(folder, argv, env)
        except OSError as error:
            self._send(line, {"failed": number, "errno": error.errno or errno.EIO, "error": str(error)})
            return
        self.children[pid] = _Child(number, folder, _peak_rss(), line, float(request["deadline"]), popen)
        try:  # what an app started later finds the run by
            write_new(os.path.join(folder, "identity"), json.dumps({"pid": pid, "token": request["token"]}).encode() + b"\n")
        except OSError:
            pass  # the folder went away: the app cancelled and removed it; the run ends as any other
        self._send(line, {"started": number, "pid": pid})

    def _reap(self) -> None:
        while self.children:
            ended = self._next_ended()
            if ended is None:
                return
            pid, status, usage, io = ended
            child = self.children.pop(pid, None)
            if child is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
            if child.popen is not None:
                child.popen.returncode = code  # so it never waits for it again
            with contextlib.suppress(OSError):
                write_new(os.path.join(child.folder, "status"), status_record(code, usage, io))
            self._send(child.line, {"ended": child.number, "code": code, "usage": list(usage), "peak": child.peak})

    @staticmethod
    def _next_ended() -> tuple[int, int, Any, str] | None:
        """An ended child reaped: its PID, wait status, resource usage and /proc/PID/io, read while it
        was a zombie (its whole tree's storage I/O; Linux) where the OS lets it be looked at first."""
        io = ""
        if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
            try:
                found = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return None
            if found is None:
                return None
            with contextlib.suppress(OSError), open(f"/proc/{found.si_pid}/io") as proc_io:
                io = proc_io.read()
            return (found.si_pid, *os.wait4(found.si_pid, 0)[1:], io)
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return None
        return (pid, status, usage, io) if pid else None


def serve(root: str, idle_seconds: float = IDLE_SECONDS) -> None:
    """Serve as `root`'s launcher until it has been idle for `idle_seconds`. What stops it otherwise
    is written to `launcher.log` in the root (it has no terminal)."""
    try:
        _Launcher(root, idle_seconds).serve()
    except Exception:
        import traceback

        with contextlib.suppress(OSError), open(os.path.join(root, "launcher.log"), "a") as log:
            traceback.print_exc(file=log)
        raise


# ---- the app's side ---------------------------------------------------------------------------


class LauncherGone(OSError):
    """The line to the launcher broke before it answered."""


class Launcher:
    """This process's line to its run folders root's launcher; started when there is none.

    `spawn` (from any thread) sends the request and returns; the event loop that asked reads what
    the launcher says and calls each run's `on_start` with its PID (or the error) and `on_end` with
    its exit code when it ends, or with None when the line breaks first (the launcher was killed:
    the run's status will never come). Read by the loop itself, not by a thread of the line's own:
    two messages per run would otherwise each wake a thread and then the loop."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # one request at a time on the line
        self._line: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # where the line is read
        self._numbers = iter(range(1, 1 << 62))
        self._starts: dict[int, StartCallback] = {}
        self._ends: dict[int, EndCallback] = {}
        self._let_go: socket.socket | None = None  # closed by this process: its runs are the launcher's alone

    def spawn(self, loop: asyncio.AbstractEventLoop, folder: Path, argv: list[str], env: str, token: str,
              deadline: int, on_start: StartCallback, on_end: EndCallback) -> None:
        """Ask for `argv` to be started for the run in `folder` (env: NUL-separated NAME=VALUE).
        `on_start` is called on `loop` with its PID, or with the error that kept it from starting;
        `on_end` once it has ended (never without a PID first)."""
        with self._lock:
            number = next(self._numbers)
            try:
                line = self._connected(loop)
            except OSError as error:
                raise LauncherGone(error.errno or errno.EPIPE, f"The run launcher for {self.root} is not there: {error}") from None
            self._starts[number], self._ends[number] = on_start, on_end
        request = json.dumps({"spawn": number, "folder": str(folder), "argv": "\0".join(argv), "env": env,
                              "token": token, "deadline": deadline}).encode() + b"\n"
        # Sent outside `_lock`, which the loop takes for each message it reads: a send that waits for
        # a launcher busy sending to this process must not keep the loop from reading.
        with self._sending:
            try:
                line.sendall(request)
                return
            except OSError as error:
                failure = error
        with self._lock:
            waiting = number in self._starts  # else the loop has told `on_start`, reading the line's end
            if waiting:
                del self._starts[number]
            self._ends.pop(number, None)
            if self._line is line:
                self._broken()
        if waiting:
            raise LauncherGone(failure.errno or errno.EPIPE, f"The run launcher for {self.root} is not there: {failure}")

    def close(self) -> None:
        """This process stops: the runs going on are left to the launcher (and to the next app)."""
        with self._lock:
            line, self._let_go = self._line, self._line
            self._broken()
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if line is not None and here is self._loop:  # else the loop does it, reading the end
            self._forget(line)

    def _connected(self, loop: asyncio.AbstractEventLoop) -> socket.socket:
        if self._line is not None:
            return self._line
        path = str(self.root / SOCKET_NAME)
        line = _connect(path)
        if line is None:
            _start_launcher(self.root)
            deadline = time.monotonic() + START_SECONDS
            while (line := _connect(path)) is None:
                if time.monotonic() > deadline:
                    raise LauncherGone(errno.ETIMEDOUT, f"The run launcher for {self.root} did not start.")
                time.sleep(0.005)
        self._line, self._loop = line, loop
        loop.call_soon_threadsafe(self._watch, loop, line)
        return line

    def _broken(self) -> None:
        if self._line is not None:
            with contextlib.suppress(OSError):
                self._line.shutdown(socket.SHUT_RDWR)
            self._line = None

    def _watch(self, loop: asyncio.AbstractEventLoop, line: socket.socket) -> None:
        if line.fileno() >= 0:  # not closed meanwhile
            loop.add_reader(line.fileno(), self._readable, line, bytearray())

    def _forget(self, line: socket.socket) -> None:
        if self._loop is not None and line.fileno() >= 0:
            self._loop.remove_reader(line.fileno())
        line.close()

    def _readable(self, line: socket.socket, buffer: bytearray) -> None:
        messages = received(line, buffer)
        if messages is None:
            self._lost(line)
            return
        for message in messages:
            self._heard(json.loads(message))

    def _lost(self, line: socket.socket) -> None:
        self._forget(line)
        with self._lock:
            if self._line is line:
                self._line = None
            starts, self._starts = self._starts, {}
            ends, self._ends = self._ends, {}
            if line is self._let_go:
                return
        gone = LauncherGone(errno.EPIPE, f"The run launcher for {self.root} stopped before it started the run.")
        for on_start in starts.values():
            on_start(gone)
        for number, on_end in ends.items():
            if number not in starts:
                on_end(None, None, 0)

    def _heard(self, message: dict[str, Any]) -> None:
        number = message.get("started") or message.get("failed")
        if number is not None:
            with self._lock:
                on_start = self._starts.pop(number)
                if "failed" in message:
                    self._ends.pop(number, None)
            on_start(int(message["pid"]) if "pid" in message else OSError(message["errno"], message["error"]))
            return
        with self._lock:
            on_end = self._ends.pop(message["ended"], None)
        if on_end is not None:
            on_end(message["code"], message["usage"], message["peak"])


def _connect(path: str) -> socket.socket | None:
    line = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        line.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        line.close()
        return None
    return line


def launcher_command(root: Path) -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, BUNDLE_ARGUMENT, str(root)]
    return [sys.executable, "-S", "-E", __file__, str(root)]


def _start_launcher(root: Path) -> None:
    """Start the root's launcher through a shell that leaves at once: it is never this process's
    child, so it is never left a zombie, and it outlives this process."""
    command = launcher_command(root)
    subprocess.run(["/bin/sh", "-c", '"$@" &', "cronium-start-launcher", *command],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True, close_fds=True, check=False)


if __name__ == "__main__":
    serve(sys.argv[1], *(float(value) for value in sys.argv[2:3]))
