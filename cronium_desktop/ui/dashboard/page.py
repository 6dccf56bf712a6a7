"""The Dashboard: runs per day and success rate over 30 days, recent durations, next runs, failing events."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QListWidget, QVBoxLayout, QWidget

from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.common import header, local_time, spawn
from cronium_desktop.ui.theme import colour


def _card(title: str) -> tuple[QWidget, QLabel]:
    card = QWidget(objectName="card")
    layout = QVBoxLayout(card)
    caption = QLabel(title, objectName="muted")
    value = QLabel("—", objectName="cardValue")
    layout.addWidget(caption)
    layout.addWidget(value)
    return card, value


class DashboardPage(QWidget):
    def __init__(self, engine: Any, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        pg.setConfigOptions(antialias=True)
        self.runs_plot = pg.PlotWidget(title="Runs per day (30 days)")
        self.rate_plot = pg.PlotWidget(title="Success rate per day (%)")
        self.duration_plot = pg.PlotWidget(title="Duration of recent runs (s)")
        for plot in (self.runs_plot, self.rate_plot, self.duration_plot):
            plot.setMinimumHeight(180)
            plot.showGrid(x=False, y=True, alpha=0.2)
        cards = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for column, title in enumerate(("Events", "Active schedules", "Runs today", "Success rate (30 days)")):
            card, value = _card(title)
            self.values[title] = value
            cards.addWidget(card, 0, column)
        self.upcoming = QListWidget()
        self.failing = QListWidget()
        lists = QGridLayout()
        lists.addWidget(QLabel("Next runs", objectName="muted"), 0, 0)
        lists.addWidget(QLabel("Failing events", objectName="muted"), 0, 1)
        lists.addWidget(self.upcoming, 1, 0)
        lists.addWidget(self.failing, 1, 1)
        charts = QGridLayout()
        charts.addWidget(self.runs_plot, 0, 0)
        charts.addWidget(self.rate_plot, 0, 1)
        charts.addWidget(self.duration_plot, 1, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Dashboard"))
        layout.addLayout(cards)
        layout.addLayout(charts, 3)
        layout.addLayout(lists, 2)
        bridge.runFinished.connect(lambda *args: self.refresh())
        bridge.eventsChanged.connect(self.refresh)

    def refresh(self) -> None:
        spawn(self._refresh(), self, "Loading the dashboard")

    async def _refresh(self) -> None:
        today = datetime.now(UTC).replace(tzinfo=None)
        since = today - timedelta(days=30)
        runs = await self.engine.runs.list(since=since, limit=100_000)
        events = await self.engine.events.list()
        finished = [r for r in runs if r.status in ("SUCCESS", "FAILURE", "TIMEOUT", "PARTIAL", "CANCELLED")]
        days = [(since + timedelta(days=i + 1)).date() for i in range(30)]
        per_day = Counter(r.created_at.date() for r in runs if r.status != "SKIPPED")
        ok_per_day = Counter(r.created_at.date() for r in finished if r.status == "SUCCESS")
        done_per_day = Counter(r.created_at.date() for r in finished)
        axis_labels = [[(i, d.strftime("%d %b")) for i, d in enumerate(days) if i % 5 == 4]]
        fg = colour("text")
        for plot in (self.runs_plot, self.rate_plot, self.duration_plot):
            plot.clear()
            plot.setBackground(colour("panel"))
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(fg)
                plot.getAxis(axis).setPen(colour("border"))
        self.runs_plot.getAxis("bottom").setTicks(axis_labels)
        self.rate_plot.getAxis("bottom").setTicks(axis_labels)
        busy = [(i, per_day[d]) for i, d in enumerate(days) if per_day[d]]
        if busy:
            self.runs_plot.addItem(pg.BarGraphItem(x=[i for i, _ in busy], height=[c for _, c in busy], width=0.7,
                                                   brush=colour("accent")))
        for plot in (self.runs_plot, self.rate_plot):
            plot.setXRange(-0.5, 29.5, padding=0)
        rates = [(100 * ok_per_day[d] / done_per_day[d]) if done_per_day[d] else None for d in days]
        points = [(i, r) for i, r in enumerate(rates) if r is not None]
        if points:
            self.rate_plot.plot([p[0] for p in points], [p[1] for p in points], pen=pg.mkPen(colour("SUCCESS"), width=2),
                                symbol="o", symbolSize=6, symbolBrush=colour("SUCCESS"))
        self.rate_plot.setYRange(0, 105)
        self.duration_plot.getAxis("bottom").setTicks([[]])
        recent = [r for r in finished if r.duration_ms is not None][:50][::-1]
        if recent:
            brushes = [pg.mkBrush(colour(r.status)) for r in recent]
            self.duration_plot.addItem(pg.BarGraphItem(x=list(range(len(recent))), height=[r.duration_ms / 1000 for r in recent],
                                                       width=0.7, brushes=brushes))
        total_done = sum(done_per_day.values())
        self.values["Events"].setText(str(len(events)))
        self.values["Active schedules"].setText(str(sum(1 for e in events if e.status == "ACTIVE" and e.trigger == "SCHEDULE")))
        self.values["Runs today"].setText(str(per_day[today.date()]))
        self.values["Success rate (30 days)"].setText(f"{100 * sum(ok_per_day.values()) / total_done:.0f} %" if total_done else "—")
        self.upcoming.clear()
        for event in sorted((e for e in events if e.next_run), key=lambda e: e.next_run)[:10]:
            self.upcoming.addItem(f"{local_time(event.next_run)}   {event.name}")
        if self.upcoming.count() == 0:
            self.upcoming.addItem("No scheduled runs.")
        self.failing.clear()
        for event in events:
            if event.last_status in ("FAILURE", "TIMEOUT", "PARTIAL"):
                self.failing.addItem(f"{event.name}   ({event.last_status.title()} {local_time(event.last_run_at)})")
        if self.failing.count() == 0:
            self.failing.addItem("Nothing is failing.")
