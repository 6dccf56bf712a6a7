"""What start-up builds lives as long as the process: keep the cycle collector off it.

Importing the engine makes some 200,000 objects (modules, classes, functions, SQLAlchemy's mapped
tables); every collection the imports set off walked all that were made so far, which was a fifth of
the import time. So the collector is off while a process starts (`pause`), and once it has started
what exists is frozen (`settle`: moved to a generation no collection walks), then it is back on for
everything made later. Frozen, those objects also spare the window the 50–70 ms pauses each full
collection made while a run flooded its log.

A process with a window collects by hand (`collect_by_hand`): Python's collector otherwise runs in
whichever thread happens to cross its threshold, and a garbage cycle holding a Qt object destroyed
from a worker thread (jedi, a spool reader, the store writer) leaves that object's timers in the GUI
thread's dispatcher, which fires them into freed memory later — the process dies. There the window
calls `collect_due` from a timer on its own thread (ui/collector.py).
"""

from __future__ import annotations

import gc

_by_hand = False
_enable = gc.enable


def _stay_by_hand() -> None:
    """`gc.enable` once a process collects by hand: libraries that turn the collector off and back on
    around their own work (parso's cache does, after every module it loads, in jedi's worker thread)
    would otherwise turn automatic collection back on for the whole process."""


def pause() -> None:
    gc.disable()


def resume() -> None:
    """The collector back on, nothing frozen (a start that ended early)."""
    if not _by_hand:
        _enable()


def collect_by_hand() -> None:
    """No automatic collection from here on: the caller's thread calls `collect_due` (see above)."""
    global _by_hand
    _by_hand = True
    gc.disable()
    gc.enable = _stay_by_hand


def collect_due() -> int | None:
    """Collect as the automatic collector would have by now: the oldest generation whose count is
    over its threshold. Returns that generation, None when none was due."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return generation
    return None


def settle(collect: bool = False) -> None:
    """Freeze what exists (after a collection when `collect`: a long-lived process), collect again from here."""
    if collect:
        gc.collect()
    gc.freeze()
    resume()
