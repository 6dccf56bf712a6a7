"""Runs outlive the app: a killed app's local runs go on, and the next start follows them again
(real processes: the app is a real `cronium-desktop run` or `headless` killed with SIGKILL)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors import spool
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.runs.runner import REATTACHED
from cronium_desktop.engine.runs.service import INTERRUPTED
from cronium_desktop.engine.runtime_requests import SERVER_PREFIX, SOCKET_NAME
from tests.conftest import TEST_PASSPHRASE, Cli, stop_launcher


def import_events(cli: Cli, folder: Path, *events: dict[str, object]) -> None:
    path = folder / "events.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": list(events)}))
    assert cli("import", str(path)).code == 0


def run_then_kill_the_app(cli: Cli, event: str, until_line: str) -> None:
    """`cronium-desktop run EVENT`, SIGKILLed (the app only) once the run printed `until_line`."""
    app = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run", event], env=cli.env,
                           stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = app.stdout.readline()
        if line.strip() == until_line:
            break
        assert line, "the run ended before it printed the line"
    app.send_signal(signal.SIGKILL)
    app.wait()


async def restarted(data_dir: Path) -> Engine:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    return engine


async def newest_run(engine: Engine) -> int:
    [run] = await engine.runs.list(limit=1)
    return run.execution_id


async def test_a_run_that_ends_while_the_app_is_down_is_recorded_as_it_ended(cli: Cli, tmp_path: Path,
                                                                              data_dir: Path) -> None:
    import_events(cli, tmp_path, {"name": "Backup", "type": "BASH",
                                  "content": "echo start\nsleep 1.5\nseq 1 3000\necho end\nexit 0"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Backup", "start")
    await asyncio.sleep(3)  # the script finishes on its own meanwhile
    engine = await restarted(data_dir)
    try:
        execution_id = await newest_run(engine)
        run = await engine.runs.wait(execution_id, timeout=30)
        texts = [record.text for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)
    assert (run.status, run.exit_code) == ("SUCCESS", 0)
    assert texts.count(REATTACHED) == 1
    assert [t for t in texts if t != REATTACHED] == ["start", *map(str, range(1, 3001)), "end"]


async def test_a_running_script_is_followed_again_and_its_timeout_holds(cli: Cli, tmp_path: Path,
                                                                         data_dir: Path) -> None:
    import_events(cli, tmp_path, {"name": "Hangs", "type": "BASH", "timeout_seconds": 6,
                                  "content": "echo a\nsleep 2\necho b\nsleep 60"})
    started = time.monotonic()
    await asyncio.to_thread(run_then_kill_the_app, cli, "Hangs", "a")
    engine = await restarted(data_dir)
    try:
        execution_id = await newest_run(engine)
        run = await engine.runs.wait(execution_id, timeout=40)
        elapsed = time.monotonic() - started
        texts = [record.text for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "TIMEOUT"
    # On time: at 6 s, or at most the watchdog's slack later if the app was still down then.
    assert run.duration_ms is not None and run.duration_ms / 1000 < 6 + spool.WATCHDOG_SLACK_SECONDS + 3
    assert elapsed < 60
    assert "a" in texts and "b" in texts and REATTACHED in texts  # b was written after the restart


async def test_a_re_attached_run_can_be_cancelled(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    pid_file = tmp_path / "script.pid"
    import_events(cli, tmp_path, {"name": "Long", "type": "BASH", "content": f"echo $$ > {pid_file}\necho up\nsleep 60"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Long", "up")
    engine = await restarted(data_dir)
    try:
        execution_id = await newest_run(engine)
        for _ in range(100):
            if await engine.runs.cancel(execution_id):
                break
            await asyncio.sleep(0.1)
        run = await engine.runs.wait(execution_id, timeout=20)
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "CANCELLED"
    assert await stopped(int(pid_file.read_text()))


async def test_runs_cancel_stops_a_re_attached_run_from_another_process(cli: Cli, tmp_path: Path,
                                                                         data_dir: Path) -> None:
    """`cronium-desktop runs cancel ID` reaches the restarted app that follows the run (the folder's
    run host) and stops the script; cancelling it again, or with no app running, says why not."""
    pid_file = tmp_path / "script.pid"
    import_events(cli, tmp_path, {"name": "Long", "type": "BASH", "content": f"echo $$ > {pid_file}\necho up\nsleep 60"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Long", "up")
    no_host = await asyncio.to_thread(cli, "runs", "cancel", "1")
    engine = await restarted(data_dir)
    try:
        execution_id = await newest_run(engine)
        cancelled = await asyncio.to_thread(cli, "runs", "cancel", str(execution_id))
        run = await engine.runs.wait(execution_id, timeout=20)
        again = await asyncio.to_thread(cli, "runs", "cancel", str(execution_id))
        unknown = await asyncio.to_thread(cli, "runs", "cancel", "999")
    finally:
        await engine.stop(grace_seconds=1)
    assert no_host.code == 1 and "no Cronium Desktop process is running this folder's runs" in no_host.stderr
    assert cancelled.code == 0, cancelled.stderr
    assert cancelled.stdout.strip() == f"Cancelled run {execution_id} (Long): CANCELLED."
    assert run.status == "CANCELLED"
    assert await stopped(int(pid_file.read_text()))
    assert again.code == 1 and "had already ended: CANCELLED" in again.stdout
    assert unknown.code == 2 and "999" in unknown.stderr


async def test_a_re_attached_run_asks_the_app_that_follows_it(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    """The run's line to the app went with the killed process: the process that follows it again
    answers what it asks from then on (its token honoured, its link pointed at the new socket)."""
    go = tmp_path / "go"
    import_events(cli, tmp_path, {"name": "Asks", "type": "BASH", "content": (
        f'source cronium.sh\necho up\nwhile [ ! -e {go} ]; do sleep 0.05; done\n'
        'echo "value: $(cronium_getVariable greeting)"')})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Asks", "up")
    engine = await restarted(data_dir)
    try:
        await engine.variables.set("greeting", "hello again")
        execution_id = await newest_run(engine)
        [folder] = run_folders_root(data_dir).glob(f"run-{execution_id}-*")
        ours = f"{SERVER_PREFIX}{os.getpid()}-"
        for _ in range(200):  # until the run is followed again: its link then names this process's socket
            if ours in os.readlink(folder / SOCKET_NAME):
                break
            await asyncio.sleep(0.05)
        go.touch()
        run = await engine.runs.wait(execution_id, timeout=30)
        texts = [record.text for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "SUCCESS", texts
    assert "value: hello again" in texts


async def stopped(pid: int, seconds: float = 10.0) -> bool:
    """The process has ended: gone, or a zombie its (possibly non-reaping) new parent has not collected."""
    for _ in range(int(seconds / 0.1)):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_reused_pid_is_not_taken_for_the_run(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    import_events(cli, tmp_path, {"name": "Gone", "type": "BASH", "content": "echo up\nsleep 60"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Gone", "up")
    [folder] = list(run_folders_root(data_dir).glob("run-*"))
    identity = json.loads((folder / "identity").read_text())
    stop_launcher(data_dir)
    os.killpg(identity["pid"], signal.SIGKILL)  # the run is gone (as after a reboot)...
    stranger = subprocess.Popen(["sleep", "30"])  # ...and its PID now belongs to someone else
    try:
        (folder / "identity").write_text(json.dumps({"pid": stranger.pid, "start": spool.process_start_time(stranger.pid),
                                                     "token": identity["token"]}))
        engine = await restarted(data_dir)
        try:
            run = await engine.runs.wait(await newest_run(engine), timeout=20)
        finally:
            await engine.stop(grace_seconds=1)
        assert (run.status, run.error) == ("FAILURE", INTERRUPTED)
        assert stranger.poll() is None  # never signalled
    finally:
        stranger.kill()
        stranger.wait()


async def test_the_launcher_records_the_run_whatever_becomes_of_the_app(cli: Cli, tmp_path: Path,
                                                                       data_dir: Path) -> None:
    """The app writes nothing once it has started a run: the launcher records its identity as it
    starts it, so an app killed at any moment after the start leaves what it takes to follow the run
    again."""
    import_events(cli, tmp_path, {"name": "Early", "type": "BASH", "timeout_seconds": 30,
                                  "content": "echo up\nsleep 3\ncat identity\necho down"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Early", "up")
    [folder] = list(run_folders_root(data_dir).glob("run-*"))
    identity = json.loads((folder / "identity").read_text())
    engine = await restarted(data_dir)
    try:
        run = await engine.runs.wait(await newest_run(engine), timeout=30)
        texts = [record.text for record in await engine.runs.log(run.execution_id) if record.text != REATTACHED]
    finally:
        await engine.stop(grace_seconds=1)
    assert (texts[0], json.loads(texts[1]), texts[2:]) == ("up", identity, ["down"])
    assert identity["pid"] > 0 and len(identity["token"]) == 32
    assert (run.status, run.exit_code) == ("SUCCESS", 0)


def test_crash_probe_twenty_kills_lose_and_repeat_nothing(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    """A 1-second Bash schedule writes start/end lines around a short sleep and a 2-second Python
    schedule increments a variable; `headless` is SIGKILLed at 20 seeded random moments and
    restarted each time, then stopped cleanly. Every script that reached its end is a success, none
    started twice, none is left open, the store is intact and the counter equals its successes."""
    trace = tmp_path / "trace.txt"
    import_events(cli, tmp_path, {
        "name": "Tick", "type": "BASH", "trigger": "SCHEDULE", "status": "ACTIVE",
        "schedule": {"every": 1, "unit": "SECONDS"}, "timezone": "UTC",
        "content": (f'id=$(basename "$PWD" | cut -d- -f2)\necho "start $id" >> {trace}\nsleep 0.3\n'
                    f'echo "end $id" >> {trace}'),
    }, {
        "name": "Count", "type": "PYTHON", "trigger": "SCHEDULE", "status": "ACTIVE",
        "schedule": {"every": 2, "unit": "SECONDS"}, "timezone": "UTC",
        "content": 'import cronium\ncronium.setVariable("counter", str(int(cronium.getVariable("counter") or 0) + 1))',
    })
    rng = random.Random(2026)
    for _ in range(20):
        app = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "headless"], env=cli.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 2.4))
        app.send_signal(signal.SIGKILL)
        app.wait()
    said = tmp_path / "last-start.log"  # what the last start logged, to tell why a run was left open
    with said.open("w") as log:
        app = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "headless"], env=cli.env,
                               stdout=subprocess.PIPE, stderr=log, text=True)
        assert app.stdout is not None
        while "scheduler running" not in app.stdout.readline():
            assert app.poll() is None, "headless did not start"
        time.sleep(4)
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=60) == 0
        log.write(app.stdout.read())
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = {row[0]: row[1:] for row in connection.execute("SELECT id, event_name, status, error FROM executions")}
        counter = connection.execute("SELECT value FROM variables WHERE key = 'counter'").fetchone()
    left_open = {i: row for i, row in runs.items() if row[1] in ("PENDING", "RUNNING")}
    assert not left_open, f"{left_open}; the last start logged:\n{said.read_text()[-3000:]}"
    lines = trace.read_text().split("\n") if trace.exists() else []
    started = [line.split()[1] for line in lines if line.startswith("start")]
    assert len(started) == len(set(started))  # no script started twice
    ended = {line.split()[1] for line in lines if line.startswith("end")}
    assert ended
    assert {i: runs[int(i)] for i in ended if runs[int(i)][1] != "SUCCESS"} == {}  # every end is a success
    failed = {i: error for i, (name, status, error) in runs.items() if name == "Tick" and status == "FAILURE"}
    assert not [i for i, error in failed.items() if error != INTERRUPTED], failed
    counted = [i for i, (name, status, _) in runs.items() if name == "Count" and status == "SUCCESS"]
    assert counted and counter is not None and int(counter[0]) == len(counted)


async def test_an_app_that_stops_letting_runs_finish_records_them_at_its_next_start(data_dir: Path) -> None:
    engine = await restarted(data_dir)
    event_id = await engine.events.create({"name": "Nightly", "type": "BASH", "content": "echo one\nsleep 2\necho two"})
    execution_id = await engine.runs.start(event_id)
    await asyncio.sleep(1)
    await engine.stop(let_runs_finish=True)
    engine = await restarted(data_dir)
    try:
        run = await engine.runs.wait(execution_id, timeout=30)
        texts = [record.text for record in await engine.runs.log(execution_id)]
    finally:
        await engine.stop(grace_seconds=1)
    assert (run.status, run.exit_code) == ("SUCCESS", 0)
    assert [t for t in texts if t != REATTACHED] == ["one", "two"]


async def test_a_kill_in_the_middle_of_a_big_run_loses_and_repeats_no_line(cli: Cli, tmp_path: Path,
                                                                         data_dir: Path) -> None:
    import_events(cli, tmp_path, {"name": "Dump", "type": "BASH",
                                  "content": "seq 1 200000\necho marker\nsleep 1\nseq 200001 300000"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Dump", "marker")
    engine = await restarted(data_dir)
    try:
        execution_id = await newest_run(engine)
        run = await engine.runs.wait(execution_id, timeout=60)
        texts = [record.text for record in await engine.runs.log(execution_id) if record.stream == "stdout"]
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "SUCCESS"
    assert texts == [*map(str, range(1, 200001)), "marker", *map(str, range(200001, 300001))]


async def test_the_timeout_holds_while_the_app_is_down(cli: Cli, tmp_path: Path, data_dir: Path) -> None:
    pid_file = tmp_path / "script.pid"
    import_events(cli, tmp_path, {"name": "Stuck", "type": "BASH", "timeout_seconds": 1,
                                  "content": f"echo $$ > {pid_file}\necho up\nsleep 120"})
    await asyncio.to_thread(run_then_kill_the_app, cli, "Stuck", "up")
    script = Path(f"/proc/{int(pid_file.read_text())}")
    for _ in range(300):  # the app is down: the launcher stops the script after its timeout (and slack)
        if not script.exists():
            break
        await asyncio.sleep(0.1)
    assert not script.exists()
    engine = await restarted(data_dir)
    try:
        run = await engine.runs.wait(await newest_run(engine), timeout=30)
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "TIMEOUT"


async def test_what_an_app_stopped_just_after_recording_a_run_left_is_removed_at_the_next_start(
        data_dir: Path) -> None:
    """A run's folder (and an SSH run's re-attach record) is removed once its end is recorded; an app
    that stopped in between left them. The next start removes them, and leaves what belongs to runs
    recorded after it started."""
    engine = await restarted(data_dir)
    try:
        event_id = await engine.events.create({"name": "Quick", "type": "BASH", "content": "echo done"})
        run = await engine.runs.wait(await engine.runs.start(event_id), timeout=30)
    finally:
        await engine.stop(grace_seconds=1)
    assert run.status == "SUCCESS"
    root = run_folders_root(data_dir)
    left = root / f"run-{run.execution_id}-abcdefgh"
    left.mkdir()
    (left / "input.json").write_text("{}")
    record = root / f"ssh-{run.execution_id}-1-1.json"
    record.write_text("{}")
    later = root / f"run-{run.execution_id + 100}-abcdefgh"  # as if recorded by the app now starting
    later.mkdir()
    engine = await restarted(data_dir)
    try:
        summary = await engine.runs.get(run.execution_id)
    finally:
        await engine.stop(grace_seconds=1)
    assert summary.status == "SUCCESS"
    assert not left.exists() and not record.exists()
    assert later.is_dir()
