"""Shared fixtures: a real engine on a temporary data folder, and the CLI as a real subprocess.

Tests run without a keychain unless marked `keychain`: secrets use the passphrase path, which is
what a server with no Secret Service does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.folder import remove_tree

TEST_PASSPHRASE = "correct horse battery staple"


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Once a window test has made the collector run by hand (ui/collector.py), it runs here too after
    each test — on the main thread, which is the tests' GUI thread — not only while a Qt loop turns."""
    from cronium_desktop import heap

    heap.collect_due()


@pytest.fixture(autouse=True)
def _no_keychain_unless_asked(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("keychain"):
        yield
        return
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(scope="session", autouse=True)
def _no_run_folders_roots_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """At the end, the run folders roots of every data folder the tests made under their temporary
    paths (those of `data_dir` go at once): each lives outside its data folder, in /dev/shm, and
    a suite run would otherwise leave about ninety there until the machine restarts."""
    yield
    for database in tmp_path_factory.getbasetemp().rglob("cronium.db"):
        remove_tree(run_folders_root(database.parent))


def launchers_of(data_dir: Path) -> list[int]:
    """The PIDs of the launchers of the data folder's runs (engine/executors/launcher.py)."""
    root, found = str(run_folders_root(data_dir)).encode(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if root in command and any(part.endswith(b"launcher.py") for part in command):
                found.append(int(entry.name))
    return found


def stop_launcher(data_dir: Path) -> None:
    """SIGKILL the launcher of the data folder's runs, as a reboot (or a crash of it) would: runs going
    on are left without anyone to record their end."""
    for pid in launchers_of(data_dir):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data"
    path.mkdir(mode=0o700)  # as the app creates it: private (SPEC §7)
    yield path
    # Its run folders root lives outside it (/dev/shm or the temporary folder), one per data folder:
    # left there, every run of the suite would add hundreds of them to the machine's memory.
    remove_tree(run_folders_root(path))


@pytest.fixture
async def engine(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)


class Cli:
    """Runs `python -m cronium_desktop` as a user would, on one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "CRONIUM_DATA_DIR": str(data_dir),
            "CRONIUM_PASSPHRASE": TEST_PASSPHRASE,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 60) -> CliResult:
        process = subprocess.run(
            [sys.executable, "-m", "cronium_desktop", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
        )
        return CliResult(process.returncode, process.stdout, process.stderr)


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    return Cli(data_dir)
