"""Error lines in a log that name a line of the event's script become links to that line.

Python `File ".../script.py", line 12`, Node.js `.../script.js:12`, Bash `.../script.sh: line 12:`.
Only the script's own frames are links: a library's frame names a file the editor does not hold.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView, QWidget

from cronium_desktop.ui.common import spawn
from cronium_desktop.ui.theme import colour

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine

PATTERNS = (
    re.compile(r'File "(?:[^"]*[/\\])?script\.py", line (\d+)'),
    re.compile(r"(?:^|[/\\\s(])script\.js:(\d+)(?::\d+)?"),
    re.compile(r"(?:^|[/\\\s])script\.sh: line (\d+):"),
    re.compile(r"^line (\d+): "),
)
TEXT_COLUMN = 1


def script_line(text: str) -> int | None:
    """The script line (1 = first) a log line points at, if it points at one."""
    for pattern in PATTERNS:
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    return None


class LinkDelegate(QStyledItemDelegate):
    """Paints linking lines underlined in the link colour; the model stays as it is."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        if script_line(str(index.data(Qt.ItemDataRole.DisplayRole) or "")) is not None:
            option.font.setUnderline(True)  # type: ignore[attr-defined]
            option.palette.setColor(option.palette.ColorRole.Text, QColor(colour("accent")))  # type: ignore[attr-defined]


def install(table: QTableView, on_line: Any) -> None:
    """Make `table`'s linking rows look like links and call `on_line(line)` when one is clicked."""
    delegate = LinkDelegate(table)
    table.setItemDelegateForColumn(TEXT_COLUMN, delegate)
    table.setMouseTracking(True)

    def clicked(index: QModelIndex) -> None:
        line = script_line(str(index.siblingAtColumn(TEXT_COLUMN).data(Qt.ItemDataRole.DisplayRole) or ""))
        if line is not None:
            on_line(line)

    def hovered(index: QModelIndex) -> None:
        text = str(index.siblingAtColumn(TEXT_COLUMN).data(Qt.ItemDataRole.DisplayRole) or "")
        linked = script_line(text) is not None
        table.viewport().setCursor(Qt.CursorShape.PointingHandCursor if linked else Qt.CursorShape.ArrowCursor)

    table.clicked.connect(clicked)
    table.entered.connect(hovered)


def open_event_at_line(engine: Engine, execution_id: int | None, line: int, parent: QWidget) -> None:
    """Open the editor of the run's event at `line`, the line marked."""
    if execution_id is None:
        return

    async def open_editor() -> None:
        from cronium_desktop.ui.events.editor import EventEditor

        summary = await engine.runs.summary(execution_id)
        if summary.event_id is None:
            return
        data = await engine.events.get(summary.event_id)
        editor = EventEditor(engine, data, parent)
        editor.show_script_line(line)
        editor.open()

    spawn(open_editor(), parent, "Opening the event at that line")
