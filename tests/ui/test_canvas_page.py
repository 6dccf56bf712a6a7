"""The Workflows page over a real engine: save and reload, run with live node states, cancel, export/import."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio  # noqa: E402
import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton, QWidget  # noqa: E402

from cronium_desktop.ui.workflows.items import NodeItem  # noqa: E402
from cronium_desktop.ui.workflows.mime import EventInfo, event_mime  # noqa: E402
from tests.conftest import TEST_PASSPHRASE  # noqa: E402
from tests.ui.conftest import run, wait_until  # noqa: E402

EVENTS = [
    {"name": "Extract", "type": "PYTHON", "content": "import cronium\nprint('extracting')\ncronium.output({'rows': 3})"},
    {"name": "Transform", "type": "BASH", "content": "echo transforming; sleep 0.6"},
    {"name": "Load", "type": "BASH", "content": "echo loading"},
    {"name": "Notify", "type": "BASH", "content": "echo notified"},
    {"name": "Sleeper", "type": "BASH", "content": "sleep 30"},
]


@pytest.fixture
def page(loop: Any, qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from cronium_desktop.engine.engine import Engine
    from cronium_desktop.ui.workflows.page import WorkflowsPage

    engine = Engine(tmp_path / "data", passphrase=TEST_PASSPHRASE)
    run(loop, engine.start())
    for event in EVENTS:
        run(loop, engine.events.create(event))
    widget = WorkflowsPage(engine)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    widget.refresh()
    wait_until(loop, lambda: widget.library.model.rowCount() == len(EVENTS))
    widget.chosen_types = []
    widget.scene.choose_edge_type = lambda _pos, _current: widget.chosen_types.pop(0)
    widget.view.resetTransform()
    widget.view.centerOn(500, 150)
    try:
        yield widget
    finally:
        run(loop, engine.stop(grace_seconds=1))
        widget.bridge.close()


def drop(page: Any, name: str, scene_pos: QPointF) -> None:
    info = next(e for e in page.library.model.events if e.name == name)
    mime = event_mime(EventInfo(info.id, info.name, info.type))
    point = page.view.mapFromScene(scene_pos)
    for event in (QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(page.view.viewport(), event)


def node_id(page: Any, label: str) -> str:
    return next(n.id for n in page.model.nodes.values() if n.label == label)


def connect(page: Any, source: str, target: str, edge_type: str) -> None:
    page.chosen_types.append(edge_type)
    start = page.view.mapFromScene(page.scene.node_items[node_id(page, source)].mapToScene(NodeItem.output_port()))
    end = page.view.mapFromScene(page.scene.node_items[node_id(page, target)].sceneBoundingRect().center())
    viewport = page.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, end - QPoint(20, 0))
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def build(page: Any, loop: Any, name: str = "Publish") -> None:
    page.new_workflow()
    page.properties.name.setText(name)
    page.properties.name.textEdited.emit(name)
    page.properties.description.setPlainText("Extract and publish.")
    for index, event in enumerate(["Extract", "Transform", "Load", "Notify"]):
        drop(page, event, QPointF(140 + index * 260, 120 + (index % 2) * 80))
    connect(page, "Extract", "Transform", "ON_SUCCESS")
    connect(page, "Transform", "Load", "ALWAYS")
    connect(page, "Load", "Notify", "ON_FAILURE")
    page.save()
    wait_until(loop, lambda: page.workflow_id is not None and page.stack.isClean())


def test_canvas_workflow_saves_through_the_engine_and_reloads_identical(page: Any, loop: Any) -> None:
    build(page, loop)
    drawn = page.model.to_dict()
    assert drawn["description"] == "Extract and publish."
    stored = run(loop, page.engine.workflows.get("Publish"))
    assert {key: stored[key] for key in drawn} == drawn
    workflow_id = page.workflow_id
    page.new_workflow()
    assert page.model.nodes == {}
    run(loop, page.open_workflow(workflow_id))
    assert page.model.to_dict() == drawn
    positions = {n.id: (item.x(), item.y()) for n in page.model.nodes.values() for item in [page.scene.node_items[n.id]]}
    assert positions == {n["id"]: (n["x"], n["y"]) for n in drawn["nodes"]}
    assert page.table.rowCount() == 1 and page.table.item(0, 0).text() == "Publish"


def test_run_colours_nodes_live_from_the_engine_notices(page: Any, loop: Any) -> None:
    build(page, loop)
    seen: dict[str, list[str]] = {}
    original = page.scene.set_node_state

    def record(node: str, status: str | None) -> None:
        seen.setdefault(page.model.nodes[node].label, []).append(status or "")
        original(node, status)

    page.scene.set_node_state = record
    page.run()
    wait_until(loop, lambda: page.scene.node_state(node_id(page, "Transform")) == "RUNNING")
    assert page.actions_by_name["Cancel run"].isEnabled() and not page.actions_by_name["Run"].isEnabled()
    wait_until(loop, lambda: page.run_status not in (None, "RUNNING"), timeout=20)
    assert page.run_status == "SUCCESS"
    assert seen["Extract"] == ["PENDING", "RUNNING", "SUCCESS"]
    assert seen["Transform"] == ["PENDING", "RUNNING", "SUCCESS"]
    assert seen["Notify"][-1] == "SKIPPED"  # ON_FAILURE edge after a success
    page.scene.nodeActivated.emit(node_id(page, "Extract"))
    wait_until(loop, lambda: "extracting" in page.run_panel.log.toPlainText())
    assert json.loads(page.run_panel.output.toPlainText()) == {"rows": 3}
    assert page.run_panel.title.text().startswith("Extract: Success")


def test_clicking_a_node_during_a_run_shows_its_log(page: Any, loop: Any) -> None:
    build(page, loop)
    page.run()
    wait_until(loop, lambda: page.run_status not in (None, "RUNNING"), timeout=20)
    item = page.scene.node_items[node_id(page, "Load")]
    centre = page.view.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    wait_until(loop, lambda: "loading" in page.run_panel.log.toPlainText())
    assert page.side.currentIndex() == 1


def test_cancel_stops_a_running_workflow(page: Any, loop: Any) -> None:
    page.new_workflow()
    page.model.set_properties({"name": "Slow"})
    drop(page, "Sleeper", QPointF(200, 200))
    drop(page, "Load", QPointF(600, 200))
    connect(page, "Sleeper", "Load", "ALWAYS")
    page.run()
    wait_until(loop, lambda: page.scene.node_state(node_id(page, "Sleeper")) == "RUNNING")
    execution_id = page.node_executions[node_id(page, "Sleeper")]

    async def process_started() -> None:
        while (await page.engine.runs.summary(execution_id)).status != "RUNNING":
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)

    run(loop, process_started())
    page.cancel()
    wait_until(loop, lambda: page.run_status == "CANCELLED", timeout=20)
    assert page.scene.node_state(node_id(page, "Sleeper")) == "CANCELLED"
    assert page.scene.node_state(node_id(page, "Load")) in ("CANCELLED", "SKIPPED")


def test_export_and_reimport_show_the_report_and_reopen_the_workflow(page: Any, loop: Any, tmp_path: Path) -> None:
    build(page, loop)
    drawn = page.model.to_dict()
    target = tmp_path / "publish.cronium.json"
    page.ask_save_path = lambda _suggested: str(target)
    page.export_file()
    wait_until(loop, lambda: target.exists())
    document = json.loads(target.read_text())
    assert [(n["label"], n["x"], n["y"]) for n in document["workflow"]["nodes"]] == \
        [(n["label"], n["x"], n["y"]) for n in drawn["nodes"]]
    run(loop, page.engine.workflows.delete("Publish"))
    page.new_workflow()
    page.ask_open_path = lambda: str(target)

    async def yes(_text: str) -> bool:
        return True

    page.confirm_replace = yes
    page.import_file()
    wait_until(loop, lambda: page.last_import_report is not None and page.workflow_id is not None)
    assert "Created workflow 'Publish'." in page.last_import_report
    assert page.model.to_dict() == drawn



def test_importing_an_existing_workflow_asks_then_replaces_it(page: Any, loop: Any, tmp_path: Path) -> None:
    build(page, loop)
    target = tmp_path / "publish.cronium.json"
    run(loop, page.engine.files.export_workflow("Publish", target))
    asked: list[str] = []
    page.ask_open_path = lambda: str(target)

    async def yes(text: str) -> bool:
        asked.append(text)
        return True

    page.confirm_replace = yes
    page.import_file()
    wait_until(loop, lambda: page.last_import_report is not None)
    assert asked and "already exists" in asked[0]
    assert "Replaced workflow 'Publish'." in page.last_import_report


def test_an_edit_after_saving_saves_again(page: Any, loop: Any) -> None:
    build(page, loop)
    page.scene.change_edge_type((node_id(page, "Load"), node_id(page, "Notify")), "ALWAYS")
    assert not page.stack.isClean()
    assert run(loop, page._save()) is True
    stored = run(loop, page.engine.workflows.get("Publish"))
    assert stored["edges"][2]["type"] == "ALWAYS"


def test_saving_under_an_existing_name_is_refused_without_overwriting(page: Any, loop: Any) -> None:
    build(page, loop)
    page.new_workflow()
    page.model.set_properties({"name": "publish"})
    drop(page, "Load", QPointF(200, 200))
    assert run(loop, page._save()) is False
    assert len(run(loop, page.engine.workflows.get("Publish"))["nodes"]) == 4


def test_new_event_from_the_canvas_lands_on_it(page: Any, loop: Any) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    page.new_workflow()
    page.library.newEventRequested.emit()
    editor = next(w for w in QApplication.topLevelWidgets() if isinstance(w, EventEditor) and w.isVisible())
    editor.name.setText("Fresh")
    editor.type.setCurrentIndex(editor.type.findData("BASH"))
    editor.code.set_text("echo fresh")
    editor.save()
    wait_until(loop, lambda: any(n.event == "Fresh" for n in page.model.nodes.values()))
    assert "Fresh" in page.library.visible_names()
    page.stack.undo()
    assert page.model.nodes == {}


def test_properties_edits_are_undoable_steps(page: Any, loop: Any) -> None:
    page.new_workflow()
    page.properties.name.setText("Renamed")
    page.properties.name.textEdited.emit("Renamed")
    page.properties.trigger.setCurrentIndex(page.properties.trigger.findData("SCHEDULE"))
    page.properties.trigger.activated.emit(page.properties.trigger.currentIndex())
    assert page.model.trigger == "SCHEDULE" and page.properties.schedule.isVisibleTo(page)
    page.properties.schedule.cron.setCurrentText("*/5 * * * *")
    assert page.model.to_dict()["schedule"] == {"cron": "*/5 * * * *"}
    assert page.title.text() == "Renamed •"
    page.stack.undo()
    page.stack.undo()
    assert page.model.trigger == "MANUAL" and page.properties.trigger.currentData() == "MANUAL"
    assert not page.properties.schedule.isVisibleTo(page)
    page.stack.undo()
    assert page.model.name == "New workflow" and page.properties.name.text() == "New workflow"


def test_the_main_window_shows_the_canvas_with_a_webhook_url_and_token_to_copy(application: Any, loop: Any) -> None:
    from cronium_desktop.ui.workflows.page import WorkflowsPage

    window = application.window
    page = window.pages["Workflows"]
    assert isinstance(page, WorkflowsPage)
    run(loop, application.engine.events.create({"name": "Ping", "type": "BASH", "content": "echo pong"}))
    window.open_page("Workflows")
    wait_until(loop, lambda: page.library.model.rowCount() == 1)
    page.new_workflow()
    page.model.set_properties({"name": "Hooked", "trigger": "WEBHOOK"})
    page.scene.add_event_node("Ping", QPointF(0, 0))
    assert page.properties.webhook.isVisibleTo(page)
    page.save()
    wait_until(loop, lambda: page.properties.webhook_token)
    stored = run(loop, application.engine.workflows.get("Hooked"))
    assert page.properties.webhook_url.text() == f"{application.engine.webhooks.url}{stored['webhook_token']}"
    copy_token = [b for b in page.properties.findChildren(QPushButton) if b.text() == "Copy"][1]
    copy_token.click()
    assert QApplication.clipboard().text() == stored["webhook_token"]

    fresh = WorkflowsPage(application.engine)  # no bridge: the page makes its own
    try:
        fresh.refresh()
        wait_until(loop, lambda: fresh.workflow_id is not None)
        assert fresh.model.name == "Hooked" and fresh.title.text() == "Hooked"
    finally:
        fresh.bridge.close()
        fresh.deleteLater()


def test_actions_the_toolbar_has_no_room_for_stay_reachable(page: Any, loop: Any) -> None:
    page.resize(900, 700)  # the page in a 1024 px window: every action fits
    run(loop, asyncio.sleep(0.05))
    toolbar = page.toolbar
    hidden = [action for action in toolbar.actions()
              if not action.isSeparator() and not toolbar.widgetForAction(action).isVisible()]
    assert not hidden
    page.resize(520, 700)
    run(loop, asyncio.sleep(0.05))
    hidden = [action for action in toolbar.actions()
              if not action.isSeparator() and not toolbar.widgetForAction(action).isVisible()]
    assert hidden  # this width cannot show them all
    overflow = toolbar.findChild(QWidget, "qt_toolbar_ext_button")
    assert overflow is not None and overflow.isVisible() and overflow.width() >= 16
