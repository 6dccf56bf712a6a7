"""The workflow page's toolbar: save, run, stop, undo, redo, layout, zoom and a "⋯" menu for files.

Short fixed labels (what Undo would undo is in its tooltip), so the toolbar keeps its width and fits a
1024 px window; the page lays it out beside its title, across the whole page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton

from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.ui.workflows.page import WorkflowsPage


def _action(page: WorkflowsPage, name: str, handler: Any, keys: Any = None, short: str | None = None) -> QAction:
    action = QAction(short or name, page)
    action.setToolTip(name if keys is None else f"{name} ({QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)})")
    if keys is not None:
        action.setShortcut(keys)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        page.addAction(action)
    action.triggered.connect(lambda _checked=False: handler())
    page.toolbar.addAction(action)
    page.actions_by_name[name] = action
    return action


def build_toolbar(page: WorkflowsPage) -> QToolBar:
    page.toolbar = QToolBar(page)
    page.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    page.toolbar.setStyleSheet(
        f"QToolBar {{ border: none; spacing: 2px; }}"
        f"QToolButton {{ padding: 3px 6px; border: 1px solid transparent; border-radius: 5px; }}"
        f"QToolButton:hover {{ border-color: {colour('border')}; background: {colour('panel')}; }}"
        f"QToolButton:disabled {{ color: {colour('muted')}; }}"
        f"QToolButton#runButton {{ background: {colour('accent')}; color: {colour('accent_text')}; }}"
        f"QToolButton#runButton:disabled {{ background: {colour('border')}; color: {colour('muted')}; }}"
        # the » button that holds the actions a narrow canvas has no room for
        f"QToolButton#qt_toolbar_ext_button {{ padding: 0; min-width: 16px; }}"
        f"QToolButton#moreButton::menu-indicator {{ image: none; }}")
    _action(page, "Save", page.save, QKeySequence.StandardKey.Save)
    run_action = _action(page, "Run", page.run)  # F5 / Ctrl+R come from the window's Run menu
    run_action.setToolTip("Run the workflow (F5)")
    page.toolbar.widgetForAction(run_action).setObjectName("runButton")
    _action(page, "Cancel run", page.cancel, short="Stop")
    page.toolbar.addSeparator()
    # Undo and Redo keep short fixed labels (the toolbar does not grow with the command's name);
    # what they would undo is in their tooltip.
    undo = QAction("Undo", page, enabled=False)
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    undo.triggered.connect(page.stack.undo)
    page.stack.canUndoChanged.connect(undo.setEnabled)
    page.stack.undoTextChanged.connect(lambda text: undo.setToolTip(f"Undo {text} (Ctrl+Z)" if text else "Undo (Ctrl+Z)"))
    redo = QAction("Redo", page, enabled=False)
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    redo.triggered.connect(page.stack.redo)
    page.stack.canRedoChanged.connect(redo.setEnabled)
    page.stack.redoTextChanged.connect(lambda text: redo.setToolTip(f"Redo {text} (Ctrl+Shift+Z)" if text else "Redo (Ctrl+Shift+Z)"))
    for action in (undo, redo):
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        page.addAction(action)
        page.toolbar.addAction(action)
    page.actions_by_name.update(Undo=undo, Redo=redo)
    page.toolbar.addSeparator()
    _action(page, "Tidy layout", page.tidy_layout, QKeySequence("Ctrl+L"), "Layout")
    _action(page, "Fit", page.view.fit_to_view, QKeySequence("Ctrl+0"))
    _action(page, "Zoom in", lambda: page.view.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn, "+")
    _action(page, "Zoom out", lambda: page.view.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut, "−")
    page.toolbar.addSeparator()
    # Files are less frequent: one "⋯" button keeps the toolbar short enough for a small window.
    more = QMenu(page)
    for name, handler in (("New from example…", page.new_from_example), ("Export…", page.export_file),
                          ("Import…", page.import_file)):
        action = more.addAction(name)
        action.triggered.connect(lambda _checked=False, handler=handler: handler())
        page.actions_by_name[name] = action
    more_button = QToolButton(page, text="⋯", toolTip="New from an example, export or import a workflow file")  # type: ignore[call-arg]  # Qt property keyword
    more_button.setObjectName("moreButton")
    more_button.setMenu(more)
    more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    page.toolbar.addWidget(more_button)
    return page.toolbar
