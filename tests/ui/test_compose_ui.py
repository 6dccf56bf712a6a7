"""Calendars and WORKFLOW nodes in the window: the schedule builder's next runs, Settings → Calendars,
and the canvas opening the workflow a node runs. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, Qt  # noqa: E402

from tests.conftest import TEST_PASSPHRASE  # noqa: E402
from tests.ui.conftest import SCREENSHOTS, run, wait_until  # noqa: E402


@pytest.fixture
def engine(loop: Any, tmp_path: Path) -> Iterator[Any]:
    from cronium_desktop.engine.engine import Engine

    engine = Engine(tmp_path / "data", passphrase=TEST_PASSPHRASE)
    run(loop, engine.start())
    yield engine
    run(loop, engine.stop(grace_seconds=1))


def test_schedule_builder_marks_skipped_and_shifted_days(loop: Any, qtbot: Any, engine: Any) -> None:
    from cronium_desktop.ui.editor.schedule_builder import ScheduleBuilder

    run(loop, engine.calendars.save({"name": "Germany", "country": "DE",
                                     "dates": [{"start": "2027-12-24", "end": "2027-12-31", "name": "Year-end freeze"}]}))
    builder = ScheduleBuilder()
    qtbot.addWidget(builder)
    builder.resize(760, 520)
    builder.set_context("Europe/Berlin")
    builder.load_calendars(engine)
    wait_until(loop, lambda: builder.calendar.calendar.count() == 2)
    builder.set_schedule({"cron": "0 9 1 * *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"})
    kinds = builder.next_runs.kinds()
    assert kinds.count("RUN") + kinds.count("SHIFTED") == 10
    texts = builder.next_runs.texts()
    # Whatever today is, within ten months a 1st of the month falls on a weekend or holiday in Germany.
    assert "SHIFTED" in kinds
    shifted = texts[kinds.index("SHIFTED")]
    assert "shifted from" in shifted
    assert builder.schedule() == {"cron": "0 9 1 * *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"}
    builder.calendar.policy.setCurrentIndex(builder.calendar.policy.findData("SKIP"))
    kinds = builder.next_runs.kinds()
    assert "SKIPPED" in kinds and "SHIFTED" not in kinds
    assert "✕ skipped" in builder.next_runs.texts()[kinds.index("SKIPPED")]
    # The last business day of the month: the form, the words, and the schedule it gives.
    builder.mode.setCurrentIndex(3)
    builder.last_business_day.at.setTime(builder.last_business_day.at.time().fromString("17:30", "HH:mm"))
    assert builder.schedule() == {"business_day": -1, "at": "17:30", "calendar": "Germany"}
    assert "last business day of the month" in builder.words.text()
    assert len(builder.next_runs.kinds()) == 10 and not builder.calendar.policy.isVisible()
    builder.mode.setCurrentIndex(0)
    builder.calendar.policy.setCurrentIndex(builder.calendar.policy.findData("NEXT_BUSINESS_DAY"))
    builder.show()
    run(loop, asyncio.sleep(0.3))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "schedule-builder-calendar.png"
    assert builder.grab().save(str(path))


def test_settings_calendars_lists_days_and_imports_ics(loop: Any, qtbot: Any, engine: Any, tmp_path: Path) -> None:
    from cronium_desktop.ui.settings.calendars import CalendarSettings

    run(loop, engine.calendars.save({"name": "Germany", "country": "DE"}))
    box = CalendarSettings(engine)
    qtbot.addWidget(box)
    box.resize(900, 420)
    box.year.setValue(2027)
    box.refresh()
    wait_until(loop, lambda: box.days.rowCount() == 9)  # Germany's national holidays in 2027
    assert any("Easter Monday" in box.days.item(row).text() for row in range(box.days.rowCount()))
    ics = tmp_path / "freeze.ics"
    ics.write_text("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:1\nDTSTAMP:20261201T000000Z\n"
                   "DTSTART;VALUE=DATE:20270802\nDTEND;VALUE=DATE:20270807\nSUMMARY:Summer shutdown\nEND:VEVENT\n"
                   "END:VCALENDAR\n")
    run(loop, box.import_ics_file("Germany", ics))
    wait_until(loop, lambda: box.days.rowCount() == 14)
    assert "Added 1 date(s)" in box.note.text()
    box.show()
    run(loop, asyncio.sleep(0.3))
    assert box.grab().save(str(SCREENSHOTS / "settings-calendars.png"))


def test_double_clicking_a_workflow_node_opens_the_child_and_its_live_run(loop: Any, qtbot: Any, engine: Any,
                                                                         tmp_path: Path) -> None:
    from cronium_desktop.ui.workflows.page import WorkflowsPage

    release = tmp_path / "release"  # the slow step runs until the test has seen it running in the child
    slow = f'while [ ! -e "{release}" ]; do sleep 0.05; done; echo done'
    for name, script in (("Fetch", "echo fetched"), ("Slow step", slow), ("Notify", "echo sent")):
        run(loop, engine.events.create({"name": name, "type": "BASH", "content": script}))
    run(loop, engine.workflows.save({"name": "Deploy", "nodes": [
        {"id": "a", "event": "Fetch", "label": "Fetch", "x": 0, "y": 0},
        {"id": "b", "event": "Slow step", "label": "Slow step", "x": 300, "y": 0}],
        "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}]}))
    page = WorkflowsPage(engine)
    qtbot.addWidget(page)
    page.resize(1300, 800)
    page.show()
    page.refresh()
    wait_until(loop, lambda: page.table.rowCount() == 1 and page.workflow_id is not None)  # it opens the first one
    run(loop, asyncio.sleep(0.5))  # the page's first loads have settled
    page.new_workflow()
    page.model.set_properties({"name": "Release"})
    child_workflows = __import__("cronium_desktop.ui.workflows.child_workflows", fromlist=["x"])
    node_id = child_workflows.add_workflow_node(page, "Deploy")
    page.scene.add_event_node("Notify", page.view.mapToScene(page.view.viewport().rect().center()) + QPoint(320, 0))
    notify = next(n for n in page.model.nodes if page.model.nodes[n].event == "Notify")
    page.scene.choose_edge_type = lambda *_: "ON_SUCCESS"
    page.scene.connect_nodes(node_id, notify)
    assert run(loop, page._save())
    saved = run(loop, engine.workflows.get("Release"))
    assert saved["nodes"][0]["kind"] == "WORKFLOW" and saved["nodes"][0]["workflow"] == "Deploy"
    run(loop, page._run())
    wait_until(loop, lambda: page.scene.node_state(node_id) == "RUNNING")
    run(loop, asyncio.sleep(0.3))
    assert page.grab().save(str(SCREENSHOTS / "canvas-workflow-node.png"))
    # Double-click the node on the canvas.
    item = page.scene.node_items[node_id]
    point = page.view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    wait_until(loop, lambda: page.model.name == "Deploy" and page.current_run is not None)
    assert set(page.model.nodes) == {"a", "b"}
    assert page.table.selectedItems()[0].text() == "Deploy"
    wait_until(loop, lambda: page.scene.node_state("b") == "RUNNING")  # the child run, live
    run(loop, asyncio.sleep(0.3))
    assert page.grab().save(str(SCREENSHOTS / "canvas-child-workflow-live.png"))
    release.touch()
    wait_until(loop, lambda: page.scene.node_state("b") == "SUCCESS")
