"""SSH and container runs outlive the app too: a run on the test sshd or the test dockerd goes on while
`headless` is SIGKILLed, and the next start finds it again (reconnecting; by the container's labels),
follows it from where the store stopped and records how it really ended."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cronium_desktop.engine.docker_engine import LABEL_DATA_FOLDER
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors import ssh_detach
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.runs.runner import REATTACHED
from tests.conftest import TEST_PASSPHRASE, Cli
from tests.fixtures.dockerd import DockerDaemon
from tests.fixtures.dockerd import dockerd_fixture as dockerd  # noqa: F401 - session-scoped fixture
from tests.fixtures.sshd import SshServer, sshd_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(180)


async def add_server_and_event(data_dir: Path, sshd: SshServer, content: str, **event: object) -> None:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        await engine.servers.add("box", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                                 key_path=str(sshd.key_path), verify=True, accept_host_key=True)
        # Fires once (max_executions 1) as soon as `headless` runs its scheduler.
        await engine.events.create({"name": "Remote", "type": "BASH", "content": content, "run_location": "REMOTE",
                                    "servers": ["box"], "trigger": "SCHEDULE", "status": "ACTIVE",
                                    "schedule": {"every": 1, "unit": "SECONDS"}, "max_executions": 1, **event})
    finally:
        await engine.stop(grace_seconds=1)


def headless(cli: Cli) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cronium_desktop", "headless"], env=cli.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def run_rows(data_dir: Path) -> list[tuple[int, str, int | None, str | None]]:
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        return list(connection.execute("SELECT id, status, exit_code, error FROM executions ORDER BY id"))


async def log_of(data_dir: Path, execution_id: int) -> list[tuple[str, str]]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        return [(record.stream, record.text) for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)


def has_output(data_dir: Path) -> bool:
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        return bool(connection.execute("SELECT COUNT(*) FROM log_blocks").fetchone()[0])


def script_started(data_dir: Path) -> bool:
    """A container run has written its script's first line (to the spool file in its run folder,
    which is bind-mounted into the container)."""
    return any(b"start" in spool.read_bytes() for spool in run_folders_root(data_dir).glob("*/stdout"))


async def add_container_event(data_dir: Path, dockerd: DockerDaemon, content: str) -> None:  # noqa: F811
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("docker_endpoint", dockerd.endpoint)
    await engine.start()
    try:
        await engine.events.create({"name": "Boxed", "type": "BASH", "content": content, "run_location": "CONTAINER",
                                    "container": {"image": dockerd.bash_image, "network": "none"},
                                    "trigger": "SCHEDULE", "status": "ACTIVE",
                                    "schedule": {"every": 1, "unit": "SECONDS"}, "max_executions": 1})
    finally:
        await engine.stop(grace_seconds=1)


def kill_once_it_wrote(cli: Cli, also: Callable[[], object] = lambda: True) -> None:
    app = headless(cli)
    try:
        wait_for(lambda: has_output(cli.data_dir) and also())
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()


def kill_while_running(cli: Cli, marker: Path) -> dict[str, object]:
    """Start `headless`, SIGKILL it once the remote script wrote `marker` and the app completed the
    run's re-attach record (it is written with the token alone first); that record."""
    app = headless(cli)

    def complete_record() -> dict[str, object] | None:
        found = list(run_folders_root(cli.data_dir).glob("ssh-*.json"))
        record = json.loads(found[0].read_text()) if found else None
        return record if record and record["folder"] else None

    try:
        wait_for(marker.exists)
        wait_for(lambda: complete_record() is not None)
        record = complete_record()
        assert record is not None
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait()
    return record


def restart_until_final(cli: Cli, data_dir: Path) -> tuple[int, str, int | None, str | None]:
    app = headless(cli)
    try:
        wait_for(lambda: run_rows(data_dir) and run_rows(data_dir)[0][1] not in ("PENDING", "RUNNING"))
    finally:
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=60) == 0
    return run_rows(data_dir)[0]


async def test_a_remote_run_outlives_a_killed_app_and_is_recorded_with_every_line(
        cli: Cli, tmp_path: Path, data_dir: Path, sshd: SshServer) -> None:
    started, ended = tmp_path / "started", tmp_path / "ended"
    await add_server_and_event(data_dir, sshd, f"echo start\ntouch {started}\nsleep 2\nseq 1 2000\necho oops >&2\n"
                                                f"printf partial\ntouch {ended}")
    record = await asyncio.to_thread(kill_while_running, cli, started)
    await asyncio.to_thread(wait_for, ended.exists)  # the script finished while the app was down
    assert Path(str(record["folder"])).is_dir()
    execution_id, status, exit_code, error = await asyncio.to_thread(restart_until_final, cli, data_dir)
    assert (status, exit_code, error) == ("SUCCESS", 0, None)
    log = await log_of(data_dir, execution_id)
    assert log.count(("system", REATTACHED)) == 1
    assert [text for stream, text in log if stream == "stdout"] == ["start", *map(str, range(1, 2001)), "partial"]
    assert [text for stream, text in log if stream == "stderr"] == ["oops"]
    assert not Path(str(record["folder"])).exists()  # the run's folder on the server is removed after reading
    assert not list(run_folders_root(data_dir).glob("ssh-*.json"))


async def test_a_remote_run_still_going_is_followed_again_and_keeps_its_exit_code(
        cli: Cli, tmp_path: Path, data_dir: Path, sshd: SshServer) -> None:
    started = tmp_path / "started"
    await add_server_and_event(data_dir, sshd, f"echo before\ntouch {started}\nsleep 4\necho after\nexit 3")
    await asyncio.to_thread(kill_while_running, cli, started)
    execution_id, status, exit_code, error = await asyncio.to_thread(restart_until_final, cli, data_dir)
    assert (status, exit_code, error) == ("FAILURE", 3, "Exited with code 3.")
    log = await log_of(data_dir, execution_id)
    assert [text for stream, text in log if stream == "stdout"] == ["before", "after"]


async def test_a_remote_run_whose_app_died_before_recording_it_is_found_by_its_token(
        cli: Cli, tmp_path: Path, data_dir: Path, sshd: SshServer) -> None:
    """As if the app was killed between sending the run and hearing where it runs: the record holds
    only the token; the folder named after it and the PID the wrapper wrote there find the run."""
    started = tmp_path / "started"
    await add_server_and_event(data_dir, sshd, f"echo before\ntouch {started}\nsleep 4\necho after\nexit 3")
    record = await asyncio.to_thread(kill_while_running, cli, started)
    assert Path(str(record["folder"])).name == f"cronium-run.{record['token']}"
    [record_file] = list(run_folders_root(data_dir).glob("ssh-*.json"))
    record_file.write_text(json.dumps({**record, "folder": "", "pgid": 0, "pid": 0}))
    execution_id, status, exit_code, error = await asyncio.to_thread(restart_until_final, cli, data_dir)
    assert (status, exit_code, error) == ("FAILURE", 3, "Exited with code 3.")
    log = await log_of(data_dir, execution_id)
    assert [text for stream, text in log if stream == "stdout"] == ["before", "after"]
    assert not Path(str(record["folder"])).exists()  # read back and removed as any other run's
    assert not list(run_folders_root(data_dir).glob("ssh-*.json"))


@pytest.mark.parametrize("exit_code", [0, 4])
async def test_a_container_run_outlives_a_killed_app_and_keeps_its_exit_code(
        cli: Cli, data_dir: Path, dockerd: DockerDaemon, exit_code: int) -> None:  # noqa: F811
    await add_container_event(data_dir, dockerd, f"echo start\nsleep 10\nseq 1 2000\necho oops >&2\nexit {exit_code}")
    label = f"{LABEL_DATA_FOLDER}={data_dir}"
    # Killed while the script runs: once its first line is out (the store's first line may be the
    # catch-up note, written before the container exists).
    await asyncio.to_thread(kill_once_it_wrote, cli, lambda: script_started(data_dir))
    assert dockerd.containers(label)  # Docker keeps it while the app is down
    execution_id, status, code, _ = await asyncio.to_thread(restart_until_final, cli, data_dir)
    assert (status, code) == ("SUCCESS" if exit_code == 0 else "FAILURE", exit_code)
    log = await log_of(data_dir, execution_id)
    assert log.count(("system", REATTACHED)) == 1
    assert [text for stream, text in log if stream == "stdout"] == ["start", *map(str, range(1, 2001))]
    assert [text for stream, text in log if stream == "stderr"] == ["oops"]
    assert dockerd.containers(f"{LABEL_DATA_FOLDER}={data_dir}") == []  # removed once recorded
    assert not list(run_folders_root(data_dir).glob("run-*"))


async def test_a_remote_run_goes_on_when_the_app_stops_letting_runs_finish(data_dir: Path, sshd: SshServer) -> None:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    await engine.servers.add("box", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                             key_path=str(sshd.key_path), verify=True, accept_host_key=True)
    event_id = await engine.events.create({"name": "Nightly", "type": "BASH", "content": "echo one\nsleep 3\necho two",
                                           "run_location": "REMOTE", "servers": ["box"]})
    execution_id = await engine.runs.start(event_id)
    for _ in range(300):  # until it is going on the server (a loaded machine may take seconds to start it)
        if any(record.text == "one" for record in await engine.runs.log(execution_id)):
            break
        await asyncio.sleep(0.05)
    await engine.stop(let_runs_finish=True)
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        run = await engine.runs.wait(execution_id, timeout=60)
        texts = [(record.stream, record.text) for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)
    assert (run.status, run.exit_code) == ("SUCCESS", 0)
    assert [text for stream, text in texts if stream == "stdout"] == ["one", "two"]


async def test_a_re_attached_remote_run_can_be_cancelled(cli: Cli, tmp_path: Path, data_dir: Path,
                                                         sshd: SshServer) -> None:
    started, pid_file = tmp_path / "started", tmp_path / "script.pid"
    await add_server_and_event(data_dir, sshd, f"echo $$ > {pid_file}\ntouch {started}\nsleep 60")
    record = await asyncio.to_thread(kill_while_running, cli, started)
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        # (a slow first fire may have a second one recorded SKIPPED beside it)
        summary = next(run for run in await engine.runs.list() if run.status == "RUNNING")
        for _ in range(100):  # once it is followed again
            if await engine.runs.cancel(summary.execution_id):
                break
            await asyncio.sleep(0.1)
        run = await engine.runs.wait(summary.execution_id, timeout=30)
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "CANCELLED"
    script = Path(f"/proc/{int(pid_file.read_text())}")
    for _ in range(100):
        if not script.exists() or script.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the remote script is still running")
    assert not Path(str(record["folder"])).exists()


async def test_remote_runs_leave_no_re_attach_record_where_another_user_could_plant_one(
        tmp_path: Path, data_dir: Path, sshd: SshServer) -> None:
    """A re-attach record names a remote process to follow or stop. Where the folder for them is not
    this user's alone (another user made it first), none is written there and none found there is
    followed: the remote run itself goes on as usual."""
    root = run_folders_root(data_dir)
    root.mkdir(mode=0o700)
    root.chmod(0o777)
    planted = ssh_detach.RemoteRecord(99, 1, 1, "box", "/", 1, 1, "planted")
    ssh_detach.write_record(root, planted)
    started = tmp_path / "started"
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        await engine.servers.add("box", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                                 key_path=str(sshd.key_path), verify=True, accept_host_key=True)
        event_id = await engine.events.create({"name": "Remote", "type": "BASH", "run_location": "REMOTE",
                                               "servers": ["box"], "content": f"touch {started}\nsleep 1\necho done"})
        execution_id = await engine.runs.start(event_id)
        await asyncio.to_thread(wait_for, started.exists)
        during = sorted(path.name for path in root.iterdir())
        run = await engine.runs.wait(execution_id, timeout=60)
        followed = engine._ssh.left_behind(planted.execution_id)
    finally:
        await engine.stop(grace_seconds=1)
    assert during == [ssh_detach.record_path(root, 99, 1, 1).name]
    assert (run.status, run.exit_code) == ("SUCCESS", 0)
    assert followed is None
