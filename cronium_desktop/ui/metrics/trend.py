"""An event's trend: duration, CPU and peak memory of its last 200 runs, failures marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cronium_desktop.engine.states import FAILED_STATES
from cronium_desktop.ui.charts import Chart
from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

MB = 1024 * 1024


class TrendPanel(QWidget):
    """Three small plots side by side; x is the run (oldest left), failed runs are red crosses."""

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.event_id: int | None = None
        self.points: list[Any] = []
        self.title = QLabel("Select an event to see how its runs have gone.", self, objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
        self.plots = {key: Chart(title) for key, title in (
            ("duration", "Duration (s)"), ("cpu", "CPU (s)"), ("memory", "Peak memory (MB)"))}
        row = QHBoxLayout()
        for plot in self.plots.values():
            row.addWidget(plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(row)

    def show_event(self, event_id: int | None, name: str = "") -> None:
        self.event_id = event_id
        if event_id is None:
            self.set_points([], "")
            return
        spawn(self._load(event_id, name), self, "Loading the event's trend")

    async def _load(self, event_id: int, name: str) -> None:
        points = await self.engine.metrics.trend(event_id)
        if event_id == self.event_id:
            self.set_points(points, name)

    def set_points(self, points: list[Any], name: str) -> None:
        self.points = points
        failed = sum(1 for p in points if p.status in FAILED_STATES)
        self.title.setText(f"{name}: last {len(points)} runs, {failed} failed (red ×)" if points else
                           "No finished runs of this event yet." if self.event_id is not None else
                           "Select an event to see how its runs have gone.")
        series = {
            "duration": [p.duration_s for p in points],
            "cpu": [p.cpu_s for p in points],
            "memory": [None if p.max_rss_bytes is None else p.max_rss_bytes / MB for p in points],
        }
        for key, plot in self.plots.items():
            plot.clear()
            xs = [i for i, value in enumerate(series[key]) if value is not None]
            if not xs:
                continue
            plot.add("line", xs, [series[key][i] for i in xs], colour("SUCCESS"))
            bad = [i for i in xs if points[i].status in FAILED_STATES]
            if bad:
                plot.add("marks", bad, [series[key][i] for i in bad], colour("FAILURE"), marker="x")

    def plotted(self, key: str) -> int:
        """How many runs the plot `key` shows (its line's points), for checks and tooltips."""
        return self.plots[key].points("line")

    def marked_failures(self, key: str) -> int:
        return self.plots[key].points("marks")
