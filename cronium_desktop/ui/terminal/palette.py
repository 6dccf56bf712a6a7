"""The terminal's colours: a dark 16-colour palette, the xterm 256-colour cube and 24-bit colour.

pyte names a cell's colour "default", an ANSI name ("red", "brightblue"; "brown" is its yellow) or a
hex triplet for 256-colour and true-colour cells. The first 16 of the 256 colours arrive as xterm's
own hex values; they map back onto this palette so `tput setaf 1` and `ESC[31m` look the same.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QColor
from pyte.graphics import FG_BG_256

BACKGROUND = "#16181d"
FOREGROUND = "#d7dae0"
CURSOR = "#e5c07b"
SELECTION = "#3a4a6b"

_NAMES = ("black", "red", "green", "brown", "blue", "magenta", "cyan", "white")
ANSI = (
    "#1c1f24", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#c8ccd4",  # normal
    "#5c6370", "#ff7b86", "#b5e890", "#ffd68a", "#7cc4ff", "#de8ef5", "#6fd6e3", "#ffffff",  # bright
)
_BY_NAME = {name: ANSI[index] for index, name in enumerate(_NAMES)}
_BY_NAME.update({"bright" + name: ANSI[8 + index] for index, name in enumerate(_NAMES)})
_BY_NAME["yellow"], _BY_NAME["brightyellow"] = ANSI[3], ANSI[11]
_FIRST_16 = {FG_BG_256[index]: ANSI[index] for index in range(16)}


@lru_cache(maxsize=4096)
def colour(name: str, foreground: bool, bold: bool = False) -> QColor:
    """The QColor for a pyte colour; bold brightens the eight basic colours, as xterm does."""
    if name == "default":
        return QColor(FOREGROUND if foreground else BACKGROUND)
    if foreground and bold and name in _NAMES:
        name = "bright" + name
    if name in _BY_NAME:
        return QColor(_BY_NAME[name])
    if name in _FIRST_16:
        return QColor(_FIRST_16[name])
    if len(name) == 6:
        try:
            return QColor(int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))
        except ValueError:
            pass
    return QColor(FOREGROUND if foreground else BACKGROUND)
