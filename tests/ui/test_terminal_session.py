"""The terminal session's reader thread tells the GUI thread what happened (output, opened, ended)
and never a session that was deleted meanwhile.

The channel here is a local one (a thread feeding bytes), not SSH: these tests are about the
crossing between the session's threads and the GUI thread, which is the same whatever the channel;
the SSH channel itself is tested against a real sshd in test_terminal.py. A worker emitting a signal
on a session being deleted crashes the process (a segmentation fault, not an exception): the
session now posts through the application's relay and checks on the GUI thread that it is still
there."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from cronium_desktop.ui.terminal.session import TerminalSession


class Chatty:
    """A shell that prints `chunks` pieces of output (as fast as they are read), then exits 0."""

    def __init__(self, chunks: int, first_read: threading.Event | None = None) -> None:
        self.left = chunks
        self.first_read = first_read
        self.closed = False

    def recv(self, nbytes: int) -> bytes:
        if self.first_read is not None:
            self.first_read.set()
        if self.closed or self.left == 0:
            return b""
        self.left -= 1
        return b"line\r\n"

    def send(self, data: bytes) -> int:
        return len(data)

    def resize_pty(self, width: int = 80, height: int = 24) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def exit_status_ready(self) -> bool:
        return self.left == 0

    def recv_exit_status(self) -> int:
        return 0


def test_output_start_and_end_arrive_on_the_gui_thread_in_order(qapp: QApplication, qtbot) -> None:
    owner = QObject()
    session = TerminalSession(lambda columns, rows: Chatty(200), "a local channel", owner)
    seen: list[tuple[str, bool]] = []
    output = bytearray()
    on_gui = threading.current_thread

    def note(what: str) -> None:
        seen.append((what, on_gui() is threading.main_thread()))

    session.started.connect(lambda: note("started"))
    session.output.connect(lambda data: (output.extend(data), note("output")))
    session.ended.connect(lambda message, lost: note(f"ended: {message} lost={lost}"))
    session.start(80, 24)
    qtbot.waitUntil(lambda: any(what.startswith("ended") for what, _ in seen), timeout=5000)
    assert seen[0] == ("started", True)
    assert seen[-1] == ("ended: The shell on a local channel exited with status 0. lost=False", True)
    assert all(on_gui_thread for _, on_gui_thread in seen)
    assert bytes(output) == b"line\r\n" * 200  # every byte, in order, though delivered in batches
    shiboken6.delete(owner)


def test_a_session_deleted_while_its_reader_still_delivers_gets_nothing_and_the_app_goes_on(
        qapp: QApplication, qtbot) -> None:
    """Sessions are deleted on the GUI thread while their readers pour output in (a few dozen times,
    to meet the moment both happen at once): nothing reaches their receivers afterwards, no error is
    raised on the GUI thread (pytest-qt fails the test on one), and the app goes on."""
    deleted: set[int] = set()
    late: list[int] = []
    readers = []
    for number in range(40):
        owner = QObject()
        reading = threading.Event()
        channel = Chatty(2000, reading)
        session = TerminalSession(lambda columns, rows, channel=channel: channel, "a local channel", owner)
        session.output.connect(lambda data, number=number: late.append(number) if number in deleted else None)
        session.start(80, 24)
        reading.wait(5)
        readers.append(session._reader)
        shiboken6.delete(owner)
        deleted.add(number)
    for reader in readers:
        assert reader is not None
        reader.join(10)
        assert not reader.is_alive()
    for _ in range(5):
        qapp.processEvents()
    assert late == []
