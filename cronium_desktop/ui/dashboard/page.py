"""The Dashboard: runs per day and success rate over 30 days, recent durations, next runs, failing events.

It is a door as well as a picture: a bar's tooltip says what it counts, and a click on a bar, a
failing event or a next run opens the runs (or the run and its log) behind it. With no run yet it
shows one next step instead of empty charts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cronium_desktop.ui.bridge import EngineBridge
from cronium_desktop.ui.charts import Chart, whole_step
from cronium_desktop.ui.coalesce import Coalesced
from cronium_desktop.ui.common import duration_text, header, local_time, spawn
from cronium_desktop.ui.dashboard.alerts_list import AlertsList
from cronium_desktop.ui.empty_state import EmptyState
from cronium_desktop.ui.metrics.heaviest import HeaviestEvents
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

EventRole = Qt.ItemDataRole.UserRole + 1


def _card(title: str) -> tuple[QWidget, QLabel]:
    card = QWidget(objectName="card")  # type: ignore[call-arg]  # Qt property keyword
    layout = QVBoxLayout(card)
    caption = QLabel(title, objectName="muted")  # type: ignore[call-overload]  # Qt property keyword
    value = QLabel("—", objectName="cardValue")  # type: ignore[call-overload]  # Qt property keyword
    layout.addWidget(caption)
    layout.addWidget(value)
    return card, value


class DashboardPage(QWidget):
    showRun = Signal(int)  # execution id: open that run and its log
    showEventRuns = Signal(object, object)  # event id (None: all events), day (None: any): open those runs
    newEventRequested = Signal()  # the empty Dashboard's one next step

    def __init__(self, engine: Engine, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reload = Coalesced(self, self._start_reload, spacing_ms=1000)
        self.engine = engine
        self.days: list[date] = []
        self.per_day: Counter[date] = Counter()
        self.ok_per_day: Counter[date] = Counter()
        self.recent: list[Any] = []
        self.runs_plot = Chart("Runs per day (30 days)")
        self.rate_plot = Chart("Success rate per day (%)")
        self.duration_plot = Chart("Duration of recent runs (s)")
        cards = QGridLayout()
        self.values: dict[str, QLabel] = {}
        for column, title in enumerate(("Events", "Active schedules", "Runs today", "Success rate (30 days)")):
            card, value = _card(title)
            self.values[title] = value
            cards.addWidget(card, 0, column)
        self.upcoming = QListWidget()
        self.failing = QListWidget()
        for listing in (self.upcoming, self.failing):
            listing.itemActivated.connect(self._open_event_runs)
            listing.itemClicked.connect(self._open_event_runs)
        self.runs_plot.setToolTip("Click a bar to see that day's runs.")
        self.duration_plot.setToolTip("Click a bar to open that run and its log.")
        for plot, handler in ((self.runs_plot, self._runs_clicked), (self.duration_plot, self._duration_clicked)):
            plot.barClicked.connect(handler)
            plot.tip = lambda index, plot=plot: self.bar_text(plot, index)
        lists = QGridLayout()
        lists.addWidget(QLabel("Next runs", objectName="muted"), 0, 0)  # type: ignore[call-overload]  # Qt property keyword
        lists.addWidget(QLabel("Failing events", objectName="muted"), 0, 1)  # type: ignore[call-overload]  # Qt property keyword
        lists.addWidget(self.upcoming, 1, 0)
        lists.addWidget(self.failing, 1, 1)
        self.alerts = AlertsList(engine, bridge)  # late and slow runs (engine/alerts.py)
        self.alerts.showRun.connect(self.showRun)
        lists.addWidget(QLabel("Late and slow runs", objectName="muted"), 0, 2)  # type: ignore[call-overload]  # Qt property keyword
        lists.addWidget(self.alerts, 1, 2)
        charts = QGridLayout()
        charts.addWidget(self.runs_plot, 0, 0)
        charts.addWidget(self.rate_plot, 0, 1)
        charts.addWidget(self.duration_plot, 1, 0, 1, 2)
        filled = QWidget(self)
        filled_layout = QVBoxLayout(filled)
        filled_layout.setContentsMargins(0, 0, 0, 0)
        filled_layout.addLayout(charts, 3)
        filled_layout.addLayout(lists, 2)
        self.heaviest = HeaviestEvents(engine, filled)  # top five by CPU and by memory, 7 days
        self.heaviest.eventActivated.connect(lambda event_id: self.showEventRuns.emit(event_id, None))
        filled_layout.addWidget(self.heaviest)
        self.empty = EmptyState("No runs yet", "Charts of runs, success rate and durations fill in here as events run. "
                                "Create an event, then press Run now (F5).", "Create your first event",
                                self.newEventRequested.emit)
        self.body = QStackedWidget(self)
        self.body.addWidget(filled)
        self.body.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(header("Dashboard"))
        layout.addLayout(cards)
        layout.addWidget(self.body, 1)
        bridge.runFinished.connect(lambda *args: self.refresh())
        bridge.eventsChanged.connect(self.refresh)

    def refresh(self) -> None:
        self._reload()  # every run finished asks: a burst reloads once a second

    def _start_reload(self) -> asyncio.Future[Any] | None:
        self.heaviest.refresh()
        self.alerts.refresh()
        return spawn(self._refresh(), self, "Loading the dashboard")

    async def _refresh(self) -> None:
        # The store counts (SQL aggregates over an index): right for any number of runs.
        figures = await self.engine.history.dashboard(days=30)
        events = await self.engine.events.list()
        today = datetime.now(UTC).replace(tzinfo=None)
        days, per_day, ok_per_day, done_per_day = figures.days, figures.per_day, figures.ok_per_day, figures.done_per_day
        axis_labels = [(float(i), d.strftime("%d %b")) for i, d in enumerate(days) if i % 5 == 4]
        for plot in (self.runs_plot, self.rate_plot, self.duration_plot):
            plot.clear()
        self.runs_plot.set_x_labels(axis_labels)
        self.rate_plot.set_x_labels(axis_labels)
        self.days, self.per_day, self.ok_per_day = days, per_day, ok_per_day
        self.body.setCurrentIndex(self.body.indexOf(self.empty) if not figures.any_run and not events else 0)
        busy = [(i, per_day[d]) for i, d in enumerate(days) if per_day[d]]
        if busy:
            self.runs_plot.add("bars", [i for i, _ in busy], [c for _, c in busy], colour("accent"))
        # whole runs on the count axis, from zero: no made-up fractions when there are few or none
        top = max([c for _, c in busy], default=0)
        self.runs_plot.set_y_range(0, max(4, top + 1), step=whole_step(top))
        for plot in (self.runs_plot, self.rate_plot):
            plot.set_x_range(-0.5, 29.5)
        rates = [(100 * ok_per_day[d] / done_per_day[d]) if done_per_day[d] else None for d in days]
        points = [(i, r) for i, r in enumerate(rates) if r is not None]
        if points:
            self.rate_plot.add("line", [p[0] for p in points], [p[1] for p in points], colour("SUCCESS"), marker="o")
        self.rate_plot.set_y_range(0, 105, step=25)
        self.duration_plot.set_x_labels([])
        recent = figures.recent
        self.recent = recent
        self.duration_plot.set_x_range(-0.5, max(9.5, len(recent) - 0.5))
        longest = max(((r.duration_ms or 0) / 1000 for r in recent), default=0)
        self.duration_plot.set_y_range(0, max(1.0, longest * 1.1))
        if recent:
            self.duration_plot.add("bars", list(range(len(recent))), [(r.duration_ms or 0) / 1000 for r in recent],
                                   [colour(r.status) for r in recent])
        total_done = sum(done_per_day.values())
        self.values["Events"].setText(str(len(events)))
        self.values["Active schedules"].setText(str(sum(1 for e in events if e.status == "ACTIVE" and e.trigger == "SCHEDULE")))
        self.values["Runs today"].setText(str(per_day[today.date()]))
        self.values["Success rate (30 days)"].setText(f"{100 * sum(ok_per_day.values()) / total_done:.0f} %" if total_done else "no runs")
        self.upcoming.clear()
        for event in sorted((e for e in events if e.next_run), key=lambda e: cast(datetime, e.next_run))[:10]:
            self._add_event_item(self.upcoming, f"{local_time(event.next_run)}   {event.name}", event,
                                 f"Next run of '{event.name}'. Click to see its past runs.")
        if self.upcoming.count() == 0:
            self.upcoming.addItem("No scheduled runs.")
        self.failing.clear()
        for event in events:
            if event.last_status in ("FAILURE", "TIMEOUT", "PARTIAL"):
                self._add_event_item(self.failing, f"{event.name}   ({event.last_status.title()} {local_time(event.last_run_at)})",
                                     event, f"Click to open the last runs of '{event.name}' and their logs.")
        if self.failing.count() == 0:
            self.failing.addItem("Nothing is failing.")

    @staticmethod
    def _add_event_item(listing: QListWidget, text: str, event: Any, tip: str) -> None:
        item = QListWidgetItem(text)
        item.setData(EventRole, event.id)
        item.setToolTip(tip)
        listing.addItem(item)

    # -- the door: tooltips and clicks ---------------------------------------------------------------------

    def _open_event_runs(self, item: QListWidgetItem) -> None:
        event_id = item.data(EventRole)
        if event_id is not None:
            self.showEventRuns.emit(event_id, None)

    def bar_text(self, plot: Chart, index: int | None) -> str:
        if index is None:
            return ""
        if plot is self.runs_plot and 0 <= index < len(self.days) and self.per_day[self.days[index]]:
            day = self.days[index]
            count, ok = self.per_day[day], self.ok_per_day[day]
            return f"{day.strftime('%a %d %b')}: {count} run{'s' if count != 1 else ''}, {ok} succeeded. Click to see them."
        if plot is self.duration_plot and 0 <= index < len(self.recent):
            run = self.recent[index]
            return (f"Run #{run.execution_id} of {run.event}: {run.status.title()} in {duration_text(run.duration_ms)}. "
                    "Click to open its log.")
        return ""

    def _runs_clicked(self, index: int) -> None:
        if 0 <= index < len(self.days) and self.per_day[self.days[index]]:
            self.showEventRuns.emit(None, self.days[index])

    def _duration_clicked(self, index: int) -> None:
        if 0 <= index < len(self.recent):
            self.showRun.emit(self.recent[index].execution_id)
