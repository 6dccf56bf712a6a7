"""Screenshots of terminal tabs running `top` and `ls --color`, saved to test-artifacts/screenshots/.

`./dev screenshots` takes them on a virtual X screen (Xvfb, the xcb platform); the suite takes them offscreen.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from cronium_desktop.ui import theme  # noqa: E402
from cronium_desktop.ui.terminal.page import TerminalPage  # noqa: E402
from tests.fixtures.sshd import sshd  # noqa: E402, F401
from tests.ui.conftest import SCREENSHOTS, wait_until  # noqa: E402
from tests.ui.test_terminal import open_shell, page, servers, shows, type_line  # noqa: E402, F401

pytestmark = pytest.mark.sshd

LS_DEMO = ("cd \"$(mktemp -d)\" && mkdir -p src docs .cache && touch README.md notes.txt data.tar.gz photo.png "
           "&& printf '#!/bin/sh\\n' > run.sh && chmod +x run.sh && ln -s README.md readme-link "
           "&& ln -s missing broken-link && clear && ls --color=always -la")


def save(terminal_page: TerminalPage, loop: Any, name: str) -> None:
    terminal_page.window().activateWindow()
    terminal_page.tab(terminal_page.tabs.currentIndex()).terminal.setFocus()
    wait_until(loop, lambda: True)  # let the last output paint
    path = SCREENSHOTS / name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert terminal_page.window().grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_screenshots_of_top_and_ls_color(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:  # noqa: F811
    theme.apply(QApplication.instance(), "dark")  # type: ignore[arg-type]
    page.resize(1100, 700)
    top_tab = open_shell(page, loop)
    type_line(qtbot, top_tab.terminal, "top -d 1")
    wait_until(loop, lambda: any("load average" in line for line in top_tab.terminal.display()), timeout=10)
    wait_until(loop, lambda: any("PID" in line and "COMMAND" in line for line in top_tab.terminal.display()))
    save(page, loop, "terminal-top.png")

    ls_tab = open_shell(page, loop)
    type_line(qtbot, ls_tab.terminal, LS_DEMO)
    wait_until(loop, lambda: any(line.endswith("run.sh") for line in ls_tab.terminal.display()), timeout=10)
    wait_until(loop, lambda: ls_tab.terminal.display()[ls_tab.terminal.terminal_screen.cursor.y].endswith(("#", "$")))
    # Select a line to show the selection colours too.
    terminal = ls_tab.terminal
    row = next(i for i, line in enumerate(terminal.display()) if line.endswith("notes.txt"))
    qtbot.mousePress(terminal, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, 0))
    qtbot.mouseMove(terminal, terminal.cell_centre(row, 30))
    qtbot.mouseRelease(terminal, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, 30))
    save(page, loop, "terminal-ls-color.png")

    page.tabs.setCurrentIndex(0)
    qtbot.keyClick(top_tab.terminal, Qt.Key.Key_Q)
    wait_until(loop, lambda: not any("load average" in line for line in top_tab.terminal.display()), timeout=10)
    theme.apply(QApplication.instance(), "light")  # type: ignore[arg-type]
