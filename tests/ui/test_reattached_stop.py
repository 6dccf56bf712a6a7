"""Stop in the window stops a run that a killed app left going and the window followed again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from cronium_desktop.engine.runs.runner import REATTACHED
from tests.conftest import TEST_PASSPHRASE, Cli
from tests.integration.test_detached_runs import import_events, run_then_kill_the_app, stopped
from tests.ui.conftest import SCREENSHOTS, hide_leftover_windows, run, wait_until
from tests.ui.test_editor_runs import log_rows


def test_cancel_run_in_the_window_stops_a_re_attached_run(loop: Any, tmp_path: Path, data_dir: Path, cli: Cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from cronium_desktop.app import Application
    from cronium_desktop.ui.runs import quit_choice

    pid_file = tmp_path / "script.pid"
    import_events(cli, tmp_path, {"name": "Long", "type": "BASH", "content": f"echo $$ > {pid_file}\necho up\nsleep 60"})
    run_then_kill_the_app(cli, "Long", "up")  # the app is gone, the script goes on
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    QSettings().clear()
    app = Application(data_dir, passphrase=TEST_PASSPHRASE)
    app.engine_settings = {"webhook_port": 0}
    run(loop, app.start())
    try:
        engine, window = app.engine, app.window
        [left] = run(loop, engine.runs.list(limit=1))
        assert left.status == "RUNNING"

        def log_texts() -> list[str]:
            return [record.text for record in run(loop, engine.runs.log(left.execution_id))]

        async def followed_again() -> None:
            while REATTACHED not in [record.text for record in await engine.runs.log(left.execution_id)]:
                await asyncio.sleep(0.05)

        run(loop, followed_again())
        window.resize(1280, 800)
        window.show()
        window.open_page("Runs")
        page = window.pages["Runs"]
        page.show_run(left.execution_id)
        wait_until(loop, page.cancel.isEnabled)
        page.cancel.click()
        final = run(loop, engine.runs.wait(left.execution_id, timeout=20))
        assert final.status == "CANCELLED"
        assert run(loop, stopped(int(pid_file.read_text())))
        assert "up" in log_texts()  # the output from before the app was killed is still the run's
        page.show_run(left.execution_id)
        wait_until(loop, lambda: not page.cancel.isEnabled())
        # the window's log shows the line from before the kill, the re-attachment and the stop
        wait_until(loop, lambda: {"up", REATTACHED} <= set(log_rows(page.log))
                   and any(line.startswith("Cancelled") for line in log_rows(page.log)))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(SCREENSHOTS / "run-re-attached-cancelled.png"))
    finally:
        if quit_choice.remembered() is None:
            QSettings().setValue(quit_choice.SETTING, quit_choice.STOP)
        run(loop, app.stop())
        hide_leftover_windows()
