"""Work for the editor in a thread of its own, whose results come back to the GUI thread — only
the newest: each submission gets a generation number, and a result from an older one is dropped.

A result crosses to the GUI thread through the application's relay (`ui/relay.py`), never through
the editor's own objects: the editor may be closed, and its objects deleted, while the worker
finishes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from cronium_desktop.ui.relay import gui_relay, to_gui


class LatestOnly(QObject):
    """One worker thread; `done(generation, result)` arrives on the GUI thread for the newest job."""

    done = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # One thread: jedi and pyflakes are not made for concurrent use, and a newer job makes the
        # older ones pointless anyway.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"editor-{name}")
        self._relay = gui_relay()
        self.generation = 0
        pool = self._pool  # not self: the thread pool must go even as this object is destroyed
        self.destroyed.connect(lambda *args: pool.shutdown(wait=False, cancel_futures=True))

    def invalidate(self) -> int:
        """Make every job in flight stale (the text changed under it)."""
        self.generation += 1
        return self.generation

    def submit(self, work: Callable[[], Any]) -> int:
        generation = self.invalidate()

        def run() -> None:
            if generation != self.generation:  # a newer job came in while this one waited
                return
            try:
                result, error = work(), ""
            except Exception as failure:  # a checker or jedi bug must not take the editor down
                result, error = None, f"{type(failure).__name__}: {failure}"
            to_gui(self._relay, self, functools.partial(self.accept, generation, result, error))

        self._pool.submit(run)
        return generation

    def accept(self, generation: int, result: Any, error: str = "") -> bool:
        """Pass a result on if it is the newest; False when it was stale and dropped."""
        if generation != self.generation:
            return False
        if error:
            self.failed.emit(generation, error)
        else:
            self.done.emit(generation, result)
        return True

    def shutdown(self) -> None:
        self.invalidate()
        self._pool.shutdown(wait=False, cancel_futures=True)
