"""Settings → Run history: how many days of runs are kept and how many runs per event (retention).

Each change is saved as it is made (like the desktop settings); the background pruner of the
process that owns the data folder applies it within the hour, `cronium-desktop prune` at once.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QSpinBox, QWidget

from cronium_desktop.ui.common import spawn

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


class HistorySettings(QGroupBox):
    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__("Run history", parent)
        self.engine = engine
        self._loading = False
        self._dirty = False  # a change not saved yet
        self._saving: asyncio.Future[Any] | None = None
        self.days = QSpinBox(minimum=0, maximum=36_500, suffix=" days")
        self.days.setSpecialValueText("for ever")
        self.per_event = QSpinBox(minimum=0, maximum=10_000_000)
        self.per_event.setSpecialValueText("no limit")
        for spin in (self.days, self.per_event):
            spin.setMaximumWidth(160)
            spin.valueChanged.connect(self._changed)
        form = QFormLayout(self)
        form.addRow("Keep runs for", self.days)
        form.addRow("Runs kept per event", self.per_event)
        form.addRow("", QLabel("Older runs and their logs are removed in the background; the runs of a "  # type: ignore[call-overload]  # Qt property keyword
                               "workflow go together, runs still going are kept.", objectName="muted", wordWrap=True))

    def load(self) -> None:
        spawn(self._load(), self, "Loading the history settings")

    async def _load(self) -> None:
        days, per_event = await asyncio.to_thread(
            lambda: (self.engine.settings.get("log_retention_days"), self.engine.settings.get("max_runs_per_event")))
        self._loading = True
        self.days.setValue(int(days))
        self.per_event.setValue(int(per_event))
        self._loading = False

    def _changed(self, *_args: Any) -> None:
        """One save at a time, of the latest values: two saves in worker threads could land in
        either order and leave an older value stored."""
        if self._loading:
            return
        self._dirty = True
        if self._saving is None or self._saving.done():
            self._saving = spawn(self._save(), self, "Saving the history settings")

    async def _save(self) -> None:
        while self._dirty:
            self._dirty = False
            await asyncio.to_thread(self._store, self.days.value(), self.per_event.value())

    def _store(self, days: int, per_event: int) -> None:
        self.engine.settings.set("log_retention_days", days)
        self.engine.settings.set("max_runs_per_event", per_event)
