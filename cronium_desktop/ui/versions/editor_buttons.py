"""The event editor's "History…" and "Alerts…" buttons (a saved event only).

History opens the versions of the event; restoring one reloads the editor with it (when the editor
has no unsaved edits, else it says so and leaves them alone)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton

from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.versions.dialog import VersionsDialog


def add_editor_buttons(editor: Any, row: QHBoxLayout) -> None:
    history = QPushButton("History…", editor)
    history.setToolTip("Every saved version of this event: what changed, side by side, and Restore.")
    history.clicked.connect(lambda: open_history(editor))
    alerts = QPushButton("Alerts…", editor)
    alerts.setToolTip("Alert when a run of this event starts late or runs longer than usual.")
    alerts.clicked.connect(lambda: open_alert_rules(editor))
    row.addWidget(history)
    row.addWidget(alerts)
    editor.history_button, editor.alerts_button = history, alerts


def open_history(editor: Any) -> VersionsDialog:
    dialog = VersionsDialog(editor.engine, "event", editor.event_id, editor.original.get("name", ""), parent=editor)
    dialog.restored.connect(lambda _number: spawn(_reload(editor), editor, "Reloading the event"))
    dialog.refresh()
    dialog.open()
    editor.history_dialog = dialog
    return dialog


async def _reload(editor: Any) -> None:
    if editor.dirty:
        editor.error.setText("A version was restored; your unsaved edits here are kept. Close without saving to see it.")
        return
    data = await editor.engine.events.get(editor.event_id)
    editor.load(data)
    editor._baseline = editor._snapshot()


def open_alert_rules(editor: Any) -> Any:
    from cronium_desktop.ui.alerts.rules_dialog import AlertRulesDialog

    dialog = AlertRulesDialog(editor.engine, editor.event_id, parent=editor)
    dialog.refresh()
    dialog.open()
    editor.alert_rules_dialog = dialog
    return dialog
