"""The real window on a temporary data folder, driven by pytest-qt on the shared qasync loop."""

from __future__ import annotations

import asyncio
import faulthandler
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import pytestqt.plugin as pytestqt_plugin  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cronium_desktop.ui.qt_loop import QtLoop as QEventLoop  # noqa: E402
from tests.conftest import TEST_PASSPHRASE  # noqa: E402

T = TypeVar("T")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["cronium-desktop-tests"]


@pytest.fixture(scope="session", autouse=True)
def _collect_on_the_gui_thread(qapp: QApplication) -> None:
    """As the app does (run_gui): a Qt object in a garbage cycle is destroyed on the GUI thread only."""
    from cronium_desktop.ui.collector import GuiCollector

    GuiCollector(qapp)


class _TestLoop(QEventLoop):
    """qasync processes Qt events once more after `run_until_complete` stops the loop, which steps
    asyncio callbacks with no running loop. Tests call run_until_complete many times, so the loop
    stays registered as running between calls (the app itself runs it only once)."""

    def run_forever(self) -> Any:
        try:
            return super().run_forever()
        finally:
            asyncio.events._set_running_loop(self)


_current_loop: QEventLoop | None = None
# Every loop a test made, closed ones too, lives until the session ends. A qasync loop owns QObjects
# (its timer, its signallers) with no Qt parent, so the last Python reference decides the thread they
# are destroyed on; worker threads (paramiko, terminal readers) hold engine objects that hold the loop,
# and a QObject destroyed off its own thread leaves its timers behind in the GUI thread's dispatcher,
# which then delivers a timer event to freed memory.
_closed_loops: list[QEventLoop] = []


def _process_events_in_loop() -> None:
    """pytest-qt processes Qt events between setup, call and teardown. Under qasync, Qt events
    include asyncio callbacks, which must run with their loop running: run it briefly instead."""
    if _current_loop is not None and not _current_loop.is_closed() and not _current_loop.is_running():
        _current_loop.run_until_complete(asyncio.sleep(0.01))
        return
    app = QApplication.instance()
    if app is not None:
        app.processEvents()


pytestqt_plugin._process_events = _process_events_in_loop


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[QEventLoop]:
    global _current_loop
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    qapp.setOrganizationName("CroniumTests")
    event_loop = _TestLoop(qapp)
    asyncio.set_event_loop(event_loop)
    _current_loop = event_loop
    yield event_loop
    event_loop.run_until_complete(asyncio.sleep(0.1))  # let the last callbacks run on their loop
    _current_loop = None
    asyncio.events._set_running_loop(None)
    event_loop.close()
    _closed_loops.append(event_loop)
    asyncio.set_event_loop(None)


def run(loop: QEventLoop, awaitable: Awaitable[T], timeout: float = 30) -> T:
    # Shortly before the timeout, every thread's stack goes to the test's captured stderr: when the
    # GUI thread is held up (rather than waiting on the loop), the report shows what holds it.
    faulthandler.dump_traceback_later(max(timeout - 3, 1))
    try:
        return loop.run_until_complete(asyncio.wait_for(awaitable, timeout))
    finally:
        faulthandler.cancel_dump_traceback_later()


def wait_until(loop: QEventLoop, condition: Callable[[], Any], timeout: float = 15) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    run(loop, poll(), timeout)


@pytest.fixture
def application(loop: QEventLoop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from cronium_desktop.app import Application

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    QSettings().clear()
    app = Application(tmp_path / "data", passphrase=TEST_PASSPHRASE)
    app.engine_settings = {"webhook_port": 0}
    run(loop, app.start())
    try:
        yield app
    finally:
        # Runs a test left going are stopped without the quit question: its modal loop would wait
        # for a click that never comes.
        from cronium_desktop.ui.runs import quit_choice

        if quit_choice.remembered() is None:
            QSettings().setValue(quit_choice.SETTING, quit_choice.STOP)
        run(loop, app.stop())
        hide_leftover_windows()


def hide_leftover_windows() -> None:
    """Windows a test left open (a dialog it opened and never answered, after a failure too) would
    stay modal over the next test's window in the same worker and swallow its mouse and keys."""
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.hide()
