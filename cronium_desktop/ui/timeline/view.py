"""The timeline's view: zoom in time (Ctrl+wheel), pan by dragging, a time axis and lane names
that stay in place, and a click on a bar or a tick that says which run or event it was."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from cronium_desktop.ui.timeline.margins import AXIS_HEIGHT, LABEL_WIDTH, AxisBar, LaneNames
from cronium_desktop.ui.timeline.scene import LANE_HEIGHT, TimelineScene

ZOOM_STEP = 1.25
STEPS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)  # axis label spacing, seconds


class TimelineView(QGraphicsView):
    runClicked = Signal(str, int, int)  # "event" (an execution) or "workflow" (a workflow run), its id, the lane's id
    laneClicked = Signal(str, int)  # a future tick: "event" or "workflow", its id

    def __init__(self, scene: TimelineScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.timeline = scene
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportMargins(LABEL_WIDTH, AXIS_HEIGHT, 0, 0)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self._pressed_at: QPoint | None = None
        # Axis and lane names live in the view's margins: panning blits the items and repaints only these.
        self.axis = AxisBar(self)
        self.names = LaneNames(self)

    # -- zoom --------------------------------------------------------------------------------------------

    @property
    def pixels_per_second(self) -> float:
        return self.transform().m11()

    def show_span(self, start: datetime, seconds: float) -> None:
        """Fit `seconds` of time into the viewport's width, starting at `start`."""
        width = max(1, self.viewport().width())
        self.resetTransform()
        self.scale(width / seconds, 1.0)
        self.scroll_to(start)

    def scroll_to(self, moment: datetime) -> None:
        if self.timeline.window is None:
            return
        x = self.timeline.seconds(moment) * self.pixels_per_second
        self.horizontalScrollBar().setValue(int(x))

    def zoom(self, factor: float, anchor_x: float) -> None:
        scene_x = self.mapToScene(QPoint(int(anchor_x), 0)).x()
        self.scale(factor, 1.0)
        # keep the time under the mouse where it was
        self.horizontalScrollBar().setValue(int(scene_x * self.pixels_per_second - anchor_x))

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP
            self.zoom(factor, event.position().x())
            event.accept()
            return
        super().wheelEvent(event)

    # -- clicks ------------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._pressed_at = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        pressed, self._pressed_at = self._pressed_at, None
        if pressed is None or (event.position().toPoint() - pressed).manhattanLength() > 4:
            return  # that was a drag
        self.click_at(event.position().toPoint())

    def click_at(self, point: QPoint) -> None:
        """Open what is under `point` (viewport coordinates): a run bar's run, a tick's event."""
        if self.timeline.window is None:
            return
        scene_point = self.mapToScene(point)
        lane = self.timeline.lane_at(scene_point.y())
        if lane is None:
            return
        tolerance = 4 / (self.pixels_per_second or 1.0)
        bar = lane.run_at(scene_point.x(), scene_point.y(), tolerance)
        if bar is not None:
            self.runClicked.emit(bar.kind, bar.run_id, lane.lane.id)
        elif lane.tick_near(scene_point.x(), tolerance) is not None:
            self.laneClicked.emit(lane.lane.kind, lane.lane.id)

    # -- the margins: time axis above, lane names left --------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        view = self.viewport().geometry()
        self.axis.setGeometry(view.left(), 0, view.width(), AXIS_HEIGHT)
        self.names.setGeometry(0, view.top(), LABEL_WIDTH, view.height())

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        if dx:
            self.axis.update()
        if dy:
            self.names.update()

    def axis_labels(self) -> list[tuple[int, str]]:
        """(x in viewport pixels, text) for the visible span, at a spacing that fits the zoom."""
        window = self.timeline.window
        if window is None:
            return []
        pps = self.pixels_per_second
        step = next((s for s in STEPS if s * pps >= 70), STEPS[-1])
        left = self.mapToScene(QPoint(0, 0)).x()
        right = self.mapToScene(QPoint(self.viewport().width(), 0)).x()
        first = (window.start + timedelta(seconds=left)).astimezone()
        moment = first.replace(minute=0, second=0, microsecond=0)
        labels = []
        while (moment - window.start).total_seconds() < right:
            x = (moment - window.start).total_seconds()
            if x >= left:
                day_start = moment.hour == 0 and moment.minute == 0
                text = moment.strftime("%a %d %b" if day_start and step >= 3600 else "%H:%M")
                labels.append((int((x - left) * pps), text))
            # step in absolute time, then back onto the local hour: labels stay on the hour across a clock change
            moment = (moment + timedelta(seconds=step)).astimezone()
            if step >= 3600:
                moment = moment.replace(minute=0, second=0, microsecond=0)
        return labels

    def scene_x(self, moment: datetime) -> float:
        return self.timeline.seconds(moment)

    def viewport_point(self, moment: datetime, row: int) -> QPoint:
        return self.mapFromScene(QPointF(self.timeline.seconds(moment), row * LANE_HEIGHT + LANE_HEIGHT / 2))
