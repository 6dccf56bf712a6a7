"""The window shows what the real CLI changes on its data folder while it runs (SPEC §9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import TEST_PASSPHRASE
from tests.ui.conftest import wait_until


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRONIUM_DATA_DIR": str(data_dir), "CRONIUM_PASSPHRASE": TEST_PASSPHRASE,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    return subprocess.run([sys.executable, "-m", "cronium_desktop", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_window_shows_events_and_settings_the_cli_changed(application: Any, loop: Any, tmp_path: Path) -> None:
    data_dir = application.engine.data_dir
    document = tmp_path / "new.cronium.json"
    document.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [
        {"name": "From the CLI", "type": "BASH", "content": "echo hi"}]}))
    assert cli(data_dir, "import", str(document)).returncode == 0
    assert cli(data_dir, "settings", "set", "concurrency", "5").returncode == 0
    events = application.window.pages["Events"]
    wait_until(loop, lambda: any(event.name == "From the CLI" for event in events.model.events))
    settings = application.window.pages["Settings"]
    wait_until(loop, lambda: settings.concurrency.value() == 5)
