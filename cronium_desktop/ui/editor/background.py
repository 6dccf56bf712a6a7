"""Work for the editor in a thread of its own, whose results come back to the GUI thread — only
the newest: each submission gets a generation number, and a result from an older one is dropped.

A result crosses to the GUI thread through `_Relay`, an object that lives as long as the
application, never through the editor's own objects: the editor may be closed, and its objects
deleted on the GUI thread, while the worker finishes, and a signal emitted from the worker on an
object being deleted crashed the app (a segmentation fault, not an exception)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal


class _Relay(QObject):
    """Runs, on the thread it belongs to (the GUI thread), what any thread posts to it."""

    post = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.post.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _run(work: Callable[[], None]) -> None:
        work()


_relay: _Relay | None = None


def _gui_relay() -> _Relay:
    """The application's relay (made on the GUI thread, with the application as its parent: it is
    deleted only with it)."""
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        application = QCoreApplication.instance()
        assert application is not None, "an editor needs the application"
        _relay = _Relay(application)
    return _relay


class LatestOnly(QObject):
    """One worker thread; `done(generation, result)` arrives on the GUI thread for the newest job."""

    done = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # One thread: jedi and pyflakes are not made for concurrent use, and a newer job makes the
        # older ones pointless anyway.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"editor-{name}")
        self._relay = _gui_relay()
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
            self._relay.post.emit(functools.partial(self._deliver, generation, result, error))

        self._pool.submit(run)
        return generation

    def _deliver(self, generation: int, result: Any, error: str) -> None:
        """On the GUI thread, where the editor's objects are deleted: either it is still there or it
        is gone, never half-way."""
        if shiboken6.isValid(self):
            self.accept(generation, result, error)

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
