"""The Linux platform for real: autostart files, interpreters on PATH, process trees, permissions."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cronium_desktop.engine import platform
from cronium_desktop.engine.platform import InterpreterMissing, signal_name
from cronium_desktop.engine.platform.linux import LinuxPlatform, desktop_exec

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the Linux platform runs on Linux")


def _program(folder: Path, name: str) -> str:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def _read_desktop_file(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser["Desktop Entry"]


def test_turning_start_at_login_on_writes_an_xdg_autostart_entry_that_starts_the_tray(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    linux = platform.current()
    assert linux.name == "linux" and not linux.autostart_enabled()

    linux.set_autostart(True, ["/opt/cronium-desktop/cronium-desktop", "--tray"])

    entry_file = tmp_path / "config" / "autostart" / "cronium-desktop.desktop"
    entry = _read_desktop_file(entry_file)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "/opt/cronium-desktop/cronium-desktop --tray"
    assert entry["Name"] == "Cronium Desktop" and entry["Icon"] == "cronium-desktop"
    assert linux.autostart_enabled()
    assert not list(entry_file.parent.glob("*.tmp"))


def test_turning_start_at_login_off_removes_the_entry_and_is_harmless_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    linux = platform.current()
    linux.set_autostart(True, ["cronium-desktop", "--tray"])
    linux.set_autostart(False)
    linux.set_autostart(False)
    assert not (tmp_path / "config" / "autostart" / "cronium-desktop.desktop").exists()
    assert not linux.autostart_enabled()


def test_the_autostart_entry_starts_this_installation_when_no_command_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    entry = platform.current().set_autostart(True)
    assert entry.content.count("Exec=") == 1
    assert "--tray" in entry.content


def test_autostart_exec_line_quotes_paths_with_spaces_as_the_desktop_entry_spec_says():
    assert desktop_exec(["/home/me/My Apps/cronium-desktop", "--tray"]) == '"/home/me/My Apps/cronium-desktop" --tray'
    assert desktop_exec(["/opt/a$b/c"]) == '"/opt/a\\\\$b/c"'
    assert desktop_exec(["/opt/100%/c"]) == "/opt/100%%/c"


def test_the_data_folder_follows_xdg_data_home():
    linux = LinuxPlatform(home=Path("/home/ann"), env={"XDG_DATA_HOME": "/data/ann"})
    assert linux.data_dir() == Path("/data/ann/cronium-desktop")
    assert LinuxPlatform(home=Path("/home/ann"), env={}).data_dir() == Path("/home/ann/.local/share/cronium-desktop")
    assert LinuxPlatform(home=Path("/home/ann"), env={"XDG_DATA_HOME": "rel"}).data_dir() == \
        Path("/home/ann/.local/share/cronium-desktop")


def test_the_interpreter_set_in_settings_wins_over_path(tmp_path, monkeypatch):
    mine = _program(tmp_path, "my-python")
    monkeypatch.setenv("PATH", str(tmp_path))
    _program(tmp_path, "python3")
    assert platform.current().interpreter_command("PYTHON", {"PYTHON": mine}) == [mine]


def test_python_falls_back_to_python_when_there_is_no_python3(tmp_path, monkeypatch):
    found = _program(tmp_path, "python")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert platform.current().find_interpreter("PYTHON", {}) == found


def test_a_missing_interpreter_names_what_was_looked_for_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InterpreterMissing) as error:
        platform.current().interpreter_command("NODEJS", {})
    assert "'node' is not on PATH" in str(error.value) and "Settings → Interpreters" in str(error.value)
    with pytest.raises(InterpreterMissing, match="'/nope/python' set in Settings"):
        platform.current().interpreter_command("PYTHON", {"PYTHON": "/nope/python"})


def test_a_bundled_app_says_it_has_no_python_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    message = platform.current().missing_message("PYTHON")
    assert "'python3' or 'python' is not on PATH" in message
    assert "has no Python of its own" in message


def test_a_bundled_app_gives_its_scripts_the_users_library_path_not_its_own(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    linux = platform.current()
    env = linux.child_environment({"LD_LIBRARY_PATH": "/opt/cronium-desktop/_internal:/usr/local/lib",
                                   "LD_LIBRARY_PATH_ORIG": "/usr/local/lib", "HOME": "/home/a"})
    assert env == {"LD_LIBRARY_PATH": "/usr/local/lib", "HOME": "/home/a"}
    assert linux.child_environment({"LD_LIBRARY_PATH": "/opt/cronium-desktop/_internal"}) == {}
    monkeypatch.setattr(sys, "frozen", False)
    assert linux.child_environment({"LD_LIBRARY_PATH": "/x"}) == {"LD_LIBRARY_PATH": "/x"}


def test_make_private_leaves_files_and_folders_to_their_owner_only(tmp_path):
    folder, file = tmp_path / "d", tmp_path / "f"
    folder.mkdir()
    file.write_text("secret")
    platform.current().make_private(folder)
    platform.current().make_private(file)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _tree(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A script that starts a background child: the two make a process tree of their own."""
    child_pid = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {child_pid}; trap '' TERM; while true; do sleep 0.2; done"
    leader = subprocess.Popen(["bash", "-c", script], **platform.current().new_group_options())  # type: ignore[call-overload]
    deadline = time.monotonic() + 10
    while not (child_pid.exists() and child_pid.read_text().strip()):
        assert time.monotonic() < deadline, "the script did not start its child"
        time.sleep(0.02)
    return leader, int(child_pid.read_text())


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_a_run_gets_a_process_group_of_its_own_and_kill_tree_stops_its_children(tmp_path):
    leader, child = _tree(tmp_path)
    try:
        assert os.getpgid(leader.pid) == leader.pid != os.getpgid(0)
        platform.current().kill_tree(leader.pid)
        assert leader.wait(5) == -9
        assert _wait_gone(child)
    finally:
        leader.kill()


def test_terminate_tree_reaches_children_that_do_not_ignore_sigterm(tmp_path):
    leader, child = _tree(tmp_path)  # the leader ignores SIGTERM; its sleep child does not
    try:
        platform.current().terminate_tree(leader.pid)
        assert _wait_gone(child)
        assert leader.poll() is None  # a polite stop: the leader may refuse (then kill_tree follows)
        platform.current().kill_tree(leader.pid)
        leader.wait(5)
        platform.current().kill_tree(leader.pid)  # gone already: no error
    finally:
        leader.kill()


def test_signal_names_read_as_people_know_them():
    assert signal_name(15) == "SIGTERM" and signal_name(9) == "SIGKILL"
    assert signal_name(200) == "200"
