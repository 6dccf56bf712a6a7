"""A log that stays fast with millions of lines: rows in sealed chunks, painted only when visible."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from cronium_desktop.engine.clock import to_local
from cronium_desktop.ui.theme import colour

TextRole = Qt.ItemDataRole.UserRole + 1
StreamRole = Qt.ItemDataRole.UserRole + 2
TimeRole = Qt.ItemDataRole.UserRole + 3
CHUNK_ROWS = 4096
T = TypeVar("T")


class ChunkedColumn(Generic[T]):
    """An append-only column kept as tuples of `CHUNK_ROWS` values plus a short open list.

    Python's cycle collector walks every list it tracks, item by item, at each full collection: with
    a million log lines in plain lists that was a 100 ms pause, growing with the log. A tuple of
    strings or datetimes is untracked after its first collection, so sealed chunks cost nothing.
    """

    def __init__(self) -> None:
        self._sealed: list[tuple[T, ...]] = []
        self._open: list[T] = []

    def append(self, value: T) -> None:
        self._open.append(value)
        if len(self._open) == CHUNK_ROWS:
            self._sealed.append(tuple(self._open))
            self._open = []

    def extend(self, values: tuple[T, ...] | list[T]) -> None:
        """Many values at once: slices, not a Python step per value."""
        start = 0
        while start < len(values):
            room = CHUNK_ROWS - len(self._open)
            self._open.extend(values[start:start + room])
            start += room
            if len(self._open) == CHUNK_ROWS:
                self._sealed.append(tuple(self._open))
                self._open = []

    def __len__(self) -> int:
        return len(self._sealed) * CHUNK_ROWS + len(self._open)

    def __getitem__(self, row: int) -> T:
        chunk, offset = divmod(row, CHUNK_ROWS)
        return self._sealed[chunk][offset] if chunk < len(self._sealed) else self._open[offset]

    def __iter__(self) -> Iterator[T]:
        for chunk in self._sealed:
            yield from chunk
        yield from self._open


class LineColumns:
    """Log lines as three columns (times, streams, texts), the way they travel to the view.

    A flood arrives as segments of one stream and one read time: they are added to the columns with
    no object per line (a tuple a line, transposed again for the model, was most of the window's work
    while a run printed a million lines)."""

    __slots__ = ("times", "streams", "texts")

    def __init__(self, times: list[datetime] | None = None, streams: list[str] | None = None,
                 texts: list[str] | None = None) -> None:
        self.times = times if times is not None else []
        self.streams = streams if streams is not None else []
        self.texts = texts if texts is not None else []

    @classmethod
    def of(cls, lines: Iterable[tuple[datetime, str, str]]) -> LineColumns:
        columns = cls()
        for ts, stream, text in lines:
            columns.times.append(ts)
            columns.streams.append(stream)
            columns.texts.append(text)
        return columns

    @classmethod
    def of_records(cls, records: Iterable[Any]) -> LineColumns:
        """Stored log records (`runs.log`), a server's lines marked with its name."""
        return cls.of((r.ts, r.stream, f"[{r.server}] {r.text}" if r.server else r.text) for r in records)

    def add(self, ts: datetime, stream: str, texts: list[str]) -> None:
        """Lines of one stream read at one moment."""
        self.times.extend(itertools.repeat(ts, len(texts)))
        self.streams.extend(itertools.repeat(stream, len(texts)))
        self.texts.extend(texts)

    def extend(self, other: LineColumns) -> None:
        self.times.extend(other.times)
        self.streams.extend(other.streams)
        self.texts.extend(other.texts)

    def split(self, count: int) -> tuple[LineColumns, LineColumns]:
        """The first `count` lines and the rest."""
        return (LineColumns(self.times[:count], self.streams[:count], self.texts[:count]),
                LineColumns(self.times[count:], self.streams[count:], self.texts[count:]))

    def newer_than(self, moment: datetime | None) -> LineColumns:
        if moment is None:
            return self
        return LineColumns.of(line for line in self.rows() if line[0] > moment)

    def rows(self) -> list[tuple[datetime, str, str]]:
        return list(zip(self.times, self.streams, self.texts, strict=True))

    def __len__(self) -> int:
        return len(self.texts)


class LogModel(QAbstractTableModel):
    """Append-only lines in two columns (local time, text); `append_lines` inserts a batch at once."""

    def __init__(self) -> None:
        super().__init__()
        self._ts: ChunkedColumn[datetime] = ChunkedColumn()
        self._streams: ChunkedColumn[str] = ChunkedColumn()
        self._texts: ChunkedColumn[str] = ChunkedColumn()
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
                return to_local(self._ts[row]).strftime("%H:%M:%S.%f")[:-3]
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

    def append_lines(self, lines: LineColumns) -> None:
        if not lines:
            return
        first = len(self._texts)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        self._ts.extend(lines.times)
        self._streams.extend(lines.streams)
        self._texts.extend(lines.texts)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.match_row = -1
        self._ts, self._streams, self._texts = ChunkedColumn(), ChunkedColumn(), ChunkedColumn()
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
