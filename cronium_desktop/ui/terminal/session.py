"""A shell session for one terminal tab: a channel read and written in worker threads, Qt signals out.

The session does not care where the channel comes from: anything with the few methods of
`ShellChannel` will do (a paramiko Channel from `ServerService.open_shell`, or a local PTY in tests).
Opening and reading block, so they run in a reader thread; writes and resizes go through a writer
thread so a full SSH window never stalls the GUI. What the reader has to tell crosses to the GUI
thread through the application's relay (`ui/relay.py`), never through a signal of the session: a tab
closed meanwhile deletes the session on the GUI thread, and a worker emitting on an object being
deleted crashes the process. Output goes over once per batch: whatever arrived while the GUI was
busy is delivered together.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from cronium_desktop.ui.relay import gui_relay, to_gui

log = logging.getLogger(__name__)

READ_SIZE = 65536
EXIT_STATUS_WAIT_SECONDS = 1.0  # the exit status may trail the end of output by a message or two


class ShellChannel(Protocol):
    """The part of paramiko.Channel a terminal needs."""

    def recv(self, nbytes: int) -> bytes: ...
    def send(self, data: bytes) -> int: ...
    def resize_pty(self, width: int = 80, height: int = 24) -> None: ...
    def close(self) -> None: ...
    def exit_status_ready(self) -> bool: ...
    def recv_exit_status(self) -> int: ...


ChannelOpener = Callable[[int, int], ShellChannel]  # (columns, rows) → an open shell; blocking


class SessionState(Enum):
    CONNECTING = "connecting"
    RUNNING = "running"
    ENDED = "ended"  # the shell exited, the connection dropped, or it never opened
    CLOSED = "closed"  # closed by the user


_STOP = object()


class TerminalSession(QObject):
    output = Signal(bytes)
    started = Signal()
    ended = Signal(str, bool)  # what happened (a sentence for the user), lost: True unless the shell exited

    def __init__(self, open_channel: ChannelOpener, description: str = "the server",
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_channel = open_channel
        self.description = description
        self.state = SessionState.CONNECTING
        self._relay = gui_relay()
        self.exit_status: int | None = None
        self._size = (80, 24)
        self._channel: ShellChannel | None = None
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._wake_pending = False
        self._outbox: queue.Queue[object] = queue.Queue()
        self._reader: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.state in (SessionState.CONNECTING, SessionState.RUNNING)

    # -- GUI-thread API ---------------------------------------------------------------------------------

    def start(self, columns: int, rows: int) -> None:
        self._size = (columns, rows)
        self._reader = threading.Thread(target=self._read_loop, name="terminal-reader", daemon=True)
        self._reader.start()

    def write(self, data: bytes) -> None:
        if self.running and data:
            self._outbox.put(bytes(data))

    def resize(self, columns: int, rows: int) -> None:
        if (columns, rows) == self._size:
            return
        self._size = (columns, rows)
        if self.state is SessionState.RUNNING:
            self._outbox.put((columns, rows))

    def close(self) -> None:
        """End the shell (the pooled connection stays for others); no `ended` signal follows."""
        if self.state is SessionState.CLOSED:
            return
        self.state = SessionState.CLOSED
        self._outbox.put(_STOP)
        channel = self._channel
        if channel is not None:
            try:
                channel.close()  # wakes the reader thread now, not when the server next speaks
            except Exception as error:
                log.debug("terminal: closing the channel to %s failed: %s", self.description, error)

    # -- worker threads ---------------------------------------------------------------------------------

    def _tell(self, receive: Callable[..., None], *args: object) -> None:
        """Have `receive(*args)` called on the GUI thread, if the session is still there by then."""
        if self.state is not SessionState.CLOSED:
            to_gui(self._relay, self, functools.partial(receive, *args))

    def _read_loop(self) -> None:
        columns, rows = self._size
        try:
            channel = self._open_channel(columns, rows)
        except Exception as error:  # shown in the tab's banner; nothing else to do with it here
            log.info("terminal: opening a shell on %s failed: %s", self.description, error)
            self._tell(self._on_finished, str(error) or type(error).__name__, True)
            return
        self._channel = channel
        if self.state is SessionState.CLOSED:
            channel.close()
            return
        if self._size != (columns, rows):
            self._outbox.put(self._size)
        threading.Thread(target=self._write_loop, args=(channel,), name="terminal-writer", daemon=True).start()
        self._tell(self._on_opened)
        try:
            while True:
                data = channel.recv(READ_SIZE)
                if not data:
                    break
                with self._lock:
                    self._buffer += data
                    if self._wake_pending:
                        continue
                    self._wake_pending = True
                self._tell(self._drain)
        except Exception as error:  # a broken connection: reported below like an end of file
            log.info("terminal: reading from %s failed: %s", self.description, error)
        self._outbox.put(_STOP)
        if self.state is SessionState.CLOSED:
            return
        self._tell(self._on_finished, *self._why_it_ended(channel))

    def _why_it_ended(self, channel: ShellChannel) -> tuple[str, bool]:
        deadline = time.monotonic() + EXIT_STATUS_WAIT_SECONDS
        while not channel.exit_status_ready() and not getattr(channel, "closed", False) \
                and time.monotonic() < deadline:
            time.sleep(0.02)  # worker thread: waits for the exit-status message that may follow EOF
        # paramiko reports -1 when the channel closed without an exit status: the connection went.
        status = channel.recv_exit_status() if channel.exit_status_ready() else -1
        if status != -1:
            self.exit_status = status
            return f"The shell on {self.description} exited with status {status}.", False
        return f"The connection to {self.description} was lost.", True

    def _write_loop(self, channel: ShellChannel) -> None:
        while True:
            item = self._outbox.get()
            if item is _STOP:
                break
            try:
                if isinstance(item, bytes):
                    view = memoryview(item)
                    while view:
                        sent = channel.send(view.tobytes())
                        if sent <= 0:
                            raise EOFError("the channel is closed")
                        view = view[sent:]
                elif isinstance(item, tuple):
                    channel.resize_pty(width=item[0], height=item[1])
            except Exception as error:  # the reader notices the broken channel and reports it
                log.info("terminal: writing to %s failed: %s", self.description, error)
                break
        try:
            channel.close()
        except Exception as error:
            log.debug("terminal: closing the channel to %s failed: %s", self.description, error)

    # -- back on the GUI thread -------------------------------------------------------------------------

    def _drain(self) -> None:
        with self._lock:
            data = bytes(self._buffer)
            self._buffer.clear()
            self._wake_pending = False
        if data and self.state is not SessionState.CLOSED:
            self.output.emit(data)

    def _on_opened(self) -> None:
        if self.state is SessionState.CONNECTING:
            self.state = SessionState.RUNNING
            self.started.emit()

    def _on_finished(self, message: str, lost: bool) -> None:
        self._drain()
        if self.state is SessionState.CLOSED:
            return
        self.state = SessionState.ENDED
        self.ended.emit(message, lost)
