"""A new user's first hour in the window, by mouse and keyboard only (QTest input on the real widgets):
first start, a scheduled Bash event, run it and read its log, a failing Python event, a secret env
value, a two-node workflow, the Dashboard, the theme, keyboard-only use, a small window.

Each step asserts what the user sees, including the ten problems of the first walk-through fixed.
One window serves every step, in order, as it would for the user.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QMessageBox, QPushButton, QToolButton, QWidget

from tests.ui.conftest import run, wait_until

LEFT = Qt.MouseButton.LeftButton


def click(widget: QWidget, pos: QPoint | None = None) -> None:
    QTest.mouseClick(widget, LEFT, Qt.KeyboardModifier.NoModifier, pos if pos is not None else widget.rect().center())


def key(widget: QWidget, code: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, code, modifier)


def type_into(widget: QWidget, text: str) -> None:
    key(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(widget, text)


def shown(kind: type) -> list[Any]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def message_box(loop: Any, title: str) -> QMessageBox:
    wait_until(loop, lambda: any(b.windowTitle() == title for b in shown(QMessageBox)), timeout=10)
    return next(b for b in shown(QMessageBox) if b.windowTitle() == title)


def press_box_button(loop: Any, title: str, text: str) -> None:
    box = message_box(loop, title)
    button = next(b for b in box.buttons() if b.text().replace("&", "") == text)
    click(button)
    closed(loop, box)


def the_editor(loop: Any) -> Any:
    from cronium_desktop.ui.events.editor import EventEditor

    wait_until(loop, lambda: bool(shown(EventEditor)))
    editor = shown(EventEditor)[-1]
    activate(loop, editor)
    return editor


def closed(loop: Any, dialog: QWidget) -> None:
    """The dialog closes, and its window is active again (as the window manager would make it)."""
    wait_until(loop, lambda: not dialog.isVisible())
    activate(loop, dialog.parentWidget().window())


def activate(loop: Any, window: QWidget) -> None:
    """The offscreen platform has no window manager to activate a new window, as a desktop does."""
    window.activateWindow()
    wait_until(loop, lambda: QApplication.activeWindow() is window, timeout=5)


def status(window: Any) -> str:
    return window.statusBar().currentMessage()


def test_a_new_user_does_ten_ordinary_tasks_by_mouse_and_keyboard(application: Any, loop: Any) -> None:
    window = application.window
    window.resize(1024, 700)
    activate(loop, window)
    first_start(window, loop)
    name = scheduled_bash_event(window, loop)
    run_it_and_read_the_log(window, loop, name)
    failing_python_event(window, loop)
    secret_env_value(window, loop)
    two_node_workflow(window, loop)
    dashboard_is_a_door(window, loop)
    theme_previews_live(window, loop)
    keyboard_only(window, loop)
    small_and_large_window(window, loop)


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.3)


def first_start(window: Any, loop: Any) -> None:
    """A menu bar lists the commands; empty views offer one clear next step instead of blank tables."""
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Run", "Help"]
    dashboard = window.pages["Dashboard"]
    wait_until(loop, lambda: dashboard.body.currentWidget() is dashboard.empty)
    assert dashboard.empty.button.text() == "Create your first event"
    for page, button in (("Servers", "Add your first server"), ("Variables", "Set your first variable"),
                         ("Tools", "Add your first tool")):
        window.open_page(page)
        wait_until(loop, lambda page=page: window.pages[page].body.showing_empty)
        assert window.pages[page].empty.button.text() == button
    window.open_page("Terminal")
    terminal = window.pages["Terminal"]
    wait_until(loop, lambda: terminal.add_server_button.isVisible())
    click(terminal.add_server_button)  # the shell needs a server: the button leads to Servers
    assert window.stack.currentWidget() is window.pages["Servers"]
    window.open_page("Events")
    events = window.pages["Events"]
    wait_until(loop, lambda: events.body.showing_empty)
    assert events.empty.button.text() == "Create your first event"


def scheduled_bash_event(window: Any, loop: Any) -> str:
    """Problems 1, 2 and 4: manual trigger hides the schedule; Escape asks; the saved row is selected."""
    events = window.pages["Events"]
    click(events.empty.button)
    editor = the_editor(loop)
    assert editor.windowTitle() == "New event[*]" and not editor.isWindowModified()
    # Manual trigger: schedule, timezone and time window are not shown; a line says how it runs.
    assert not editor.general.schedule.isVisibleTo(editor) and not editor.general.timezone.isVisibleTo(editor)
    assert editor.general.manual_note.isVisibleTo(editor)
    QTest.keyClicks(editor.name, "Disk report")
    assert editor.name.text() == "Disk report"
    assert editor.isWindowModified()  # the title shows the modified marker
    key(editor.trigger, Qt.Key.Key_Down)  # "On a schedule"
    assert editor.trigger.currentData() == "SCHEDULE"
    assert editor.general.schedule.isVisibleTo(editor) and editor.general.timezone.isVisibleTo(editor)
    cron = editor.general.schedule.cron.lineEdit()
    type_into(cron, "*/5 * * * *")
    assert "Next runs" in editor.general.schedule.upcoming.text()
    key(editor, Qt.Key.Key_Escape)  # unsaved: asks, and Cancel keeps the editor and the edits
    press_box_button(loop, "Discard changes?", "Cancel")
    assert editor.isVisible() and editor.name.text() == "Disk report"
    key(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    closed(loop, editor)
    wait_until(loop, lambda: events.selected() is not None and events.selected().name == "Disk report")
    assert events.buttons["Run now"].isEnabled() and events.buttons["Edit"].isEnabled()
    assert status(window) == "Event 'Disk report' created."
    # Nothing selected: the buttons are disabled and a shortcut says why nothing happened.
    events.table.clearSelection()
    assert not events.buttons["Run now"].isEnabled() and not events.buttons["Delete"].isEnabled()
    key(window.pages["Events"].table, Qt.Key.Key_F5)
    assert status(window) == "Select an event to run first."
    click(events.table.viewport(), events.table.visualRect(events.proxy.index(0, 0)).center())
    wait_until(loop, lambda: events.selected() is not None)
    return "Disk report"


def run_it_and_read_the_log(window: Any, loop: Any, name: str) -> None:
    """F5 runs the selected event; the run is "Run #N" in the status bar and in Runs."""
    events = window.pages["Events"]
    key(events.table, Qt.Key.Key_F5)
    runs = window.pages["Runs"]
    wait_until(loop, lambda: window.stack.currentWidget() is runs)
    wait_until(loop, lambda: "Success" in runs.title.text(), timeout=20)
    number = runs.current
    assert status(window) == f"Run #{number} started."
    assert runs.title.text().startswith(f"Run #{number} of {name}")
    assert runs.model.data(runs.model.index(0, 0)) == f"Run #{number}"
    lines = [runs.log.model.data(runs.log.model.index(i, 1)) for i in range(runs.log.model.rowCount())]
    assert any("Hello from" in line for line in lines)


def failing_python_event(window: Any, loop: Any) -> None:
    """Problem 3: the untouched template follows the type; an edited script is only replaced if asked.
    Errors name the field's label, under the field; a failed run's Output tab says why it is empty."""
    key(window.pages["Runs"].table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = the_editor(loop)
    assert "source cronium.sh" in editor.code.text()
    key(editor.type, Qt.Key.Key_Down)  # Bash → Python
    assert editor.type.currentData() == "PYTHON"
    assert "import cronium" in editor.code.text() and "cronium.sh" not in editor.code.text()
    editor.tabs.setCurrentIndex(1)
    scintilla = editor.code.editor
    key(scintilla, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(scintilla, "import sys")
    key(scintilla, Qt.Key.Key_Return)
    QTest.keyClicks(scintilla, "print('about to fail')")
    key(scintilla, Qt.Key.Key_Return)
    QTest.keyClicks(scintilla, "sys.exit(3)")
    assert editor.code.text().startswith("import sys")
    editor.tabs.setCurrentIndex(0)
    key(editor.type, Qt.Key.Key_Down)  # Python → Node.js, with a script of one's own: asked
    press_box_button(loop, "Replace the script?", "Keep my script")
    assert editor.code.text().startswith("import sys")
    key(editor.type, Qt.Key.Key_Up)
    press_box_button(loop, "Replace the script?", "Keep my script")
    assert editor.type.currentData() == "PYTHON" and editor.code.text().startswith("import sys")
    click(editor.save_button)  # no name: the error is under the Name field, in words
    name_error = editor.general.form.fields["name"].error
    wait_until(loop, lambda: name_error.isVisibleTo(editor))
    assert name_error.text() == "Name is required." and editor.error.text() == "Name is required."
    assert editor.tabs.currentIndex() == 0 and editor.name.property("invalid") is True
    QTest.keyClicks(editor.name, "Import orders")
    wait_until(loop, lambda: not name_error.isVisibleTo(editor))
    click(editor.save_button)
    closed(loop, editor)
    events = window.pages["Events"]
    wait_until(loop, lambda: events.selected() is not None and events.selected().name == "Import orders")
    key(events.table, Qt.Key.Key_F5)
    runs = window.pages["Runs"]
    wait_until(loop, lambda: "Failure" in runs.title.text(), timeout=20)
    click(runs.details.tabBar(), runs.details.tabBar().tabRect(1).center())
    assert runs.details.currentIndex() == 1
    assert runs.output_note.isVisibleTo(runs) and "exit code 3" in runs.output_note.text()


def secret_env_value(window: Any, loop: Any) -> None:
    """Add variable puts the caret in the new row; a secret is masked and, reopened, reads 'stored'."""
    window.open_page("Events")
    events = window.pages["Events"]
    wait_until(loop, lambda: events.selected() is not None)
    key(events.table, Qt.Key.Key_Return)  # Enter = Edit
    editor = the_editor(loop)
    assert editor.windowTitle() == "Edit Import orders[*]"
    click(editor.tabs.tabBar(), editor.tabs.tabBar().tabRect(3).center())
    click(editor.environment.add_button)
    row = editor.environment.rows[-1]
    assert QApplication.focusWidget() is row.name or row.name.hasFocus() or editor.environment.env.currentRow() == 0
    QTest.keyClicks(row.name, "API_KEY")
    click(row.secret, QPoint(8, row.secret.height() // 2))
    assert row.secret.isChecked() and row.value.echoMode() == QLineEdit.EchoMode.Password
    QTest.keyClicks(row.value, "s3cret-value")
    assert row.value.displayText() != "s3cret-value"  # masked as it is typed
    click(editor.save_button)
    closed(loop, editor)
    key(events.table, Qt.Key.Key_Return)
    editor = the_editor(loop)
    row = editor.environment.rows[0]
    assert row.name.text() == "API_KEY" and row.value.text() == ""
    assert row.value.placeholderText() == "stored — type to replace"
    assert row.value.echoMode() == QLineEdit.EchoMode.Password
    key(editor, Qt.Key.Key_Escape)  # untouched: closes without asking
    closed(loop, editor)


def two_node_workflow(window: Any, loop: Any) -> None:
    """Problems 5 and 6: the toolbar fits a small window; ports are easy to hit and say so."""
    key(window.pages["Events"].table, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    page = window.pages["Workflows"]
    assert window.stack.currentWidget() is page
    wait_until(loop, lambda: len(page.library.visible_names()) == 2)
    for row in range(2):  # click an event in the library, Enter adds it to the canvas
        index = page.library.list.model().index(row, 0)
        click(page.library.list.viewport(), page.library.list.visualRect(index).center())
        key(page.library.list, Qt.Key.Key_Return)
    wait_until(loop, lambda: len(page.model.nodes) == 2)
    layout_button = page.toolbar.widgetForAction(page.actions_by_name["Tidy layout"])
    click(layout_button)
    run(loop, _settle())
    # Every toolbar button is on the toolbar, none behind the overflow "»", and Undo keeps its short name.
    extension = page.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible()
    for name in ("Save", "Run", "Undo", "Redo", "Tidy layout", "Fit"):
        assert page.toolbar.widgetForAction(page.actions_by_name[name]).isVisible(), name
    assert page.actions_by_name["Undo"].text() == "Undo" and "Undo Tidy" in page.actions_by_name["Undo"].toolTip()
    by_event = {node.event: page.scene.node_items[node_id] for node_id, node in page.model.nodes.items()}
    first, second = by_event["Disk report"], by_event["Import orders"]
    viewport = page.view.viewport()
    port = page.view.mapFromScene(first.mapToScene(first.output_port()))
    off = port + QPoint(0, 9)  # a press 9 px off the port's centre still starts a connection
    QTest.mouseMove(viewport, off)
    wait_until(loop, lambda: first.hovered_port == "out")
    assert first.cursor().shape() == Qt.CursorShape.CrossCursor
    target = page.view.mapFromScene(second.sceneBoundingRect().center())

    def choose_on_success() -> None:  # the edge type menu, answered by keyboard
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(50, choose_on_success)
            return
        titles = [a.text() for a in menu.actions()]
        for _ in range(next(i for i, t in enumerate(titles) if "success" in t.lower())):
            key(menu, Qt.Key.Key_Down)
        menu.setActiveAction(next(a for a in menu.actions() if "success" in a.text().lower()))
        key(menu, Qt.Key.Key_Return)

    QTimer.singleShot(50, choose_on_success)
    before = first.pos()
    QTest.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, off)
    QTest.mouseMove(viewport, (off + target) / 2)
    QTest.mouseMove(viewport, target)
    QTest.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, target)
    wait_until(loop, lambda: len(page.model.edges) == 1)
    assert first.pos() == before  # the node did not move
    assert next(iter(page.model.edges.values())).type == "ON_SUCCESS"
    key(page.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_until(loop, lambda: page.workflow_id is not None and page.stack.isClean())
    key(page.view, Qt.Key.Key_F5)
    wait_until(loop, lambda: page.run_status not in (None, "RUNNING"), timeout=30)
    node = next(n for n, node in page.model.nodes.items() if node.event == "Disk report")
    wait_until(loop, lambda: node in page.node_executions)
    page.show_node_run(node)
    wait_until(loop, lambda: "Run #" in page.run_panel.title.text())
    assert f"Run #{page.node_executions[node]}" in page.run_panel.title.text()


def dashboard_is_a_door(window: Any, loop: Any) -> None:
    """Problems 8 and 10: real counts, tooltips on bars, click-through to the runs and a run's log."""
    key(window.pages["Workflows"].view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    dashboard = window.pages["Dashboard"]
    # the Dashboard reloads at most once a second while runs come in: the last of them shows by then
    wait_until(loop, lambda: (dashboard.values["Events"].text(), dashboard.values["Runs today"].text()) == ("2", "4"))
    assert dashboard.body.currentWidget() is not dashboard.empty
    today = len(dashboard.days) - 1
    assert dashboard.bar_text(dashboard.runs_plot, today).endswith("4 runs, 2 succeeded. Click to see them.")
    assert dashboard.bar_text(dashboard.duration_plot, 0).startswith("Run #")
    plot = dashboard.runs_plot
    point = plot.point_of(today, 0.5).toPoint()
    assert plot.bar_at(plot.point_of(today + 0.5, 0.5)) is None  # between two bars: no bar
    QTest.mouseMove(plot, point)
    QTest.mouseClick(plot, LEFT, Qt.KeyboardModifier.NoModifier, point)
    runs = window.pages["Runs"]
    wait_until(loop, lambda: window.stack.currentWidget() is runs and runs.model.rowCount() == 4)
    window.open_page("Dashboard")
    failing = dashboard.failing
    wait_until(loop, lambda: failing.count() and "Import orders" in failing.item(0).text())
    click(failing.viewport(), failing.visualItemRect(failing.item(0)).center())
    wait_until(loop, lambda: window.stack.currentWidget() is runs and runs.event_filter.currentText() == "Import orders")
    wait_until(loop, lambda: "Import orders" in runs.title.text())


def theme_previews_live(window: Any, loop: Any) -> None:
    """Problem 9: a setting applies as it is chosen and says "Saved"; no Save button to find."""
    from cronium_desktop.ui import theme

    key(window.pages["Runs"].table, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    settings = window.pages["Settings"]
    assert not [b for b in settings.findChildren(QPushButton) if b.text() == "Save settings"]
    settings.theme.setFocus()
    key(settings.theme, Qt.Key.Key_End)  # "Dark"
    wait_until(loop, lambda: settings.saved.text() == "✓ Saved")
    assert theme.current() == "dark" and window.engine.settings.get("theme") == "dark"
    key(settings.theme, Qt.Key.Key_Up)  # "Light"
    wait_until(loop, lambda: theme.current() == "light")
    QTest.keyClicks(settings.concurrency, "")
    key(settings.concurrency, Qt.Key.Key_Up)
    wait_until(loop, lambda: settings.saved.text() == "✓ Saved" and status(window) == "Settings saved.")


def keyboard_only(window: Any, loop: Any) -> None:
    """Problem 7: every shortcut is in the menus and the shortcuts list; Enter and Delete work on a row,
    and deleting an event a workflow uses says why before asking."""
    from cronium_desktop.ui.shortcuts import ShortcutsDialog

    key(window.pages["Settings"].theme, Qt.Key.Key_F1)
    wait_until(loop, lambda: bool(shown(ShortcutsDialog)))
    dialog = shown(ShortcutsDialog)[0]
    assert dialog.keys_for("Run now") == ["F5 / Ctrl+R"]
    assert dialog.keys_for("New event") == ["Ctrl+N"]
    assert dialog.keys_for("Find") == ["Ctrl+F"]
    assert dialog.keys_for("Edit the selected event") == ["Enter"]
    key(dialog, Qt.Key.Key_Escape)
    closed(loop, dialog)
    key(window.pages["Settings"].theme, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    events = window.pages["Events"]
    key(events.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert events.search.hasFocus() or QApplication.focusWidget() is events.search
    QTest.keyClicks(events.search, "disk")
    assert events.proxy.rowCount() == 1
    type_into(events.search, "")
    key(events.search, Qt.Key.Key_Backspace)
    events.table.setFocus()
    events.select(next(e.id for e in events.model.events if e.name == "Disk report"))
    key(events.table, Qt.Key.Key_Delete)
    box = message_box(loop, "This event cannot be deleted")
    assert "used by workflow" in box.text()
    click(box.buttons()[0])
    closed(loop, box)
    events.select(next(e.id for e in events.model.events if e.name == "Import orders"))
    # Import orders is in the workflow too; remove it there first is what it says. Clone it, delete the clone.
    key(events.table, Qt.Key.Key_Delete)
    box = message_box(loop, "This event cannot be deleted")
    click(box.buttons()[0])
    closed(loop, box)
    click(events.buttons["Clone"])
    wait_until(loop, lambda: events.selected() is not None and events.selected().name != "Import orders"
               and "Import orders" in events.selected().name)
    clone = events.selected().name
    assert status(window).startswith("Cloned as")
    key(events.table, Qt.Key.Key_Delete)
    press_box_button(loop, "Delete event", "Yes")
    wait_until(loop, lambda: all(e.name != clone for e in events.model.events))
    wait_until(loop, lambda: status(window) == f"Event '{clone}' deleted.")


def small_and_large_window(window: Any, loop: Any) -> None:
    """Also seen: the editor fits a 1024×700 window, resizes, and opens at the size it was left at."""
    window.resize(1024, 700)
    events = window.pages["Events"]
    key(events.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = the_editor(loop)
    assert editor.height() <= 700 and editor.width() <= 1024
    editor.resize(700, 520)
    key(editor, Qt.Key.Key_Escape)
    closed(loop, editor)
    window.resize(1600, 1000)
    key(events.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    again = the_editor(loop)
    assert again is not editor
    assert (again.width(), again.height()) == (700, 520)
    key(again, Qt.Key.Key_Escape)
