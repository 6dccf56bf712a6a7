"""The fixtures' watchdog (tests/fixtures/watchdog.py): a daemon a test process started is stopped,
and its folder removed, when that process is killed without its teardown; a daemon the fixture
stopped itself lets the watchdog leave."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.watchdog import goes_with_this_process

TEST_PROCESS = """
import subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.fixtures.watchdog import goes_with_this_process
daemon = subprocess.Popen(["sleep", "300"], start_new_session=True)
goes_with_this_process([daemon.pid], Path(sys.argv[2]))
print(daemon.pid, flush=True)
time.sleep(300)
"""


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _watchdogs_of(pid: int) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cronium-test-watchdog" in command and str(pid).encode() in command:
            found.append(entry.name)
    return found


def test_a_killed_test_process_takes_its_daemon_and_folder_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "daemon-files"
    folder.mkdir()
    (folder / "state").write_text("left by the daemon")
    test_process = subprocess.Popen([sys.executable, "-c", TEST_PROCESS, str(Path(__file__).parents[2]), str(folder)],
                                    stdout=subprocess.PIPE)
    assert test_process.stdout is not None
    daemon = int(test_process.stdout.readline())
    test_process.send_signal(signal.SIGKILL)
    test_process.wait()
    assert _gone(daemon, within=10)  # the sleep is reparented, not ours: gone means stopped and reaped
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists()


def test_the_watchdog_leaves_once_the_fixture_stopped_its_daemon() -> None:
    daemon = subprocess.Popen(["sleep", "300"])
    goes_with_this_process([daemon.pid])
    deadline = time.monotonic() + 5
    while not _watchdogs_of(daemon.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _watchdogs_of(daemon.pid)
    daemon.terminate()
    daemon.wait()
    deadline = time.monotonic() + 5
    while _watchdogs_of(daemon.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _watchdogs_of(daemon.pid) == []
