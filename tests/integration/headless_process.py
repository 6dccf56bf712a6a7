"""A real `cronium-desktop headless` beside the real CLI on one data folder, for cross-process tests.

Its output goes to a file, not a pipe: a scheduler printing a line per run must never block on a
pipe nobody reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli


class HeadlessProcess:
    def __init__(self, cli: Cli, log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "headless"],
                                        env=cli.env, stdout=self._log, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120  # a busy machine starts Python slowly
        while "scheduler running" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()  # never leave it running behind a failed test
                raise AssertionError(f"headless did not start: {self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture
def headless(cli: Cli, tmp_path: Path) -> Iterator[HeadlessProcess]:
    instance = HeadlessProcess(cli, tmp_path / "headless.log")
    yield instance
    instance.stop()


def import_events(cli: Cli, tmp_path: Path, *events: dict[str, object], replace: bool = False) -> None:
    path = tmp_path / "events.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": list(events)}))
    result = cli("import", str(path), *(["--replace"] if replace else []))
    assert result.code == 0, result.stderr


def runs_of(cli: Cli, event: str) -> list[dict[str, object]]:
    result = cli("list", "runs", "--json")
    assert result.code == 0, result.stderr
    runs = result.json()
    assert isinstance(runs, list)
    return [run for run in runs if run["event"] == event]


def wait_for(condition, timeout: float = 20, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)
