"""The app as a desktop citizen: start at login, failure notifications that open the run, --tray."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cronium_desktop.cli.parser import build_parser
from tests.ui.conftest import run, wait_until


def _settings(application: Any) -> Any:
    application.window.open_page("Settings")
    page = application.window.pages["Settings"]
    page.refresh()
    return page.desktop


def test_start_at_login_is_off_by_default_and_its_box_writes_then_removes_the_autostart_entry(
        application: Any, tmp_path: Path) -> None:
    desktop = _settings(application)
    entry = tmp_path / "config" / "autostart" / "cronium-desktop.desktop"
    assert not desktop.start_at_login.isChecked() and not entry.exists()

    desktop.start_at_login.click()
    assert entry.exists()
    exec_line = next(line for line in entry.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" --tray")

    desktop.start_at_login.click()
    assert not entry.exists() and not desktop.start_at_login.isChecked()


def test_a_failed_run_notification_opens_that_run_when_clicked(application: Any, loop: Any) -> None:
    engine = application.engine
    run(loop, engine.events.create({"name": "Broken", "type": "BASH", "content": "exit 3"}))
    execution_id = run(loop, engine.runs.start("Broken"))
    run(loop, engine.runs.wait(execution_id))
    wait_until(loop, lambda: application.tray.clicked_run == execution_id)
    assert application.tray.notifications[-1][0] == "Broken: Failure"

    application.window.open_page("Dashboard")
    application.tray.messageClicked.emit()
    runs = application.window.pages["Runs"]
    assert application.window.stack.currentWidget() is runs
    wait_until(loop, lambda: runs.title.text().startswith(f"Run #{execution_id} of Broken"))


def test_turning_notifications_off_keeps_failed_runs_quiet(application: Any, loop: Any) -> None:
    desktop = _settings(application)
    assert desktop.notifications.isChecked()
    desktop.notifications.click()
    assert application.engine.settings.get("notifications") is False
    engine = application.engine
    run(loop, engine.events.create({"name": "Quiet", "type": "BASH", "content": "exit 1"}))
    run(loop, engine.runs.wait(run(loop, engine.runs.start("Quiet"))))
    run(loop, engine.events.create({"name": "Canary", "type": "BASH", "content": "exit 0"}))
    run(loop, engine.runs.wait(run(loop, engine.runs.start("Canary"))))
    loop.run_until_complete(__import__("asyncio").sleep(0.3))  # the bridge delivers finished runs
    assert not any("Quiet" in title for title, _ in application.tray.notifications)


def test_tray_option_starts_the_window_hidden() -> None:
    assert build_parser().parse_args(["--tray"]).tray is True
    assert build_parser().parse_args([]).tray is False


def test_tray_start_hides_the_window_only_where_a_tray_can_open_it(loop: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from cronium_desktop.app import Application
    from tests.conftest import TEST_PASSPHRASE

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    application = Application(tmp_path / "data", passphrase=TEST_PASSPHRASE, start_hidden=True)
    application.engine_settings = {"webhook_port": 0}
    run(loop, application.start())
    try:
        assert application.engine.scheduler is not None  # the scheduler runs either way
        # Offscreen there is no tray: the window shows, or nothing could ever open it.
        assert application.window.isVisible() is not application.tray.isSystemTrayAvailable()
    finally:
        run(loop, application.stop())


def test_a_stopped_app_leaves_no_qt_object_to_the_garbage_collector(loop: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The window, tray, single-instance server and engine bridge are deleted on the GUI thread when
    the app stops. One left to Python's collector is destroyed on whichever thread collects (an
    editor's completion worker), where Qt's signal lock and the GIL deadlock: the window hung."""
    import asyncio

    import shiboken6

    from cronium_desktop.app import Application
    from tests.conftest import TEST_PASSPHRASE

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    application = Application(tmp_path / "data", passphrase=TEST_PASSPHRASE)
    application.engine_settings = {"webhook_port": 0}
    run(loop, application.start())
    owned = [application.window, application.tray, application.server, application.bridge]
    assert all(qobject is not None and shiboken6.isValid(qobject) for qobject in owned)
    run(loop, application.stop())
    run(loop, asyncio.sleep(0.1))  # the deferred deletes happen on the next turns of the loop
    assert [type(qobject).__name__ for qobject in owned if shiboken6.isValid(qobject)] == []
