"""TerminalWidget: draws a TerminalScreen cell by cell and turns keys, paste and resizes into bytes.

It knows nothing of SSH: bytes come in through `feed()`, bytes for the program go out through
`sendRequested`, the grid size through `sizeChanged`. Only the rows that changed are repainted.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QClipboard,
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollBar, QSizePolicy, QWidget
from pyte.screens import Char

from cronium_desktop.ui.terminal import palette
from cronium_desktop.ui.terminal.keys import key_bytes
from cronium_desktop.ui.terminal.screen import Line, TerminalScreen

PADDING = 6
WHEEL_LINES = 3
FONT_FAMILIES = ["DejaVu Sans Mono", "Menlo", "Consolas", "Cascadia Mono", "Liberation Mono", "Noto Mono", "monospace"]
_BLANK = Char(" ")
_SELECTION = QColor(palette.SELECTION)
_CURSOR = QColor(palette.CURSOR)
_WORD_CHARACTERS = set("-_./~:@%+=,#?&")

Cell = tuple[int, int]  # (stable line number, column)


def terminal_font(point_size: float = 10.5) -> QFont:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setStyleHint(QFont.StyleHint.TypeWriter)
    font.setFixedPitch(True)
    font.setKerning(False)
    font.setPointSizeF(point_size)
    return font


class TerminalWidget(QWidget):
    sendRequested = Signal(bytes)  # bytes for the program: keys, pastes, replies to its queries
    sizeChanged = Signal(int, int)  # columns, rows
    titleChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None, columns: int = 80, rows: int = 24) -> None:
        super().__init__(parent)
        self.terminal_screen = TerminalScreen(columns, rows)
        self._scrollback = 0  # how many lines the view is scrolled back from the live screen
        self._selection: tuple[Cell, Cell] | None = None
        self._anchor: Cell | None = None
        self._selecting = False
        self._cursor_row = 0
        self._title = ""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.scrollbar = QScrollBar(Qt.Orientation.Vertical, self)
        self.scrollbar.setCursor(Qt.CursorShape.ArrowCursor)
        self.scrollbar.setStyleSheet(
            f"QScrollBar {{ background: {palette.BACKGROUND}; width: 10px; border: none; }}"
            "QScrollBar::handle { background: #3b3f47; border-radius: 4px; min-height: 24px; margin: 1px; }"
            "QScrollBar::handle:hover { background: #4b515c; }"
            "QScrollBar::add-line, QScrollBar::sub-line { height: 0; }"
            "QScrollBar::add-page, QScrollBar::sub-page { background: none; }"
        )
        self.scrollbar.valueChanged.connect(self._scrollbar_moved)
        self._fonts: dict[tuple[bool, bool], QFont] = {}
        self.set_font(terminal_font())
        self._sync_scrollbar()

    # -- metrics ----------------------------------------------------------------------------------------

    def set_font(self, font: QFont) -> None:
        """Cells are whole pixels wide; letter spacing makes the font's advance match, so no gaps."""
        metrics = QFontMetricsF(font)
        advance = metrics.horizontalAdvance("M")
        self.cell_width = max(1, math.ceil(advance - 0.01))
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, self.cell_width - advance)
        self.cell_height = math.ceil(metrics.height())
        self.ascent = round(metrics.ascent() + (self.cell_height - metrics.height()) / 2)
        self._fonts = {}
        for bold in (False, True):
            for italic in (False, True):
                variant = QFont(font)
                variant.setBold(bold)
                variant.setItalic(italic)
                self._fonts[(bold, italic)] = variant
        self.setFont(font)
        self._fit_to_size()
        self.update()

    def grid_size_for(self, width: int, height: int) -> tuple[int, int]:
        usable_width = width - 2 * PADDING - self.scrollbar.sizeHint().width()
        return max(2, usable_width // self.cell_width), max(1, (height - 2 * PADDING) // self.cell_height)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(80 * self.cell_width + 2 * PADDING + self.scrollbar.sizeHint().width(),
                     24 * self.cell_height + 2 * PADDING)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        bar = self.scrollbar.sizeHint().width()
        self.scrollbar.setGeometry(self.width() - bar, 0, bar, self.height())
        self._fit_to_size()
        super().resizeEvent(event)

    def _fit_to_size(self) -> None:
        columns, rows = self.grid_size_for(self.width(), self.height())
        if (columns, rows) == (self.terminal_screen.columns, self.terminal_screen.lines):
            return
        self.terminal_screen.resize(columns, rows)
        self.terminal_screen.take_dirty()
        self._scrollback = min(self._scrollback, self.terminal_screen.history_size)
        self._sync_scrollbar()
        self.update()
        self.sizeChanged.emit(columns, rows)

    # -- output ---------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Show the program's output; answers to its queries go out through `sendRequested`."""
        scrolled_before = self.terminal_screen.scrolled_lines
        self.terminal_screen.feed(data)
        replies = self.terminal_screen.take_replies()
        if replies:
            self.sendRequested.emit(replies)
        dirty = self.terminal_screen.take_dirty()
        if self._scrollback:
            grown = self.terminal_screen.scrolled_lines - scrolled_before
            self._scrollback = min(self._scrollback + grown, self.terminal_screen.history_size)
            self.update()
        else:
            cursor_row = self.terminal_screen.cursor.y
            for row in dirty | {self._cursor_row, cursor_row}:
                if row < self.terminal_screen.lines:
                    self.update(self._row_rect(row))
            self._cursor_row = cursor_row
        self._sync_scrollbar()
        if self.terminal_screen.title != self._title:
            self._title = self.terminal_screen.title
            self.titleChanged.emit(self._title)

    def display(self) -> list[str]:
        """The visible text, line by line (what a user reads, and what tests check)."""
        return self.terminal_screen.display(self._scrollback)

    # -- painting -------------------------------------------------------------------------------------

    def _row_rect(self, row: int) -> QRect:
        return QRect(0, PADDING + row * self.cell_height, self.width(), self.cell_height)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(event.rect(), palette.colour("default", foreground=False))
        rows: set[int] = set()
        for rect in event.region():  # type: ignore[attr-defined]  # a QRegion iterates its rectangles; the stubs omit __iter__
            first = max(0, (rect.top() - PADDING) // self.cell_height)
            last = min(self.terminal_screen.lines - 1, (rect.bottom() - PADDING) // self.cell_height)
            rows.update(range(first, last + 1))
        for row in sorted(rows):
            self._paint_row(painter, row)
        self._paint_cursor(painter)
        painter.end()

    def _selected_columns(self, number: int) -> tuple[int, int] | None:
        if self._selection is None:
            return None
        (start_line, start_column), (end_line, end_column) = self._selection
        if not start_line <= number <= end_line:
            return None
        first = start_column if number == start_line else 0
        last = end_column if number == end_line else self.terminal_screen.columns - 1
        return first, last

    def _paint_row(self, painter: QPainter, row: int) -> None:
        line = self.terminal_screen.row(row, self._scrollback)
        number = self.terminal_screen.scrolled_lines - self._scrollback + row
        selected = self._selected_columns(number)
        top = PADDING + row * self.cell_height
        baseline = top + self.ascent
        columns = self.terminal_screen.columns
        column = 0
        while column < columns:
            char = line.get(column, _BLANK)
            style = self._style(char, selected is not None and selected[0] <= column <= selected[1])
            end = column + 1
            while end < columns:
                following = line.get(end, _BLANK)
                in_selection = selected is not None and selected[0] <= end <= selected[1]
                if self._style(following, in_selection) != style:
                    break
                end += 1
            self._paint_run(painter, line, column, end, top, baseline, style)
            column = end

    @staticmethod
    def _style(char: Char, selected: bool) -> tuple[str, str, bool, bool, bool, bool, bool, bool]:
        return (char.fg, char.bg, char.bold, char.italics, char.underscore, char.strikethrough, char.reverse, selected)

    def _paint_run(self, painter: QPainter, line: Line, start: int, end: int, top: int, baseline: int,
                   style: tuple[str, str, bool, bool, bool, bool, bool, bool]) -> None:
        fg_name, bg_name, bold, italic, underline, strike, reverse, selected = style
        foreground = palette.colour(fg_name, True, bold)
        background = palette.colour(bg_name, False)
        if reverse:
            foreground, background = background, foreground
        if selected:
            background = _SELECTION
        x = PADDING + start * self.cell_width
        width = (end - start) * self.cell_width
        if bg_name != "default" or reverse or selected:
            painter.fillRect(QRect(x, top, width, self.cell_height), background)
        text = "".join(line[c].data if c in line else " " for c in range(start, end))
        if text.strip():
            painter.setFont(self._fonts[(bold, italic)])
            painter.setPen(foreground)
            if text.isascii():
                painter.drawText(QPointF(x, baseline), text)
            else:  # wide or fallback-font glyphs: one cell at a time keeps the grid exact
                for offset, column in enumerate(range(start, end)):
                    glyph = line[column].data if column in line else " "
                    if glyph.strip():
                        painter.drawText(QPointF(x + offset * self.cell_width, baseline), glyph)
        if underline:
            painter.fillRect(QRect(x, baseline + 2, width, 1), foreground)
        if strike:
            painter.fillRect(QRect(x, top + self.cell_height // 2, width, 1), foreground)

    def _paint_cursor(self, painter: QPainter) -> None:
        cursor = self.terminal_screen.cursor
        row = cursor.y + self._scrollback
        if not cursor.visible or row >= self.terminal_screen.lines:
            return
        rect = QRect(PADDING + cursor.x * self.cell_width, PADDING + row * self.cell_height,
                     self.cell_width, self.cell_height)
        colour = _CURSOR
        if not self.hasFocus():
            painter.setPen(colour)
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
            return
        painter.fillRect(rect, colour)
        char = self.terminal_screen.row(cursor.y).get(cursor.x, _BLANK)
        if char.data.strip():
            painter.setFont(self._fonts[(char.bold, char.italics)])
            painter.setPen(palette.colour("default", False))
            painter.drawText(QPointF(rect.x(), rect.y() + self.ascent), char.data)

    # -- scrollback -------------------------------------------------------------------------------------

    @property
    def scrollback(self) -> int:
        return self._scrollback

    def scroll_lines(self, lines: int) -> None:
        """Positive scrolls back into history, negative towards the live screen."""
        value = max(0, min(self.terminal_screen.history_size, self._scrollback + lines))
        if value != self._scrollback:
            self._scrollback = value
            self._sync_scrollbar()
            self.update()

    def scroll_to_bottom(self) -> None:
        self.scroll_lines(-self._scrollback)

    def _sync_scrollbar(self) -> None:
        history = self.terminal_screen.history_size
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, history)
        self.scrollbar.setPageStep(self.terminal_screen.lines)
        self.scrollbar.setValue(history - self._scrollback)
        self.scrollbar.blockSignals(False)

    def _scrollbar_moved(self, value: int) -> None:
        self._scrollback = self.terminal_screen.history_size - value
        self.update()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        notches = event.angleDelta().y() / 120
        lines = round(notches * WHEEL_LINES) or (1 if notches > 0 else -1 if notches < 0 else 0)
        if not lines:
            return
        if self.terminal_screen.in_alternate_screen:  # full-screen programs scroll themselves: send arrows
            arrow = ("\x1bOA" if self.terminal_screen.application_cursor_keys else "\x1b[A") if lines > 0 else \
                    ("\x1bOB" if self.terminal_screen.application_cursor_keys else "\x1b[B")
            self.sendRequested.emit(arrow.encode() * abs(lines))
        else:
            self.scroll_lines(lines)
        event.accept()

    # -- keyboard ---------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Window shortcuts (Ctrl+R, Ctrl+F, …) mean something to the shell: keep them here, except
        # Ctrl+Shift combinations, which the terminal and its page use for their own commands.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
            if (event.modifiers() & both) != both:
                event.accept()
                return True
        return super().event(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802,A002 - Qt override; Tab goes to the shell
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key, modifiers = event.key(), event.modifiers()
        ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if (modifiers & ctrl_shift) == ctrl_shift and key == Qt.Key.Key_C:
            self.copy()
            return
        if ((modifiers & ctrl_shift) == ctrl_shift and key == Qt.Key.Key_V) or \
                (modifiers == Qt.KeyboardModifier.ShiftModifier and key == Qt.Key.Key_Insert):
            self.paste()
            return
        if modifiers == Qt.KeyboardModifier.ShiftModifier and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            page = max(1, self.terminal_screen.lines - 1)
            self.scroll_lines(page if key == Qt.Key.Key_PageUp else -page)
            return
        data = key_bytes(key, modifiers, event.text(), self.terminal_screen.application_cursor_keys)
        if not data:
            super().keyPressEvent(event)
            return
        self._send_typed(data)

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:  # noqa: N802 - Qt override
        if event.commitString():
            self._send_typed(event.commitString().encode())
        event.accept()

    def _send_typed(self, data: bytes) -> None:
        self.scroll_to_bottom()
        if self._selection is not None:
            self._selection = None
            self.update()
        self.sendRequested.emit(data)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        self.update(self._row_rect(self.terminal_screen.cursor.y + self._scrollback))
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        self.update(self._row_rect(self.terminal_screen.cursor.y + self._scrollback))
        super().focusOutEvent(event)

    # -- selection, copy and paste ----------------------------------------------------------------------

    def cell_at(self, point: QPoint) -> Cell:
        column = min(max(0, (point.x() - PADDING) // self.cell_width), self.terminal_screen.columns - 1)
        row = min(max(0, (point.y() - PADDING) // self.cell_height), self.terminal_screen.lines - 1)
        return self.terminal_screen.scrolled_lines - self._scrollback + row, column

    def cell_centre(self, row: int, column: int) -> QPoint:
        """Where on the widget the cell at view row `row` and `column` is (for tests and drags)."""
        return QPoint(PADDING + column * self.cell_width + self.cell_width // 2,
                      PADDING + row * self.cell_height + self.cell_height // 2)

    def select(self, start: Cell, end: Cell) -> None:
        self._selection = (min(start, end), max(start, end))
        self.update()

    def clear_selection(self) -> None:
        self._selection = None
        self.update()

    def selected_text(self) -> str:
        if self._selection is None:
            return ""
        (start_line, _), (end_line, _) = self._selection
        parts = []
        for number in range(start_line, end_line + 1):
            columns = self._selected_columns(number)
            assert columns is not None
            line = self.terminal_screen.line_by_number(number)
            parts.append(self.terminal_screen.text(line, columns[0], columns[1] + 1).rstrip())
        return "\n".join(parts)

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def paste(self, mode: QClipboard.Mode = QClipboard.Mode.Clipboard) -> None:
        self.paste_text(QGuiApplication.clipboard().text(mode))

    def paste_text(self, text: str) -> None:
        """Send text as if typed; in bracketed-paste mode the shell sees it as one paste, not commands."""
        if not text:
            return
        text = text.replace("\r\n", "\r").replace("\n", "\r")
        data = text.encode()
        if self.terminal_screen.bracketed_paste:
            data = b"\x1b[200~" + data.replace(b"\x1b[201~", b"") + b"\x1b[201~"
        self._send_typed(data)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor = self.cell_at(event.position().toPoint())
            self._selecting = True
            if self._selection is not None:
                self.clear_selection()
        elif event.button() == Qt.MouseButton.MiddleButton:
            clipboard = QGuiApplication.clipboard()
            self.paste(QClipboard.Mode.Selection if clipboard.supportsSelection() else QClipboard.Mode.Clipboard)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._selecting and self._anchor is not None:
            cell = self.cell_at(event.position().toPoint())
            if cell != self._anchor or self._selection is not None:
                self.select(self._anchor, cell)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._selecting = False
            clipboard = QGuiApplication.clipboard()
            if self._selection is not None and clipboard.supportsSelection():
                clipboard.setText(self.selected_text(), QClipboard.Mode.Selection)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Double-click selects the word (or path, or URL) under the pointer."""
        number, column = self.cell_at(event.position().toPoint())
        line = self.terminal_screen.line_by_number(number)

        def is_word(x: int) -> bool:
            data = line[x].data if x in line else " "
            return bool(data) and (data.isalnum() or data in _WORD_CHARACTERS)

        if not is_word(column):
            return
        start, end = column, column
        while start > 0 and is_word(start - 1):
            start -= 1
        while end < self.terminal_screen.columns - 1 and is_word(end + 1):
            end += 1
        self._selecting = False
        self.select((number, start), (number, end))
        clipboard = QGuiApplication.clipboard()
        if clipboard.supportsSelection():
            clipboard.setText(self.selected_text(), QClipboard.Mode.Selection)
