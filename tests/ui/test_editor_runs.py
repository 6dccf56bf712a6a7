"""Trying a script from the editor (Run draft) and following a traceback back to its line, in the
real window on a real engine."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from cronium_desktop.engine.store.models import Event
from cronium_desktop.ui.events.editor import EventEditor
from tests.ui.conftest import run, wait_until


def log_rows(view: Any) -> list[str]:
    model = view.model
    return [str(model.index(row, 1).data()) for row in range(model.rowCount())]


def test_run_draft_runs_the_unsaved_text_in_the_pane_and_lists_it_as_draft(application: Any, loop: Any, qtbot: Any) -> None:
    engine = application.engine
    event_id = run(loop, engine.events.create({"name": "Greeter", "type": "BASH", "content": "echo saved version"}))
    dialog = EventEditor(engine, run(loop, engine.events.get(event_id)), application.window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    dialog.code.set_text('source cronium.sh\necho "unsaved draft got $(cronium_input)"\n')
    dialog.draft.input.setText('{"who": "tester"}')
    dialog.activateWindow()
    wait_until(loop, lambda: QApplication.activeWindow() is dialog)
    QWidget.setFocus(dialog.code.editor)
    qtbot.keyClick(dialog.code.editor, Qt.Key.Key_F5)
    wait_until(loop, lambda: "Success" in dialog.draft.status.text(), timeout=30)
    lines = log_rows(dialog.draft.log)
    assert any("unsaved draft got" in line and "tester" in line for line in lines), lines
    assert not any("saved version" in line for line in lines)
    [listed] = run(loop, engine.runs.list(event="Greeter"))
    assert listed.trigger == "DRAFT" and listed.execution_id == dialog.draft.execution_id
    with engine.ctx.db.read() as session:
        stored = session.get(Event, event_id)
        assert stored is not None and stored.content == "echo saved version" and stored.execution_count == 0


def test_bad_input_json_is_named_and_nothing_runs(application: Any, loop: Any, qtbot: Any) -> None:
    engine = application.engine
    event_id = run(loop, engine.events.create({"name": "Strict", "type": "BASH", "content": "echo hi"}))
    dialog = EventEditor(engine, run(loop, engine.events.get(event_id)), application.window)
    qtbot.addWidget(dialog)
    dialog.draft.input.setText("{not json")
    dialog.draft.run()
    assert dialog.draft.status.text().startswith("Input JSON:")
    assert run(loop, engine.runs.list(event="Strict")) == []


def test_clicking_a_traceback_line_opens_the_editor_at_that_line(application: Any, loop: Any, qtbot: Any) -> None:
    engine, window = application.engine, application.window
    script = "import json\n\nrows = [1, 2]\nprint(rows[5])\n"
    run(loop, engine.events.create({"name": "Broken report", "type": "PYTHON", "content": script}))
    summary = run(loop, engine.runs.wait(run(loop, engine.runs.start("Broken report")), timeout=30))
    assert summary.status == "FAILURE"
    window.resize(1200, 800)
    window.show()
    window.open_page("Runs")
    page = window.pages["Runs"]
    wait_until(loop, lambda: page.model.rowCount() >= 1)
    page.table.selectRow(0)
    wait_until(loop, lambda: any("script.py" in line for line in log_rows(page.log)))
    row = next(i for i, line in enumerate(log_rows(page.log)) if 'script.py", line' in line)
    index = page.log.model.index(row, 1)
    page.log.list.scrollTo(index)
    rect = page.log.list.visualRect(index)
    qtbot.mouseClick(page.log.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_until(loop, lambda: bool(page.findChildren(EventEditor)))
    [dialog] = page.findChildren(EventEditor)
    qtbot.addWidget(dialog)
    code = dialog.code.editor
    assert dialog.tabs.currentIndex() == 1
    assert code.lineFromPosition(code.currentPos()) == 3  # line 4, where the IndexError was raised
    assert code.markerGet(3) & (1 << 3)


def test_saving_a_script_with_problems_works_and_says_how_many_remain(application: Any, loop: Any, qtbot: Any) -> None:
    engine, window = application.engine, application.window
    event_id = run(loop, engine.events.create({"name": "Typo", "type": "PYTHON", "content": "print('ok')"}))
    dialog = EventEditor(engine, run(loop, engine.events.get(event_id)), window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    dialog.code.set_text("print(totl)\nprint(cont)\n")
    wait_until(loop, lambda: dialog.code.problem_count() == 2, timeout=15)
    dialog.save()
    wait_until(loop, lambda: dialog.saved_id == event_id)
    assert run(loop, engine.events.get(event_id))["content"] == "print(totl)\nprint(cont)\n"
    wait_until(loop, lambda: "2 problems left" in window.statusBar().currentMessage())
