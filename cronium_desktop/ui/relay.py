"""The one way work crosses from a worker thread to the GUI thread: `to_gui(work)` runs `work` there.

It goes through `_Relay`, an object that lives as long as the application, never through a signal of
the object the result is for: that object may be deleted on the GUI thread while the worker is
still busy, and a signal emitted from a worker on an object being deleted crashes the process (a
segmentation fault, not an exception). The work runs on the GUI thread, where objects are deleted,
and only if the object it is for is still there: it is, or it is gone, never half-way."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal


class _Relay(QObject):
    """Runs, on the thread it belongs to (the GUI thread), what any thread posts to it."""

    post = Signal(object, object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.post.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _run(receiver: QObject, work: Callable[[], object]) -> None:
        if shiboken6.isValid(receiver):
            work()


_relay: _Relay | None = None


def gui_relay() -> _Relay:
    """The application's relay. Call it first on the GUI thread (as a receiver is made): it is made
    there, with the application as its parent, and deleted only with it."""
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        application = QCoreApplication.instance()
        assert application is not None, "the relay needs the application"
        _relay = _Relay(application)
    return _relay


def to_gui(relay: _Relay, receiver: QObject, work: Callable[[], object]) -> None:
    """Run `work` for `receiver` on the GUI thread, from any thread, unless `receiver` is deleted by then."""
    relay.post.emit(receiver, work)
