"""The window's asyncio loop (ui/qt_loop.py): timers fire in order and on time, and a cancelled one
is gone at once — qasync kept each until its time came, so every run left its two timeouts (an hour
each) and their handles behind while the window was open."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.ui.conftest import run


def test_timers_fire_in_the_order_they_are_due_and_cancelled_ones_never(loop: Any) -> None:
    fired: list[str] = []

    async def schedule() -> None:
        running = asyncio.get_running_loop()
        running.call_later(0.06, fired.append, "third")
        running.call_later(0.02, fired.append, "first")
        running.call_at(running.time() + 0.04, fired.append, "second")
        running.call_later(0.03, fired.append, "cancelled").cancel()
        running.call_soon(fired.append, "now")
        await asyncio.sleep(0.15)

    run(loop, schedule())
    assert fired == ["now", "first", "second", "third"]


def test_a_cancelled_timer_is_gone_from_the_loop_at_once(loop: Any) -> None:
    async def thousand_timeouts() -> int:
        for _ in range(1000):
            async with asyncio.timeout(3600):  # as each run's timeout: armed, then cancelled as it ends
                await asyncio.sleep(0)
        return len(loop._timers)

    armed_after = run(loop, thousand_timeouts())
    assert armed_after < 10  # only what the loop itself has going, not a thousand hours-long timers


def test_a_wait_longer_than_a_qt_timer_holds_is_armed_in_steps(loop: Any, monkeypatch: Any) -> None:
    from cronium_desktop.ui import qt_loop

    monkeypatch.setattr(qt_loop, "LONGEST_MS", 20)  # a Qt timer holds 24.8 days: here 20 ms stands for it
    fired: list[float] = []

    async def wait_long() -> float:
        running = asyncio.get_running_loop()
        start = running.time()
        running.call_later(0.1, lambda: fired.append(running.time() - start))
        await asyncio.sleep(0.3)
        return start

    run(loop, wait_long())
    assert len(fired) == 1 and fired[0] >= 0.09  # not at the first step's 20 ms


def test_an_error_in_a_callback_goes_to_the_loops_exception_handler(loop: Any) -> None:
    seen: list[str] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(str(context.get("exception"))))

    def broken() -> None:
        raise ValueError("broken callback")

    async def call_it() -> None:
        asyncio.get_running_loop().call_later(0.01, broken)
        await asyncio.sleep(0.1)

    try:
        run(loop, call_it())
    finally:
        loop.set_exception_handler(None)
    assert seen == ["broken callback"]
