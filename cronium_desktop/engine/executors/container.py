"""Runs BASH, PYTHON and NODEJS events in a fresh Docker container, one per attempt (SPEC §1, §3).

The run folder of `runtime.build_files` is made on this computer (as for local runs) and
bind-mounted at /cronium/run; a small wrapper sourced by the image's /bin/sh sends its stdout and
stderr to the folder's spool files (`spool.STREAMS`, as a local run's), loads the event's env from a
0600 file it then deletes (so no env value, secret or not, is in the container's configuration that
`docker inspect` shows), exports what lets the helpers be found, and execs the language's
interpreter. The spool files are read as they grow by the same poller as local runs' (`spool`), by
byte offsets, so a run re-attached after a restart goes on exactly where its stored log ends; the
engine's own log of the container is read only when the run fails (what its shell said before the
wrapper took over). Output, variables and condition are read back from the folder. Limits: memory
(no swap beyond it), CPUs, PIDs, network mode. A timeout or a cancel stops the container (SIGTERM,
SIGKILL after the grace); it is removed whatever happens, with its folder: once the run's end is
recorded (`ExecResult.leftover`), so that an app dying before then finds both at its next start and
records the true end. Every container carries labels naming the data folder and the run, so
recovery can remove those a crashed process left behind.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import shlex
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cronium_desktop.engine import runtime
from cronium_desktop.engine.docker_engine import (
    LABEL_ATTEMPT,
    LABEL_DATA_FOLDER,
    LABEL_EVENT,
    LABEL_EXECUTION,
    DockerEngine,
    DockerUnavailable,
    PullFailed,
    unavailable_message,
)
from cronium_desktop.engine.executors import container_reattach, spool
from cronium_desktop.engine.executors.base import FAILURE, SUCCESS, TIMEOUT, ExecResult, Job, Sink
from cronium_desktop.engine.executors.container_config import effective_container
from cronium_desktop.engine.executors.container_stats import ContainerStats
from cronium_desktop.engine.executors.local import (
    KILL_GRACE_SECONDS,
    SEARCH_PATHS,
    TYPE_NAMES,
    collect_folder,
    not_private_message,
    private_folder,
    run_folder_prefix,
    utcnow,
    write_folder,
)
from cronium_desktop.engine.executors.ssh import ENV_FILE, env_file
from cronium_desktop.engine.folder import remove_tree
from cronium_desktop.engine.handover import in_own_thread
from cronium_desktop.engine.metrics import RunMetrics, oom_wording, signal_name

log = logging.getLogger(__name__)

MOUNT = "/cronium/run"
WRAPPER = ".cronium-run.sh"
OOM_EXIT_CODE = 137  # SIGKILL: what the kernel's OOM killer sends
STATS_WAIT_SECONDS = 3.0
# A stats stream with no sample yet when the container ends will only give zeroed ones (the engine
# samples about once a second; the cgroup is gone): wait only this long for one already on its way.
# (dockerd 20.10: no real sample ever came after the end of 28 runs of 0–1 s.)
FIRST_SAMPLE_GRACE_SECONDS = 0.02


class NetworkUnavailable(Exception):
    """The event's network mode does not exist on the engine; the message names the fix."""


def wrapper_script(event_type: str, image: str) -> str:
    """The container's entry point, run by /bin/sh in the mounted folder."""
    interpreter = runtime.DEFAULT_INTERPRETERS[event_type]
    exports = "\n".join(
        f'export {name}={shlex.quote(value)}"${{{name}:+:${name}}}"' if name in SEARCH_PATHS
        else f"export {name}={shlex.quote(value)}"
        for name, value in runtime.folder_env(MOUNT).items()
    )
    missing = (f"cronium: the {TYPE_NAMES[event_type]} interpreter {interpreter!r} was not found in image {image!r}; "
               "choose an image that has it in the event's container settings.")
    return f"""# Cronium Desktop: one container run. Removed with its folder when the run ends.
exec >>{MOUNT}/{spool.STREAMS[0]} 2>>{MOUNT}/{spool.STREAMS[1]}
if [ -f {ENV_FILE} ]; then . ./{ENV_FILE}; rm -f {ENV_FILE}; fi
{exports}
PATH="{MOUNT}:$PATH"
export PATH
command -v {interpreter} >/dev/null 2>&1 || {{ echo {shlex.quote(missing)} >&2; exit 127; }}
exec {interpreter} {MOUNT}/{runtime.SCRIPT_NAMES[event_type]} </dev/null
"""


def container_labels(data_dir: Path, job: Job) -> dict[str, str]:
    return {LABEL_DATA_FOLDER: str(data_dir), LABEL_EXECUTION: str(job.execution_id),
            LABEL_ATTEMPT: str(job.attempt), LABEL_EVENT: job.event_name}


class ContainerExecutor:
    """Implements `Executor` for run_location CONTAINER."""

    def __init__(self, data_dir: Path, docker: DockerEngine, root: Path, images: Callable[[], dict[str, str]]) -> None:
        self.data_dir = data_dir
        self.docker = docker
        self.root = root  # `run_folders_root` of the data folder: recovery removes what a crash left there
        self._images = images  # the default image per event type, from Settings

    def remove_left_behind(self, execution_ids: list[int]) -> int:
        """Blocking: remove the containers of runs a stopped process left (see `DockerEngine`)."""
        return self.docker.remove_left_behind(self.data_dir, execution_ids)

    def left_behind(self, execution_id: int) -> container_reattach.Left | None:
        """Blocking: the container of a run left RUNNING by a stopped app, if Docker still has it."""
        return container_reattach.find(self.docker, self.data_dir, self.root, execution_id)

    async def reattach(self, left: container_reattach.Left, job: Job, sink: Sink, offsets: tuple[int, int],
                       started_at: Any) -> ExecResult:
        """Follow a container an earlier app process started, from the spool offsets already stored;
        the engine kept its exit code if it ended meanwhile."""
        settings = effective_container(job.container, job.event_type, await asyncio.to_thread(self._images))
        elapsed = (utcnow() - started_at).total_seconds() if started_at else 0.0
        try:
            container = await asyncio.to_thread(self.docker.call, lambda client: client.containers.get(left.container_id))
            if container.status == "created":
                # The app stopped between creating the container and starting it: nothing of the script
                # ran yet, and Docker would report a never-started container as ended with code 0.
                await asyncio.to_thread(container.start)
        except Exception as error:  # noqa: BLE001 - gone, or Docker is: either way there is nothing to follow
            message = f"The container of this run could not be found again ({error})."
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)
        return await self._watch(container, left.folder, job, settings, sink, offsets, job.timeout_seconds - elapsed)

    async def stop_left_behind(self, left: container_reattach.Left) -> None:
        await asyncio.to_thread(container_reattach.remove, self.docker, left)

    async def forget(self, left: container_reattach.Left) -> None:
        await asyncio.to_thread(container_reattach.remove, self.docker, left)

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        def fail(message: str) -> ExecResult:
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)

        if job.event_type not in runtime.SCRIPT_NAMES:
            return fail(f"{job.event_type} events cannot run in a container; only Bash, Python and Node.js scripts can.")
        settings = effective_container(job.container, job.event_type, await asyncio.to_thread(self._images))
        try:
            await asyncio.to_thread(self.docker.client)
        except DockerUnavailable as error:
            return fail(str(error))
        if not private_folder(self.root):
            return fail(not_private_message(self.root))
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, f"-{job.attempt}", run_folder_prefix(job.execution_id), self.root))
        result = None
        try:
            await asyncio.to_thread(self._write_folder, folder, job, settings["image"], sink)
            result = await self._run(folder, job, settings, sink)
            return result
        except DockerUnavailable as error:
            return fail(str(error))
        finally:
            if result is None or result.leftover is None:  # no container to keep: nothing to follow again
                await asyncio.shield(asyncio.to_thread(remove_tree, folder))

    def _write_folder(self, folder: Path, job: Job, image: str, sink: Sink) -> None:
        write_folder(folder, {**runtime.build_files(job), **dict.fromkeys(spool.STREAMS, b"")})
        (folder / WRAPPER).write_text(wrapper_script(job.event_type, image), encoding="utf-8")
        if job.env:
            content, skipped = env_file(job.env)
            descriptor = os.open(folder / ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            if skipped:
                sink.line("system", f"Env names that are not shell variable names were left out: {', '.join(skipped)}.")

    def _create(self, folder: Path, job: Job, settings: dict[str, Any], progress: Callable[[str], None]) -> Any:
        """Create the container (pulling its image first if it is missing); blocking."""
        import docker

        options: dict[str, Any] = dict(
            image=settings["image"],
            command=["/bin/sh", f"{MOUNT}/{WRAPPER}"],
            working_dir=MOUNT,
            volumes={str(folder): {"bind": MOUNT, "mode": "rw"}},
            labels=container_labels(self.data_dir, job),
            mem_limit=f"{settings['memory_mb']}m",
            memswap_limit=f"{settings['memory_mb']}m",  # no swap beyond the limit: past it is an OOM kill
            nano_cpus=int(settings["cpus"] * 1e9),
            pids_limit=settings["pids"],
            network_mode=settings["network"],
            stdin_open=False,
            tty=False,
        )
        if os.getuid() != 0:  # the run folder is private to this user: run as them, not as the image's root
            options["user"] = f"{os.getuid()}:{os.getgid()}"

        def create(client: docker.DockerClient) -> Any:
            return client.containers.create(**options)

        if settings["network"] == "bridge" and not self.docker.has_network("bridge"):
            # Such an engine would start the container with no network at all, without a word.
            raise NetworkUnavailable(
                "The container could not start: network 'bridge' is not available on this Docker engine (it runs "
                "without its default bridge). Choose network none or host in the event's container settings, "
                "or enable Docker's bridge network.")
        try:
            return self.docker.call(create)
        except docker.errors.ImageNotFound:
            self.docker.pull(settings["image"], progress)
            return self.docker.call(create)

    async def _run(self, folder: Path, job: Job, settings: dict[str, Any], sink: Sink) -> ExecResult:
        import docker
        import requests

        loop = asyncio.get_running_loop()

        def progress(line: str) -> None:
            loop.call_soon_threadsafe(sink.line, "system", line)

        creating = asyncio.ensure_future(asyncio.to_thread(self._create, folder, job, settings, progress))
        try:
            container = await asyncio.shield(creating)
        except asyncio.CancelledError:
            # The create (or a pull) goes on in its thread: remove what it makes, or it outlives the run.
            sink.line("system", "Cancelled before the container started.")
            await asyncio.shield(self._remove_when_created(creating))
            raise
        except (PullFailed, NetworkUnavailable) as error:
            sink.line("system", str(error))
            return ExecResult(status=FAILURE, error=str(error))
        except docker.errors.APIError as error:
            return self._refused(error, settings, sink)
        try:
            result = await self._follow(container, folder, job, settings, sink)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as error:
            # The engine went away mid-run (stopped, restarted): say so instead of a traceback.
            self.docker.forget()
            message = f"Lost the container: {unavailable_message(error, self.docker.endpoint())}"
            sink.line("system", message)
            await self._remove_now(container, sink)
            return ExecResult(status=FAILURE, error=message)
        except BaseException:  # cancelled (stopped already), or an executor bug: nothing to follow again
            await self._remove_now(container, sink)
            raise
        # The container (with its exit code) and its folder stay until the run's end is recorded: an app
        # that dies before then finds them at its next start and records the run's true end.
        result.leftover = functools.partial(asyncio.to_thread, self._remove_recorded, container, folder)
        return result

    async def _remove_now(self, container: Any, sink: Sink) -> None:
        """Remove the container of a run with nothing to follow again, saying so in its log if it stays."""
        problem = await asyncio.shield(asyncio.to_thread(self._remove, container))
        if problem:
            sink.line("system", problem)

    def _remove_recorded(self, container: Any, folder: Path) -> None:
        """Remove the container and folder of a run whose end is recorded (its log is closed: a
        container that cannot be removed is logged, and the next start removes it). Blocking."""
        problem = self._remove(container)
        if problem:
            log.warning("%s", problem)
        remove_tree(folder)

    async def _remove_when_created(self, creating: asyncio.Future[Any]) -> None:
        try:
            container = await creating
        except Exception:
            return  # nothing was created
        await asyncio.to_thread(self._remove, container)

    def _refused(self, error: Exception, settings: dict[str, Any], sink: Sink) -> ExecResult:
        explanation = str(getattr(error, "explanation", None) or error)
        if "network" in explanation and settings["network"] in explanation:
            message = (f"The container could not start: network {settings['network']!r} is not available on this "
                       f"Docker engine ({explanation}). Choose another network in the event's container settings.")
        else:
            message = f"The container could not start: {explanation}."
        sink.line("system", message)
        return ExecResult(status=FAILURE, error=message)

    async def _follow(self, container: Any, folder: Path, job: Job, settings: dict[str, Any], sink: Sink) -> ExecResult:
        import docker

        try:
            await asyncio.to_thread(container.start)
        except docker.errors.APIError as error:
            return self._refused(error, settings, sink)
        return await self._watch(container, folder, job, settings, sink, (0, 0), job.timeout_seconds)

    async def _watch(self, container: Any, folder: Path, job: Job, settings: dict[str, Any], sink: Sink,
                     offsets: tuple[int, int], timeout: float) -> ExecResult:
        """Until the container ends (`timeout`: what is left of the run's), its spool files read from
        `offsets`; then its results."""
        reader = spool.SpoolReader(folder, sink.masker, sink.segment, offsets)  # type: ignore[attr-defined]
        reader.follow()
        stats = ContainerStats(container)  # a re-attached run's figures cover the part the app saw
        stats.start()
        ended = in_own_thread(lambda: self._exit_state(container))
        ended.add_done_callback(lambda done: done.cancelled() or done.exception())  # a cancelled run does not wait
        timed_out = False
        try:
            try:
                await asyncio.wait_for(asyncio.shield(ended), max(timeout, 0.0))
            except TimeoutError:
                timed_out = True
                sink.line("system", f"Timed out after {job.timeout_seconds:g} s: stopping the container.")
                await asyncio.to_thread(self._stop, container)
            except asyncio.CancelledError:
                sink.line("system", "Cancelled: stopping the container.")
                await asyncio.shield(asyncio.to_thread(self._stop, container))
                raise
            state = await ended
        finally:
            await asyncio.shield(asyncio.to_thread(reader.finish))  # every process of the container is gone
        exit_code: int | None = state.get("ExitCode")
        if exit_code != 0:
            for stream, text in await asyncio.to_thread(self._engine_log, container):
                sink.line(stream, text)
        # Its last sample is in once the stream tells the container stopped (at once, for a stream under way).
        await asyncio.to_thread(stats.stopped.wait, STATS_WAIT_SECONDS if stats.samples else FIRST_SAMPLE_GRACE_SECONDS)
        measured = stats.figures() or RunMetrics()
        if exit_code is not None and exit_code > 128:
            measured.signal = signal_name(exit_code - 128)
        if state.get("OOMKilled"):
            measured.limit_reason = oom_wording(settings["memory_mb"])
        collected = await asyncio.to_thread(collect_folder, folder)
        for collect_error in collected.errors:
            sink.line("system", collect_error)
        if timed_out:
            return ExecResult(status=TIMEOUT, exit_code=exit_code, error=f"Timed out after {job.timeout_seconds:g} s.",
                              output=collected.output, condition=collected.condition, variables=collected.variables,
                              metrics=measured)
        problem = None
        if state.get("OOMKilled"):
            problem = measured.limit_reason
            sink.line("system", oom_wording(settings["memory_mb"]))
        elif exit_code != 0:
            problem = f"Exited with code {exit_code}."
        elif collected.errors:
            problem = collected.errors[0]
        status = SUCCESS if problem is None else FAILURE
        return ExecResult(status=status, exit_code=exit_code, error=problem, output=collected.output,
                          condition=collected.condition, variables=collected.variables, metrics=measured)

    @staticmethod
    def _engine_log(container: Any) -> list[tuple[str, str]]:
        """What the container's shell said before the wrapper sent output to the spool files (an
        image whose /bin/sh cannot read the mounted folder): (stream, line) pairs."""
        import docker
        import requests

        lines: list[tuple[str, str]] = []
        for stream in spool.STREAMS:
            try:
                data: bytes = container.logs(stdout=stream == "stdout", stderr=stream == "stderr")
            except (docker.errors.APIError, requests.exceptions.ConnectionError):
                return lines
            lines += [(stream, line) for line in data.decode("utf-8", errors="replace").splitlines()]
        return lines

    def _exit_state(self, container: Any) -> dict[str, Any]:
        """Exit code, and whether the OOM killer ended it (asked only when SIGKILL could mean that).
        Blocks until the container ends."""
        code = container.wait().get("StatusCode")
        if code != OOM_EXIT_CODE:
            return {"ExitCode": code}
        container.reload()
        return {"ExitCode": code, "OOMKilled": bool(container.attrs.get("State", {}).get("OOMKilled"))}

    @staticmethod
    def _stop(container: Any) -> None:
        """SIGTERM, then SIGKILL after the grace period (Docker's own stop does both)."""
        import docker
        import requests

        try:
            container.stop(timeout=int(KILL_GRACE_SECONDS))
        except (docker.errors.APIError, requests.exceptions.ConnectionError):
            pass  # already gone, or the engine is: removal reports what is left

    @staticmethod
    def _remove(container: Any) -> str | None:
        """Remove the container (killing what is left of it); returns a problem to log, if any."""
        import docker
        import requests

        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except (docker.errors.APIError, requests.exceptions.ConnectionError) as error:
            return (f"The container {container.short_id} could not be removed ({error}); "
                    "remove it with `docker rm -f`.")
        return None
