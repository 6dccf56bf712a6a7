"""Screenshots of what a new user sees in the first hour, at 1024×700 and 1600×1000, light and dark:
first start, Events empty, the event editor's tabs, the workflow canvas with its toolbar, the Dashboard
with data, Settings saved, the keyboard shortcuts list. Saved to test-artifacts/screenshots/ to be looked at.

`./dev screenshots` takes them on a virtual X screen (Xvfb, the xcb platform); the suite takes them offscreen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from tests.conftest import TEST_PASSPHRASE
from tests.ui.conftest import SCREENSHOTS, run, wait_until

SIZES = [(1024, 700), (1600, 1000)]
THEMES = ["light", "dark"]


@pytest.fixture(params=[(size, choice) for size in SIZES for choice in THEMES],
                ids=[f"{w}x{h}-{choice}" for (w, h) in SIZES for choice in THEMES])
def shown_app(request: Any, loop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    from cronium_desktop.app import Application

    (width, height), choice = request.param
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    QSettings().clear()
    app = Application(tmp_path / "data", passphrase=TEST_PASSPHRASE)
    app.engine_settings = {"webhook_port": 0, "theme": choice}
    run(loop, app.start())
    app.window.resize(width, height)
    try:
        yield app, f"{width}x{height}-{choice}"
    finally:  # the next window applies its own theme when it starts
        run(loop, app.stop())


def save(widget: QWidget, name: str, suffix: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"first-hour-{name}-{suffix}.png"
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 5_000


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.4)


def test_first_hour_screens(shown_app: tuple[Any, str], loop: Any) -> None:
    application, suffix = shown_app
    engine, window = application.engine, application.window
    dashboard = window.pages["Dashboard"]
    wait_until(loop, lambda: dashboard.body.currentWidget() is dashboard.empty)
    run(loop, _settle())
    save(window, "first-start", suffix)
    window.open_page("Events")
    wait_until(loop, lambda: window.pages["Events"].body.showing_empty)
    run(loop, _settle())
    save(window, "events-empty", suffix)

    events = window.pages["Events"]
    events.new()
    from cronium_desktop.ui.events.editor import EventEditor

    editor = next(w for w in QApplication.topLevelWidgets() if isinstance(w, EventEditor) and w.isVisible())
    QTest.keyClicks(editor.name, "Nightly backup")
    editor.trigger.setCurrentIndex(editor.trigger.findData("SCHEDULE"))
    editor.environment.add("BACKUP_DIR", "/srv/backup", False)
    editor.environment.add("API_TOKEN", "", True, stored=True)
    editor.conditional.add({"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "Cleanup"})
    editor.name.clear()  # an error under its field, with the field's label
    editor.check()
    for index, tab in enumerate(("general", "script", "run", "environment", "actions")):
        editor.tabs.setCurrentIndex(index)
        run(loop, _settle())
        save(editor, f"event-editor-{tab}", suffix)
    editor._closing = True
    editor.reject()

    for event in ({"name": "Disk report", "type": "BASH", "content": "echo 41% used"},
                  {"name": "Import orders", "type": "PYTHON", "content": "import sys\nprint('no file')\nsys.exit(3)"},
                  {"name": "Sales report", "type": "PYTHON", "content": "print('ok')", "status": "ACTIVE",
                   "trigger": "SCHEDULE", "schedule": {"cron": "0 9 * * 1-5"}}):
        run(loop, engine.events.create(event))
    for name in ("Disk report", "Import orders", "Sales report", "Disk report"):
        run(loop, engine.runs.wait(run(loop, engine.runs.start(name))))
    run(loop, engine.workflows.save({"name": "Orders", "nodes": [
        {"id": "a", "event": "Disk report", "label": "Disk report", "x": 0, "y": 0},
        {"id": "b", "event": "Import orders", "label": "Import orders", "x": 320, "y": 0}],
        "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}]}))
    window.open_page("Workflows")
    page = window.pages["Workflows"]
    wait_until(loop, lambda: page.table.rowCount() == 1)
    page.table.selectRow(0)
    wait_until(loop, lambda: len(page.model.nodes) == 2)
    run(loop, _settle())
    node = page.scene.node_items["a"]
    port = page.view.mapFromScene(node.mapToScene(node.output_port()))
    QTest.mouseMove(page.view.viewport(), port)  # the hovered port, as a user about to connect sees it
    run(loop, _settle())
    save(window, "workflow-canvas", suffix)

    window.open_page("Dashboard")
    wait_until(loop, lambda: dashboard.values["Events"].text() == "3")
    run(loop, _settle())
    save(window, "dashboard", suffix)

    window.open_page("Settings")
    settings = window.pages["Settings"]
    QTest.keyClick(settings.concurrency, Qt.Key.Key_Up)
    wait_until(loop, lambda: settings.saved.text() == "✓ Saved")
    run(loop, _settle())
    save(window, "settings-saved", suffix)

    window.show_shortcuts()
    dialog = window.shortcuts_dialog
    assert dialog is not None
    run(loop, _settle())
    save(dialog, "shortcuts", suffix)
    dialog.close()
