"""The run view's link to the version of its event that a run ran: "Version 3" opens the history there."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QPushButton, QWidget

from cronium_desktop.ui.versions.dialog import VersionsDialog

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class VersionLink(QPushButton):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.engine = engine
        self.setFlat(True)
        self.setCursor(self.cursor())
        self.setToolTip("The event's definition this run ran: open its history there.")
        self.clicked.connect(self.open_history)
        self.target: tuple[int, str, int] | None = None
        self.dialog: VersionsDialog | None = None
        self.hide()

    def show_for(self, detail: Any) -> None:
        """Point at the run's version (hidden for runs recorded before version history or of a deleted event)."""
        version, event_id = getattr(detail, "event_version", None), detail.event_id
        if version is None or event_id is None:
            self.target = None
            self.hide()
            return
        self.target = (event_id, detail.event, version)
        self.setText(f"Ran version {version} ›")
        self.show()

    def open_history(self) -> None:
        if self.target is None:
            return
        event_id, name, version = self.target
        self.dialog = VersionsDialog(self.engine, "event", event_id, name, select=version, parent=self.window())
        self.dialog.refresh()
        self.dialog.open()
