"""One scheduler per data folder (engine/lock.py): a second one is refused naming the first, and a
lock dies with its process however it ends. The other process is a real one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cronium_desktop.engine.lock import FolderLock, FolderLocked, RunnerPresence

HOLDER = """
import sys, time
from pathlib import Path
from cronium_desktop.engine.lock import FolderLock, RunnerPresence
folder = Path(sys.argv[1])
held = FolderLock(folder) if sys.argv[2] == "lock" else RunnerPresence(folder)
held.acquire() if sys.argv[2] == "lock" else held.announce()
print("held", flush=True)
time.sleep(120)
"""


Holder = Callable[[str], "subprocess.Popen[str]"]


@pytest.fixture
def holder(data_dir: Path) -> Iterator[Holder]:
    """Starts a real process holding the folder's lock ("lock") or its run presence ("presence")."""
    processes: list[subprocess.Popen[str]] = []

    def start(kind: str) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir), kind], stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_second_scheduler_is_refused_naming_the_first_ones_pid(data_dir: Path, holder: Holder) -> None:
    first = holder("lock")
    with pytest.raises(FolderLocked) as refused:
        FolderLock(data_dir).acquire()
    assert refused.value.pid == first.pid
    assert f"another Cronium scheduler (PID {first.pid}) is running on {data_dir}" == str(refused.value)


def test_the_lock_of_a_killed_scheduler_is_free_at_once(data_dir: Path, holder: Holder) -> None:
    first = holder("lock")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    lock = FolderLock(data_dir)
    lock.acquire()  # nothing stuck: the system released it with the process
    try:
        assert lock.held and lock.holder() == os.getpid()
    finally:
        lock.release()
    assert not lock.held and lock.holder() is None


def test_the_lock_file_is_private_to_the_user(data_dir: Path) -> None:
    lock = FolderLock(data_dir)
    lock.acquire()
    try:
        assert (lock.path.stat().st_mode & 0o777) == 0o600
    finally:
        lock.release()


def test_recovery_waits_while_another_process_runs_executions(data_dir: Path, holder: Holder) -> None:
    cli = holder("presence")
    presence = RunnerPresence(data_dir)
    recovered: list[str] = []
    assert presence.run_alone(lambda: recovered.append("now")) == (False, None)
    assert recovered == []  # a live run of that process must not be taken for a left-behind one
    cli.kill()
    cli.wait(timeout=10)
    deadline = time.monotonic() + 10
    alone, _ = presence.run_alone(lambda: recovered.append("now"))
    while not alone and time.monotonic() < deadline:
        alone, _ = presence.run_alone(lambda: recovered.append("now"))
    assert alone and recovered == ["now"]
    assert list((data_dir / "runners").glob("*.lock")) == []  # the dead process's file is cleaned up
