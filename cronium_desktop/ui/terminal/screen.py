"""The terminal's screen model: pyte fed with the shell's bytes, plus what pyte leaves out.

pyte parses the VT/xterm stream into a grid of cells. On top of it this module keeps a bounded
scrollback, the alternate screen full-screen programs switch to (`vi`, `less`, `top`), the replies a
terminal owes the program (device attributes, cursor position), and a few sequences pyte does not
know (scroll up/down, repeat, save/restore cursor) or misreads (`CSI > … m` would turn on bold).
No Qt here: the widget reads cells, the session writes the replies back.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import pyte
from pyte import modes
from pyte.screens import Char, Margins

SCROLLBACK_LINES = 10_000

# Private modes pyte stores shifted left by 5, like its own DEC constants.
APPLICATION_CURSOR_KEYS = 1 << 5
BRACKETED_PASTE = 2004 << 5
ALTERNATE_SCREENS = (47, 1047, 1049)

# Sequences pyte would mis-handle, removed before parsing: DCS/APC/PM/SOS strings (pyte draws their
# payload as text) and CSI with a '>' or '=' prefix (pyte drops the prefix and dispatches the rest).
_SWALLOWED = re.compile(r"\x1b[P_^X].*?(?:\x1b\\|\x9c|\x07)|\x1b\[[>=][0-9;]*[ -/]*[@-~]", re.DOTALL)
# A possibly incomplete sequence at the end of a chunk, held back until the next chunk completes it.
_UNFINISHED = re.compile(r"\x1b(?:[P_^X](?:[^\x1b\x07\x9c]|\x1b(?=[^\\]))*\x1b?|\[[>=][0-9;]*[ -/]*)?$", re.DOTALL)
_MAX_HELD_BACK = 4096

Line = dict[int, Char]


@dataclass(frozen=True)
class CursorState:
    x: int
    y: int
    visible: bool


class _Screen(pyte.Screen):
    """pyte's Screen with scrollback, the alternate screen and the sequences listed above.

    pyte's own HistoryScreen pages by rewriting the live buffer; a terminal needs the live screen
    untouched while the user looks back, so history is a separate deque the view reads from.
    """

    def __init__(self, columns: int, lines: int, scrollback: int) -> None:
        self.history: deque[Line] = deque(maxlen=scrollback)
        self.scrolled_lines = 0  # lines ever pushed into history: gives lines stable numbers
        self.replies: list[str] = []
        self._saved_main: tuple[dict[int, Line], pyte.screens.Cursor] | None = None
        self._last_drawn = ""
        super().__init__(columns, lines)

    @property
    def in_alternate_screen(self) -> bool:
        return self._saved_main is not None

    # -- scrollback -----------------------------------------------------------------------------------

    def _keep(self, line: Line) -> None:
        self.history.append(dict(line))
        self.scrolled_lines += 1

    def index(self) -> None:
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self.cursor.y == bottom and top == 0 and not self.in_alternate_screen:
            self._keep(self.buffer[0])
        super().index()

    def erase_in_display(self, how: int = 0, *args: object, **kwargs: object) -> None:
        super().erase_in_display(how, *args, **kwargs)
        if how == 3:  # `clear` asks for the scrollback to go too
            self.history.clear()

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """Shrinking keeps the cursor's line: lines above it move into scrollback, as in xterm."""
        lines = lines or self.lines
        columns = columns or self.columns
        if lines == self.lines and columns == self.columns:
            return
        if lines < self.lines:
            overflow = max(0, self.cursor.y - (lines - 1))
            for _ in range(overflow):
                if not self.in_alternate_screen:
                    self._keep(self.buffer[0])
                for y in range(self.lines - 1):
                    self.buffer[y] = self.buffer[y + 1]
                self.buffer.pop(self.lines - 1, None)
            self.cursor.y -= overflow
            for y in range(lines, self.lines):
                self.buffer.pop(y, None)
        if columns < self.columns:
            for line in self.buffer.values():
                for x in range(columns, self.columns):
                    line.pop(x, None)
        self.lines, self.columns = lines, columns
        self.tabstops = set(range(8, columns, 8))
        self.margins = None
        self.cursor.x = min(self.cursor.x, columns)
        self.cursor.y = min(self.cursor.y, lines - 1)
        self.dirty.update(range(lines))

    # -- the alternate screen ------------------------------------------------------------------------

    def set_mode(self, *modes_: int, **kwargs: object) -> None:
        if kwargs.get("private") and any(mode in ALTERNATE_SCREENS for mode in modes_):
            self._enter_alternate(save_cursor=1049 in modes_)
        super().set_mode(*modes_, **kwargs)

    def reset_mode(self, *modes_: int, **kwargs: object) -> None:
        if kwargs.get("private") and any(mode in ALTERNATE_SCREENS for mode in modes_):
            self._leave_alternate(restore_cursor=1049 in modes_)
        super().reset_mode(*modes_, **kwargs)

    def _enter_alternate(self, save_cursor: bool) -> None:
        if self._saved_main is not None:
            return
        cursor = pyte.screens.Cursor(self.cursor.x, self.cursor.y, self.cursor.attrs)
        cursor.hidden = self.cursor.hidden
        self._saved_main = ({y: dict(line) for y, line in self.buffer.items()}, cursor)
        self.buffer.clear()
        self.margins = None
        if not save_cursor:
            self.cursor.x, self.cursor.y = cursor.x, cursor.y
        self.dirty.update(range(self.lines))

    def _leave_alternate(self, restore_cursor: bool) -> None:
        if self._saved_main is None:
            return
        saved, cursor = self._saved_main
        self._saved_main = None
        self.buffer.clear()
        for y, line in saved.items():
            if y < self.lines:
                self.buffer[y].update((x, char) for x, char in line.items() if x < self.columns)
        self.margins = None
        if restore_cursor:
            self.cursor.x = min(cursor.x, self.columns - 1)
            self.cursor.y = min(cursor.y, self.lines - 1)
            self.cursor.attrs = cursor.attrs
        self.dirty.update(range(self.lines))

    # -- sequences pyte lacks -------------------------------------------------------------------------

    def draw(self, data: str) -> None:
        super().draw(data)
        if data:
            self._last_drawn = data[-1]

    def scroll_up(self, count: int | None = None) -> None:
        """SU: the scrolling region's content moves up by `count` lines."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        saved = (self.cursor.x, self.cursor.y)
        self.cursor.y = bottom
        for _ in range(min(count or 1, bottom - top + 1)):
            self.index()
        self.cursor.x, self.cursor.y = saved

    def scroll_down(self, count: int | None = None) -> None:
        """SD: the scrolling region's content moves down by `count` lines."""
        top, _ = self.margins or Margins(0, self.lines - 1)
        saved = (self.cursor.x, self.cursor.y)
        self.cursor.y = top
        for _ in range(count or 1):
            self.reverse_index()
        self.cursor.x, self.cursor.y = saved

    def repeat_last(self, count: int | None = None) -> None:
        """REP: ncurses draws runs of one character this way under xterm-256color."""
        if self._last_drawn:
            self.draw(self._last_drawn * min(count or 1, self.columns * self.lines))

    def save_cursor_sco(self, *args: int, **kwargs: object) -> None:
        self.save_cursor()

    def restore_cursor_sco(self, *args: int, **kwargs: object) -> None:
        self.restore_cursor()

    def write_process_input(self, data: str) -> None:
        self.replies.append(data)


class _Stream(pyte.ByteStream):
    csi = {**pyte.ByteStream.csi, "S": "scroll_up", "T": "scroll_down", "b": "repeat_last",
           "s": "save_cursor_sco", "u": "restore_cursor_sco"}


class TerminalScreen:
    """What the widget draws and the session answers: feed bytes in, read cells and replies out."""

    def __init__(self, columns: int = 80, lines: int = 24, scrollback: int = SCROLLBACK_LINES) -> None:
        self._screen = _Screen(columns, lines, scrollback)
        self._stream = _Stream(self._screen, strict=False)
        self._decoder_tail = ""

    # -- input -----------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        text = self._decoder_tail + self._stream.utf8_decoder.decode(data)
        held = _UNFINISHED.search(text)
        if held and len(text) - held.start() <= _MAX_HELD_BACK:
            text, self._decoder_tail = text[: held.start()], text[held.start():]
        else:
            self._decoder_tail = ""
        text = _SWALLOWED.sub("", text)
        if text:
            pyte.Stream.feed(self._stream, text)

    def take_replies(self) -> bytes:
        """Answers the program asked for (e.g. `ESC [ 6 n`), to be written back to it."""
        replies, self._screen.replies = self._screen.replies, []
        return "".join(replies).encode()

    def take_dirty(self) -> set[int]:
        dirty = set(self._screen.dirty)
        self._screen.dirty.clear()
        return dirty

    def resize(self, columns: int, lines: int) -> None:
        self._screen.resize(lines=max(1, lines), columns=max(1, columns))

    # -- what is on screen -----------------------------------------------------------------------------

    @property
    def columns(self) -> int:
        return self._screen.columns

    @property
    def lines(self) -> int:
        return self._screen.lines

    @property
    def history_size(self) -> int:
        return len(self._screen.history)

    @property
    def scrolled_lines(self) -> int:
        """Lines ever scrolled off the top; line numbers from it stay valid as output arrives."""
        return self._screen.scrolled_lines

    @property
    def cursor(self) -> CursorState:
        screen = self._screen
        return CursorState(min(screen.cursor.x, screen.columns - 1), screen.cursor.y,
                           modes.DECTCEM in screen.mode and not screen.cursor.hidden)

    @property
    def application_cursor_keys(self) -> bool:
        return APPLICATION_CURSOR_KEYS in self._screen.mode

    @property
    def bracketed_paste(self) -> bool:
        return BRACKETED_PASTE in self._screen.mode

    @property
    def in_alternate_screen(self) -> bool:
        return self._screen.in_alternate_screen

    @property
    def title(self) -> str:
        return self._screen.title

    def row(self, row: int, scrollback: int = 0) -> Line:
        """Row `row` of the view when scrolled back `scrollback` lines (0 = the live screen)."""
        history = self._screen.history
        index = len(history) - scrollback + row
        if index < len(history):
            return history[index] if index >= 0 else {}
        return self._screen.buffer[index - len(history)]

    def line_by_number(self, number: int) -> Line:
        """A line by its stable number (see `scrolled_lines`); {} once it fell out of scrollback."""
        first = self._screen.scrolled_lines - len(self._screen.history)
        if number < first:
            return {}
        index = number - first
        history = self._screen.history
        if index < len(history):
            return history[index]
        if index - len(history) < self._screen.lines:
            return self._screen.buffer[index - len(history)]
        return {}

    def text(self, line: Line, start: int = 0, end: int | None = None) -> str:
        end = self.columns if end is None else end
        return "".join(line[x].data if x in line else " " for x in range(start, end))

    def display(self, scrollback: int = 0) -> list[str]:
        """The view as plain text lines, trailing spaces removed (for tests and copy)."""
        return [self.text(self.row(y, scrollback)).rstrip() for y in range(self.lines)]

    def history_text(self) -> Iterable[str]:
        return (self.text(line).rstrip() for line in self._screen.history)
