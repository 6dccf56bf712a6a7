"""The window as the system ends it: a logout or `kill` sends SIGTERM, and nobody may be there to
answer a question, so the window asks none; the remembered answer or the `on_stop` setting decides
what becomes of runs going on."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Cli


def running_runs(data_dir: Path) -> list[tuple[int, str]]:
    if not (data_dir / "cronium.db").exists():
        return []
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        return connection.execute("SELECT id, status FROM executions WHERE status = 'RUNNING'").fetchall()


def test_sigterm_with_a_run_going_ends_the_window_at_once_and_on_stop_decides(cli: Cli, tmp_path: Path) -> None:
    events = tmp_path / "events.cronium.json"
    events.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [{
        "name": "Long", "type": "BASH", "content": "echo started; sleep 60", "trigger": "SCHEDULE",
        "status": "ACTIVE", "schedule": {"every": 1, "unit": "SECONDS"}, "timezone": "UTC"}]}))
    assert cli("import", str(events)).code == 0
    assert cli("settings", "set", "on_stop", "stop").code == 0
    home = tmp_path / "home"  # no answer remembered from elsewhere (QSettings live under it)
    env = {**cli.env, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    window = subprocess.Popen([sys.executable, "-m", "cronium_desktop"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while not running_runs(cli.data_dir):
            assert window.poll() is None, f"the window exited early: {window.communicate()[1][-2000:]}"
            assert time.monotonic() < deadline, "the schedule never started a run"
            time.sleep(0.2)
        [(execution_id, _)] = running_runs(cli.data_dir)
        window.send_signal(signal.SIGTERM)
        _, err = window.communicate(timeout=30)  # a question on screen would hold it here
    finally:
        if window.poll() is None:
            window.kill()
            window.wait()
    assert window.returncode == 0 and "Traceback" not in err, err
    with sqlite3.connect(cli.data_dir / "cronium.db") as connection:
        [status] = connection.execute("SELECT status FROM executions WHERE id = ?", (execution_id,)).fetchone()
    assert status == "CANCELLED"  # on_stop "stop": stopped, not left running without the app
    remembered = home / ".config" / "Cronium" / "Cronium Desktop.conf"
    assert not remembered.exists() or "on_quit" not in remembered.read_text()  # and no answer was made up
