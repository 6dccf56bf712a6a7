"""The editor's background workers (ui/editor/background.py): results come back on the GUI thread,
the newest only, and never to an editor that was closed meanwhile.

A check still running as its editor was deleted once crashed a test run with a segmentation fault
in the worker's emit on the editor's own object; the results now cross through an object that lives
as long as the application. That crash did not happen again here in 300 forced races on the previous
code, so the second test guards what a closed editor must get (nothing), not the crash itself."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from cronium_desktop.ui.editor.background import LatestOnly


def test_the_newest_result_arrives_on_the_gui_thread(qapp: QApplication, qtbot) -> None:
    owner = QObject()
    worker = LatestOnly("test", owner)
    arrived: list[tuple[object, bool]] = []
    worker.done.connect(lambda generation, result: arrived.append(
        (result, threading.current_thread() is threading.main_thread())))
    worker.submit(lambda: "first")
    worker.submit(lambda: "second")
    qtbot.waitUntil(lambda: arrived == [("second", True)], timeout=5000)
    shiboken6.delete(owner)


def test_results_that_come_back_as_or_after_their_editor_is_deleted_are_dropped(qapp: QApplication, qtbot) -> None:
    """Each editor is deleted on the GUI thread just as its worker hands its result back (a few
    hundred times, to meet the moment both happen at once); none of them reaches anyone, and the
    app goes on."""
    arrived: list[object] = []
    finished = []
    for _ in range(300):
        owner = QObject()
        worker = LatestOnly("test", owner)
        worker.done.connect(lambda generation, result: arrived.append(result))
        release = threading.Event()

        def work(release: threading.Event = release) -> str:
            release.wait(5)
            finished.append(1)
            return "late"

        worker.submit(work)
        release.set()
        shiboken6.delete(owner)
    qtbot.waitUntil(lambda: len(finished) == 300, timeout=10000)
    qapp.processEvents()
    assert arrived == []
