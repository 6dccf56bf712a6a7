"""A view's reload asked for many times at once runs once.

Every run queued, started or finished asks the open pages to reload what they show; a burst of
runs (a schedule at the top of the hour, a workflow, Run on fifty selected events) would otherwise
start a reload — a query and a model reset — per notice, hundreds of them, each on its own and
all competing with the runs themselves for the store and the interpreter. `Coalesced` starts the
reload at once when asked after a quiet spell, never runs two at once, and starts the next no sooner
than `spacing_ms` after the last started: every ask is answered by a reload that starts after it,
and a burst costs a few reloads a second whatever its size."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer

SPACING_MS = 250  # a list reloads at most four times a second while runs keep coming


class Coalesced:
    """Call it (from a slot, with any arguments) to ask for a reload; `start` starts one and gives
    its future (None: nothing was started, the app is quitting)."""

    def __init__(self, owner: QObject, start: Callable[[], asyncio.Future[Any] | None],
                 spacing_ms: int = SPACING_MS) -> None:
        self._start = start
        self._timer = QTimer(owner)  # goes with its owner: a deleted page is reloaded no more
        self._timer.setSingleShot(True)
        self._timer.setInterval(spacing_ms)
        self._timer.timeout.connect(self._maybe)
        self._running: asyncio.Future[Any] | None = None
        self._asked = False

    def __call__(self, *_signal_arguments: object) -> None:
        self._asked = True
        self._maybe()

    @property
    def busy(self) -> bool:
        """A reload is going on or asked for."""
        return self._asked or (self._running is not None and not self._running.done())

    def _maybe(self) -> None:
        if not self._asked or not shiboken6.isValid(self._timer) or self._timer.isActive():
            return
        if self._running is not None and not self._running.done():
            return  # asked again while reloading: the next starts once this one is done
        self._asked = False
        self._timer.start()
        self._running = self._start()
        if self._running is not None:
            self._running.add_done_callback(lambda _done: self._maybe())
