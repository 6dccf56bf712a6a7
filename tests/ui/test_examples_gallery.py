""""New from example…" on the Events and Workflows pages, and SET_VARIABLE in the editor's actions tab."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.conftest import SCREENSHOTS, run, wait_until


def close_message_boxes() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.isVisible():
            widget.close()


def test_events_page_imports_an_example_into_the_open_folder(application: Any, loop: Any) -> None:
    page = application.window.pages["Events"]
    application.window.open_page("Events")
    page.example_button.click()
    dialog = page.examples_dialog
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(SCREENSHOTS / "new-from-example.png"))
    texts = [dialog.list.item(row).text() for row in range(dialog.list.count())]
    assert any(text.startswith("Nightly backup with rotation\n") for text in texts)
    assert all(len(text.split("\n")) == 2 for text in texts)  # a title and a one-line description each
    row = next(row for row, text in enumerate(texts) if text.startswith("Nightly backup"))
    dialog.list.setCurrentRow(row)
    dialog.import_button.click()
    wait_until(loop, lambda: page.selected() is not None)
    assert page.proxy.rowCount() == 1 and page.selected().name == "Nightly backup"
    assert run(loop, application.engine.events.get("Nightly backup"))["trigger"] == "SCHEDULE"
    close_message_boxes()


def test_workflows_page_imports_the_publishing_workflow_and_opens_it(application: Any, loop: Any) -> None:
    page = application.window.pages["Workflows"]
    application.window.open_page("Workflows")
    page.actions_by_name["New from example…"].trigger()
    dialog = page.examples_dialog
    row = next(row for row in range(dialog.list.count())
               if dialog.list.item(row).text().startswith("Content publishing workflow"))
    dialog.list.setCurrentRow(row)
    dialog.import_button.click()
    wait_until(loop, lambda: page.model.name == "Content publishing")
    assert len(page.model.nodes) == 5
    close_message_boxes()
    assert application.window.grab().save(str(SCREENSHOTS / "workflow-from-example.png"))


def test_editor_carries_a_set_variable_action(application: Any, loop: Any) -> None:
    from cronium_desktop.ui.events.editor import EventEditor

    event_id = run(loop, application.engine.events.create({
        "name": "Stamp", "type": "BASH", "content": "true",
        "conditional_actions": [{"on": "ON_SUCCESS", "action": "SET_VARIABLE", "key": "stamp",
                                 "value": "{{ execution.id }}"}],
    }))
    data = run(loop, application.engine.events.get(event_id))
    editor = EventEditor(application.engine, data, application.window)
    kind = editor.conditional.actions.cellWidget(0, 1)
    assert kind.currentData() == "SET_VARIABLE"
    assert editor.conditional.actions.item(0, 2).text() == "stamp"
    assert editor.data()["conditional_actions"] == data["conditional_actions"]
    editor.close()
