"""The window's bulk actions on events, a workflow's run history, the editor's webhook row and
Settings → Rotate key, driven as a user would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import run, wait_until


def events_page(application: Any, loop: Any, count: int) -> Any:
    page = application.window.pages["Events"]
    application.window.open_page("Events")
    page.refresh()
    wait_until(loop, lambda: page.proxy.rowCount() == count)
    return page


def answer(box: QMessageBox | None, button: QMessageBox.StandardButton) -> None:
    assert box is not None and box.isVisible()
    box.button(button).click()


def wait_for(loop: Any, read: Callable[[], Awaitable[Any]], wanted: Callable[[Any], bool], timeout: float = 30) -> Any:
    """Poll the engine (a coroutine each time) until what it returns is as wanted."""

    async def poll() -> Any:
        while not wanted(value := await read()):
            await asyncio.sleep(0.05)
        return value

    return run(loop, poll(), timeout)


def statuses(application: Any) -> Callable[[], Awaitable[dict[str, str]]]:
    async def read() -> dict[str, str]:
        return {e.name: e.status for e in await application.engine.events.list()}

    return read


def test_bulk_bar_appears_for_several_events_and_pauses_and_activates_them_all(application: Any, loop: Any) -> None:
    engine = application.engine
    for name in ("Alpha", "Beta", "Gamma"):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": "true"}))
    page = events_page(application, loop, 3)
    page.table.selectRow(0)
    assert page.bulk.isHidden()  # one event: the ordinary buttons
    page.table.selectAll()
    assert page.bulk.isVisible() and page.bulk.label.text() == "3 events selected:"
    page.bulk.buttons["Activate"].click()
    wait_for(loop, statuses(application), lambda found: set(found.values()) == {"ACTIVE"})
    page.table.selectAll()
    page.bulk.buttons["Pause"].click()
    wait_for(loop, statuses(application), lambda found: set(found.values()) == {"PAUSED"})


def test_bulk_run_asks_once_naming_how_many_then_starts_every_run(application: Any, loop: Any) -> None:
    engine = application.engine
    for name in ("One", "Two", "Three"):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": f"echo {name}"}))
    page = events_page(application, loop, 3)
    page.table.selectAll()
    page.bulk.buttons["Run now"].click()
    assert page.bulk.question is not None and "Run 3 events now?" in page.bulk.question.text()
    answer(page.bulk.question, QMessageBox.StandardButton.Yes)

    wait_for(loop, lambda: engine.runs.list(limit=10), lambda runs: sum(r.status == "SUCCESS" for r in runs) == 3)


def test_bulk_delete_asks_once_keeps_events_a_workflow_uses_and_no_deletes_nothing(
    application: Any, loop: Any
) -> None:
    engine = application.engine
    for name in ("Keep me", "Old A", "Old B"):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": "true"}))
    run(loop, engine.workflows.save({"name": "Uses it", "nodes": [{"id": "a", "event": "Keep me", "label": "K"}],
                                     "edges": []}))
    page = events_page(application, loop, 3)
    page.table.selectAll()
    page.bulk.buttons["Delete…"].click()
    wait_until(loop, lambda: page.bulk.question is not None and page.bulk.question.isVisible())
    text = page.bulk.question.text()
    assert "Delete 2 events?" in text and "Kept: event 'Keep me'" in text
    answer(page.bulk.question, QMessageBox.StandardButton.No)
    run(loop, asyncio.sleep(0.3))
    assert len(run(loop, statuses(application)())) == 3  # No changes nothing
    page.table.selectAll()
    page.bulk.buttons["Delete…"].click()
    wait_until(loop, lambda: page.bulk.question is not None and page.bulk.question.isVisible())
    answer(page.bulk.question, QMessageBox.StandardButton.Yes)
    wait_for(loop, statuses(application), lambda found: list(found) == ["Keep me"])
    wait_until(loop, lambda: page.proxy.rowCount() == 1)


def test_bulk_export_writes_the_selected_events_to_one_file(application: Any, loop: Any, tmp_path: Path) -> None:
    engine = application.engine
    for name in ("North", "South", "East"):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": "true"}))
    page = events_page(application, loop, 3)
    page.search.setText("th")  # North, South
    assert page.proxy.rowCount() == 2
    page.table.selectAll()
    page.bulk.buttons["Export…"].click()
    assert page.bulk.file_dialog is not None and page.bulk.file_dialog.isVisible()
    page.bulk.file_dialog.reject()
    page.bulk.export_to(tmp_path / "two")
    target = tmp_path / "two.cronium.json"
    wait_until(loop, target.exists)
    assert sorted(event["name"] for event in json.loads(target.read_text())["events"]) == ["North", "South"]


def _publish(application: Any, loop: Any) -> int:
    engine = application.engine
    run(loop, engine.events.create({"name": "Extract", "type": "PYTHON",
                                    "content": "import cronium\nprint('extracting')\ncronium.output({'rows': 3})"}))
    run(loop, engine.events.create({"name": "Load", "type": "BASH", "content": "echo loading"}))
    return int(run(loop, engine.workflows.save({
        "name": "Publish", "nodes": [{"id": "a", "event": "Extract", "label": "Extract", "x": 0, "y": 0},
                                     {"id": "b", "event": "Load", "label": "Load", "x": 260, "y": 0}],
        "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}]})))


def test_choosing_a_past_run_colours_the_canvas_and_shows_each_nodes_log_and_output(
    application: Any, loop: Any
) -> None:
    engine = application.engine
    _publish(application, loop)
    first = run(loop, engine.workflows.run("Publish"))
    run(loop, engine.workflows.wait(first, timeout=30))
    run(loop, engine.events.update(run(loop, engine.events.get("Load"))["id"],
                                   {**run(loop, engine.events.get("Load")), "content": "echo broken; exit 3"}))
    second = run(loop, engine.workflows.run("Publish"))
    run(loop, engine.workflows.wait(second, timeout=30))

    page = application.window.pages["Workflows"]
    application.window.open_page("Workflows")
    page.refresh()
    wait_until(loop, lambda: page.workflow_id is not None, timeout=30)
    wait_until(loop, lambda: len(page.history.runs) == 2, timeout=30)
    assert [r.workflow_execution_id for r in page.history.runs] == [second, first]  # newest first
    assert page.history.runs_table.item(0, 1).text() == "Failure"

    page.side.setCurrentWidget(page.history)
    page.history.choose(second)
    wait_until(loop, lambda: page.current_run == second and page.scene.node_state("b") == "FAILURE")
    assert page.scene.node_state("a") == "SUCCESS"
    assert page.history.nodes_table.rowCount() == 2

    page.history.choose(first)  # the older run: both nodes succeeded
    wait_until(loop, lambda: page.current_run == first and page.scene.node_state("b") == "SUCCESS")
    page.history.nodes_table.selectRow(0)
    wait_until(loop, lambda: "Extract: Success" in page.run_panel.title.text())
    assert "extracting" in page.run_panel.log.toPlainText()
    assert json.loads(page.run_panel.output.toPlainText()) == {"rows": 3}

    page.history.choose(second)
    wait_until(loop, lambda: page.scene.node_state("b") == "FAILURE")
    page.show_node_run("b")  # as a click on the canvas node does
    wait_until(loop, lambda: "Load: Failure" in page.run_panel.title.text())
    assert "broken" in page.run_panel.log.toPlainText()


def test_a_run_from_the_page_appears_in_its_history(application: Any, loop: Any) -> None:
    _publish(application, loop)
    page = application.window.pages["Workflows"]
    application.window.open_page("Workflows")
    page.refresh()
    wait_until(loop, lambda: page.workflow_id is not None)
    assert page.history.runs == []
    page.run()
    wait_until(loop, lambda: len(page.history.runs) == 1 and page.history.runs[0].status == "SUCCESS", timeout=30)


def test_the_editor_gives_an_event_a_webhook_url_to_copy_that_runs_it(application: Any, loop: Any) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    engine = application.engine
    event_id = run(loop, engine.events.create({"name": "Hooked", "type": "PYTHON",
                                               "content": "import cronium\ncronium.output(cronium.input())"}))
    page = events_page(application, loop, 1)
    page.table.selectRow(0)
    page.edit()
    wait_until(loop, lambda: any(isinstance(w, EventEditor) and w.isVisible() for w in QApplication.topLevelWidgets()))
    editor = next(w for w in QApplication.topLevelWidgets() if isinstance(w, EventEditor) and w.isVisible())
    row = editor.webhook
    assert not row.enabled.isChecked() and not row.copy.isEnabled()
    row.enabled.setChecked(True)
    wait_until(loop, lambda: row.url.text().startswith("http://127.0.0.1:"))
    assert row.url.text().endswith(run(loop, engine.event_webhooks.token(event_id)))
    assert str(engine.webhooks.port) in row.url.text()
    row.copy.click()
    assert QGuiApplication.clipboard().text() == row.url.text()
    old_url = row.url.text()
    row.rotate.click()
    wait_until(loop, lambda: row.url.text() not in ("", old_url))

    async def post(url: str) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, http.post(url, json={"hello": "hook"}) as response:
            return response.status, await response.json()

    assert run(loop, post(old_url))[0] == 404
    status, body = run(loop, post(row.url.text()))
    assert status == 202
    summary = run(loop, engine.runs.wait(body["execution_id"], timeout=30))
    assert summary.output == {"hello": "hook"}
    row.enabled.setChecked(False)
    wait_until(loop, lambda: row.url.text() == "")
    assert run(loop, engine.event_webhooks.token(event_id)) is None
    editor.reject()


def test_a_new_events_editor_says_to_save_first_for_a_webhook(application: Any, loop: Any) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    editor = EventEditor(application.engine, None, application.window)
    assert not editor.webhook.enabled.isEnabled()
    assert "Save the event" in editor.webhook.url.placeholderText()
    editor.deleteLater()


def test_rotate_key_in_settings_asks_then_re_encrypts_every_secret(application: Any, loop: Any) -> None:
    engine = application.engine
    for index in range(4):
        run(loop, engine.variables.set(f"K{index}", f"v{index}", secret=True))
    before = engine.secrets.key_record()["key_version"]
    settings = application.window.pages["Settings"]
    application.window.open_page("Settings")
    settings.refresh()
    assert settings.rotate_key.isVisible()
    settings.rotate_key.click()
    wait_until(loop, lambda: settings.rotate_key.question is not None and settings.rotate_key.question.isVisible())
    assert "Re-encrypt 4 secret(s)" in settings.rotate_key.question.text()
    answer(settings.rotate_key.question, QMessageBox.StandardButton.No)
    run(loop, asyncio.sleep(0.3))
    assert engine.secrets.key_record()["key_version"] == before  # No changes nothing
    settings.rotate_key.click()
    wait_until(loop, lambda: settings.rotate_key.question is not None and settings.rotate_key.question.isVisible())
    answer(settings.rotate_key.question, QMessageBox.StandardButton.Yes)
    wait_until(loop, lambda: "Re-encrypted 4 secret(s)" in settings.secrets.text(), timeout=30)
    record = engine.secrets.key_record()
    assert record["key_version"] == before + 1 and record["secrets_by_key_version"] == {before + 1: 4}
    assert settings.rotate_key.progress is not None and settings.rotate_key.progress.value() in (-1, 4)
    for index in range(4):
        assert run(loop, engine.variables.get(f"K{index}", reveal=True)).value == f"v{index}"
