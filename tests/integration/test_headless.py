"""`cronium-desktop headless` as a real process: one per data folder, clean stop on SIGTERM (SPEC §9)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli


class Headless:
    def __init__(self, cli: Cli) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cronium_desktop", "headless"],
            env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def wait_running(self, timeout: float = 20) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "scheduler running" in line:
                return
            if not line and self.process.poll() is not None:
                break
        raise AssertionError(f"headless did not start: {self.process.stderr.read() if self.process.stderr else ''}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def headless(cli: Cli):  # type: ignore[no-untyped-def]
    started: list[Headless] = []

    def start() -> Headless:
        instance = Headless(cli)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def import_events(cli: Cli, tmp_path: Path, *events: dict[str, object]) -> None:
    path = tmp_path / "events.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": list(events)}))
    assert cli("import", str(path)).code == 0


def test_second_headless_is_refused_naming_the_first(cli: Cli, headless) -> None:  # type: ignore[no-untyped-def]
    first = headless()
    first.wait_running()
    second = subprocess.run([sys.executable, "-m", "cronium_desktop", "headless"], env=cli.env,
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 2
    assert f"PID {first.process.pid}" in second.stderr
    assert second.stderr.startswith("error:")


def test_a_killed_scheduler_leaves_no_stuck_lock(cli: Cli, headless) -> None:  # type: ignore[no-untyped-def]
    first = headless()
    first.wait_running()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    second = headless()
    second.wait_running()
    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(timeout=15) == 0


def test_cli_commands_work_while_the_scheduler_runs(cli: Cli, headless, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_events(cli, tmp_path, {"key": "hi", "name": "Hi", "type": "BASH", "content": "echo hi"})
    running = headless()
    running.wait_running()
    result = cli("run", "Hi", "--json")
    assert result.code == 0 and result.json()["status"] == "SUCCESS"  # type: ignore[index]
    assert cli("var", "set", "K", "v").code == 0
    assert cli("list", "events", "--json").code == 0


def test_scheduled_events_run_and_sigterm_cancels_a_long_run(cli: Cli, headless, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_events(
        cli, tmp_path,
        {"key": "long", "name": "Long", "type": "BASH", "content": "echo started; sleep 120", "status": "ACTIVE",
         "trigger": "SCHEDULE", "schedule": {"every": 1, "unit": "SECONDS"}},
    )
    running = headless()
    running.wait_running()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        runs = cli("list", "runs", "--json").json()
        if any(r["status"] == "RUNNING" for r in runs):  # type: ignore[index, union-attr]
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the scheduled run never started")
    stopping = time.monotonic()
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=20) == 0
    assert time.monotonic() - stopping < 13  # 10 s grace, then cancelled
    runs = cli("list", "runs", "--json").json()
    assert [r["status"] for r in runs if r["status"] not in ("SKIPPED",)] == ["CANCELLED"]  # type: ignore[index, union-attr]
