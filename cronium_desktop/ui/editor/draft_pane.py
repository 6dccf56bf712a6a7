"""The pane under the script editor that tries the script as it is now (F5 / Run draft): the
editor's text, saved or not, with an input JSON, through the engine's draft runs (trigger DRAFT)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from cronium_desktop.engine.states import FINAL_STATES
from cronium_desktop.ui.common import duration_text, spawn
from cronium_desktop.ui.runs.log_model import LineColumns
from cronium_desktop.ui.runs.log_view import LogView
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

POLL_SECONDS = 0.2

# (event id or None for an event never saved, script text, language)
DraftSource = Callable[[], tuple[int | None, str, str]]


class DraftPane(QWidget):
    scriptLineClicked = Signal(int)
    finished = Signal(int, str)  # execution id, status

    def __init__(self, engine: Engine, source: DraftSource, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.source = source
        self.execution_id: int | None = None
        self.input = QLineEdit(self, placeholderText='Input JSON for the draft, e.g. {"rows": 3} (empty: {})')
        self.input.setObjectName("draftInput")
        self.run_button = QPushButton("▶ Run draft (F5)", self)
        self.run_button.setToolTip("Run the script as it is in the editor, saved or not; recorded with trigger DRAFT")
        self.run_button.clicked.connect(self.run)
        self.status = QLabel("Try the script as it is now: its log shows here.", self)
        self.status.setObjectName("muted")
        self.log = LogView(self)
        self.log.scriptLineClicked.connect(self.scriptLineClicked)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.run_button)
        top.addWidget(self.input, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.log, 1)

    def input_data(self) -> Any:
        """The input JSON; raises ValueError naming the field when it is not JSON."""
        text = self.input.text().strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"Input JSON: {error.msg} at column {error.colno}.") from error

    def run(self) -> None:
        event_id, text, language = self.source()
        try:
            data = self.input_data()
        except ValueError as error:
            self._say(str(error), "FAILURE")
            return
        if event_id is None:
            self._say("Save the event once to run drafts of it: a draft runs with its saved settings.", "FAILURE")
            return
        self.run_button.setEnabled(False)
        self.log.clear()
        self._say("Starting the draft…", "RUNNING")
        spawn(self._run(event_id, text, language, data), self, "Running the draft")

    async def _run(self, event_id: int, text: str, language: str, data: Any) -> None:
        try:
            execution_id = await self.engine.drafts.start(event_id, text, data, event_type=language)
            self.execution_id = execution_id
            self._say(f"Draft run #{execution_id} running…", "RUNNING")
            last_id = 0
            while True:
                summary = await self.engine.runs.summary(execution_id)
                records = await self.engine.runs.log(execution_id, after_id=last_id)
                if records:
                    last_id = records[-1].id
                    self.log.append(LineColumns.of_records(records))
                if summary.status in FINAL_STATES:
                    break
                await asyncio.sleep(POLL_SECONDS)
            took = duration_text(summary.duration_ms)
            error = f" · {summary.error}" if summary.error and summary.status != "SUCCESS" else ""
            self._say(f"Draft run #{execution_id}: {summary.status.title()} in {took}{error}", summary.status)
            self.finished.emit(execution_id, summary.status)
        finally:
            self.run_button.setEnabled(True)

    def _say(self, text: str, status: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour(status)};")
