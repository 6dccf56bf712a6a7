"""Graphics items of the canvas: a node card with its two ports, and an edge with its type label.

Items only draw; they read what they show from the model (through the scene) and never edit it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from cronium_desktop.ui.workflows import style
from cronium_desktop.ui.workflows.model import EdgeKey

if TYPE_CHECKING:
    from cronium_desktop.ui.workflows.scene import WorkflowScene

W, H, R = style.NODE_WIDTH, style.NODE_HEIGHT, style.PORT_RADIUS
HIT = style.PORT_HIT_RADIUS
STATE_TEXT = {"PENDING": "Pending", "RUNNING": "Running", "SUCCESS": "Success", "FAILURE": "Failed",
              "TIMEOUT": "Timed out", "CANCELLED": "Cancelled", "PARTIAL": "Partial", "SKIPPED": "Skipped"}


def _fonts() -> tuple[QFont, QFont]:
    title = QFont()
    title.setPixelSize(13)
    title.setWeight(QFont.Weight.DemiBold)
    small = QFont()
    small.setPixelSize(11)
    return title, small


class NodeItem(QGraphicsItem):
    """A card: type badge, label, event and last state; input port on the left, output on the right."""

    def __init__(self, scene: WorkflowScene, node_id: str) -> None:
        super().__init__()
        self.workflow_scene = scene
        self.node_id = node_id
        self.run_state: str | None = None
        self.highlighted = False  # a connection being dragged would end here
        self.hovered_port: str | None = None  # the port under the mouse: drawn larger, with the connect cursor
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        return QRectF(-HIT - 2, -6, W + 2 * HIT + 4, H + 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        # Winding fill: where a port's circle overlaps the card it still counts as inside (the default
        # odd-even rule made the inner half of each port a hole, so presses there missed the port).
        path.setFillRule(Qt.FillRule.WindingFill)
        path.addRoundedRect(QRectF(0, 0, W, H), 10, 10)
        path.addEllipse(self.input_port(), HIT, HIT)
        path.addEllipse(self.output_port(), HIT, HIT)
        return path

    @staticmethod
    def input_port() -> QPointF:
        return QPointF(0, H / 2)

    @staticmethod
    def output_port() -> QPointF:
        return QPointF(W, H / 2)

    def port_at(self, local: QPointF) -> str | None:
        for name, point in (("out", self.output_port()), ("in", self.input_port())):
            if math.hypot(local.x() - point.x(), local.y() - point.y()) <= HIT:
                return name
        return None

    def hoverMoveEvent(self, event: Any) -> None:
        port = self.port_at(event.pos())
        if port != self.hovered_port:
            self.hovered_port = port
            if port == "out":
                self.setCursor(Qt.CursorShape.CrossCursor)
                self.setToolTip("Drag from here to another node to connect them")
            else:
                self.unsetCursor()
                self.setToolTip("")
            self.update()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event: Any) -> None:
        if self.hovered_port is not None:
            self.hovered_port = None
            self.unsetCursor()
            self.update()
        super().hoverLeaveEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.workflow_scene.node_item_moved(self.node_id)
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        node = self.workflow_scene.model.nodes.get(self.node_id)
        if node is None:
            return
        colours = style.canvas_colours()
        is_workflow = node.kind == "WORKFLOW"
        info = None if is_workflow else self.workflow_scene.event_info(node.event)
        card = QRectF(0, 0, W, H)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())

        border = colours["card_border"]
        width = 1.0
        if self.run_state:
            border, width = style.state_colour(self.run_state), 2.5
        if self.isSelected() or self.highlighted:
            border, width = colours["accent"], 2.5
        if self.run_state == "RUNNING":
            glow = QColor(style.state_colour("RUNNING"))
            glow.setAlphaF(0.18 + 0.25 * self.workflow_scene.pulse)
            painter.setPen(QPen(glow, 6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(card.adjusted(-2, -2, 2, 2), 12, 12)
        painter.setPen(QPen(border, width))
        fill = QColor(colours["card"])
        if self.run_state in ("SKIPPED", "CANCELLED"):
            fill.setAlphaF(0.7)
        painter.setBrush(fill)
        painter.drawRoundedRect(card, 10, 10)

        if lod >= 0.35:
            style.paint_badge(painter, QRectF(12, 14, 36, 36), "WORKFLOW" if is_workflow else (info.type if info else None))
            title_font, small_font = _fonts()
            small_metrics = QFontMetrics(small_font)
            text_left = 58.0
            painter.setFont(title_font)
            painter.setPen(colours["text"])
            title_width = W - text_left - 12
            title = QFontMetrics(title_font).elidedText(node.label, Qt.TextElideMode.ElideRight, int(title_width))
            painter.drawText(QRectF(text_left, 10, title_width, 18), Qt.AlignmentFlag.AlignVCenter, title)

            # second line: what the node runs on the left; this run's state (a chip) or the last result on the right
            painter.setFont(small_font)
            right = W - 10
            if self.run_state:
                chip_text = STATE_TEXT.get(self.run_state, self.run_state.title())
                chip_width = small_metrics.horizontalAdvance(chip_text) + 14
                chip = QRectF(right - chip_width, 32, chip_width, 18)
                chip_colour = style.state_colour(self.run_state)
                back = QColor(chip_colour)
                back.setAlphaF(0.15)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(back)
                painter.drawRoundedRect(chip, 9, 9)
                painter.setPen(chip_colour)
                painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
                right = chip.left() - 6
            elif info is not None and info.last_status:
                last = STATE_TEXT.get(info.last_status, info.last_status.title())
                width = small_metrics.horizontalAdvance(last)
                painter.setPen(colours["muted"])
                painter.drawText(QRectF(right - width, 33, width, 16), Qt.AlignmentFlag.AlignVCenter, last)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(style.state_colour(info.last_status))
                painter.drawEllipse(QPointF(right - width - 7, 41), 3.5, 3.5)
                right -= width + 16
            if is_workflow:
                painter.setPen(colours["muted"])
                # what it runs, as event nodes say it; double-clicking opens that workflow
                subtitle = "Workflow" if node.label == node.event else f"{node.event} · workflow"
            elif info is None:
                painter.setPen(style.state_colour("FAILURE"))
                subtitle = f"no event named '{node.event}'"
            else:
                painter.setPen(colours["muted"])
                kind = style.TYPE_NAMES.get(info.type, info.type.title())
                subtitle = kind if node.label == node.event else f"{node.event} · {kind}"
            sub_width = right - text_left
            painter.drawText(QRectF(text_left, 33, sub_width, 16), Qt.AlignmentFlag.AlignVCenter,
                             small_metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight, int(sub_width)))

        for name, point in (("in", self.input_port()), ("out", self.output_port())):
            lit = self.hovered_port == name or (self.highlighted and name == "in")
            if lit:  # a soft halo the size of the hit area says "press here"
                halo = QColor(colours["accent"])
                halo.setAlphaF(0.22)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(halo)
                painter.drawEllipse(point, HIT - 3, HIT - 3)
            painter.setPen(QPen(colours["card"], 2))
            painter.setBrush(colours["accent"] if lit else colours["port"])
            radius = R + 2 if lit else R
            painter.drawEllipse(point, radius, radius)


class EdgeItem(QGraphicsItem):
    """A curve from an output port to an input port, coloured by type, with an arrow and a label."""

    def __init__(self, scene: WorkflowScene, key: EdgeKey) -> None:
        super().__init__()
        self.workflow_scene = scene
        self.key = key
        self.path = QPainterPath()
        self.label_rect = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # curves are costly; panning blits them
        self.setZValue(0)
        self.update_path()

    @property
    def type(self) -> str:  # type: ignore[override]  # the edge's kind, not QGraphicsItem.type()
        return self.workflow_scene.model.edges[self.key].type

    def update_path(self) -> None:
        source = self.workflow_scene.node_items[self.key[0]]
        target = self.workflow_scene.node_items[self.key[1]]
        self.prepareGeometryChange()
        self.path = curve(source.pos() + NodeItem.output_port(), target.pos() + NodeItem.input_port())
        middle = self.path.pointAtPercent(0.5)
        _, small = _fonts()
        text = style.EDGE_LABELS.get(self.type, self.type)
        width = QFontMetrics(small).horizontalAdvance(text) + 14
        self.label_rect = QRectF(middle.x() - width / 2, middle.y() - 9, width, 18)

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect().adjusted(-10, -10, 10, 10).united(self.label_rect.adjusted(-2, -2, 2, 2))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        shape = stroker.createStroke(self.path)
        shape.addRoundedRect(self.label_rect, 9, 9)
        return shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(style.EDGE_COLOURS.get(self.type, "#8c959f"))
        width = 3.2 if self.isSelected() else 2.0
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        draw_arrow(painter, self.path, colour)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod >= 0.35:
            colours = style.canvas_colours()
            _, small = _fonts()
            painter.setFont(small)
            painter.setPen(QPen(colour, 1.2))
            painter.setBrush(colours["label_fill"])
            painter.drawRoundedRect(self.label_rect, 9, 9)
            painter.setPen(colour.darker(115) if not style.is_dark() else colour.lighter(120))
            painter.drawText(self.label_rect, Qt.AlignmentFlag.AlignCenter, style.EDGE_LABELS.get(self.type, self.type))


def curve(start: QPointF, end: QPointF) -> QPainterPath:
    path = QPainterPath(start)
    reach = max(50.0, abs(end.x() - start.x()) * 0.5)
    path.cubicTo(start + QPointF(reach, 0), end - QPointF(reach, 0), end)
    return path


def draw_arrow(painter: QPainter, path: QPainterPath, colour: QColor) -> None:
    """An arrow head that stops at the rim of the input port."""
    end = path.pointAtPercent(1.0)
    angle = math.radians(path.angleAtPercent(0.97))
    direction = QPointF(math.cos(angle), -math.sin(angle))  # Qt's angles turn counter-clockwise, y grows down
    tip = end - direction * (R + 1)
    back = tip - direction * 10
    normal = QPointF(-direction.y(), direction.x()) * 5
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    painter.drawPolygon(QPolygonF([tip, back + normal, back - normal]))
