"""Bulk actions on the Events page: with several events selected, activate, pause, run, export or
delete them all at once (SPEC §10).

Run and delete ask once, naming how many; export asks for a file. Events that cannot be deleted
(used by a workflow) are named in the question and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from cronium_desktop.ui.common import show_error, spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


def _count(number: int) -> str:
    return f"{number} event" + ("" if number == 1 else "s")


class BulkBar(QWidget):
    """Shown while two or more events are selected; `events()` gives the selection."""

    done = Signal(str)  # what was done, for the status bar
    runsStarted = Signal(list)  # execution ids

    def __init__(self, engine: Engine, events: Callable[[], list[Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.events = events
        self.question: QMessageBox | None = None  # the open confirmation, for tests
        self.file_dialog: QFileDialog | None = None
        self.label = QLabel(self)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        for title, slot in (("Activate", self.activate), ("Pause", self.pause), ("Run now", self.run_now),
                            ("Export…", self.export), ("Delete…", self.delete)):
            button = QPushButton(title, self)
            button.clicked.connect(slot)
            self.buttons[title] = button
            row.addWidget(button)
        row.addStretch(1)

    def update_count(self, number: int) -> None:
        self.label.setText(f"{_count(number)} selected:")
        self.setVisible(number > 1)

    def _ask(self, title: str, text: str, then: Callable[[], object]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: then() if result == QMessageBox.StandardButton.Yes else None)
        self.question = box
        box.open()

    # -- status -----------------------------------------------------------------------------------------

    def activate(self) -> None:
        spawn(self._set_status(self.events(), "ACTIVE"), self, "Activating events")

    def pause(self) -> None:
        spawn(self._set_status(self.events(), "PAUSED"), self, "Pausing events")

    async def _set_status(self, events: list[Any], status: str) -> None:
        changed = [event for event in events if event.status != status]
        for event in changed:
            await self.engine.events.set_status(event.id, status)
        word = "activated" if status == "ACTIVE" else "paused"
        already = len(events) - len(changed)
        self.done.emit(f"{_count(len(changed))} {word}" + (f" ({already} already were)." if already else "."))

    # -- run ----------------------------------------------------------------------------------------------

    def run_now(self) -> None:
        events = self.events()
        self._ask("Run events", f"Run {_count(len(events))} now?",
                  lambda: spawn(self._run(events), self, "Starting runs"))

    async def _run(self, events: list[Any]) -> None:
        ids = [await self.engine.runs.start(event.id) for event in events]
        self.runsStarted.emit(ids)
        self.done.emit(f"{_count(len(ids))} started: runs {', '.join(f'#{i}' for i in ids)}.")

    # -- export -------------------------------------------------------------------------------------------

    def export(self) -> None:
        dialog = QFileDialog(self, f"Export {_count(len(self.events()))}", "events.cronium.json",
                             "Cronium files (*.cronium.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        events = self.events()
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path), events) if path else None)
        self.file_dialog = dialog
        dialog.open()

    def export_to(self, path: Path, events: list[Any] | None = None) -> None:
        chosen = self.events() if events is None else events
        if not path.name.endswith(".json"):
            path = path.with_name(path.name + ".cronium.json")
        spawn(self._export(path, chosen), self, "Exporting events")

    async def _export(self, path: Path, events: list[Any]) -> None:
        document = await self.engine.files.export_events([event.name for event in events], path)
        self.done.emit(f"{_count(len(document['events']))} exported to {path}.")

    # -- delete -------------------------------------------------------------------------------------------

    def delete(self) -> None:
        spawn(self._delete(self.events()), self, "Checking the events")

    async def _delete(self, events: list[Any]) -> None:
        blocked: list[tuple[Any, str]] = []
        for event in events:
            reason = await self.engine.events.delete_blocker(event.id)
            if reason is not None:
                blocked.append((event, reason))
        deletable = [event for event in events if all(event is not b for b, _ in blocked)]
        kept = "".join(f"\n• Kept: event {reason}" for _event, reason in blocked)
        if not deletable:
            show_error(self, "These events cannot be deleted", kept.strip().replace("• Kept: ", ""))
            self.done.emit("No event was deleted.")
            return
        self._ask("Delete events", f"Delete {_count(len(deletable))}? Their run history is kept.{kept}",
                  lambda: spawn(self._delete_now(deletable), self, "Deleting events"))

    async def _delete_now(self, events: list[Any]) -> None:
        for event in events:
            await self.engine.events.delete(event.id)
        self.done.emit(f"{_count(len(events))} deleted.")
