"""Import schedules…: pick a source, preview what each job becomes, tick the ones to import.

Reading files and `crontab -l`, planning and creating the events all run off the GUI thread
(worker threads awaited on the shared loop); the dialog only shows results.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.imports.model import ImportPreviewModel

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

if TYPE_CHECKING:
    from cronium_desktop.engine.imports.jobs import ParsedSource
    from cronium_desktop.engine.imports.service import ImportOutcome, ImportPlan

# (title, kind, file filter or None for the user's own default source)
SOURCES = (
    ("My crontab (crontab -l)", "cron", None),
    ("Crontab file…", "cron", "Crontab files (*)"),
    ("My systemd user timers", "systemd", None),
    ("systemd timer files…", "systemd", "Timer units (*.timer)"),
    ("launchd plist files…", "launchd", "Property lists (*.plist)"),
    ("Task Scheduler XML files…", "schtasks", "Task XML (*.xml)"),
)


class ImportSchedulesDialog(QDialog):
    imported = Signal(list)  # names of the events created

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.plan: ImportPlan | None = None
        self.setWindowTitle("Import schedules")
        self.resize(1100, 620)
        self.source = QComboBox(self)
        for title, _kind, _filter in SOURCES:
            self.source.addItem(title)
        self.load_button = QPushButton("Read", self)
        self.load_button.clicked.connect(self._choose_and_load)
        self.model = ImportPreviewModel()
        self.model.dataChanged.connect(lambda *_: self._update_button())
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 60), (1, 170), (3, 250), (4, 175), (5, 180)):
            self.table.setColumnWidth(column, width)
        self.notes = QPlainTextEdit(self, readOnly=True)
        self.notes.setMaximumHeight(150)
        self.notes.setPlaceholderText("Lines that are not carried over, and why, appear here.")
        self.status = QLabel("Choose where your schedules are, then Read.", self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(lambda: spawn(self.import_selected(), self, "Importing the schedules"))
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:", self))
        top.addWidget(self.source, 1)
        top.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("Not carried over and notes:", self))
        layout.addWidget(self.notes)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._update_button()

    # -- loading -----------------------------------------------------------------------------------

    def _choose_and_load(self) -> None:
        _title, kind, file_filter = SOURCES[self.source.currentIndex()]
        files: list[str] = []
        if file_filter is not None:
            files, _ = QFileDialog.getOpenFileNames(self, "Choose files to import", str(Path.home()), file_filter)
            if not files:
                return
        spawn(self.load(kind, [Path(f) for f in files]), self, "Reading the schedules")

    async def load(self, kind: str, files: list[Path]) -> None:
        """Read the source in a worker thread and show its preview."""
        from cronium_desktop.engine.imports.sources import read_sources

        self.status.setText("Reading…")
        parsed = await asyncio.to_thread(read_sources, kind, files)
        await self.show_source(parsed)

    async def show_source(self, parsed: ParsedSource) -> None:
        self.plan = await self.engine.imports.plan(parsed)
        self.model.set_plan(self.plan)
        self.table.resizeRowsToContents()
        lines = [f"Not carried over — {u.source}: {u.text.strip()}: {u.reason}" for u in self.plan.not_carried_over]
        lines += [f"Cannot convert (left out) — {u.source}: {u.text.strip()}: {u.reason}" for u in self.plan.invalid]
        lines += [f"Note — {item.name}: {note}." for item in self.plan.events for note in item.notes]
        lines += self.plan.advice
        self.notes.setPlainText("\n".join(lines))
        fresh = sum(1 for item in self.plan.events if item.existing is None)
        self.status.setText(f"{len(self.plan.events)} jobs found, {fresh} new. Untick what you do not want.")
        self._update_button()

    # -- importing ---------------------------------------------------------------------------------

    def _update_button(self) -> None:
        count = len(self.model.chosen())
        self.import_button.setText(f"Import {count} selected" if count else "Import")
        self.import_button.setEnabled(count > 0)

    async def import_selected(self) -> ImportOutcome:
        """Create the ticked jobs' events in one transaction; lines that cannot be converted are left out."""
        assert self.plan is not None
        self.import_button.setEnabled(False)
        outcome = await self.engine.imports.apply(self.plan, chosen=self.model.chosen(), skip_invalid=True)
        self.status.setText(f"Created {len(outcome.created)} events." if outcome.created else "Nothing new to import.")
        self.imported.emit(list(outcome.created))
        self.accept()
        return outcome


def open_import_schedules_dialog(parent: QWidget | None, engine: Engine) -> ImportSchedulesDialog:
    """Open the dialog (window-modal, not blocking the loop) and return it."""
    dialog = ImportSchedulesDialog(engine, parent)
    dialog.open()
    return dialog
