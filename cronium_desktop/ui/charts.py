"""Small charts drawn with QPainter: bars, lines and marks over numbered points, with a title, a
value axis and a tooltip and a click for each bar (the Dashboard, an event's trend).

What the app plots is a few hundred points at most: a plotting library (and numpy under it) cost the
window more memory than everything it drew.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from cronium_desktop.ui.theme import colour

BAR_WIDTH = 0.7  # of the distance between two points
NEAR_BAR = 0.4  # how far from a point (in points) the pointer still means its bar


@dataclass
class Series:
    kind: str  # "bars", "line" or "marks"
    xs: list[float]
    ys: list[float]
    colours: list[str]  # one for the whole series, or one per point (bars)
    marker: str | None = None  # "o" or "x"

    def colour_of(self, index: int) -> str:
        return self.colours[index] if len(self.colours) > 1 else self.colours[0]


@dataclass
class Frame:
    """Where values are drawn: the plot's rectangle in the widget and the ranges it shows."""

    rect: QRectF
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def point(self, x: float, y: float) -> QPointF:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return QPointF(self.rect.left() + (x - x0) / ((x1 - x0) or 1.0) * self.rect.width(),
                       self.rect.bottom() - (y - y0) / ((y1 - y0) or 1.0) * self.rect.height())

    def value(self, position: QPointF) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return (x0 + (position.x() - self.rect.left()) / self.rect.width() * (x1 - x0),
                y0 + (self.rect.bottom() - position.y()) / self.rect.height() * (y1 - y0))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values from `low` to `high`, about `count` of them, 1, 2, 2.5 or 5 times a power of ten apart."""
    if high <= low:
        return [low]
    return ticks_every(low, high, _round_step((high - low) / count))


def whole_step(top: float, count: int = 4) -> int:
    """The distance between about `count` whole-number values from 0 to `top` (runs, say): a round
    step, and whole."""
    return int(_round_step(max(1.0, top / count), whole=True))


def _round_step(raw: float, whole: bool = False) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `raw` (`whole`: and whole)."""
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * 0.999 and not (whole and (m * power) % 1))


def ticks_every(low: float, high: float, step: float) -> list[float]:
    first = math.ceil(low / step - 1e-9)
    return [n * step for n in range(first, math.floor(high / step + 1e-9) + 1)]


def tick_text(value: float, step: float) -> str:
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9), 6)
    return f"{value:.{decimals}f}"


class Chart(QWidget):
    """One chart. `set_x_range`/`set_y_range` fix the axes (else they fit the data); `x_labels` names
    points on the x axis (else numbers). `tip(index)` is a bar's tooltip; a click on a bar emits its index."""

    barClicked = Signal(int)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.series: list[Series] = []
        self.x_range: tuple[float, float] | None = None
        self.y_range: tuple[float, float] | None = None
        self.y_step: float | None = None
        self.x_labels: list[tuple[float, str]] | None = None
        self.tip: Callable[[int], str] | None = None
        self.setMinimumHeight(150)

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    # -- what it shows --------------------------------------------------------------------------------------

    def clear(self) -> None:
        self.series = []
        self.update()

    def add(self, kind: str, xs: Sequence[float], ys: Sequence[float], colours: str | Sequence[str],
            marker: str | None = None) -> None:
        self.series.append(Series(kind, list(xs), list(ys), [colours] if isinstance(colours, str) else list(colours), marker))
        self.update()

    def set_x_range(self, low: float, high: float) -> None:
        self.x_range = (low, high)
        self.update()

    def set_y_range(self, low: float, high: float, step: float | None = None) -> None:
        """`step`: the distance between the axis's values (whole runs, say); else round values."""
        self.y_range, self.y_step = (low, high), step
        self.update()

    def set_x_labels(self, labels: list[tuple[float, str]] | None) -> None:
        self.x_labels = labels
        self.update()

    def points(self, kind: str) -> int:
        return sum(len(s.xs) for s in self.series if s.kind == kind)

    # -- geometry -------------------------------------------------------------------------------------------

    def _ranges(self) -> tuple[tuple[float, float], tuple[float, float]]:
        bars = any(s.kind == "bars" for s in self.series)
        xs = [x for s in self.series for x in s.xs]
        ys = [y for s in self.series for y in s.ys] + [0.0] * bars
        x_range = self.x_range or ((min(xs) - 0.5, max(xs) + 0.5) if xs else (0.0, 1.0))
        if self.y_range is not None:
            return x_range, self.y_range
        if not ys:
            return x_range, (0.0, 1.0)
        low, high = min(ys), max(ys)
        pad = (high - low) * 0.05 or max(abs(high) * 0.05, 1.0)
        from_zero = low == 0 and bars  # bars stand on the axis
        return x_range, (low if from_zero else low - pad, high + pad)

    def _y_ticks(self, y_range: tuple[float, float]) -> tuple[list[float], float]:
        ticks = ticks_every(*y_range, self.y_step) if self.y_step else nice_ticks(*y_range)
        step = self.y_step or (ticks[1] - ticks[0] if len(ticks) > 1 else 1.0)
        return ticks, step

    def frame(self) -> Frame:
        """The plot's rectangle (room left for the title and the axes' values) and its ranges."""
        metrics = QFontMetricsF(self.font())
        x_range, y_range = self._ranges()
        ticks, step = self._y_ticks(y_range)
        label_width = max((metrics.horizontalAdvance(tick_text(t, step)) for t in ticks), default=0.0)
        top = metrics.height() * 1.2 + 10
        left = label_width + 12
        bottom = metrics.height() + 10
        rect = QRectF(left, top, max(self.width() - left - 10, 1.0), max(self.height() - top - bottom, 1.0))
        return Frame(rect, x_range, y_range)

    def point_of(self, x: float, y: float) -> QPointF:
        """Where a value (x, y) is drawn, in the widget's coordinates."""
        return self.frame().point(x, y)

    def bar_at(self, position: QPointF) -> int | None:
        """The point (bar) under a position of the widget, or None between bars and outside the plot."""
        frame = self.frame()
        if not frame.rect.contains(position):
            return None
        x, _ = frame.value(position)
        index = round(x)
        return index if abs(x - index) <= NEAR_BAR else None

    # -- pointer ---------------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.bar_at(QPointF(event.pos()))
            text = (self.tip(index) if self.tip is not None and index is not None else "") or self.toolTip()
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        index = self.bar_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and index is not None:
            self.barClicked.emit(index)
        super().mouseReleaseEvent(event)

    # -- drawing ---------------------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(colour("panel")))
        frame = self.frame()  # once per paint: every point below is placed in it
        self._draw_title(painter)
        self._draw_axes(painter, frame)
        painter.setClipRect(frame.rect.adjusted(-6, -6, 6, 1))
        for series in self.series:
            if series.kind == "bars":
                self._draw_bars(painter, frame, series)
            else:
                self._draw_line(painter, frame, series)
        painter.end()

    def _draw_title(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.setPen(QColor(colour("muted")))
        painter.drawText(QRectF(0, 4, self.width(), QFontMetricsF(font).height()), Qt.AlignmentFlag.AlignHCenter, self.title)
        painter.setFont(self.font())

    def _draw_axes(self, painter: QPainter, frame: Frame) -> None:
        rect, x_range, y_range = frame.rect, frame.x_range, frame.y_range
        metrics = QFontMetricsF(self.font())
        grid = QColor(colour("border"))
        grid.setAlpha(110)
        text = QColor(colour("text"))
        ticks, step = self._y_ticks(y_range)
        for value in ticks:
            y = frame.point(x_range[0], value).y()
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            painter.setPen(text)
            label = tick_text(value, step)
            painter.drawText(QPointF(rect.left() - 6 - metrics.horizontalAdvance(label), y + metrics.ascent() / 2 - 1), label)
        labels = self.x_labels if self.x_labels is not None else [
            (value, tick_text(value, 1.0)) for value in nice_ticks(max(x_range[0], 0.0), x_range[1]) if value == int(value)]
        for value, label in labels:
            x = frame.point(value, y_range[0]).x()
            if rect.left() - 1 <= x <= rect.right() + 1:
                width = metrics.horizontalAdvance(label)
                left = min(x - width / 2, self.width() - width - 2)  # the last label stays whole at the edge
                painter.setPen(text)
                painter.drawText(QPointF(left, rect.bottom() + 6 + metrics.ascent()), label)
                painter.setPen(QColor(colour("border")))
                painter.drawLine(QPointF(x, rect.bottom()), QPointF(x, rect.bottom() + 4))
        painter.setPen(QPen(QColor(colour("border")), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.topLeft())

    @staticmethod
    def _draw_bars(painter: QPainter, frame: Frame, series: Series) -> None:
        base = frame.y_range[0]
        for index, (x, y) in enumerate(zip(series.xs, series.ys, strict=True)):
            top_left = frame.point(x - BAR_WIDTH / 2, max(y, base))
            bottom_right = frame.point(x + BAR_WIDTH / 2, base)
            fill = QColor(series.colour_of(index))
            painter.setPen(QPen(fill.darker(125), 1))
            painter.setBrush(fill)
            painter.drawRect(QRectF(top_left, bottom_right))

    @staticmethod
    def _draw_line(painter: QPainter, frame: Frame, series: Series) -> None:
        points = [frame.point(x, y) for x, y in zip(series.xs, series.ys, strict=True)]
        line_colour = QColor(series.colour_of(0))
        if series.kind == "line" and len(points) > 1:
            path = QPainterPath(points[0])
            for point in points[1:]:
                path.lineTo(point)
            painter.setPen(QPen(line_colour, 1.6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
        if series.marker == "o":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(line_colour)
            for point in points:
                painter.drawEllipse(point, 3.0, 3.0)
        elif series.marker == "x":
            pen = QPen(line_colour, 2.2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            for point in points:
                painter.drawLine(point + QPointF(-3.5, -3.5), point + QPointF(3.5, 3.5))
                painter.drawLine(point + QPointF(-3.5, 3.5), point + QPointF(3.5, -3.5))
