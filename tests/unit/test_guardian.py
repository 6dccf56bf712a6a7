"""The guardian (one `sh` per run folders root, outliving the app) watches runs that may still need
stopping, and leaves once there are none: a run folder left behind for good must not keep it up."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from cronium_desktop.engine.executors.spool import GUARDIAN

IDLE_SECONDS = 2


def start_guardian(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sh", "-c", GUARDIAN, "cronium-guardian", str(root), str(IDLE_SECONDS)])


def left_behind(root: Path, name: str, pid: int, ended: bool, deadline_in: int = 3600) -> None:
    folder = root / name
    folder.mkdir()
    (folder / "deadline").write_text(f"{int(time.time()) + deadline_in} {pid} token\n")
    if ended:
        (folder / "status").write_text("0\nexit 0\n")


def test_runs_that_ended_or_whose_process_is_gone_do_not_keep_the_guardian_up(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    left_behind(tmp_path, "run-1-ended", 1, ended=True)
    left_behind(tmp_path, "run-2-gone", gone.pid, ended=False)
    guardian = start_guardian(tmp_path)
    try:
        assert guardian.wait(timeout=IDLE_SECONDS + 10) == 0
    finally:
        guardian.kill()
    assert not (tmp_path / "guardian.pid").exists()


def test_a_run_past_its_deadline_whose_pid_another_process_has_now_does_not_keep_the_guardian_up(
        tmp_path: Path) -> None:
    """A folder left behind by a run that died unrecorded, long ago: its process ID belongs to some
    other process by now. The guardian neither stops that process nor stays up for it."""
    stranger = subprocess.Popen(["sleep", "30"])  # not the run: its environment has no run token
    try:
        left_behind(tmp_path, "run-4-reused", stranger.pid, ended=False, deadline_in=-60)
        guardian = start_guardian(tmp_path)
        try:
            assert guardian.wait(timeout=IDLE_SECONDS + 10) == 0
        finally:
            guardian.kill()
        assert stranger.poll() is None
        assert not (tmp_path / "run-4-reused" / "timedout").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_run_still_going_keeps_the_guardian_watching(tmp_path: Path) -> None:
    going = subprocess.Popen(["sleep", "30"])
    left_behind(tmp_path, "run-3-going", going.pid, ended=False)
    guardian = start_guardian(tmp_path)
    try:
        time.sleep(IDLE_SECONDS + 3)
        assert guardian.poll() is None
    finally:
        guardian.kill()
        guardian.wait()
        going.kill()
        going.wait()
