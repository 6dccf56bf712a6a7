"""The window's menu bar (File, Edit, View, Run, Help): every command with its shortcut in one place,
so a shortcut can be found by looking, and the Keyboard shortcuts list is read from these menus."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar

if TYPE_CHECKING:
    from cronium_desktop.ui.main_window import MainWindow

# Keys that belong to one list or canvas and so are no window-wide shortcut; shown in the menus
# ("Edit event\tEnter") and in the shortcuts list, handled by the widget that has the focus.
LOCAL_KEYS = (
    ("Events list", "Enter", "Edit the selected event"),
    ("Events list", "Delete", "Delete the selected event"),
    ("Event editor", "Ctrl+S", "Save the event"),
    ("Event editor", "Esc", "Close (asks first when there are unsaved changes)"),
    ("Workflow canvas", "Ctrl+S", "Save the workflow"),
    ("Workflow canvas", "Ctrl+Z / Ctrl+Shift+Z", "Undo / redo"),
    ("Workflow canvas", "Ctrl+L", "Tidy the layout"),
    ("Workflow canvas", "Ctrl+0", "Fit the workflow in view"),
    ("Workflow canvas", "Ctrl++ / Ctrl+−", "Zoom in / out"),
    ("Workflow canvas", "Delete", "Delete the selected nodes and edges"),
    ("Workflow canvas", "Ctrl+C / Ctrl+V", "Copy / paste nodes"),
)


def _action(menu: QMenu, text: str, handler: Callable[[], object], *keys: QKeySequence | QKeySequence.StandardKey | str,
            shown: str | None = None) -> QAction:
    """A menu command; `shown` is a key handled by the focused widget, displayed but not bound."""
    action = QAction(text if shown is None else f"{text}\t{shown}", menu)
    if keys:
        action.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys])
    action.triggered.connect(lambda _checked=False: handler())
    menu.addAction(action)
    return action


def add_import_schedules_action(window: MainWindow, menu: QMenu) -> None:
    """Where File → "Import schedules…" (crontab, systemd timers, launchd, Task Scheduler) is wired:
    it calls `open_import_schedules_dialog(window, window.engine)` from the ui/imports package."""

    def open_dialog() -> None:
        from cronium_desktop.ui.imports import open_import_schedules_dialog

        window.import_schedules_dialog = open_import_schedules_dialog(window, window.engine)

    _action(menu, "Import schedules…", open_dialog)


def build_menu_bar(window: MainWindow) -> QMenuBar:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    _action(file, "New event…", window.new_event, QKeySequence.StandardKey.New)
    add_import_schedules_action(window, file)
    file.addSeparator()
    _action(file, "Settings", lambda: window.open_page("Settings"), "Ctrl+,")
    file.addSeparator()
    _action(file, "Close window", window.close, "Ctrl+W")
    _action(file, "Quit", window.quit_app, QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    _action(edit, "Find", window.focus_search, QKeySequence.StandardKey.Find)
    edit.addSeparator()
    _action(edit, "Edit event", window.edit_event, shown="Enter")
    _action(edit, "Delete event", window.delete_event, shown="Del")

    view = bar.addMenu("&View")
    from cronium_desktop.ui.main_window import PAGES

    for number, name in enumerate(PAGES, start=1):  # Ctrl+1…9; Settings has Ctrl+, besides
        keys = (f"Ctrl+{number}",) if number <= 9 else ()
        _action(view, name, partial(window.open_page, name), *keys)

    run = bar.addMenu("&Run")
    _action(run, "Run now", window.run_now, "F5", "Ctrl+R")
    _action(run, "Show runs", lambda: window.open_page("Runs"), "Ctrl+Shift+R")

    help_menu = bar.addMenu("&Help")
    _action(help_menu, "Keyboard shortcuts", window.show_shortcuts, "F1", "Ctrl+/")
    _action(help_menu, "About Cronium Desktop", window.show_about)
    return bar


def shortcut_rows(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every menu command with a key, then the keys of lists and canvas."""
    rows: list[tuple[str, str, str]] = []
    for menu_action in bar.actions():
        menu = menu_action.menu()
        if not isinstance(menu, QMenu):
            continue
        where = menu.title().replace("&", "") + " menu"
        for action in menu.actions():
            text, _, shown = action.text().partition("\t")
            keys = " / ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()) or shown
            if keys and not action.isSeparator():
                rows.append((where, keys, text.replace("&", "").rstrip("…")))
    rows.extend(LOCAL_KEYS)
    return rows
