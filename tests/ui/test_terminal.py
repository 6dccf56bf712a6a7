"""The Terminal page against a real OpenSSH sshd on loopback, through ServerService.open_shell.

Each test opens real tabs: keys go through the widget, the session's threads and a paramiko PTY
channel on the server's pooled connection; the checks read what the widget shows.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import socket  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from pytestqt.qtbot import QtBot  # noqa: E402

from cronium_desktop.engine.servers import ServerInfo, ServerService  # noqa: E402
from cronium_desktop.ui.terminal.page import TerminalPage, TerminalTab  # noqa: E402
from cronium_desktop.ui.terminal.widget import TerminalWidget  # noqa: E402
from tests.fixtures.servers import add_key_server, make_context  # noqa: E402
from tests.fixtures.sshd import SshServer, sshd  # noqa: E402, F401
from tests.ui.conftest import run, wait_until  # noqa: E402

pytestmark = pytest.mark.sshd
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def servers(loop: Any, sshd: SshServer, tmp_path: Path) -> Iterator[tuple[ServerService, ServerInfo]]:  # noqa: F811
    data = tmp_path / "data"
    data.mkdir()
    ctx = make_context(data)
    ctx.bus.bind_loop(loop)
    service = ServerService(ctx)
    info = run(loop, add_key_server(service, sshd, name="loopback"))
    try:
        yield service, info
    finally:
        run(loop, service.stop())
        ctx.db.close()


@pytest.fixture
def page(qtbot: QtBot, loop: Any, servers: tuple[ServerService, ServerInfo]) -> Iterator[TerminalPage]:
    service, _ = servers
    terminal_page = TerminalPage(SimpleNamespace(servers=service))
    terminal_page.resize(900, 560)
    terminal_page.show()
    wait_until(loop, lambda: terminal_page.servers.count() == 1)
    try:
        yield terminal_page
    finally:
        terminal_page.close_all()
        terminal_page.close()
        terminal_page.deleteLater()


def shows(widget: TerminalWidget, text: str) -> bool:
    return any(line.strip() == text for line in widget.display())


def open_shell(page: TerminalPage, loop: Any) -> TerminalTab:
    page.open_selected()
    tab = page.tab(page.tabs.currentIndex())
    # The prompt ends with "# " (root) or "$ "; wait for it so typed keys are not echoed early.
    wait_until(loop, lambda: any(line.rstrip().endswith(("#", "$")) for line in tab.terminal.display()))
    return tab


def type_line(qtbot: QtBot, widget: TerminalWidget, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_typed_arithmetic_shows_its_result(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    assert page.tabs.tabText(0) == "loopback"
    type_line(qtbot, tab.terminal, "echo $((6*7))")
    wait_until(loop, lambda: shows(tab.terminal, "42"), timeout=10)


def test_the_shell_sees_xterm_256color(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    type_line(qtbot, tab.terminal, "echo term=$TERM colours=$(tput colors)")
    wait_until(loop, lambda: shows(tab.terminal, "term=xterm-256color colours=256"), timeout=10)


def test_resizing_the_tab_changes_tput_cols(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    before = tab.terminal.terminal_screen.columns
    page.resize(page.width() + 20 * tab.terminal.cell_width, page.height() - 4 * tab.terminal.cell_height)
    wait_until(loop, lambda: tab.terminal.terminal_screen.columns == before + 20, timeout=5)
    columns, rows = tab.terminal.terminal_screen.columns, tab.terminal.terminal_screen.lines
    type_line(qtbot, tab.terminal, "echo cols=$(tput cols) size=$(stty size)")
    wait_until(loop, lambda: shows(tab.terminal, f"cols={columns} size={rows} {columns}"), timeout=10)


def test_ctrl_c_interrupts_a_long_sleep(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    type_line(qtbot, tab.terminal, "sleep 30")
    wait_until(loop, lambda: any(line.endswith("sleep 30") for line in tab.terminal.display()), timeout=5)
    qtbot.keyClick(tab.terminal, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    type_line(qtbot, tab.terminal, "echo back-$((1+1))")
    wait_until(loop, lambda: shows(tab.terminal, "back-2"), timeout=8)  # well before the sleep would end
    assert any("^C" in line for line in tab.terminal.display())


def test_selection_copies_and_ctrl_shift_v_pastes_it_back(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    terminal = tab.terminal
    type_line(qtbot, terminal, "echo copy-me-$((40+2))")
    wait_until(loop, lambda: shows(terminal, "copy-me-42"), timeout=10)
    row = [line.strip() for line in terminal.display()].index("copy-me-42")
    qtbot.mousePress(terminal, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, 0))
    qtbot.mouseMove(terminal, terminal.cell_centre(row, len("copy-me-42") - 1))
    qtbot.mouseRelease(terminal, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, len("copy-me-42") - 1))
    qtbot.keyClick(terminal, Qt.Key.Key_C, CTRL_SHIFT)
    assert QGuiApplication.clipboard().text() == "copy-me-42"

    sent: list[bytes] = []
    terminal.sendRequested.connect(sent.append)
    qtbot.keyClicks(terminal, "echo pasted:")
    wait_until(loop, lambda: terminal.display()[terminal.terminal_screen.cursor.y].endswith("echo pasted:"), timeout=10)
    bracketed = terminal.terminal_screen.bracketed_paste  # bash 5.1+ asks for it while it reads a line
    qtbot.keyClick(terminal, Qt.Key.Key_V, CTRL_SHIFT)
    qtbot.keyClick(terminal, Qt.Key.Key_Return)
    wait_until(loop, lambda: shows(terminal, "pasted:copy-me-42"), timeout=10)
    assert (b"\x1b[200~copy-me-42\x1b[201~" if bracketed else b"copy-me-42") in sent


def test_red_text_lands_on_the_right_cells(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    terminal = tab.terminal
    type_line(qtbot, terminal, r"printf '\e[31mred\e[0m-plain \e[38;5;82mgreen\e[48;2;0;0;255mblue\e[0m\n'")
    wait_until(loop, lambda: shows(terminal, "red-plain greenblue"), timeout=10)
    row = [line.strip() for line in terminal.display()].index("red-plain greenblue")
    cells = terminal.terminal_screen.row(row)
    assert [cells[x].fg for x in range(3)] == ["red"] * 3
    assert cells[3].fg == "default" and cells[4].fg == "default"
    assert cells[10].fg == "5fff00" and cells[10].bg == "default"  # 256-colour 82
    assert cells[15].bg == "0000ff"  # true colour


def test_scrollback_holds_earlier_output_and_the_wheel_scrolls_it(page: TerminalPage, loop: Any,
                                                                  qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    terminal = tab.terminal
    type_line(qtbot, terminal, "seq 1 300")
    wait_until(loop, lambda: shows(terminal, "300"), timeout=10)
    assert not shows(terminal, "150")
    pixels_per_notch = 120
    for _ in range(20):
        from PySide6.QtCore import QPoint, QPointF
        from PySide6.QtGui import QWheelEvent

        centre = QPointF(terminal.rect().center())
        event = QWheelEvent(centre, terminal.mapToGlobal(centre), QPoint(), QPoint(0, pixels_per_notch),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QGuiApplication.sendEvent(terminal, event)
    assert terminal.scrollback == 60
    wait_until(loop, lambda: True)
    top = int(terminal.display()[0])
    assert 150 < top < 300 - terminal.terminal_screen.lines
    qtbot.keyClicks(terminal, "x")  # typing returns to the live screen
    assert terminal.scrollback == 0


def test_full_screen_programs_use_the_alternate_screen(page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    terminal = tab.terminal
    type_line(qtbot, terminal, "seq 1 1000 | less")
    wait_until(loop, lambda: terminal.terminal_screen.in_alternate_screen and shows(terminal, "1"), timeout=10)
    qtbot.keyClick(terminal, Qt.Key.Key_End)  # less: end of file ("ESC [ F" or "ESC O F")
    wait_until(loop, lambda: shows(terminal, "1000"), timeout=10)
    qtbot.keyClick(terminal, Qt.Key.Key_Q)
    wait_until(loop, lambda: not terminal.terminal_screen.in_alternate_screen, timeout=10)
    assert any(line.endswith("seq 1 1000 | less") for line in terminal.display())
    assert not shows(terminal, "1000")


def test_a_dropped_connection_shows_a_banner_and_reconnect_opens_a_new_shell(
        page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    assert not tab.banner.isVisible()
    channel = tab.session._channel  # type: ignore[union-attr]
    channel.get_transport().sock.shutdown(socket.SHUT_RDWR)  # the network goes away under the session
    wait_until(loop, lambda: tab.banner.isVisible(), timeout=15)
    assert "lost" in tab.banner_text.text()
    assert not tab.running
    qtbot.mouseClick(tab.reconnect_button, Qt.MouseButton.LeftButton)
    wait_until(loop, lambda: tab.running and not tab.banner.isVisible(), timeout=10)
    type_line(qtbot, tab.terminal, "echo again-$((2*3))")
    wait_until(loop, lambda: shows(tab.terminal, "again-6"), timeout=10)


def test_an_exited_shell_says_so_and_its_tab_closes_without_asking(page: TerminalPage, loop: Any,
                                                                    qtbot: QtBot) -> None:
    tab = open_shell(page, loop)
    type_line(qtbot, tab.terminal, "exit 3")
    wait_until(loop, lambda: tab.banner.isVisible(), timeout=10)
    assert "exited with status 3" in tab.banner_text.text()
    page.request_close(0)
    assert page.tabs.count() == 0


def test_tabs_open_side_by_side_rename_and_ask_before_closing_a_running_shell(
        page: TerminalPage, loop: Any, qtbot: QtBot) -> None:
    first = open_shell(page, loop)
    second = open_shell(page, loop)
    assert [page.tabs.tabText(i) for i in range(2)] == ["loopback", "loopback (2)"]
    type_line(qtbot, first.terminal, "echo first-$((1+0))")
    type_line(qtbot, second.terminal, "echo second-$((1+1))")
    wait_until(loop, lambda: shows(first.terminal, "first-1") and shows(second.terminal, "second-2"), timeout=10)
    assert not shows(first.terminal, "second-2")

    page.rename_tab(1, "  logs ")
    assert page.tabs.tabText(1) == "logs"

    page.request_close(0)
    box = page.confirm_close
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert page.tabs.count() == 2

    page.request_close(0)
    box = page.confirm_close
    assert box is not None
    close = next(b for b in box.buttons() if b.text() == "Close shell")
    close.click()
    assert page.tabs.count() == 1
    assert page.tab(0) is second
    assert first.session is not None and not first.session.running
