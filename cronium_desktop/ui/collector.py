"""The cycle collector on the GUI thread only, from a timer (why: heap.py).

A garbage cycle waits at most one interval to be collected: each tick collects the generation the
automatic collector would have collected by then, counted from the same thresholds.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from cronium_desktop import heap

INTERVAL_MS = 250


class GuiCollector(QObject):
    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        heap.collect_by_hand()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(heap.collect_due)
        self._timer.start()
