"""A log that stays fast with millions of lines: rows in plain lists, painted only when visible."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from cronium_desktop.ui.theme import colour

TextRole = Qt.ItemDataRole.UserRole + 1
StreamRole = Qt.ItemDataRole.UserRole + 2
TimeRole = Qt.ItemDataRole.UserRole + 3


class LogModel(QAbstractTableModel):
    """Append-only lines in two columns (local time, text); `append_lines` inserts a batch at once."""

    def __init__(self) -> None:
        super().__init__()
        self._ts: list[datetime] = []
        self._streams: list[str] = []
        self._texts: list[str] = []
        self.match_row = -1
        self._italic = QFont()
        self._italic.setItalic(True)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._texts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 2

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = index.row()
        if not index.isValid() or row >= len(self._texts):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return self._ts[row].replace(tzinfo=UTC).astimezone().strftime("%H:%M:%S.%f")[:-3]
            return self._texts[row]
        if role == TextRole:
            return self._texts[row]
        if role == StreamRole:
            return self._streams[row]
        if role == TimeRole:
            return self._ts[row]
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == 0:
                return QColor(colour("muted"))
            return QColor(colour({"stderr": "stderr", "system": "system"}.get(self._streams[row], "text")))
        if role == Qt.ItemDataRole.FontRole and self._streams[row] == "system":
            return self._italic
        if role == Qt.ItemDataRole.BackgroundRole and row == self.match_row:
            return QColor(colour("match"))
        return None

    def append_lines(self, lines: list[tuple[datetime, str, str]]) -> None:
        if not lines:
            return
        first = len(self._texts)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        for ts, stream, text in lines:
            self._ts.append(ts)
            self._streams.append(stream)
            self._texts.append(text)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.match_row = -1
        self._ts, self._streams, self._texts = [], [], []
        self.endResetModel()

    def find(self, needle: str, start: int, forward: bool = True) -> int | None:
        """Row of the next line containing `needle` (case-insensitive), wrapping around."""
        if not needle or not self._texts:
            return None
        needle = needle.lower()
        count = len(self._texts)
        for step in range(1, count + 1):
            row = (start + step) % count if forward else (start - step) % count
            if needle in self._texts[row].lower():
                return row
        return None

    def text_of(self, rows: list[int]) -> str:
        return "\n".join(self._texts[row] for row in rows if 0 <= row < len(self._texts))
