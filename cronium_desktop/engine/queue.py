"""The run queue: priorities, the global concurrency limit, overlap between runs of one event.

Entries are execution ids already recorded as PENDING. `claim_next()` picks the highest priority,
oldest entry whose time has come (retries wait for their backoff) and whose event is free to run
(overlap QUEUE allows one run of an event at a time).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

PRIORITY_RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "CRITICAL": 3}


@dataclass(order=True)
class QueueEntry:
    sort_key: tuple[int, int] = field(init=True)
    execution_id: int = field(compare=False)
    event_id: int | None = field(compare=False)
    exclusive: bool = field(compare=False)  # overlap QUEUE: wait while the event runs
    not_before: float = field(compare=False, default=0.0)  # time.monotonic() of the earliest start


class RunQueue:
    def __init__(self, limit: Callable[[], int], execute: Callable[[int], Coroutine[Any, Any, None]]) -> None:
        self._limit = limit
        self._execute = execute
        self._heap: list[QueueEntry] = []
        self._counter = itertools.count()
        self._running: dict[int, tuple[asyncio.Task[None], int | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # every execute task, released ones included
        self._timer: asyncio.TimerHandle | None = None
        self._accepting = True

    # -- what is in it ----------------------------------------------------------------------------

    def running_ids(self) -> list[int]:
        return list(self._running)

    def queued_ids(self) -> list[int]:
        return [entry.execution_id for entry in self._heap]

    def is_event_busy(self, event_id: int) -> bool:
        return any(eid == event_id for _, eid in self._running.values()) or any(
            e.event_id == event_id for e in self._heap
        )

    async def idle(self, poll_seconds: float = 0.05) -> None:
        """Wait until nothing is queued or running."""
        while self._heap or self._running or any(not task.done() for task in self._tasks):
            await asyncio.sleep(poll_seconds)

    def __contains__(self, execution_id: int) -> bool:
        return execution_id in self._running or any(e.execution_id == execution_id for e in self._heap)

    # -- feeding it -------------------------------------------------------------------------------

    def submit(
        self, execution_id: int, event_id: int | None, priority: int, *, exclusive: bool = False, delay: float = 0.0
    ) -> None:
        entry = QueueEntry(
            sort_key=(-priority, next(self._counter)),
            execution_id=execution_id,
            event_id=event_id,
            exclusive=exclusive,
            not_before=time.monotonic() + delay,
        )
        heapq.heappush(self._heap, entry)
        self.pump()

    def remove(self, execution_id: int) -> bool:
        """Take a queued (not running) execution out; True if it was queued."""
        for index, entry in enumerate(self._heap):
            if entry.execution_id == execution_id:
                self._heap.pop(index)
                heapq.heapify(self._heap)
                return True
        return False

    def cancel_running(self, execution_id: int) -> bool:
        running = self._running.get(execution_id)
        if running is None:
            return False
        running[0].cancel()
        return True

    # -- running it -------------------------------------------------------------------------------

    def claim_next(self) -> QueueEntry | None:
        now = time.monotonic()
        busy_events = {event_id for _, event_id in self._running.values()}
        for entry in sorted(self._heap):
            if entry.not_before > now:
                continue
            if entry.exclusive and entry.event_id in busy_events:
                continue
            self._heap.remove(entry)
            heapq.heapify(self._heap)
            return entry
        return None

    def pump(self) -> None:
        if not self._accepting:
            return
        while len(self._running) < max(1, self._limit()):
            entry = self.claim_next()
            if entry is None:
                break
            task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._execute(entry.execution_id))
            self._running[entry.execution_id] = (task, entry.event_id)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(functools.partial(self._task_done, entry.execution_id))
        self._arm_timer()

    def _task_done(self, execution_id: int, task: asyncio.Task[None]) -> None:
        running = self._running.get(execution_id)
        if running is not None and running[0] is task:  # not a later attempt already running again
            self.release(execution_id)

    def release(self, execution_id: int) -> None:
        """The execution reached its final state: free its slot (its follow-up actions may go on)."""
        if self._running.pop(execution_id, None) is not None:
            self.pump()

    def _arm_timer(self) -> None:
        """Wake up when the earliest waiting retry becomes due."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting = [e.not_before for e in self._heap if e.not_before > time.monotonic()]
        if waiting:
            loop = asyncio.get_running_loop()
            delay = min(waiting) - time.monotonic()
            self._timer = loop.call_later(max(0.0, delay), self.pump)

    async def stop(self, grace_seconds: float) -> list[int]:
        """Stop claiming; wait up to `grace_seconds` for running runs, then cancel them.

        Returns the ids still queued (they stay PENDING in the store and run at next start).
        """
        self._accepting = False
        if self._timer is not None:
            self._timer.cancel()
        tasks = [task for task, _ in self._running.values()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=15)
        return [entry.execution_id for entry in self._heap]
