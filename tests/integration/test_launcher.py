"""The launcher of a data folder's local runs (engine/executors/launcher.py): one real process per
run folders root that starts every run, waits for it and records its end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors import launcher
from cronium_desktop.engine.executors.local import run_folders_root
from tests.conftest import launchers_of, stop_launcher


async def log_texts(engine: Engine, execution_id: int) -> list[str]:
    return [record.text for record in await engine.runs.log(execution_id)]


async def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    """A run folder in a private root of its own, as local runs have."""
    root = tmp_path / "root"
    root.mkdir(mode=0o700)
    (root / "run-1-abc").mkdir()
    return root / "run-1-abc"


async def test_runs_of_a_data_folder_share_one_launcher_that_is_not_the_apps_child(engine: Engine,
                                                                                  data_dir: Path) -> None:
    event_id = await engine.events.create({"name": "Twice", "type": "BASH", "content": "echo $PPID",
                                           "overlap": "ALLOW"})
    runs = [await engine.runs.wait(execution_id)
            for execution_id in await asyncio.gather(*(engine.runs.start(event_id) for _ in range(3)))]
    assert [run.status for run in runs] == ["SUCCESS"] * 3
    [pid] = launchers_of(data_dir)
    parents = {int((await log_texts(engine, run.execution_id))[0]) for run in runs}
    assert parents == {pid}  # each script's parent is the launcher...
    with open(f"/proc/{pid}/stat") as stat:  # ...which is not the app's child: it outlives the app
        assert pid != os.getpid() and int(stat.read().rsplit(")", 1)[1].split()[1]) != os.getpid()


async def test_a_run_whose_launcher_is_killed_ends_without_an_exit_status_and_the_next_starts_another(
        engine: Engine, data_dir: Path) -> None:
    """Killed, the launcher can no longer tell how a run ended: the run is followed until its
    process is gone and fails saying so (it does not hang); the next run starts a new launcher."""
    event_id = await engine.events.create({"name": "Orphaned", "type": "BASH", "content": "echo up\nsleep 30"})
    execution_id = await engine.runs.start(event_id)
    root = run_folders_root(data_dir)
    await wait_for(lambda: any((folder / "identity").exists() for folder in root.glob("run-*")))
    [folder] = root.glob("run-*")
    pid = json.loads((folder / "identity").read_text())["pid"]
    stop_launcher(data_dir)
    await asyncio.sleep(0.3)
    assert (await engine.runs.get(execution_id)).status == "RUNNING"  # the script goes on meanwhile
    os.killpg(pid, signal.SIGKILL)
    run = await engine.runs.wait(execution_id, timeout=20)
    assert (run.status, run.error) == ("FAILURE", "The run ended without an exit status.")

    again = await engine.events.create({"name": "Again", "type": "BASH", "content": "echo again"})
    run = await engine.runs.wait(await engine.runs.start(again), timeout=20)
    assert run.status == "SUCCESS" and "again" in await log_texts(engine, run.execution_id)
    assert len(launchers_of(data_dir)) == 1


async def test_scripts_get_the_default_sigpipe_back(engine: Engine) -> None:
    """Python ignores SIGPIPE; a script must not inherit that: `yes | head -n 1` ends quietly instead
    of `yes` complaining of a broken pipe, as it does run by hand."""
    event_id = await engine.events.create({"name": "Pipe", "type": "BASH", "content": (
        "set -o pipefail\nyes | head -n 1\necho \"pipeline ${PIPESTATUS[*]}\"")})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    lines = await log_texts(engine, run.execution_id)
    assert lines == ["y", "pipeline 141 0"]  # `yes` ended by SIGPIPE (128 + 13), not by an error
    assert run.status == "SUCCESS"


def test_an_idle_launcher_leaves_and_removes_its_socket(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir(mode=0o700)
    server = subprocess.Popen([*launcher.launcher_command(root), "0.5"])
    try:
        deadline = time.monotonic() + 10
        while not (root / launcher.SOCKET_NAME).exists():
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.01)
        assert server.wait(timeout=10) == 0
        assert not (root / launcher.SOCKET_NAME).exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@dataclass
class Launched:
    started: int | OSError  # the PID, or why it did not start
    ended: tuple[int | None, Any, int] | None  # exit code, wait4 usage, peak: None if it did not start
    took: float  # seconds, from the request to the end


async def launched(folder: Path, argv: list[str], *, env: str | None = None, token: str = "t",
                   deadline: float | None = None) -> Launched:
    """Ask a launcher of the folder's root to run `argv`, as the app does, and wait for its end."""
    line = launcher.Launcher(folder.parent)
    loop = asyncio.get_running_loop()
    started: asyncio.Future[int | OSError] = loop.create_future()
    ended: asyncio.Future[tuple[int | None, Any, int]] = loop.create_future()
    began = time.monotonic()
    try:
        await asyncio.to_thread(line.spawn, loop, folder, argv, env or f"PATH={os.environ['PATH']}", token,
                                int(deadline or time.time() + 60), started.set_result,
                                lambda *end: ended.set_result(end))
        pid = await asyncio.wait_for(started, 20)
        end = None if isinstance(pid, OSError) else await asyncio.wait_for(ended, 30)
    finally:
        line.close()
    return Launched(pid, end, time.monotonic() - began)


async def test_a_launcher_runs_what_it_is_asked_and_records_its_end(run_folder: Path) -> None:
    """The protocol on its own: a request starts the command in the run's folder, in a session of
    its own, with the given environment; its status record and the app's message follow."""
    folder = run_folder
    run = await launched(
        folder, ["/bin/sh", "-c", 'pwd; echo "$GREETING" >&2; [ "$(cut -d" " -f6 /proc/$$/stat)" = $$ ] && exit 7'],
        env=f"PATH={os.environ['PATH']}\0GREETING=hé\udcff", token="token-1")
    assert run.ended is not None
    code, usage, peak = run.ended
    assert code == 7 and len(usage) == 16 and peak > 0
    assert (folder / "stdout").read_text() == f"{folder}\n"
    assert (folder / "stderr").read_bytes() == "hé".encode() + b"\xff\n"
    assert json.loads((folder / "identity").read_text()) == {"pid": run.started, "token": "token-1"}
    assert (folder / "status").read_text().startswith("7\nexit 7\n")
    assert not (folder / "timedout").exists()


async def test_a_command_that_cannot_start_is_refused_with_the_reason(run_folder: Path, tmp_path: Path) -> None:
    run = await launched(run_folder, [str(tmp_path / "no-such-interpreter")])
    assert isinstance(run.started, OSError) and run.started.errno == 2
    assert run.ended is None
    assert not (run_folder / "identity").exists()


async def test_a_run_past_its_deadline_is_stopped_and_marked_timed_out(run_folder: Path) -> None:
    """What keeps a run's timeout while the app is down (the app stops it first while it is up)."""
    run = await launched(run_folder, ["/bin/sh", "-c", "echo up; sleep 60"], deadline=time.time() + 1)
    assert run.ended is not None and run.ended[0] == 128 + signal.SIGTERM and run.took < 10
    assert (run_folder / "timedout").exists()
    assert (run_folder / "status").read_text().startswith("143\n")


async def test_a_run_that_ignores_sigterm_at_its_deadline_is_killed_after_the_grace(run_folder: Path) -> None:
    run = await launched(run_folder, ["/bin/sh", "-c", "trap '' TERM; sleep 60 & wait; sleep 60"],
                         deadline=time.time() + 1)
    assert run.ended is not None and run.ended[0] == 128 + signal.SIGKILL
    assert launcher.KILL_GRACE_SECONDS <= run.took < launcher.KILL_GRACE_SECONDS + 10
    assert (run_folder / "timedout").exists()


def test_the_launcher_is_started_as_a_script_of_the_standard_library_only() -> None:
    """It starts in milliseconds because it imports nothing of the app's (nor site-packages)."""
    command = [sys.executable, "-S", "-E", "-c",
               f"import runpy, sys; runpy.run_path({launcher.__file__!r}); "
               "print(sorted(name for name in sys.modules if name.startswith('cronium')))"]
    assert subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip() == "[]"
