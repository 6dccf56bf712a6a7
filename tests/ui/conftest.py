"""The real window on a temporary data folder, driven by pytest-qt on the shared qasync loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from qasync import QEventLoop  # noqa: E402

from tests.conftest import TEST_PASSPHRASE  # noqa: E402

T = TypeVar("T")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["cronium-desktop-tests"]


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[QEventLoop]:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    qapp.setOrganizationName("CroniumTests")
    event_loop = QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


def run(loop: QEventLoop, awaitable: Awaitable[T], timeout: float = 30) -> T:
    return loop.run_until_complete(asyncio.wait_for(awaitable, timeout))


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
        run(loop, app.stop())
