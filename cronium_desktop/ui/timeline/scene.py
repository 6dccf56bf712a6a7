"""The timeline's graphics items, built from an engine `TimelineWindow` (no engine calls here).

Scene coordinates: x is seconds since the window's start, y is lanes (LANE_HEIGHT each). The view
zooms by scaling x only, so a tick's x is its time. One item per lane paints that lane's ticks and
run bars, only those in the exposed part and at most one tick per pixel: 2,000 schedules with tens
of thousands of coming runs are 2,000 items, and a frame paints what is on screen.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import Any

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QStyleOptionGraphicsItem,
    QWidget,
)

from cronium_desktop.engine.scheduling.schedules import zone as zone_of
from cronium_desktop.ui.theme import colour

LANE_HEIGHT = 26.0
BAR_SLOTS = 3  # overlapping runs of one lane stack in up to three rows
MIN_BAR_PIXELS = 3.0
MIN_TICK_GAP_PIXELS = 2.0  # closer ticks (a dense schedule zoomed out) merge into a band


def slots(runs: list[tuple[float, float]]) -> list[int]:
    """A row for each (start, end) so that overlapping runs sit on different rows (greedy, by start)."""
    ends: list[float] = []
    result = [0] * len(runs)
    for index in sorted(range(len(runs)), key=lambda i: runs[i][0]):
        start, end = runs[index]
        for slot, busy_until in enumerate(ends):
            if busy_until <= start:
                ends[slot] = end
                result[index] = slot
                break
        else:
            ends.append(end)
            result[index] = len(ends) - 1
    return [slot % BAR_SLOTS for slot in result]


class RunBar:
    """A past (or running) run on a lane: from its start to its end, in one of the lane's rows."""

    def __init__(self, kind: str, run_id: int, status: str, start: float, end: float, rect: QRectF) -> None:
        self.kind, self.run_id, self.status, self.start, self.end, self.rect = kind, run_id, status, start, end, rect


class Look:
    """Pens and colours every lane shares (made once per drawing, in the current theme)."""

    def __init__(self) -> None:
        self.tick_pen = QPen(QColor(colour("accent")), 2)
        self.tick_pen.setCosmetic(True)
        self.stripe = QColor(colour("border"))
        self.stripe.setAlpha(60)
        self.calendar_day = QColor(colour("PARTIAL"))  # a day of the schedule's calendar: no usual run
        self.calendar_day.setAlpha(45)
        self.shifted_pen = QPen(QColor(colour("PARTIAL")), 2, Qt.PenStyle.DashLine)  # moved off a calendar day
        self.shifted_pen.setCosmetic(True)
        self.colours = {status: QColor(colour(status)) for status in
                        ("SUCCESS", "FAILURE", "TIMEOUT", "PARTIAL", "CANCELLED", "RUNNING", "PENDING", "SKIPPED")}


class LaneItem(QGraphicsItem):
    """One lane: its coming fire times as ticks and its past runs as bars coloured by result."""

    def __init__(self, lane: Any, row: int, width: float, tick_times: list[datetime], tick_x: list[float],
                 look: Look) -> None:
        super().__init__()
        self.lane, self.row, self.width = lane, row, width
        self.tick_times, self.tick_x = tick_times, tick_x
        self.bars: list[RunBar] = []
        self.top = row * LANE_HEIGHT
        self.bounds = QRectF(0, self.top, width, LANE_HEIGHT)  # asked for often: made once
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)  # exposedRect
        self.tick_pen, self.stripe, self.colours = look.tick_pen, look.stripe, look.colours
        self.calendar_day, self.shifted_pen = look.calendar_day, look.shifted_pen
        # Calendar days as (start x, end x, name), and the x of ticks moved off one (set_calendar).
        self.day_spans: list[tuple[float, float, str]] = []
        self.shifted_x: set[float] = set()

    def set_calendar(self, days: list[tuple[datetime, datetime, str]], shifted: list[datetime],
                     origin: datetime) -> None:
        self.day_spans = [((a - origin).total_seconds(), (b - origin).total_seconds(), name) for a, b, name in days]
        self.shifted_x = {(moment - origin).total_seconds() for moment in shifted}

    def set_runs(self, runs: list[tuple[str, int, str, float, float]]) -> None:
        """(kind, run id, status, start x, end x) for each run: stacked where they overlap."""
        slot_height = (LANE_HEIGHT - 6) / BAR_SLOTS
        spans = [(start, end) for _kind, _id, _status, start, end in runs]
        self.bars = [RunBar(kind, run_id, status, start, end,
                            QRectF(start, self.top + 3 + slot * slot_height, max(0.0, end - start), slot_height - 1))
                     for (kind, run_id, status, start, end), slot in zip(runs, slots(spans), strict=True)]
        self.bars.sort(key=lambda bar: bar.start)
        self.update()

    def boundingRect(self) -> QRectF:
        return self.bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        exposed = option.exposedRect  # type: ignore[attr-defined]
        scale = painter.worldTransform().m11() or 1.0
        if self.row % 2:
            painter.fillRect(QRectF(exposed.left(), self.top, exposed.width(), LANE_HEIGHT), self.stripe)
        for start, end, _name in self.day_spans:
            if end >= exposed.left() and start <= exposed.right():
                painter.fillRect(QRectF(start, self.top, end - start, LANE_HEIGHT), self.calendar_day)
        # ticks: only the exposed ones, at most one per MIN_TICK_GAP_PIXELS
        first = bisect.bisect_left(self.tick_x, exposed.left() - 2 / scale)
        last = bisect.bisect_right(self.tick_x, exposed.right() + 2 / scale)
        gap = MIN_TICK_GAP_PIXELS / scale
        lines: list[QLineF] = []
        previous = -1e18
        for x in self.tick_x[first:last]:
            if x - previous >= gap:
                lines.append(QLineF(x, self.top + 5, x, self.top + LANE_HEIGHT - 5))
                previous = x
        if lines:
            painter.setPen(self.tick_pen)
            painter.drawLines(lines)
        moved = [QLineF(x, self.top + 3, x, self.top + LANE_HEIGHT - 3) for x in self.shifted_x
                 if exposed.left() - 2 / scale <= x <= exposed.right() + 2 / scale]
        if moved:
            painter.setPen(self.shifted_pen)
            painter.drawLines(moved)
        minimum = MIN_BAR_PIXELS / scale
        for bar in self.bars:
            if bar.start > exposed.right():
                break
            if max(bar.end, bar.start + minimum) < exposed.left():
                continue
            rect = QRectF(bar.rect)
            if rect.width() < minimum:
                rect.setWidth(minimum)
            painter.fillRect(rect, self.colours.get(bar.status, self.colours["CANCELLED"]))

    def run_at(self, x: float, y: float, tolerance: float) -> RunBar | None:
        for bar in self.bars:
            if bar.rect.top() <= y <= bar.rect.bottom() and bar.start - tolerance <= x <= max(bar.end, bar.start) + tolerance:
                return bar
        return None

    def tick_near(self, x: float, tolerance: float) -> int | None:
        """The index of the tick nearest `x` within `tolerance` (seconds), or None."""
        index = bisect.bisect_left(self.tick_x, x)
        candidates = [i for i in (index - 1, index) if 0 <= i < len(self.tick_x)]
        best = min(candidates, key=lambda i: abs(self.tick_x[i] - x), default=None)
        return best if best is not None and abs(self.tick_x[best] - x) <= tolerance else None


class TimelineScene(QGraphicsScene):
    """Lanes, clock changes (DST) and the line of now."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.window: Any = None
        self.lanes: list[Any] = []
        self.lane_items: list[LaneItem] = []
        self.by_key: dict[tuple[str, int], LaneItem] = {}
        self.clock_lines: list[QGraphicsLineItem] = []
        self.now_line: QGraphicsLineItem | None = None

    def seconds(self, moment: datetime) -> float:
        return (moment - self.window.start).total_seconds()

    def load(self, window: Any) -> None:
        """Draw `window` (an engine TimelineWindow): replaces whatever was drawn."""
        self.clear()
        self.window, self.lanes = window, list(window.lanes)
        width = (window.end - window.start).total_seconds()
        height = max(1, len(self.lanes)) * LANE_HEIGHT
        self.setSceneRect(QRectF(0, 0, width, height))
        self.lane_items, self.by_key, self.clock_lines = [], {}, []
        look, origin = Look(), window.start.timestamp()
        for row, lane in enumerate(self.lanes):
            item = LaneItem(lane, row, width, list(lane.ticks), [moment.timestamp() - origin for moment in lane.ticks],
                            look)
            item.set_calendar(lane.calendar_days, lane.shifted, window.start)
            days = "".join(f"\n{start.astimezone(zone_of(lane.zone)).date():%a %d %b}: {name}"
                           for start, _end, name in lane.calendar_days[:10])
            item.setToolTip((f"{lane.name} ({lane.zone})" if lane.zone else lane.name) + days)
            self.addItem(item)
            self.lane_items.append(item)
            self.by_key[(lane.kind, lane.id)] = item
        by_lane: dict[tuple[str, int], list[tuple[str, int, str, float, float]]] = {}
        for run in window.runs:
            by_lane.setdefault((run.kind, run.lane_id), []).append(
                (run.kind, run.run_id, run.status, self.seconds(run.start), self.seconds(run.end or window.now)))
        for key, runs in by_lane.items():
            if key in self.by_key:
                self.by_key[key].set_runs(runs)
        change_pen = QPen(QColor(colour("PAUSED")), 2, Qt.PenStyle.DashLine)
        change_pen.setCosmetic(True)
        for change in window.clock_changes:
            x = self.seconds(change.at)
            line = self.addLine(x, 0, x, height, change_pen)
            line.setZValue(5)
            line.setToolTip(change.label)
            self.clock_lines.append(line)
        now_pen = QPen(QColor(colour("FAILURE")), 1)
        now_pen.setCosmetic(True)
        self.now_line = self.addLine(self.seconds(window.now), 0, self.seconds(window.now), height, now_pen)
        self.now_line.setZValue(6)

    def lane_at(self, y: float) -> LaneItem | None:
        row = int(y // LANE_HEIGHT)
        return self.lane_items[row] if 0 <= row < len(self.lane_items) else None
