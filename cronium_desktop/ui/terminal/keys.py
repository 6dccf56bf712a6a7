"""Key presses → the bytes an xterm sends, so shells and full-screen programs read them as usual."""

from __future__ import annotations

from PySide6.QtCore import Qt

Key = Qt.Key
Mod = Qt.KeyboardModifier

# Keys whose sequence is CSI + letter (SS3 + letter in application cursor mode), xterm style.
_CURSOR = {Key.Key_Up: "A", Key.Key_Down: "B", Key.Key_Right: "C", Key.Key_Left: "D",
           Key.Key_Home: "H", Key.Key_End: "F"}
# Keys whose sequence is CSI + number + '~'.
_TILDE = {Key.Key_Insert: 2, Key.Key_Delete: 3, Key.Key_PageUp: 5, Key.Key_PageDown: 6,
          Key.Key_F5: 15, Key.Key_F6: 17, Key.Key_F7: 18, Key.Key_F8: 19, Key.Key_F9: 20,
          Key.Key_F10: 21, Key.Key_F11: 23, Key.Key_F12: 24}
_SS3_FUNCTION = {Key.Key_F1: "P", Key.Key_F2: "Q", Key.Key_F3: "R", Key.Key_F4: "S"}
# Ctrl + punctuation → C0 controls, as on a VT keyboard.
_CTRL_PUNCTUATION = {Key.Key_Space: 0x00, Key.Key_At: 0x00, Key.Key_BracketLeft: 0x1B, Key.Key_Backslash: 0x1C,
                     Key.Key_BracketRight: 0x1D, Key.Key_AsciiCircum: 0x1E, Key.Key_Underscore: 0x1F,
                     Key.Key_Slash: 0x1F, Key.Key_2: 0x00, Key.Key_6: 0x1E, Key.Key_Minus: 0x1F}


def _modifier_code(modifiers: Qt.KeyboardModifier) -> int:
    """xterm's modifier parameter: 1 + Shift(1) + Alt(2) + Ctrl(4); 1 means none."""
    return (1 + (1 if modifiers & Mod.ShiftModifier else 0) + (2 if modifiers & Mod.AltModifier else 0)
            + (4 if modifiers & Mod.ControlModifier else 0))


def key_bytes(key: int, modifiers: Qt.KeyboardModifier, text: str, application_cursor_keys: bool = False) -> bytes:
    """The bytes for one key press; b"" when the key sends nothing (a lone Shift, say)."""
    modifiers = modifiers & ~Mod.KeypadModifier
    code = _modifier_code(modifiers)
    ctrl = bool(modifiers & Mod.ControlModifier)
    alt = bool(modifiers & Mod.AltModifier)
    if key in _CURSOR:
        letter = _CURSOR[Key(key)]
        if code > 1:
            return f"\x1b[1;{code}{letter}".encode()
        return f"\x1bO{letter}".encode() if application_cursor_keys else f"\x1b[{letter}".encode()
    if key in _TILDE:
        number = _TILDE[Key(key)]
        return f"\x1b[{number};{code}~".encode() if code > 1 else f"\x1b[{number}~".encode()
    if key in _SS3_FUNCTION:
        letter = _SS3_FUNCTION[Key(key)]
        return f"\x1b[1;{code}{letter}".encode() if code > 1 else f"\x1bO{letter}".encode()
    prefix = b"\x1b" if alt else b""
    if key in (Key.Key_Return, Key.Key_Enter):
        return prefix + b"\r"
    if key == Key.Key_Backspace:
        return prefix + (b"\x08" if ctrl else b"\x7f")
    if key == Key.Key_Backtab or (key == Key.Key_Tab and modifiers & Mod.ShiftModifier):
        return b"\x1b[Z"
    if key == Key.Key_Tab:
        return prefix + b"\t"
    if key == Key.Key_Escape:
        return b"\x1b"
    if ctrl:
        if Key.Key_A <= key <= Key.Key_Z:
            return prefix + bytes([key - Key.Key_A + 1])
        if key in _CTRL_PUNCTUATION:
            return prefix + bytes([_CTRL_PUNCTUATION[Key(key)]])
    if text and (text.isprintable() or ctrl):
        return prefix + text.encode()
    return b""
