"""The timeline view's margins: the time axis (with clock changes named) and the lane names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from cronium_desktop.ui.theme import colour
from cronium_desktop.ui.timeline.scene import LANE_HEIGHT

if TYPE_CHECKING:
    from cronium_desktop.ui.timeline.view import TimelineView

AXIS_HEIGHT = 40
LABEL_WIDTH = 200


class AxisBar(QWidget):
    """Hours (or days) along the top; a clock change is named where it happens."""

    def __init__(self, view: TimelineView) -> None:
        super().__init__(view)
        self.view = view

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(colour("panel")))
        painter.setPen(QColor(colour("border")))
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        painter.setPen(QColor(colour("text")))
        metrics = painter.fontMetrics()
        for x, text in self.view.axis_labels():
            painter.drawLine(x, self.height() - 6, x, self.height() - 1)
            if x + 3 + metrics.horizontalAdvance(text) <= self.width():  # no label cut at the right edge
                painter.drawText(x + 3, self.height() - 8, text)
        window = self.view.timeline.window
        if window is None:
            return
        painter.setPen(QColor(colour("PAUSED")))
        left = self.view.mapToScene(QPoint(0, 0)).x()
        for change in window.clock_changes:
            x = int((self.view.timeline.seconds(change.at) - left) * self.view.pixels_per_second)
            if 0 <= x <= self.width():
                painter.drawText(x + 3, 13, change.label)
        now_x = int((self.view.timeline.seconds(window.now) - left) * self.view.pixels_per_second)
        if 0 <= now_x <= self.width():  # on the top row, above the hour labels
            painter.setPen(QColor(colour("FAILURE")))
            painter.drawLine(now_x, 0, now_x, self.height() - 1)
            painter.drawText(now_x + 3, 13, "now")


class LaneNames(QWidget):
    """The name of each lane, beside it, scrolled with the lanes."""

    def __init__(self, view: TimelineView) -> None:
        super().__init__(view)
        self.view = view

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(colour("panel")))
        painter.setPen(QColor(colour("border")))
        painter.drawLine(self.width() - 1, 0, self.width() - 1, self.height())
        lanes = self.view.timeline.lanes
        top = self.view.mapToScene(QPoint(0, 0)).y()
        first = max(0, int(top // LANE_HEIGHT))
        last = min(len(lanes), int((top + self.height()) // LANE_HEIGHT) + 1)
        for row in range(first, last):
            lane = lanes[row]
            y = int(row * LANE_HEIGHT - top)
            painter.setPen(QColor(colour("muted" if lane.kind == "workflow" else "text")))
            prefix = "⛓ " if lane.kind == "workflow" else ""
            suffix = "  (dense)" if lane.truncated else ""
            text = painter.fontMetrics().elidedText(f"{prefix}{lane.name}{suffix}", Qt.TextElideMode.ElideRight,
                                                    self.width() - 16)
            painter.drawText(QRect(8, y, self.width() - 12, int(LANE_HEIGHT)),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
