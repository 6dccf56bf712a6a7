"""The built app as users get it: the one-folder bundle from `./dev package`, and its .deb installed.

`./dev package` (run by `.ci/run` before the tests) builds dist/cronium-desktop/ and the .deb. Without
them these tests skip on a developer's machine, and fail on CI (the CI variable is set), where a
missing bundle means the build broke.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cronium_desktop import __version__
from tests.conftest import TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
BUNDLE = DIST / "cronium-desktop"
PROGRAM = BUNDLE / "cronium-desktop"
ON_CI = bool(os.environ.get("CI"))


def _require(path: Path, what: str) -> None:
    if path.exists():
        return
    message = f"{what} {path} is missing: build it with ./dev package"
    if ON_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def bundle() -> Path:
    _require(PROGRAM, "the bundle's program")
    return PROGRAM


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: a fresh data folder, no keychain (a passphrase instead), no venv on PATH."""
    venv_bin = str(ROOT / ".venv" / "bin")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update({
        "PATH": path,
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CRONIUM_DATA_DIR": str(tmp_path / "data"),
        "CRONIUM_PASSPHRASE": TEST_PASSPHRASE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    })
    return env


def _run(command: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def test_the_bundle_tells_its_version(bundle: Path, user_env: dict[str, str]) -> None:
    result = _run([str(bundle), "--version"], user_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cronium-desktop {__version__}"


def test_the_bundle_imports_the_example_and_runs_its_python_event_with_the_helper(
        bundle: Path, user_env: dict[str, str]) -> None:
    imported = _run([str(bundle), "import", "examples/hello.cronium.json"], user_env)
    assert imported.returncode == 0, imported.stderr
    ran = _run([str(bundle), "run", "Hello", "--json", "--input", '{"name": "bundle"}'], user_env)
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["status"] == "SUCCESS"
    assert summary["output"] == {"greeted": "bundle"}  # written through the cronium.py helper
    assert "Hello, bundle!" in ran.stderr
    variable = _run([str(bundle), "var", "get", "last_greeted"], user_env)
    assert variable.stdout.strip() == "bundle", variable.stderr


def test_the_bundled_window_stays_up_and_stops_on_sigterm_without_a_traceback(
        bundle: Path, user_env: dict[str, str]) -> None:
    shown = Path(user_env["CRONIUM_DATA_DIR"]).parent / "shown"
    env = {**user_env, "QT_QPA_PLATFORM": "offscreen", "CRONIUM_STARTUP_PROBE": str(shown)}
    process = subprocess.Popen([str(bundle)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while not shown.exists():  # the app writes it once its window is shown
            assert process.poll() is None, f"the window exited early: {process.communicate()[1]}"
            assert time.monotonic() < deadline, "the window was not shown within 120 s"
            time.sleep(0.1)
        time.sleep(5)
        assert process.poll() is None, f"the window exited early: {process.communicate()[1]}"
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in err, err
    assert process.returncode == 0, err
    assert (Path(user_env["CRONIUM_DATA_DIR"]) / "cronium.db").exists()  # it opened the store (migrations ran)


def _as_root() -> list[str] | None:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and _run(["sudo", "-n", "true"]).returncode == 0:
        return ["sudo", "-n"]
    return None


def test_the_deb_installs_a_working_cronium_desktop_with_its_desktop_files() -> None:
    debs = sorted(DIST.glob(f"cronium-desktop_{__version__}_*.deb"))
    _require(debs[-1] if debs else DIST / f"cronium-desktop_{__version__}_ARCH.deb", "the .deb")
    root = _as_root()
    if root is None:
        if ON_CI:
            pytest.fail("installing the .deb needs root or password-less sudo on CI")
        pytest.skip("installing the .deb needs root or password-less sudo")
    installed = _run([*root, "dpkg", "-i", str(debs[-1])])
    assert installed.returncode == 0, installed.stderr
    try:
        version = _run(["/usr/bin/cronium-desktop", "--version"])
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == f"cronium-desktop {__version__}"
        files = set(_run(["dpkg", "-L", "cronium-desktop"]).stdout.split())
        for expected in ("/opt/cronium-desktop/cronium-desktop",
                         "/usr/share/applications/cronium-desktop.desktop",
                         "/usr/share/metainfo/org.cronium.CroniumDesktop.metainfo.xml",
                         "/usr/share/icons/hicolor/scalable/apps/cronium-desktop.svg",
                         "/usr/share/icons/hicolor/512x512/apps/cronium-desktop.png",
                         "/usr/lib/systemd/user/cronium-desktop-headless.service"):
            assert expected in files, f"{expected} is not in the package"
    finally:
        _run([*root, "dpkg", "-r", "cronium-desktop"])
