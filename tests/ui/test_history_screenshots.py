"""Screenshots of a workflow's run history, the Events page's bulk bar and the editor's webhook row,
saved to test-artifacts/screenshots/ to be looked at (`./dev screenshots` takes them under Xvfb)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio  # noqa: E402
from typing import Any  # noqa: E402

from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.ui.conftest import SCREENSHOTS, run, wait_until  # noqa: E402


async def settle() -> None:
    await asyncio.sleep(0.4)


def test_screenshots_of_run_history_bulk_bar_and_webhook_row(application: Any, loop: Any) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    engine, window = application.engine, application.window
    window.resize(1500, 860)
    window.show()
    run(loop, engine.events.create({"name": "Extract", "type": "PYTHON",
                                    "content": "import cronium\nprint('extracting')\ncronium.output({'rows': 3})"}))
    load_id = run(loop, engine.events.create({"name": "Load", "type": "BASH", "content": "echo loading"}))
    run(loop, engine.events.create({"name": "Notify", "type": "BASH", "content": "echo told"}))
    run(loop, engine.workflows.save({
        "name": "Publish",
        "nodes": [{"id": "a", "event": "Extract", "label": "Extract", "x": 0, "y": 0},
                  {"id": "b", "event": "Load", "label": "Load", "x": 260, "y": 0},
                  {"id": "c", "event": "Notify", "label": "Notify", "x": 520, "y": 0}],
        "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}, {"from": "b", "to": "c", "type": "ON_SUCCESS"}]}))
    first = run(loop, engine.workflows.run("Publish"))
    run(loop, engine.workflows.wait(first, timeout=30))
    load = run(loop, engine.events.get(load_id))
    run(loop, engine.events.update(load_id, {**load, "content": "echo broken >&2; exit 3"}))
    second = run(loop, engine.workflows.run("Publish"))
    run(loop, engine.workflows.wait(second, timeout=30))

    page = window.pages["Workflows"]
    window.open_page("Workflows")
    page.refresh()
    wait_until(loop, lambda: len(page.history.runs) == 2)
    page.side.setCurrentWidget(page.history)
    page.history.choose(second)
    wait_until(loop, lambda: page.scene.node_state("b") == "FAILURE")
    run(loop, settle())
    assert window.grab().save(str(SCREENSHOTS / "workflow-history.png"))
    page.history.nodes_table.selectRow(1)
    wait_until(loop, lambda: "Load: Failure" in page.run_panel.title.text())
    run(loop, settle())
    assert window.grab().save(str(SCREENSHOTS / "workflow-history-node-log.png"))

    events = window.pages["Events"]
    window.open_page("Events")
    events.refresh()
    wait_until(loop, lambda: events.proxy.rowCount() == 3)
    events.table.selectAll()
    run(loop, settle())
    assert window.grab().save(str(SCREENSHOTS / "events-bulk-bar.png"))

    run(loop, engine.event_webhooks.enable(load_id))
    editor = EventEditor(engine, run(loop, engine.events.get(load_id)), window)
    editor.resize(900, 760)
    editor.open()
    wait_until(loop, lambda: editor.webhook.url.text() != "")
    run(loop, settle())
    assert editor.grab().save(str(SCREENSHOTS / "event-editor-webhook.png"))
    editor.reject()
    QApplication.processEvents()
