"""Small pieces the views share: async slots, error dialogs, page headers, status text."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QWidget

from cronium_desktop.engine.clock import to_local

log = logging.getLogger(__name__)


def spawn(coroutine: Awaitable[Any], parent: QWidget | None = None, what: str = "That") -> asyncio.Future[Any] | None:
    """Run a coroutine on the shared loop from a slot; errors become a dialog, never a crash.

    None when the loop is already gone (a timer or signal of a closed window firing while the app
    quits): there is nothing left to do the work on, so it is dropped.
    """
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        if inspect.iscoroutine(coroutine):
            coroutine.close()
        log.debug("%s dropped: the event loop is gone", what)
        return None
    future = asyncio.ensure_future(coroutine, loop=loop)

    def done(task: asyncio.Future[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and parent is not None and not shiboken6.isValid(parent):
            # Its window was closed and deleted while the work went on: nobody to tell.
            log.debug("%s ended after its window was gone: %s", what, error)
        elif error is not None:
            log.error("%s failed: %s", what, error, exc_info=error)
            show_error(parent, f"{what} did not work", str(error) or type(error).__name__)

    future.add_done_callback(done)
    return future


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setModal(True)
    box.open()


def header(title: str, *widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    label = QLabel(title)
    label.setObjectName("pageTitle")
    row.addWidget(label)
    row.addStretch(1)
    for widget in widgets:
        row.addWidget(widget)
    return row


def local_time(moment: datetime | None, with_seconds: bool = False) -> str:
    if moment is None:
        return "—"
    return to_local(moment).strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def duration_text(milliseconds: int | None) -> str:
    if milliseconds is None:
        return "—"
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


def connect_async(signal: Any, factory: Callable[..., Awaitable[Any]], parent: QWidget, what: str) -> None:
    signal.connect(lambda *args: spawn(factory(*args), parent, what))
