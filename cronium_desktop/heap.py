"""What start-up builds lives as long as the process: keep the cycle collector off it.

Importing the engine makes some 200,000 objects (modules, classes, functions, SQLAlchemy's mapped
tables); every collection the imports set off walked all that were made so far, which was a fifth of
the import time. So the collector is off while a process starts (`pause`), and once it has started
what exists is frozen (`settle`: moved to a generation no collection walks), then it is back on for
everything made later. Frozen, those objects also spare the window the 50–70 ms pauses each full
collection made while a run flooded its log.
"""

from __future__ import annotations

import gc


def pause() -> None:
    gc.disable()


def resume() -> None:
    """The collector back on, nothing frozen (a start that ended early)."""
    gc.enable()


def settle(collect: bool = False) -> None:
    """Freeze what exists (after a collection when `collect`: a long-lived process), collect again from here."""
    if collect:
        gc.collect()
    gc.freeze()
    gc.enable()
