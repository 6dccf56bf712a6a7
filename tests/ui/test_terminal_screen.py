"""The terminal's screen model and key map, without a window or a server."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from cronium_desktop.ui.terminal.keys import key_bytes  # noqa: E402
from cronium_desktop.ui.terminal.screen import TerminalScreen  # noqa: E402

Key, Mod = Qt.Key, Qt.KeyboardModifier
NONE = Mod.NoModifier


def test_cursor_position_query_is_answered() -> None:
    screen = TerminalScreen(20, 5)
    screen.feed(b"ab\r\ncd\x1b[6n\x1b[c")
    assert screen.take_replies() == b"\x1b[2;3R\x1b[?6c"
    assert screen.take_replies() == b""


def test_lines_scrolled_off_the_top_go_to_bounded_scrollback() -> None:
    screen = TerminalScreen(10, 3, scrollback=50)
    screen.feed(b"".join(b"%d\r\n" % n for n in range(100)))
    assert screen.history_size == 50
    assert list(screen.history_text())[-1] == "97"
    assert screen.display() == ["98", "99", ""]
    assert screen.display(scrollback=2) == ["96", "97", "98"]


def test_alternate_screen_restores_the_shell_screen_and_keeps_history_clean() -> None:
    screen = TerminalScreen(20, 4)
    screen.feed(b"$ less file\r\n")
    screen.feed(b"\x1b[?1049h\x1b[H\x1b[2J" + b"".join(b"page %d\r\n" % n for n in range(10)))
    assert screen.in_alternate_screen
    assert screen.history_size == 0
    screen.feed(b"\x1b[?1049l")
    assert not screen.in_alternate_screen
    assert screen.display()[0] == "$ less file"
    assert screen.cursor.y == 1


def test_secondary_device_attribute_sequences_do_not_change_text_style() -> None:
    screen = TerminalScreen(20, 3)
    screen.feed(b"\x1b[>4;1mplain\x1bP+q544e\x1b\\!")
    assert screen.display()[0] == "plain!"
    cell = screen.row(0)[0]
    assert not cell.bold and not cell.underscore


def test_escape_sequences_split_across_reads_are_parsed_whole() -> None:
    screen = TerminalScreen(20, 3)
    for piece in (b"\x1b", b"[3", b"1mR", b"\x1b[0m", "é".encode()[:1], "é".encode()[1:]):
        screen.feed(piece)
    assert screen.display()[0] == "Ré"
    assert screen.row(0)[0].fg == "red"
    assert screen.row(0)[1].fg == "default"


def test_256_and_true_colours_are_kept_per_cell() -> None:
    screen = TerminalScreen(20, 3)
    screen.feed(b"\x1b[38;5;208mA\x1b[48;2;10;20;30mB\x1b[0m")
    first, second = screen.row(0)[0], screen.row(0)[1]
    assert first.fg == "ff8700"
    assert second.bg == "0a141e"


def test_shrinking_keeps_the_cursor_line_and_moves_older_lines_to_scrollback() -> None:
    screen = TerminalScreen(20, 6)
    screen.feed(b"one\r\ntwo\r\nthree\r\nfour\r\n$ ")
    screen.resize(20, 3)
    assert screen.display() == ["three", "four", "$"]
    assert list(screen.history_text()) == ["one", "two"]


def test_bracketed_paste_mode_is_tracked() -> None:
    screen = TerminalScreen(20, 3)
    assert not screen.bracketed_paste
    screen.feed(b"\x1b[?2004h")
    assert screen.bracketed_paste
    screen.feed(b"\x1b[?2004l")
    assert not screen.bracketed_paste


@pytest.mark.parametrize(
    ("key", "modifiers", "text", "application", "expected"),
    [
        (Key.Key_Up, NONE, "", False, b"\x1b[A"),
        (Key.Key_Up, NONE, "", True, b"\x1bOA"),
        (Key.Key_Left, Mod.ControlModifier, "", False, b"\x1b[1;5D"),
        (Key.Key_Home, NONE, "", False, b"\x1b[H"),
        (Key.Key_End, NONE, "", True, b"\x1bOF"),
        (Key.Key_PageUp, NONE, "", False, b"\x1b[5~"),
        (Key.Key_PageDown, NONE, "", False, b"\x1b[6~"),
        (Key.Key_Delete, NONE, "", False, b"\x1b[3~"),
        (Key.Key_F1, NONE, "", False, b"\x1bOP"),
        (Key.Key_F5, NONE, "", False, b"\x1b[15~"),
        (Key.Key_F12, Mod.ShiftModifier, "", False, b"\x1b[24;2~"),
        (Key.Key_C, Mod.ControlModifier, "", False, b"\x03"),
        (Key.Key_D, Mod.ControlModifier, "\x04", False, b"\x04"),
        (Key.Key_BracketLeft, Mod.ControlModifier, "", False, b"\x1b"),
        (Key.Key_Tab, NONE, "\t", False, b"\t"),
        (Key.Key_Backtab, Mod.ShiftModifier, "", False, b"\x1b[Z"),
        (Key.Key_Escape, NONE, "\x1b", False, b"\x1b"),
        (Key.Key_Backspace, NONE, "\x08", False, b"\x7f"),
        (Key.Key_Return, NONE, "\r", False, b"\r"),
        (Key.Key_B, Mod.AltModifier, "b", False, b"\x1bb"),
        (Key.Key_E, NONE, "é", False, "é".encode()),
        (Key.Key_Shift, Mod.ShiftModifier, "", False, b""),
    ],
)
def test_keys_send_what_an_xterm_sends(key: Qt.Key, modifiers: Qt.KeyboardModifier, text: str,
                                       application: bool, expected: bytes) -> None:
    assert key_bytes(key, modifiers, text, application) == expected
