"""Garbage cycles holding Qt objects are collected on the GUI thread only (ui/collector.py, heap.py):
collected in a worker thread, a timer's destruction leaves it in the GUI thread's dispatcher, and the
process dies when it next fires."""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

from PySide6.QtCore import QTimer

from tests.ui.conftest import wait_until


def test_a_timer_in_a_garbage_cycle_is_destroyed_on_the_gui_thread_not_the_worker_that_allocates(loop: Any) -> None:
    destroyed_in: list[str] = []

    def abandoned_timer() -> weakref.ref[QTimer]:
        timer = QTimer(interval=5)
        timer.start()
        timer.cycle = timer  # type: ignore[attr-defined]  # reachable only from itself once this returns
        return weakref.ref(timer, lambda _: destroyed_in.append(threading.current_thread().name))

    ref = abandoned_timer()

    def allocate() -> None:  # well past every threshold of the automatic collector
        for _ in range(200_000):
            garbage: list[Any] = []
            garbage.append(garbage)

    worker = threading.Thread(target=allocate, name="worker")
    worker.start()
    worker.join()
    assert destroyed_in == [], "the worker thread destroyed a Qt timer"
    wait_until(loop, lambda: ref() is None, timeout=5)
    assert destroyed_in == [threading.main_thread().name]
    loop.run_until_complete(asyncio.sleep(0.05))  # the timer's interval passes: nothing fires into freed memory


def test_a_library_that_turns_the_collector_back_on_does_not_turn_it_on_for_the_window(loop: Any) -> None:
    """parso's cache (jedi, the editor's completion) disables the collector around each module it
    loads and then enables it: in the window that must not bring automatic collection back, which
    runs in whichever thread crosses its threshold."""
    import gc

    import parso.cache

    assert not gc.isenabled()
    parso.cache.gc.disable()
    parso.cache.gc.enable()  # what parso does after loading a module from its cache
    assert not gc.isenabled()
