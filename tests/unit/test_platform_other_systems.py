"""What the macOS and Windows platforms decide and produce, checked on any system.

Windows' registry cannot be reached here: those tests give the platform a simulated Run key (a
dict) and a recorder for commands, and check what it would write and run.
"""

from __future__ import annotations

import plistlib
from pathlib import Path, PureWindowsPath

import pytest

from cronium_desktop.engine.platform import InterpreterMissing, for_system
from cronium_desktop.engine.platform.macos import MacPlatform
from cronium_desktop.engine.platform.windows import (
    CREATE_NEW_PROCESS_GROUP,
    RUN_KEY,
    WSL_BASH,
    WindowsPlatform,
)


def test_each_system_gets_its_own_implementation():
    assert [for_system(s).name for s in ("linux", "darwin", "win32", "freebsd14")] == \
        ["linux", "macos", "windows", "linux"]


# -- macOS -----------------------------------------------------------------------------------------


def test_macos_start_at_login_writes_a_launch_agent_that_runs_the_tray_and_removes_it(tmp_path):
    mac = MacPlatform(home=tmp_path, env={})
    app = "/Applications/Cronium Desktop.app/Contents/MacOS/cronium-desktop"
    mac.set_autostart(True, [app, "--tray"])
    plist_file = tmp_path / "Library" / "LaunchAgents" / "org.cronium.desktop.plist"
    plist = plistlib.loads(plist_file.read_bytes())
    assert plist["Label"] == "org.cronium.desktop"
    assert plist["ProgramArguments"] == [app, "--tray"]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] is False
    assert mac.autostart_enabled()
    mac.set_autostart(False)
    assert not plist_file.exists() and not mac.autostart_enabled()


def test_macos_keeps_data_in_application_support():
    assert MacPlatform(home=Path("/Users/ann"), env={}).data_dir() == \
        Path("/Users/ann/Library/Application Support/cronium-desktop")


def test_macos_uses_posix_process_groups_and_path_interpreters():
    mac = MacPlatform(which=lambda name: {"python3": "/opt/homebrew/bin/python3"}.get(name), env={})
    assert mac.new_group_options() == {"start_new_session": True}
    assert mac.interpreter_command("PYTHON") == ["/opt/homebrew/bin/python3"]
    with pytest.raises(InterpreterMissing, match="'bash' is not on PATH"):
        mac.interpreter_command("BASH")


# -- Windows ---------------------------------------------------------------------------------------


class SimulatedRunKey(dict):
    """Stands in for HKCU\\...\\Run, which only exists on Windows."""

    def get(self, name):  # type: ignore[override]
        return super().get(name)

    def set(self, name, value):
        self[name] = value

    def delete(self, name):
        self.pop(name, None)


def _windows(paths=(), files=(), env=None, **kwargs) -> WindowsPlatform:
    on_path = dict(paths)
    return WindowsPlatform(which=on_path.get, home=Path("/home/ann"), env=env or {"USERNAME": "ann"},
                           exists=set(files).__contains__, **kwargs)


def test_windows_start_at_login_sets_and_deletes_the_per_user_run_value_with_simulated_registry():
    key = SimulatedRunKey()
    windows = _windows(registry=key)
    exe = r"C:\Program Files\Cronium Desktop\cronium-desktop.exe"
    entry = windows.set_autostart(True, [exe, "--tray"])
    assert entry.location == "HKEY_CURRENT_USER\\" + RUN_KEY
    assert key == {"Cronium Desktop": f'"{exe}" --tray'}
    assert windows.autostart_enabled()
    windows.set_autostart(False)
    assert key == {} and not windows.autostart_enabled()


def test_windows_bash_is_git_bash_beside_git_on_path():
    git = r"C:\Program Files\Git\cmd\git.exe"
    bash = str(PureWindowsPath(r"C:\Program Files\Git\bin\bash.exe"))
    windows = _windows(paths={"git": git, "bash": r"C:\Windows\System32\bash.exe", "wsl.exe": "wsl.exe"}, files={bash})
    assert windows.interpreter_command("BASH") == [bash]


def test_windows_bash_finds_git_bash_in_its_usual_folder_without_git_on_path():
    bash = str(PureWindowsPath(r"C:\Users\ann\AppData\Local\Programs\Git\bin\bash.exe"))
    windows = _windows(files={bash}, env={"LOCALAPPDATA": r"C:\Users\ann\AppData\Local"})
    assert windows.interpreter_command("BASH") == [bash]


def test_windows_bash_falls_back_to_wsl_which_translates_the_script_path():
    windows = _windows(paths={"wsl.exe": r"C:\Windows\System32\wsl.exe"})
    command = windows.interpreter_command("BASH")
    assert command == WSL_BASH and command[:3] == ["wsl.exe", "-e", "bash"] and "wslpath" in command[-1]


def test_windows_without_git_bash_or_wsl_says_to_install_one_of_them():
    with pytest.raises(InterpreterMissing) as error:
        _windows().interpreter_command("BASH")
    assert "Git for Windows" in str(error.value) and "WSL" in str(error.value)
    assert "Settings → Interpreters" in str(error.value)


def test_windows_bash_set_in_settings_wins():
    windows = _windows(paths={r"D:\tools\bash.exe": r"D:\tools\bash.exe"})
    assert windows.interpreter_command("BASH", {"BASH": r"D:\tools\bash.exe"}) == [r"D:\tools\bash.exe"]


def test_windows_python_skips_the_store_stand_in_and_uses_the_py_launcher():
    windows = _windows(paths={"python": r"C:\Users\ann\AppData\Local\Microsoft\WindowsApps\python.exe",
                              "py": r"C:\Windows\py.exe"})
    assert windows.interpreter_command("PYTHON") == [r"C:\Windows\py.exe", "-3"]
    with pytest.raises(InterpreterMissing, match="'python' or 'py' is not on PATH"):
        _windows(paths={"python": r"C:\Users\ann\AppData\Local\Microsoft\WindowsApps\python.exe"}).interpreter_command("PYTHON")


def test_windows_process_trees_use_a_new_group_and_taskkill():
    ran: list[list[str]] = []
    windows = _windows(run=ran.append)
    assert windows.new_group_options() == {"creationflags": CREATE_NEW_PROCESS_GROUP}
    windows.kill_tree(4242)
    assert ran == [["taskkill", "/T", "/F", "/PID", "4242"]]


def test_windows_private_files_are_granted_to_this_user_only(tmp_path):
    ran: list[list[str]] = []
    windows = _windows(run=ran.append)
    windows.make_private(tmp_path)
    assert ran == [["icacls", str(tmp_path), "/inheritance:r", "/grant:r", "ann:(OI)(CI)F"]]
    assert windows.private_command(r"C:\x\key", False)[-1] == "ann:F"


def test_windows_keeps_data_in_local_app_data():
    windows = _windows(env={"LOCALAPPDATA": "C:/Users/ann/AppData/Local"})
    assert windows.data_dir() == Path("C:/Users/ann/AppData/Local/cronium-desktop")
