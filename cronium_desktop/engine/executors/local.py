"""Runs BASH, PYTHON and NODEJS events as processes on this computer.

Each run gets a private temporary folder (memory-backed /dev/shm where there is one, so variables
handed to the script do not touch the disk) and its own session, started and waited for by its
data folder's `launcher` so that it outlives the app (its files: `spool`); a timeout or a cancel
stops the whole process group: SIGTERM, then SIGKILL after 5 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Any

from cronium_desktop.engine import runtime
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.executors import spool
from cronium_desktop.engine.executors.base import FAILURE, SUCCESS, TIMEOUT, ExecResult, Job, Sink
from cronium_desktop.engine.executors.launcher import Launcher
from cronium_desktop.engine.executors.local_metrics import Started, limit_env, measured
from cronium_desktop.engine.executors.sampler import SAMPLER
from cronium_desktop.engine.folder import folder_digest, remove_tree
from cronium_desktop.engine.handover import Worker
from cronium_desktop.engine.runtime_requests import SOCKET_NAME, RequestServer, RequestSocket
from cronium_desktop.engine.runtime_requests import TOKEN_ENV as REQUEST_TOKEN_ENV

KILL_GRACE_SECONDS = 5.0
MAX_LINE_BYTES = spool.MAX_LINE_BYTES
TYPE_NAMES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js"}
# How long background processes may keep the output open after the script exited, before they are stopped.
DRAIN_SECONDS = 2.0
SEARCH_PATHS = ("PYTHONPATH", "NODE_PATH")
OPTION_LISTS = ("NODE_OPTIONS",)  # ours first, the event's own options after them
MKDTEMP_LETTERS = 8  # the random letters tempfile.mkdtemp puts after a prefix


@functools.cache
def _temp_root() -> Path:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def _users_folder(name: str) -> Path:
    """A folder of this user's named `name` where run folders go (see `private_folder`)."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return _temp_root() / f"cronium-{user}-{name}"


def run_folders_root(data_dir: Path) -> Path:
    """Where the run folders of one data folder go: one private folder per user and data folder, so
    the folders a crash left behind can be told from those of runs going on elsewhere."""
    return _users_folder(folder_digest(data_dir))


_found_interpreters: dict[tuple[str, str], str] = {}


def find_interpreter(event_type: str, overrides: dict[str, str]) -> str | None:
    """The interpreter's path; a found one is remembered (looking along PATH costs a stat per folder,
    every run) as long as it is still there. One not found is looked for again next time."""
    wanted = overrides.get(event_type) or runtime.DEFAULT_INTERPRETERS[event_type]
    key = (wanted, os.environ.get("PATH", ""))
    known = _found_interpreters.get(key)
    if known is not None and os.access(known, os.X_OK):
        return known
    found = shutil.which(wanted)
    if found is not None:
        _found_interpreters[key] = found
    return found


def missing_interpreter_message(event_type: str, overrides: dict[str, str]) -> str:
    wanted = overrides.get(event_type) or runtime.DEFAULT_INTERPRETERS[event_type]
    return (
        f"The {TYPE_NAMES[event_type]} interpreter {wanted!r} was not found. "
        f"{runtime.INTERPRETER_HINTS[event_type].capitalize()}, or set its path in Settings → Interpreters."
    )


def write_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Write `files` (by relative path) into the new folder `folder`: each subfolder made once, each
    file with three system calls (a run folder holds a dozen of them, made for every run)."""
    for parent in sorted({relative.rpartition("/")[0] for relative in files if "/" in relative}):
        (folder / parent).mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        spool.write_new(folder / relative, content)


def collect_folder(folder: Path, present: set[str] | None = None) -> runtime.Collected:
    """What the script left in `folder`; `present`: the folder's names, if the caller has listed
    it (what is not there is then not looked for, one system call each)."""
    def read(name: str) -> bytes | None:
        if present is not None and name.partition("/")[0] not in present:
            return None
        try:
            return (folder / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def list_dir(name: str) -> list[str]:
        if present is not None and name not in present:
            return []
        path = folder / name
        return sorted(p.name for p in path.iterdir() if p.is_file()) if path.is_dir() else []

    def size_of(name: str) -> int | None:
        if present is not None and name not in present:
            return None
        path = folder / name
        return path.stat().st_size if path.is_file() else None

    return runtime.collect(read, list_dir, size_of)


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


async def stop_process_group(pgid: int, exited: asyncio.Future[Any], grace: float = KILL_GRACE_SECONDS) -> None:
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


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _drain(reader: spool.SpoolReader, pgid: int) -> str | None:
    """The run's process is gone but other processes still hold the spool files open (background children
    still writing): wait for them.

    Children left in the run's process group are killed after `DRAIN_SECONDS`; one that left the
    group (setsid, a daemon) cannot be told from a stranger, so the run stops reading instead.
    Returns the note for the log, if any. Blocking, for seconds: a worker thread of the pool, never
    the runs' own thread."""
    for stage in ("wait", "killed"):
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if not reader.held_open_by_others():
                return None if stage == "wait" else (
                    "Background processes kept the output open after the script ended; stopped them.")
        if stage == "wait":
            _signal_group(pgid, signal.SIGKILL)
            if not _group_alive(pgid) and not reader.held_open_by_others():
                return "Background processes kept the output open after the script ended; stopped them."
    return ("Processes that left the run's process group kept the output open after the script ended; "
            "stopped reading it (they may still be running).")


_private_folders: set[Path] = set()  # found to be this user's alone, in this process


def private_folder(path: Path) -> bool:
    """Make `path` (0700) where it is missing; whether it is a folder of this user's that no one else
    may write. The places run folders and helpers go are predictable (in /dev/shm or the temporary
    folder): another user who made one first could swap what a run is about to start."""
    if path in _private_folders and os.path.isdir(path):  # one found before, unless it was removed since
        return True
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = os.lstat(path)
    if not stat.S_ISDIR(found.st_mode) or found.st_mode & 0o077 or (
            hasattr(os, "getuid") and found.st_uid != os.getuid()):
        return False
    _private_folders.add(path)
    return True


def not_private_message(path: Path) -> str:
    return (f"The folder for this data folder's runs, {path}, is not private to you (another user may have made it): "
            "local runs do not start there. Remove it (or make it yours, mode 0700), then run again.")


def helpers_folder() -> Path | None:
    """This version's helpers, in one folder of this user's that every local run (of any data
    folder) finds on its paths (`script_env`): a run folder then holds only the run's own files, a
    few to write and remove per run instead of a dozen. Made once, whole (written aside, then
    renamed into place: another process may be making it too). None when the place is not this
    user's alone (`private_folder`): the run then gets its own copy, as remote runs do."""
    parent = _users_folder("helpers")
    seen = _helpers_seen.get(parent)
    if seen is not None and os.path.isdir(seen):  # one look per run: a cleaner of temporary folders may remove it
        return seen
    folder = parent / runtime.helpers_digest()
    if not private_folder(parent):
        return None
    if not folder.is_dir():
        made = Path(tempfile.mkdtemp(prefix=".made-", dir=parent))
        write_folder(made, runtime.helper_files())
        try:
            os.rename(made, folder)
        except OSError:  # made by another process meanwhile
            shutil.rmtree(made, True)
    _helpers_seen[parent] = folder
    return folder


_helpers_seen: dict[Path, Path] = {}  # by where helpers go: the folder found there


def script_env(folder: Path, event_env: dict[str, str], helpers: Path | None) -> dict[str, str]:
    """What a run sets over this app's environment (`spool.environment`): the event's env, and what
    lets the script find its helper in `helpers` (None: in the run folder) and its files in `folder`.

    The helper folder goes in front of PYTHONPATH and NODE_PATH rather than replacing them, so
    libraries the event points at stay importable.
    """
    env = dict(event_env)

    def current(name: str) -> str | None:  # the value the script would get without us
        return env[name] if name in env else os.environ.get(name)

    ours = runtime.folder_env(str(folder))
    if helpers is not None:
        ours.update({"PYTHONPATH": f"{helpers}{os.pathsep}{folder}", "NODE_PATH": str(helpers / "node_modules"),
                     runtime.HELPERS_ENV: str(helpers)})
    for name, value in ours.items():
        if name in SEARCH_PATHS and current(name):
            value = f"{value}{os.pathsep}{current(name)}"
        elif name in OPTION_LISTS and current(name):
            value = f"{value} {current(name)}"
        env[name] = value
    env["PATH"] = os.pathsep.join([str(folder), *([str(helpers)] if helpers is not None else []), current("PATH") or ""])
    return env


def ended_entries(root: Path, prefix: str, up_to: int, going_on: Collection[int]) -> list[Path]:
    """The entries of `root` named PREFIX<execution id>-… whose execution id is at most `up_to` and
    not in `going_on`."""
    found = []
    with contextlib.suppress(FileNotFoundError), os.scandir(root) as entries:
        for entry in entries:
            number = entry.name[len(prefix):].partition("-")[0] if entry.name.startswith(prefix) else ""
            if number.isdigit() and int(number) <= up_to and int(number) not in going_on:
                found.append(Path(entry.path))
    return found


def run_folder_prefix(execution_id: int) -> str:
    """A run folder's name up to mkdtemp's random letters: its execution id finds it again."""
    return f"run-{execution_id}-"


def prepare_folder(root: Path, job: Job, helpers: bool = False) -> Path:
    """The run's new folder under `root` (made when missing) with the run's files, the helpers only
    if `helpers` (they are in `helpers_folder`); the spool files are made as the run starts (by the
    launcher)."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=run_folder_prefix(job.execution_id), dir=root))
    except FileNotFoundError:  # removed since it was found private: made and checked again
        if not private_folder(root):
            raise PermissionError(not_private_message(root)) from None
        folder = Path(tempfile.mkdtemp(prefix=run_folder_prefix(job.execution_id), dir=root))
    write_folder(folder, runtime.build_files(job, helpers=helpers))
    return folder


def exit_error(exit_code: int | None) -> str | None:
    if exit_code is None or exit_code == 0:
        return None
    if exit_code > 128:
        try:
            return f"Killed by signal {signal.Signals(exit_code - 128).name} (exit code {exit_code})."
        except ValueError:
            pass
    return f"Exited with code {exit_code}."


# One thread does the file work of every local run (its folder and start, then reading its end),
# rather than a pool: runs starting and ending together then take turns instead of contending.
RUNS_THREAD = Worker("cronium-local-runs")


class LocalExecutor:
    def __init__(self, root: Path) -> None:
        self.root = root  # `run_folders_root` of the data folder
        self.keep_running = False  # set when the app stops and lets its runs finish
        self.requests = RequestServer(root)  # what the runs' scripts ask of the app
        self.launcher = Launcher(root)  # starts the runs and waits for them

    def close(self) -> None:
        """The app stops: its runs' scripts can no longer ask it anything (those going on are the
        launcher's to see to the end)."""
        self.requests.close()
        self.launcher.close()

    def remove_ended(self, up_to: int, going_on: Collection[int]) -> None:
        """Remove the run folders of runs up to id `up_to` not `going_on` (being followed again): those
        of runs the last stop interrupted, and of runs whose end was recorded just before it (a
        folder is removed once its run's end is written). Blocking; only while no other process runs
        any (`Presence.run_alone`)."""
        for folder in ended_entries(self.root, "run-", up_to, going_on):
            remove_tree(folder)

    def folder_of(self, execution_id: int) -> Path | None:
        found = sorted(self.root.glob(run_folder_prefix(execution_id) + "*")) if self.root.is_dir() else []
        return found[-1] if found else None

    def attachable(self, execution_id: int) -> Path | None:
        """The run folder of a run left RUNNING, if it can be followed again: its process is still
        running (the same process: PID, start time and token agree), or it ended and left its
        status or the launcher's `timedout` mark (even if the app that started it died before it recorded it).
        None: gone without a word (a reboot, or killed before it started), as if interrupted."""
        folder = self.folder_of(execution_id)
        if folder is None:
            return None
        if spool.read_status(folder) is not None or (folder / "timedout").exists():
            return folder
        identity = spool.read_identity(folder)
        return folder if identity is not None and spool.is_same_process(identity) else None

    async def reattach(self, folder: Path, job: Job, sink: Sink, offsets: tuple[int, int],
                       started_at: datetime | None) -> ExecResult:
        """Follow a run started by an earlier app process, from the spool offsets already stored."""
        identity = spool.read_identity(folder) or {}
        pid = identity.get("pid")
        pgid = pid if isinstance(pid, int) else 0
        exited = asyncio.ensure_future(spool.until_gone(identity, folder))
        elapsed = (utcnow() - started_at).total_seconds() if started_at else 0.0
        if pgid:
            SAMPLER.watch(pgid)
        asking = await self._answer_again(folder, job, sink, identity)
        try:
            result = await self.follow(folder, pgid, exited, job, sink, offsets, job.timeout_seconds - elapsed)
        finally:
            exited.cancel()
            self.requests.unregister(asking)
        result.release = functools.partial(remove_tree, folder)  # as a fresh run's: once its end is recorded
        return result

    async def _answer_again(self, folder: Path, job: Job, sink: Sink, identity: dict[str, object]) -> bytes | None:
        """What a run an earlier app process started asks is answered by this one from now on: its
        token (in its process's environment) registered, its link pointed at this process's socket.
        The key to `unregister` it with; None: it has no line to the app (variables written), or it
        is gone."""
        if job.requests is None or not (folder / SOCKET_NAME).is_symlink():
            return None
        token = await asyncio.to_thread(spool.environment_value, identity, REQUEST_TOKEN_ENV)
        if token is None:
            return None
        plan = RequestSocket(job.requests, {}, token)
        asking = self.requests.register(plan, sink)
        try:
            await asyncio.to_thread(plan.relink, folder)
        except OSError:
            self.requests.unregister(asking)
            return None
        return asking

    async def stop_left_behind(self, folder: Path) -> None:
        """Stop the process tree of a run an earlier app started, if it is still that run's: a cancel
        can land before `reattach` ever ran (the run was cancelled while being picked up)."""
        identity = spool.read_identity(folder) or {}
        pid = identity.get("pid")
        if not isinstance(pid, int) or not await asyncio.to_thread(spool.is_same_process, identity):
            return
        exited = asyncio.ensure_future(spool.until_gone(identity, folder))
        try:
            await asyncio.wait_for(stop_process_group(pid, exited), KILL_GRACE_SECONDS + 5)
        except TimeoutError:
            pass
        finally:
            exited.cancel()

    async def forget(self, folder: Path) -> None:
        await asyncio.to_thread(remove_tree, folder)

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        interpreter = find_interpreter(job.event_type, job.interpreters)
        if interpreter is None:
            message = missing_interpreter_message(job.event_type, job.interpreters)
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        if not private_folder(self.root):
            message = not_private_message(self.root)
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        # The folder's path is known before it is made but for mkdtemp's random letters.
        plan = await RequestSocket.plan(job, str(self.root / (run_folder_prefix(job.execution_id) + "x" * MKDTEMP_LETTERS)))
        asking = self.requests.register(plan, sink)  # before the script can ask
        try:
            folder, process = await self._start(job, interpreter, plan)
        except BaseException:
            self.requests.unregister(asking)
            raise
        exited = process.exited
        detached = ended = False
        try:
            result = await self.follow(folder, process.pid, exited, job, sink, (0, 0), job.timeout_seconds, process)
            result.release, ended = functools.partial(remove_tree, folder), True
            return result
        except asyncio.CancelledError:
            detached = self.keep_running and not exited.done()
            if not detached and not exited.done():  # cancelled before `follow` took over: stop the tree here
                sink.line("system", "Cancelled: stopping the process tree.")
                await asyncio.shield(stop_process_group(process.pid, exited))
                SAMPLER.release(process.pid)
            raise
        finally:
            self.requests.unregister(asking)
            if not detached and not ended:  # a run that ended is removed once its end is recorded (`release`)
                await asyncio.to_thread(remove_tree, folder)

    async def _start(self, job: Job, interpreter: str, plan: RequestSocket | None) -> tuple[Path, Started]:
        """Make the run folder (its files, its request socket) in one worker-thread hop and have the
        launcher start the run (the thread goes on meanwhile). A cancel landing meanwhile waits for
        the start and is then delivered to the caller's next await (`follow` stops the tree), so a
        started run is never left running unwatched."""
        loop = asyncio.get_running_loop()
        process = Started(loop, spool.new_token())
        deadline = spool.deadline_of(job.timeout_seconds)
        env_of_run = {spool.TOKEN_ENV: process.token, **limit_env(job.limits)}

        def launch() -> Path:
            helpers = helpers_folder()
            folder = prepare_folder(self.root, job, helpers=helpers is None)
            try:
                if plan is not None:
                    plan.make(folder)
                env = script_env(folder, job.env, helpers)
                if plan is not None:
                    env.update(plan.env)  # the line to the app: over the event's own env
                command = runtime.command(job.event_type, interpreter, str(folder))
                self.launcher.spawn(loop, folder, spool.limited(command) if job.limits else command,
                                    spool.environment_block({**env, **env_of_run}), process.token, deadline,
                                    process.started, process.ended)
            except BaseException:
                remove_tree(folder)
                raise
            return folder

        async def begin() -> Path:
            folder = await RUNS_THREAD.run(launch)
            try:
                await process.begun
            except OSError:
                await asyncio.to_thread(remove_tree, folder)
                raise
            return folder

        beginning = asyncio.ensure_future(begin())
        cancelled = False
        try:
            folder = await asyncio.shield(beginning)
        except asyncio.CancelledError:
            cancelled = True
            folder = await beginning
        SAMPLER.watch(process.pid)
        if cancelled:
            current = asyncio.current_task()
            assert current is not None
            current.cancel()
        return folder, process

    async def follow(self, folder: Path, pgid: int, exited: asyncio.Future[Any], job: Job, sink: Sink,
                     offsets: tuple[int, int], timeout: float, process: Started | None = None) -> ExecResult:
        """Follow a started (or re-attached) run until it ends; `timeout` is what is left of it."""
        reader = spool.SpoolReader(folder, sink.masker, sink.segment, offsets)  # type: ignore[attr-defined]
        reader.follow()
        timed_out = False
        try:
            try:
                async with asyncio.timeout(max(timeout, 0.0)):
                    await asyncio.shield(exited)
            except TimeoutError:
                timed_out = True
                sink.line("system", f"Timed out after {job.timeout_seconds:g} s: stopping the process tree.")
                await stop_process_group(pgid, exited)
            except asyncio.CancelledError:
                if not self.keep_running:
                    sink.line("system", "Cancelled: stopping the process tree.")
                    await asyncio.shield(stop_process_group(pgid, exited))
                raise
            end = functools.partial(self._read_end, folder, reader, pgid, job, exited, timed_out, sink, process)
            result = await RUNS_THREAD.run(end, False, None)
            if result is None:  # background processes still write: wait for them on a thread of their own
                note = await asyncio.to_thread(_drain, reader, pgid)
                result = await RUNS_THREAD.run(end, True, note)
        finally:
            if not reader.finished:  # the run was cancelled or failed before its end was read
                await asyncio.shield(asyncio.to_thread(reader.finish))
            SAMPLER.release(pgid)
        assert result is not None and result.metrics is not None
        if result.metrics.limit_reason and result.status != SUCCESS:
            sink.line("system", result.metrics.limit_reason)
            result.error = result.metrics.limit_reason
        return result

    def _read_end(self, folder: Path, reader: spool.SpoolReader, pgid: int, job: Job,
                  exited: asyncio.Future[Any], timed_out: bool, sink: Sink, process: Started | None,
                  drained: bool, note: str | None) -> ExecResult | None:
        """The run's process is gone: the last output read, then its status, files and figures (one hop to
        the runs' thread). None when other processes still hold the output open: call again with
        `drained` once `_drain` has waited for them."""
        if not drained:
            reader.leave()
            reader.catch_up()
            if reader.held_open_by_others():
                return None
        reader.finish()
        if note:
            sink.line("system", note)
        record = spool.read_record(folder)
        result = self._result(folder, job, exited, timed_out, sink, record)
        result.metrics = measured(folder, job, result.exit_code, process, SAMPLER.release(pgid), record)
        return result

    def _result(self, folder: Path, job: Job, exited: asyncio.Future[Any], timed_out: bool, sink: Sink,
                record: str | None) -> ExecResult:
        exit_code = spool.exit_status(record)
        if exit_code is None and exited.done() and not exited.cancelled():  # the launcher's word (128 + N: signal N)
            exit_code = exited.result()
        present = set(os.listdir(folder))
        if "timedout" in present and not timed_out:
            timed_out = True  # the launcher stopped it at its deadline while the app was away
            sink.line("system", f"Timed out after {job.timeout_seconds:g} s: stopped the process tree.")
        collected = collect_folder(folder, present)
        for problem in collected.errors:
            sink.line("system", problem)
        if timed_out:
            return ExecResult(status=TIMEOUT, exit_code=exit_code, error=f"Timed out after {job.timeout_seconds:g} s.",
                              output=collected.output, condition=collected.condition, variables=collected.variables)
        status = SUCCESS if exit_code == 0 and not collected.errors else FAILURE
        error = exit_error(exit_code) or (collected.errors[0] if collected.errors else None)
        if exit_code is None:
            status, error = FAILURE, "The run ended without an exit status."
        return ExecResult(status=status, exit_code=exit_code, error=error, output=collected.output,
                          condition=collected.condition, variables=collected.variables)
