"""Work handed to a thread (engine/handover.py): a run's start and end go to the runs' thread this
way, and its writes to the group writer; each caller hears its own outcome, and a caller that
stopped waiting before its work was taken does not have it done."""

from __future__ import annotations

import asyncio
import threading

import pytest

from cronium_desktop.engine.handover import Worker


async def test_each_caller_hears_its_own_result_or_error_in_the_order_the_work_came() -> None:
    worker = Worker("test-worker")
    done: list[int] = []

    def work(number: int) -> int:
        done.append(number)
        if number == 3:
            raise ValueError("three is refused")
        return number * 10

    futures = [worker.run(work, number) for number in range(6)]
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert done == list(range(6))
    assert outcomes[:3] == [0, 10, 20] and outcomes[4:] == [40, 50]
    assert isinstance(outcomes[3], ValueError) and str(outcomes[3]) == "three is refused"


async def test_work_whose_caller_stopped_waiting_before_it_was_taken_is_not_done() -> None:
    worker = Worker("test-worker")
    entered, release = threading.Event(), threading.Event()
    done: list[str] = []

    def held() -> str:
        entered.set()
        release.wait(10)
        return "held"

    first = worker.run(held)
    assert await asyncio.to_thread(entered.wait, 10)
    dropped = worker.run(done.append, "dropped")
    dropped.cancel()
    later = worker.run(done.append, "later")
    release.set()
    assert await asyncio.wait_for(first, 10) == "held"
    await asyncio.wait_for(later, 10)
    assert done == ["later"]
    with pytest.raises(asyncio.CancelledError):
        await dropped
