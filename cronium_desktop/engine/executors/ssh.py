"""Runs BASH, PYTHON and NODEJS events on remote servers over SSH, one or many at once (SPEC §2, §6).

For each server, two exec channels on the pooled connection. The first one's login shell makes a
private `mktemp -d` folder, unpacks into it the run folder of `runtime.build_files` (script, helper,
input, variables, event info) and a small wrapper from a tar archive sent on its stdin, starts the
wrapper detached (`ssh_detach`: its own session, output to spool files in the folder, exit status to
a status file), prints its process group and the folder, and follows the spool files onto the
channel, so output streams back live while the script no longer depends on the connection. Secret
env values travel in a 0600 file inside the archive that the wrapper sources and deletes, never on a
command line. A timeout or a cancel stops the whole remote process group. Once the script has
ended, the second channel sends back the output the live follow had not delivered yet, the exit
status and one tar of output, condition and variable writes (an output over the limit is measured
on the server and never sent) and removes the folder; it is removed whatever happened. After the app
was killed, the next start reconnects and follows the run again (`SshExecutor.reattach`).

Packets are what a remote run costs this process: paramiko handles each one in Python holding the
GIL, so the runs of a multi-server event take turns for them. Hence one archive each way instead
of an SFTP request per file, per listing and per removal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import secrets
import shlex
import tarfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import paramiko

from cronium_desktop.engine import runtime
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.errors import NotFound
from cronium_desktop.engine.executors import remote_metrics, ssh_detach
from cronium_desktop.engine.executors.base import (
    FAILURE,
    SUCCESS,
    TIMEOUT,
    ExecResult,
    Job,
    ServerOutcome,
    ServerRef,
    Sink,
    aggregate_status,
)
from cronium_desktop.engine.executors.local import (
    KILL_GRACE_SECONDS,
    MAX_LINE_BYTES,
    OPTION_LISTS,
    SEARCH_PATHS,
    TYPE_NAMES,
    ended_entries,
    exit_error,
    private_folder,
)
from cronium_desktop.engine.metrics import RunMetrics, add_up
from cronium_desktop.engine.servers import ServerService
from cronium_desktop.engine.ssh.app_channel import AppChannel
from cronium_desktop.engine.ssh.connect import ServerSpec
from cronium_desktop.engine.ssh.errors import SshError
from cronium_desktop.engine.ssh.pool import ConnectionPool

TAR = "tar"  # unpacks the run folder and packs up its results on the server
WRAPPER = ".cronium-run.sh"
ENV_FILE = ".cronium-env"
HELPER_OF = {
    "BASH": ("cronium.sh", "cronium.py"),  # cronium.py: Bash's client for requests to the app
    "PYTHON": ("cronium.py", "sitecustomize.py"),
    "NODEJS": ("node_modules/cronium/index.js", "node_modules/cronium/global.js"),
}
DRAIN_SECONDS = 2.0  # output still open this long after the script exited belongs to leftovers
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# How the bootstrap says why it stopped before the script could start (it prints no folder then).
NO_TAR, NO_FOLDER, NO_UNPACK = 121, 122, 123
# Start the lines the bootstrap and the results command print; a login shell's banner may come first.
STARTED, RESULTS = "cronium-run-started", "cronium-run-results"
BANNER_LIMIT = 65536
FOLDER = "\0"  # stands for the run folder in `runtime.folder_env` values; the wrapper gets it as "$1"


def posix_shell(script: str) -> str:
    """A command that runs a one-line `script` with /bin/sh whatever the user's login shell is."""
    return f"exec /bin/sh -c {shlex.quote(script)}"


def bootstrap_command(token: str) -> str:
    """Run by the login shell: make the private folder, unpack stdin into it, start the wrapper
    detached (`ssh_detach.launch`), print its process group, PID and folder, follow its output.
    One line and no `!`, so csh-style login shells pass it on unchanged."""
    tar = shlex.quote(TAR)
    return posix_shell(
        f"command -v {tar} >/dev/null 2>&1 || exit {NO_TAR}; "
        # Named after the run's token (random, unguessable), so a restarted app finds it from its first
        # record; mkdir fails rather than use anything already there.
        f'd={ssh_detach.pending_folder(token)}; mkdir -m 700 "$d" || exit {NO_FOLDER}; '
        # -m: the files get the server's time, so a client clock ahead of it is no warning in the log;
        # -o: they belong to the login user even when that is root.
        f'cd "$d" && {tar} -x -m -o -f - || {{ cd /; rm -rf "$d"; exit {NO_UNPACK}; }}; '
        + ssh_detach.launch(WRAPPER, token, STARTED)
    )


# Removes the folder "$d"; if the script left parts without write permission, grants it and tries again.
# What still fails comes back as rm's first message and their count: stdout is read before stderr,
# so a long stderr would fill the channel's window and stall the server.
REMOVE_FOLDER = ('rm -rf "$d" 2>/dev/null || { chmod -R u+rwX "$d" 2>/dev/null; '
                 'rm -rf "$d" 2>&1 | sed -n "1p;\\$=" >&2; if [ -e "$d" ]; then exit 1; fi; }')


def results_command(folder: str, skip_out: int = 0, skip_err: int = 0) -> str:
    """Print a line (RESULTS, the sizes of the output after the lines already followed, the exit status,
    the size of an output.json too big to send), that output, a tar of output.json, condition and
    vars.out, then remove the folder. Prints nothing if the script removed its folder.

    Only regular files are sent: a symlink could point anywhere, /dev/zero included.
    """
    return posix_shell(
        f"d={shlex.quote(folder)}; "
        'if cd "$d" 2>/dev/null; then { set --; big=; '
        + ssh_detach.remainder(skip_out, skip_err) +
        "if [ -h output.json ]; then :; elif [ -f output.json ]; then big=$(wc -c < output.json); "
        f"if [ $big -gt {runtime.MAX_OUTPUT_BYTES} ]; then :; else big=; set -- output.json; fi; fi; "
        'if [ -h condition ]; then :; elif [ -f condition ]; then set -- "$@" condition; fi; '
        'if [ -h vars.out ]; then :; elif [ -d vars.out ]; then set -- "$@" vars.out; fi; '
        + remote_metrics.SEND_RECORD +
        f'echo "{RESULTS} $no $ne $st $big"; cat .rest-out .rest-err; if [ $# -gt 0 ]; then {shlex.quote(TAR)} -c -f - "$@"; fi; }} 2>/dev/null; cd /; fi; '
        + REMOVE_FOLDER
    )


@dataclass
class Results:
    collected: runtime.Collected
    rest_out: bytes = b""  # output after the lines the live follow delivered
    rest_err: bytes = b""
    status: int | None = None  # the exit status the wrapper wrote, if it did
    metrics: RunMetrics | None = None  # what the wrapper told of the run's cost (remote_metrics)


def read_results(data: bytes) -> Results:
    """What `results_command` printed: output not yet followed, exit status, `runtime.collect`."""
    found = data.find(RESULTS.encode())
    if found < 0:
        return Results(runtime.Collected())  # the script removed its own folder: nothing to read
    head, _, rest = data[found + len(RESULTS):].partition(b"\n")
    out_size, err_size, status, refused = ssh_detach.parse_header(head)
    rest_out, rest_err = rest[:out_size], rest[out_size:out_size + err_size]
    archive = rest[out_size + err_size:]
    return Results(collect_archive(archive, refused), rest_out, rest_err, status, remote_metrics.read_record(archive))


def collect_archive(archive: bytes, refused: int | None) -> runtime.Collected:
    files: dict[str, bytes] = {}
    if archive:
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as results:
                for member in results:
                    handle = results.extractfile(member) if member.isreg() else None
                    if handle is not None:
                        files[member.name] = handle.read()
        except tarfile.TarError as error:
            return runtime.Collected(errors=[f"The run's output, variables and condition could not be read ({error})."])

    def list_dir(name: str) -> list[str]:
        prefix = name + "/"
        return sorted(path[len(prefix):] for path in files if path.startswith(prefix) and "/" not in path[len(prefix):])

    def size_of(name: str) -> int | None:
        if name == "output.json" and refused is not None:
            return refused
        content = files.get(name)
        return None if content is None else len(content)

    return runtime.collect(files.get, list_dir, size_of)


def wrapper_script(event_type: str) -> str:
    """The remote entry point, run in its folder ("$1"): load env, export the helpers, exec the script."""
    def word(value: str) -> str:
        return '"$1"'.join(shlex.quote(part) if part else "" for part in value.split(FOLDER))

    interpreter = runtime.DEFAULT_INTERPRETERS[event_type]
    exports = "\n".join(
        # The helper's folder goes first on a search path; the event's own entries stay behind it.
        f'export {name}={word(value)}"${{{name}:+:${name}}}"' if name in SEARCH_PATHS
        else f'export {name}={word(value)}"${{{name}:+ ${name}}}"' if name in OPTION_LISTS
        else f"export {name}={word(value)}"
        for name, value in runtime.folder_env(FOLDER).items()
    )
    missing = (
        f"cronium: the {TYPE_NAMES[event_type]} interpreter {interpreter!r} was not found on this server; "
        f"{runtime.INTERPRETER_HINTS[event_type]} there."
    )
    return f"""# Cronium Desktop: one remote run, detached from the app. Removed with its folder when the run ends.
echo $$ > "$1/{ssh_detach.PID}"
trap 'stopping=1' TERM
if [ -f {ENV_FILE} ]; then . ./{ENV_FILE}; rm -f {ENV_FILE}; fi
{exports}
PATH="$1:$PATH"
export PATH
if command -v {interpreter} >/dev/null 2>&1; then
  {interpreter} "$1"/{runtime.SCRIPT_NAMES[event_type]} </dev/null; code=$?
else
  echo {shlex.quote(missing)} >&2; code=127
fi
{remote_metrics.record_lines('"$code"')}
{ssh_detach.status_lines('"$code"')}
"""


def run_folder_archive(files: dict[str, bytes]) -> bytes:
    """The run folder as a tar archive, every folder 0700 and every file 0600."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        folders: set[str] = set()
        for relative, content in files.items():
            parts = relative.split("/")[:-1]
            for depth in range(1, len(parts) + 1):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode = tarfile.DIRTYPE, 0o700
                    archive.addfile(info)
            info = tarfile.TarInfo(relative)
            info.size, info.mode = len(content), 0o600
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def run_folder_files(job: Job, server: str) -> dict[str, bytes]:
    """`runtime.build_files` with only the helper of the script's language: less to send."""
    unused = {path for path in runtime.HELPER_PATHS if path not in HELPER_OF[job.event_type]}
    return {path: content for path, content in runtime.build_files(job, server=server).items() if path not in unused}


def env_file(env: dict[str, str]) -> tuple[bytes, list[str]]:
    """The sourced env file, and the names that cannot be shell variables (left out)."""
    lines, skipped = [], []
    for name, value in env.items():
        if ENV_NAME.match(name):
            lines.append(f"export {name}={shlex.quote(value)}")
        else:
            skipped.append(name)
    return ("\n".join(lines) + "\n").encode("utf-8"), skipped


class LineSplitter:
    """Bytes in, whole lines out to the sink (on the event loop); very long lines are cut, never lost."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sink: Sink, stream: str, server: str | None = None) -> None:
        self._loop, self._sink, self._stream, self._server = loop, sink, stream, server
        self._pending = b""
        self.newlines = 0  # whole lines received: where a follow that stops here goes on

    def _emit(self, raw: bytes) -> None:
        text = raw.rstrip(b"\r").decode("utf-8", errors="replace")
        self._loop.call_soon_threadsafe(self._sink.line, self._stream, text, self._server)

    def feed(self, chunk: bytes) -> None:
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        self.newlines += len(lines)
        for line in lines:
            self._emit(line)
        while len(self._pending) > MAX_LINE_BYTES:
            self._emit(self._pending[:MAX_LINE_BYTES])
            self._pending = self._pending[MAX_LINE_BYTES:]

    def close(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = b""

    def discard(self) -> None:
        """Drop a partial last line: the rest of the output, from the last newline on, comes again."""
        self._pending = b""


@dataclass
class ServerRun:
    outcome: ServerOutcome
    condition: bool = False
    variables: dict[str, str] = field(default_factory=dict)


class RemoteRun:
    """One run on one server. Every method blocks (paramiko): call them through `pool.run`.

    Two sessions per run on the shared connection: the bootstrap channel, which unpacks the run
    folder from its stdin and becomes the script, and one exec channel that sends the results back
    and removes the folder. Each session costs the server a fork and this process a few packets,
    so fewer is most of the per-run overhead.
    """

    def __init__(self, pool: ConnectionPool, spec: ServerSpec) -> None:
        self.pool = pool
        self.spec = spec
        self.folder: str | None = None
        self.pid: int | None = None  # the detached wrapper's process group
        self.wrapper_pid: int | None = None
        self.token = secrets.token_hex(16)  # in the wrapper's environment: tells it from a reused PID
        self.channel: paramiko.Channel | None = None
        self.head = b""  # the script's first stdout bytes, read along with the bootstrap's line
        self.started = threading.Event()  # `start` has returned or failed: `pid` is all there will be
        self._start_lock = threading.Lock()
        self._start_begun = self._start_abandoned = False
        self.metrics: RunMetrics | None = None  # what the server told of the run's cost (remote_metrics)

    def execute(self, command: str) -> tuple[int, bytes, bytes]:
        channel = self.pool.open_session(self.spec)
        try:
            channel.exec_command(command)
            channel.shutdown_write()
            out = channel.makefile("rb").read()
            err = channel.makefile_stderr("rb").read()
            return channel.recv_exit_status(), out, err
        finally:
            channel.close()

    def start(self, files: dict[str, bytes]) -> paramiko.Channel:
        """Send the run folder to the bootstrap and return its channel once the script is starting."""
        with self._start_lock:
            if self._start_abandoned:
                raise SshError(f"{self.spec.where}: the run was cancelled before it started.")
            self._start_begun = True
        try:
            return self._start(files)
        finally:
            self.started.set()

    def abandon_start(self) -> bool:
        """Make sure a `start` that has not begun never does; True if one has (wait for `started`)."""
        with self._start_lock:
            self._start_abandoned = True
            return self._start_begun

    def _start(self, files: dict[str, bytes]) -> paramiko.Channel:
        archive = run_folder_archive(files)
        channel = self.channel = self.pool.open_session(self.spec)
        channel.exec_command(bootstrap_command(self.token))
        try:
            channel.sendall(archive)
            channel.shutdown_write()
        except OSError:
            pass  # the bootstrap stopped before reading it: the loop below reports why
        self._read_started(channel)
        return channel

    def attach(self, record: ssh_detach.RemoteRecord, skip_out: int, skip_err: int) -> paramiko.Channel | None:
        """Follow again a run an earlier app process started; None if it is gone without a status."""
        self.token, self.folder = record.token, record.folder
        channel = self.channel = self.pool.open_session(self.spec)
        channel.exec_command(posix_shell(ssh_detach.attach_command(record.folder, record.pid, record.token,
                                                                   skip_out, skip_err, STARTED)))
        channel.shutdown_write()
        try:
            self._read_started(channel)
        except SshError:
            self.pid = None  # nothing of it runs: only the folder is left to remove
            self.folder = record.folder or None  # an incomplete record: its folder may not exist
            return None
        if record.pgid:
            self.pid = record.pgid
        return channel

    def _read_started(self, channel: paramiko.Channel) -> None:
        marker, received = STARTED.encode() + b" ", b""
        while (found := received.find(marker)) < 0 or b"\n" not in received[found:]:
            if len(received) > BANNER_LIMIT:
                raise SshError(f"{self.spec.where}: the login shell printed {received[:80]!r}… instead of starting "
                               "the run; make it print nothing when it is not interactive.")
            chunk = channel.recv(65536)
            if not chunk:
                raise self._start_failed(channel)
            received += chunk
        line, _, self.head = received[found + len(marker):].partition(b"\n")
        group, pid, folder = line.decode("utf-8", errors="replace").split(" ", 2)
        self.pid, self.wrapper_pid, self.folder = int(group), int(pid), folder

    def _start_failed(self, channel: paramiko.Channel) -> SshError:
        err = channel.makefile_stderr("rb").read().decode("utf-8", errors="replace").strip()
        status = channel.recv_exit_status()
        reason = err or f"exit status {status}"
        if status == NO_TAR:
            return SshError(f"{self.spec.where}: {TAR} was not found on this server; install {TAR} there "
                            "(the run's files are sent to the server as a tar archive).")
        if status == NO_FOLDER:
            return SshError(f"{self.spec.where}: could not create a temporary folder ({reason}).")
        if status == NO_UNPACK:
            return SshError(f"{self.spec.where}: could not unpack the run's files into a temporary folder ({reason}).")
        return SshError(f"{self.spec.where}: the run could not start ({reason}).")

    @staticmethod
    def pump(read: Any, splitter: LineSplitter, head: bytes = b"") -> None:
        """Feed the live follow to `splitter`; a partial last line waits for the results' remainder."""
        if head:
            splitter.feed(head)
        while chunk := read(65536):
            splitter.feed(chunk)

    def wait_exit(self) -> int:
        assert self.channel is not None
        return self.channel.recv_exit_status()

    def signal_group(self, signal_name: str) -> None:
        """Send a signal to the run's remote process group (a no-op once it is gone)."""
        if self.pid is None:
            return
        self.execute(f"/bin/sh -c 'kill -s {signal_name} -- -{self.pid} 2>/dev/null; true'")

    def finish(self, skip_out: int, skip_err: int) -> tuple[Results, str | None]:
        """Read back the output not followed yet, the exit status, output, variables and condition and
        remove the folder, in one exec channel.

        Returns what was read and, if part of the folder could not be removed, why.
        """
        assert self.folder is not None
        folder = self.folder
        status, out, err = self.execute(results_command(folder, skip_out, skip_err))
        self.folder = None
        results = read_results(out)
        self.metrics = results.metrics
        return results, self._removal_problem(folder, status, err)

    def _removal_problem(self, folder: str, status: int, err: bytes) -> str | None:
        if status == 0:
            return None
        lines = err.decode("utf-8", errors="replace").strip().splitlines()
        reason = lines[0] if lines else f"exit status {status}"
        if len(lines) == 2 and lines[1].isdigit() and int(lines[1]) > 1:
            reason += f", and {int(lines[1]) - 1} more"
        return f"{self.spec.where}: the run folder {folder} could not be removed ({reason})."

    @property
    def needs_cleanup(self) -> bool:
        return self.folder is not None or (self.channel is not None and not self.channel.closed)

    def cleanup(self) -> str | None:
        """Close the run's channel and remove the folder if `finish` did not; returns a problem, if any."""
        if self.channel is not None:
            self.channel.close()
        if self.folder is None:
            return None
        folder = self.folder
        status, _, err = self.execute(posix_shell(f"d={shlex.quote(folder)}; {REMOVE_FOLDER}"))
        self.folder = None
        return self._removal_problem(folder, status, err)


class SshExecutor:
    """Implements `Executor` for run_location REMOTE; needs the ServerService for specs and the pool."""

    def __init__(self, servers: ServerService, records_root: Path | None = None) -> None:
        self._servers = servers
        self._pool = servers.pool
        self._app: AppChannel | None = None  # made on first use: it needs the running loop
        self.records_root = records_root  # where the runs' re-attach records go (none: runs are not re-attached)
        self.keep_running = False  # set when the app stops and lets its runs finish

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        if job.event_type not in runtime.SCRIPT_NAMES:
            message = f"{job.event_type} events cannot run on a server; only Bash, Python and Node.js scripts can."
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        if not job.servers:
            message = f"Event {job.event_name!r} runs on servers but has none; choose at least one server."
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        runs = await asyncio.gather(*(self._run_on(job, ref, sink) for ref in job.servers))
        return combine(runs)

    async def _run_on(self, job: Job, ref: ServerRef, sink: Sink, left: ssh_detach.RemoteRecord | None = None,
                      skips: tuple[int, int] = (0, 0), timeout: float | None = None) -> ServerRun:
        """Run on one server; with `left`, follow instead the run an earlier app process started there."""
        started = utcnow()

        def finish(status: str, exit_code: int | None = None, error: str | None = None, output: Any = None,
                   condition: bool = False, variables: dict[str, str] | None = None, announce: bool = False) -> ServerRun:
            if announce and error:  # errors the script's own output does not already show
                sink.line("system", error, server=ref.name)
            outcome = ServerOutcome(ref.id, ref.name, status, exit_code, error, output, started, utcnow())
            return ServerRun(outcome, condition, variables or {})

        try:
            spec = await self._servers.load_spec(ref.id)
        except NotFound:
            return finish(FAILURE, error=f"Server {ref.name!r} no longer exists; choose another server for this event.",
                          announce=True)
        remote = RemoteRun(self._pool, spec)
        token: str | None = None
        detached = False
        try:
            if left is not None:
                return await self._reattach_remote(remote, left, job, sink, finish, skips,
                                                   job.timeout_seconds if timeout is None else timeout)
            job, app_env, token = await self._link_to_app(remote, job, sink)
            server_run = await self._run_remote(remote, job, sink, finish, app_env)
            server_run.outcome.metrics = remote.metrics
            return server_run
        except SshError as error:
            return finish(FAILURE, error=str(error), announce=True)
        except asyncio.CancelledError:
            if self.keep_running and remote.pid is None and remote.abandon_start() and not remote.started.is_set():
                # the app stops while the run is being sent: once it is started, it goes on like the others
                await asyncio.shield(self._pool.run(remote.started.wait, KILL_GRACE_SECONDS))
            if self.keep_running and remote.pid is not None:
                detached = True  # the app stops and lets it finish: the next start follows it again
                raise
            sink.line("system", "Cancelled: stopping the remote process group.", server=spec.name)
            await asyncio.shield(self._stop(remote))
            raise
        finally:
            if token is not None and self._app is not None:
                self._app.unregister(token)
            if detached:
                remote.channel and remote.channel.close()
            else:
                await asyncio.shield(self._cleanup(remote, sink))
                self._forget(job, ref.id)

    # -- runs an earlier app process started -----------------------------------------------------------

    def _records(self) -> Path | None:
        """Where the re-attach records go, if that folder is this user's alone (blocking: it is made
        where missing). A record names a remote process to follow or stop: one another user planted
        in a folder they made first must not be taken for ours. None: runs are not re-attached."""
        root = self.records_root
        return root if root is not None and private_folder(root) else None

    def remove_ended(self, up_to: int, going_on: Collection[int]) -> None:
        """Remove the re-attach records of runs up to id `up_to` not `going_on` (see
        `LocalExecutor.remove_ended`; blocking)."""
        root = self._records()
        for record in ended_entries(root, "ssh-", up_to, going_on) if root is not None else []:
            record.unlink(missing_ok=True)

    def left_behind(self, execution_id: int) -> list[ssh_detach.RemoteRecord] | None:
        """The records of a run left RUNNING that may still be followed (blocking: a file look-up)."""
        root = self._records()
        return (ssh_detach.records_of(root, execution_id) or None) if root is not None else None

    async def reattach(self, records: list[ssh_detach.RemoteRecord], job: Job, sink: Sink,
                       stored_lines: dict[tuple[str | None, str], int], started_at: datetime | None) -> ExecResult:
        """Reconnect to each server and follow its run from the lines already stored; a server whose
        run left no record (it had not started) counts as interrupted."""
        from cronium_desktop.engine.runs.service import INTERRUPTED

        elapsed = (utcnow() - started_at).total_seconds() if started_at else 0.0
        by_server = {record.server_id: record for record in records}
        job = dataclasses.replace(job, requests=None)  # the earlier process's link to the app is gone

        async def one(ref: ServerRef) -> ServerRun:
            record = by_server.get(ref.id)
            if record is None:
                now = utcnow()
                return ServerRun(ServerOutcome(ref.id, ref.name, FAILURE, None, INTERRUPTED, None, now, now))
            skips = (stored_lines.get((record.server_name, "stdout"), 0),
                     stored_lines.get((record.server_name, "stderr"), 0))
            return await self._run_on(job, ref, sink, record, skips, job.timeout_seconds - elapsed)

        return combine(list(await asyncio.gather(*(one(ref) for ref in job.servers))))

    async def stop_left_behind(self, records: list[ssh_detach.RemoteRecord]) -> None:
        """Stop the runs of a re-attached run cancelled before it was followed, and remove their folders."""
        for record in records:
            try:
                spec = await self._servers.load_spec(record.server_id)
                remote = RemoteRun(self._pool, spec)
                if record.pgid:
                    remote.pid, remote.folder = record.pgid, record.folder
                elif await self._pool.run(remote.attach, record, 0, 0) is None:  # found by its token
                    await self._pool.run(remote.cleanup)
                    continue
                await self._stop(remote)
                await self._pool.run(remote.cleanup)
            except (NotFound, SshError, paramiko.SSHException, OSError, EOFError):
                pass

    async def forget(self, records: list[ssh_detach.RemoteRecord]) -> None:
        for record in records:
            ssh_detach.remove_record(self.records_root, record)

    def _forget(self, job: Job, server_id: int) -> None:
        if self.records_root is not None:
            path = ssh_detach.record_path(self.records_root, job.execution_id, job.attempt, server_id)
            path.unlink(missing_ok=True)

    async def _link_to_app(self, remote: RemoteRun, job: Job, sink: Sink) -> tuple[Job, dict[str, str], str | None]:
        """The env that lets the script reach the app (runtime_requests) over this connection.

        Where the server allows no port forward, the run gets every variable in its folder instead.
        """
        requests = job.requests
        if requests is None:
            return job, {}, None
        app = self._app = self._app or AppChannel(asyncio.get_running_loop())
        port = await self._pool.run(lambda: app.port_for(self._pool.transport(remote.spec)))
        if port is None:
            if not job.variables:
                job = dataclasses.replace(job, variables=await requests.all_variables())
            return job, {}, None
        token = app.register(requests, sink)
        return job, app.env(token, port), token

    async def _run_remote(self, remote: RemoteRun, job: Job, sink: Sink, finish: Callable[..., ServerRun],
                          app_env: dict[str, str] | None = None) -> ServerRun:
        spec, pool = remote.spec, self._pool
        files = run_folder_files(job, spec.name)
        env_bytes, skipped = env_file({**job.env, **(app_env or {})})
        if skipped:
            sink.line("system", f"Env names that are not shell variable names were left out: {', '.join(skipped)}.",
                      server=spec.name)
        if job.env or app_env:
            files[ENV_FILE] = env_bytes
        files[WRAPPER] = wrapper_script(job.event_type).encode("utf-8")
        root = await asyncio.to_thread(self._records)
        if root is not None and spec.id is not None:  # before it is sent: see ssh_detach
            pending = ssh_detach.RemoteRecord(job.execution_id, job.attempt, spec.id, spec.name, "", 0, 0, remote.token)
            await asyncio.to_thread(ssh_detach.write_record, root, pending)
        channel = await pool.run(remote.start, files)
        if root is not None and None not in (remote.pid, remote.folder, spec.id):
            assert remote.pid is not None and remote.folder is not None and spec.id is not None
            record = ssh_detach.RemoteRecord(job.execution_id, job.attempt, spec.id, spec.name, remote.folder,
                                             remote.pid, remote.wrapper_pid or remote.pid, remote.token)
            await asyncio.to_thread(ssh_detach.write_record, root, record)
        return await self._follow(remote, channel, job, sink, finish, job.timeout_seconds, (0, 0))

    async def _reattach_remote(self, remote: RemoteRun, left: ssh_detach.RemoteRecord, job: Job, sink: Sink,
                               finish: Callable[..., ServerRun], skips: tuple[int, int], timeout: float) -> ServerRun:
        channel = await self._pool.run(remote.attach, left, *skips)
        if channel is None:
            from cronium_desktop.engine.runs.service import INTERRUPTED

            return finish(FAILURE, error=f"{remote.spec.where}: {INTERRUPTED} (the remote process is gone).",
                          announce=True)
        return await self._follow(remote, channel, job, sink, finish, timeout, skips)

    async def _follow(self, remote: RemoteRun, channel: paramiko.Channel, job: Job, sink: Sink,
                      finish: Callable[..., ServerRun], timeout: float, skips: tuple[int, int]) -> ServerRun:
        """Follow a started (or re-attached) run until it ends; `timeout` is what is left of it."""
        spec, pool = remote.spec, self._pool
        loop = asyncio.get_running_loop()
        out = LineSplitter(loop, sink, "stdout", spec.name)
        err = LineSplitter(loop, sink, "stderr", spec.name)
        pumps = asyncio.gather(pool.run(remote.pump, channel.recv, out, remote.head),
                               pool.run(remote.pump, channel.recv_stderr, err))
        exited = asyncio.ensure_future(pool.run(remote.wait_exit))
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.shield(exited), max(timeout, 0.0))
        except TimeoutError:
            timed_out = True
            sink.line("system", f"Timed out after {job.timeout_seconds:g} s: stopping the remote process group.",
                      server=spec.name)
            await self._stop(remote)
        try:
            await asyncio.wait_for(asyncio.shield(pumps), DRAIN_SECONDS)
        except TimeoutError:
            sink.line("system", "Background processes kept the output open after the script ended; stopped them.",
                      server=spec.name)
            await pool.run(remote.signal_group, "KILL")
            channel.close()
            await pumps
        await exited
        results, left_behind = await pool.run(remote.finish, skips[0] + out.newlines, skips[1] + err.newlines)
        for splitter, rest in ((out, results.rest_out), (err, results.rest_err)):
            splitter.discard()
            splitter.feed(rest)
            splitter.close()
        collected, exit_code = results.collected, results.status
        for problem in collected.errors:
            sink.line("system", problem, server=spec.name)
        if left_behind:
            sink.line("system", left_behind, server=spec.name)
        if timed_out:
            return finish(TIMEOUT, exit_code, f"Timed out after {job.timeout_seconds:g} s.", collected.output,
                          collected.condition, collected.variables)
        if exit_code is None:
            error: str | None = "The remote process was killed by a signal."
            sink.line("system", "The remote process was killed by a signal.", server=spec.name)
        elif exit_code != 0:
            error = exit_error(exit_code)  # past 128: the shell's way of saying a signal ended it, named
        else:
            error = collected.errors[0] if collected.errors else None
        status = SUCCESS if error is None else FAILURE
        return finish(status, exit_code, error, collected.output, collected.condition, collected.variables)

    async def _stop(self, remote: RemoteRun) -> None:
        """SIGTERM the remote process group, SIGKILL it if the script has not exited after the grace."""
        if remote.abandon_start() and not remote.started.is_set():  # the script may be about to run: learn its PID
            await self._pool.run(remote.started.wait, KILL_GRACE_SECONDS)
        try:
            await self._pool.run(remote.signal_group, "TERM")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + KILL_GRACE_SECONDS
            while remote.channel is not None and not remote.channel.exit_status_ready() and loop.time() < deadline:
                await asyncio.sleep(0.05)
            await self._pool.run(remote.signal_group, "KILL")
        except SshError:
            pass  # the connection is gone; cleanup closes the channel, which is all that is left

    async def _cleanup(self, remote: RemoteRun, sink: Sink) -> None:
        if not remote.needs_cleanup:
            return  # the usual case: `finish` removed the folder and the server closed the channel
        folder = remote.folder
        try:
            problem = await self._pool.run(remote.cleanup)
        except (SshError, paramiko.SSHException, OSError, EOFError) as error:
            problem = folder and f"{remote.spec.where}: the run folder {folder} could not be removed ({error})."
        if problem:
            sink.line("system", problem, server=remote.spec.name)


def combine(runs: list[ServerRun]) -> ExecResult:
    """One result from the servers' results: SPEC §2's aggregate, output per server when several."""
    outcomes = [run.outcome for run in runs]
    status = aggregate_status([o.status for o in outcomes])
    variables: dict[str, str] = {}
    for run in runs:
        variables.update(run.variables)  # last write wins, in the event's server order
    condition = any(run.condition for run in runs)
    if len(runs) == 1:
        only = outcomes[0]
        return ExecResult(status, only.exit_code, only.error, only.output, condition, variables, outcomes,
                          metrics=only.metrics)
    failed = [o for o in outcomes if o.status != SUCCESS]
    exit_code = 0 if not failed else next((o.exit_code for o in failed if o.exit_code), None)
    error = None
    if failed:
        details = "; ".join(f"{o.server_name}: {o.error or o.status}" for o in failed)
        error = f"{len(failed)} of {len(outcomes)} servers did not succeed ({details})."
    output = {o.server_name: o.output for o in outcomes}
    return ExecResult(status, exit_code, error, output, condition, variables, outcomes,
                      metrics=add_up([o.metrics for o in outcomes]))
