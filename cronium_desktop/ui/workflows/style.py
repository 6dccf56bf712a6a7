"""How the canvas looks: edge colours and labels, event type badges, node sizes, run state colours."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPen, QPixmap

from cronium_desktop.ui import theme

NODE_WIDTH = 210.0
NODE_HEIGHT = 64.0
PORT_RADIUS = 7.0
PORT_HIT_RADIUS = 16.0  # a press this close to a port's centre starts a connection, not a move
GRID = 20

EDGE_COLOURS = {"ALWAYS": "#8c959f", "ON_SUCCESS": "#2da44e", "ON_FAILURE": "#cf222e", "ON_CONDITION": "#d4a017"}
EDGE_LABELS = {"ALWAYS": "always", "ON_SUCCESS": "on success", "ON_FAILURE": "on failure", "ON_CONDITION": "on condition"}

TYPE_BADGES = {  # type → (short text, colour)
    "BASH": ("$_", "#3d4451"),
    "PYTHON": ("Py", "#3572a5"),
    "NODEJS": ("JS", "#4f8a2f"),
    "HTTP_REQUEST": ("⇄", "#8250df"),
    "TOOL_ACTION": ("✉", "#c2410c"),
    "WORKFLOW": ("WF", "#0e7490"),  # a node that runs another workflow
}
TYPE_NAMES = {"BASH": "Bash", "PYTHON": "Python", "NODEJS": "Node.js", "HTTP_REQUEST": "HTTP request",
              "TOOL_ACTION": "Tool action"}
UNKNOWN_BADGE = ("?", "#8c959f")


def is_dark() -> bool:
    return theme.current() == "dark"


def canvas_colours() -> dict[str, QColor]:
    dark = is_dark()
    return {
        "background": QColor("#1e1f23" if dark else "#f7f8fa"),
        "grid_minor": QColor("#232428" if dark else "#f0f1f4"),
        "grid_major": QColor("#2a2c31" if dark else "#e6e8ec"),
        "card": QColor("#2a2c31" if dark else "#ffffff"),
        "card_border": QColor("#3a3d44" if dark else "#d5d9e0"),
        "text": QColor(theme.colour("text")),
        "muted": QColor(theme.colour("muted")),
        "accent": QColor(theme.colour("accent")),
        "port": QColor("#9aa0a6" if dark else "#8c959f"),
        "label_fill": QColor("#2a2c31" if dark else "#ffffff"),
    }


def state_colour(status: str) -> QColor:
    return QColor(theme.colour(status))


def badge(event_type: str | None) -> tuple[str, QColor]:
    text, colour = TYPE_BADGES.get(event_type or "", UNKNOWN_BADGE)
    if event_type == "BASH" and is_dark():
        colour = "#5b6473"  # the near-black Bash badge would vanish on a dark card
    return text, QColor(colour)


def paint_badge(painter: QPainter, rect: QRectF, event_type: str | None) -> None:
    text, colour = badge(event_type)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(rect, 7, 7)
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(int(rect.height() * 0.42))
    painter.setFont(font)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def type_icon(event_type: str | None, size: int = 22) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    paint_badge(painter, QRectF(1, 1, size - 2, size - 2), event_type)
    painter.end()
    return QIcon(pixmap)


def paint_grid(painter: QPainter, rect: QRectF) -> None:
    """A subtle grid: fine lines every 20 px when they are far enough apart, stronger ones every 100 px."""
    colours = canvas_colours()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # hairlines on whole pixels: crisp and fast
    painter.fillRect(rect, colours["background"])
    scale = painter.worldTransform().m11()
    for step, colour in ((GRID, colours["grid_minor"]), (GRID * 5, colours["grid_major"])):
        if step * scale < 9:
            continue
        lines = []
        x = math.floor(rect.left() / step) * step
        while x <= rect.right():
            if step == GRID * 5 or round(x / step) % 5:
                lines.append(QLineF(x, rect.top(), x, rect.bottom()))
            x += step
        y = math.floor(rect.top() / step) * step
        while y <= rect.bottom():
            if step == GRID * 5 or round(y / step) % 5:
                lines.append(QLineF(rect.left(), y, rect.right(), y))
            y += step
        painter.setPen(QPen(colour, 0))
        painter.drawLines(lines)


def edge_swatch(edge_type: str) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(EDGE_COLOURS[edge_type]))
    return QIcon(pixmap)
