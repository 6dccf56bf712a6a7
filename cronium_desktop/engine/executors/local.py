"""Runs BASH, PYTHON and NODEJS events as processes on this computer.

Each run gets a private temporary folder (memory-backed /dev/shm where there is one, so variables
handed to the script do not touch the disk) and its own process group, so a timeout or a cancel
stops the whole tree: SIGTERM, then SIGKILL after 5 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

from cronium_desktop.engine import runtime
from cronium_desktop.engine.executors.base import FAILURE, SUCCESS, TIMEOUT, ExecResult, Job, Sink
from cronium_desktop.engine.folder import folder_digest
from cronium_desktop.engine.runtime_requests import serve_requests

KILL_GRACE_SECONDS = 5.0
MAX_LINE_BYTES = 1024 * 1024
# Small reads keep each loop iteration short when a script floods its output.
READ_CHUNK_BYTES = 16 * 1024
STREAM_BUFFER_BYTES = 64 * 1024  # asyncio's default for subprocess streams
TYPE_NAMES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js"}
# How long output may stay open after the script exited, before its leftovers are stopped.
DRAIN_SECONDS = 2.0
SEARCH_PATHS = ("PYTHONPATH", "NODE_PATH")
OPTION_LISTS = ("NODE_OPTIONS",)  # ours first, the event's own options after them


def _temp_root() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def run_folders_root(data_dir: Path) -> Path:
    """Where the run folders of one data folder go: one private folder per user and data folder, so
    the folders a crash left behind can be told from those of runs going on elsewhere."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return _temp_root() / f"cronium-{user}-{folder_digest(data_dir)}"


def find_interpreter(event_type: str, overrides: dict[str, str]) -> str | None:
    wanted = overrides.get(event_type) or runtime.DEFAULT_INTERPRETERS[event_type]
    return shutil.which(wanted)


def missing_interpreter_message(event_type: str, overrides: dict[str, str]) -> str:
    wanted = overrides.get(event_type) or runtime.DEFAULT_INTERPRETERS[event_type]
    return (
        f"The {TYPE_NAMES[event_type]} interpreter {wanted!r} was not found. "
        f"{runtime.INTERPRETER_HINTS[event_type].capitalize()}, or set its path in Settings → Interpreters."
    )


def write_folder(folder: Path, files: dict[str, bytes]) -> None:
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def collect_folder(folder: Path) -> runtime.Collected:
    def read(name: str) -> bytes | None:
        try:
            return (folder / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def list_dir(name: str) -> list[str]:
        path = folder / name
        return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []

    def size_of(name: str) -> int | None:
        path = folder / name
        return path.stat().st_size if path.is_file() else None

    return runtime.collect(read, list_dir, size_of)


async def pump_lines(reader: asyncio.StreamReader, stream: str, sink: Sink) -> None:
    """Split a byte stream into lines for the sink; very long lines are cut, never lost."""
    pending = b""
    while chunk := await reader.read(READ_CHUNK_BYTES):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            sink.line(stream, line.rstrip(b"\r").decode("utf-8", errors="replace"))
        while len(pending) > MAX_LINE_BYTES:
            sink.line(stream, pending[:MAX_LINE_BYTES].decode("utf-8", errors="replace"))
            pending = pending[MAX_LINE_BYTES:]
        # A read of buffered data does not suspend: yield, or a chatty script starves the loop.
        await asyncio.sleep(0)
    if pending:
        sink.line(stream, pending.rstrip(b"\r").decode("utf-8", errors="replace"))


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _consume_outcome(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


class ScriptProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Stream protocol that also tells when the script's own process exits.

    `Process.wait()` returns only once every pipe is closed too, so a background child that keeps
    stdout open would hold a finished script "running" until its timeout. `exited` is set as soon as
    the script process itself ends.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=STREAM_BUFFER_BYTES, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def stop_process_group(pgid: int, exited: asyncio.Future[None], grace: float = KILL_GRACE_SECONDS) -> None:
    """SIGTERM the process group, SIGKILL it if the script has not exited after `grace` seconds.

    Whatever is left of the group once the script has exited is killed as well.
    """
    _signal_group(pgid, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.shield(exited), grace)
    except TimeoutError:
        pass
    _signal_group(pgid, signal.SIGKILL)
    await asyncio.shield(exited)


async def drain_output(
    transport: asyncio.SubprocessTransport, pgid: int, readers: asyncio.Future[Any], sink: Sink
) -> None:
    """Read what is left of the output once the script has exited.

    Background children that keep the pipes open belong to the run: after `DRAIN_SECONDS` the
    process group is killed. A child that left the group (setsid, a detached daemon) cannot be
    told apart from a stranger, so its pipes are closed instead: the run ends either way.
    """
    try:
        await asyncio.wait_for(asyncio.shield(readers), DRAIN_SECONDS)
        return
    except TimeoutError:
        pass
    _signal_group(pgid, signal.SIGKILL)
    try:
        await asyncio.wait_for(asyncio.shield(readers), DRAIN_SECONDS)
        sink.line("system", "Background processes kept the output open after the script ended; stopped them.")
        return
    except TimeoutError:
        pass
    for fd in (1, 2):
        pipe = transport.get_pipe_transport(fd)
        if pipe is not None:
            pipe.close()
    await readers
    sink.line(
        "system",
        "Processes that left the run's process group kept the output open after the script ended; "
        "stopped reading it (they may still be running).",
    )


def script_env(folder: Path, event_env: dict[str, str]) -> dict[str, str]:
    """This app's environment, the event's env, and what lets the script find its helper.

    The helper folder goes in front of PYTHONPATH and NODE_PATH rather than replacing them, so
    libraries the event points at stay importable.
    """
    env = {**os.environ, **event_env}
    for name, value in runtime.folder_env(str(folder)).items():
        if name in SEARCH_PATHS and env.get(name):
            value = f"{value}{os.pathsep}{env[name]}"
        elif name in OPTION_LISTS and env.get(name):
            value = f"{value} {env[name]}"
        env[name] = value
    env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    return env


class LocalExecutor:
    def __init__(self, root: Path) -> None:
        self.root = root  # `run_folders_root` of the data folder

    def _new_folder(self, job: Job) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"run-{job.execution_id}-", dir=self.root))

    def remove_left_behind(self, execution_ids: list[int]) -> None:
        """Remove the run folders of runs a stopped process left (they hold every variable in clear)."""
        if not self.root.is_dir():
            return
        for execution_id in execution_ids:
            for folder in self.root.glob(f"run-{execution_id}-*"):
                shutil.rmtree(folder, ignore_errors=True)

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        interpreter = find_interpreter(job.event_type, job.interpreters)
        if interpreter is None:
            message = missing_interpreter_message(job.event_type, job.interpreters)
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        folder = await asyncio.to_thread(self._new_folder, job)
        try:
            await asyncio.to_thread(write_folder, folder, runtime.build_files(job))
            async with serve_requests(folder, job, sink) as request_env:
                if request_env:
                    job = dataclasses.replace(job, env={**job.env, **request_env})
                return await self._run_in(folder, interpreter, job, sink)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _run_in(self, folder: Path, interpreter: str, job: Job, sink: Sink) -> ExecResult:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.subprocess_exec(
            lambda: ScriptProtocol(loop),
            *runtime.command(job.event_type, interpreter, str(folder)),
            cwd=folder,
            env=script_env(folder, job.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            return await self._follow(folder, transport, protocol, job, sink)
        finally:
            transport.close()

    async def _follow(
        self, folder: Path, transport: asyncio.SubprocessTransport, protocol: ScriptProtocol, job: Job, sink: Sink
    ) -> ExecResult:
        assert protocol.stdout is not None and protocol.stderr is not None
        pgid = transport.get_pid()
        readers = asyncio.gather(pump_lines(protocol.stdout, "stdout", sink), pump_lines(protocol.stderr, "stderr", sink))
        readers.add_done_callback(_consume_outcome)  # a cancelled run drops its readers unawaited
        timed_out = False
        try:
            await asyncio.wait_for(asyncio.shield(protocol.exited), job.timeout_seconds)
        except TimeoutError:
            timed_out = True
            sink.line("system", f"Timed out after {job.timeout_seconds:g} s: stopping the process tree.")
            await stop_process_group(pgid, protocol.exited)
        except asyncio.CancelledError:
            sink.line("system", "Cancelled: stopping the process tree.")
            try:
                await asyncio.shield(stop_process_group(pgid, protocol.exited))
            finally:
                readers.cancel()
            raise
        await drain_output(transport, pgid, readers, sink)

        code = transport.get_returncode()
        exit_code = 128 - code if code is not None and code < 0 else code
        collected = await asyncio.to_thread(collect_folder, folder)
        for problem in collected.errors:
            sink.line("system", problem)
        if timed_out:
            return ExecResult(status=TIMEOUT, exit_code=exit_code, error=f"Timed out after {job.timeout_seconds:g} s.",
                              output=collected.output, condition=collected.condition, variables=collected.variables)
        status = SUCCESS if exit_code == 0 and not collected.errors else FAILURE
        error = None
        if code is not None and code < 0:
            error = f"Killed by signal {signal_name(-code)} (exit code {exit_code})."
        elif exit_code != 0:
            error = f"Exited with code {exit_code}."
        elif collected.errors:
            error = collected.errors[0]
        return ExecResult(status=status, exit_code=exit_code, error=error, output=collected.output,
                          condition=collected.condition, variables=collected.variables)
