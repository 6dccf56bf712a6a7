"""The run queue: priorities, the global concurrency limit, overlap between runs of one event.

Entries are execution ids already recorded as PENDING. `claim_next()` picks the highest priority,
oldest entry whose time has come (retries wait for their backoff) and whose event is free to run
(overlap QUEUE allows one run of an event at a time). Every operation on the hot path is O(log n):
a backlog of tens of thousands of queued runs must not slow down the scheduler that feeds it.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

PRIORITY_RANK = {"LOW": 0, "NORMAL": 1, "HIGH": 2, "CRITICAL": 3}
# The concurrency limit is a setting in the store; reading it on every submit would put a query on
# the loop's hot path, so a change takes effect within this many seconds.
LIMIT_REFRESH_SECONDS = 1.0


class QueueEntry(NamedTuple):
    """A queued run. The queue keeps it as a plain tuple (`_Item`), which the garbage collector stops
    tracking (it untracks exact tuples of plain values, not a subclass's): a backlog of tens of
    thousands of queued runs then adds nothing to the collections that pause the loop. Entries
    order by `sort_key` alone (its second part is unique)."""

    sort_key: tuple[int, int]
    execution_id: int
    event_id: int | None
    exclusive: bool  # overlap QUEUE: wait while the event runs
    not_before: float = 0.0  # time.monotonic() of the earliest start


_Item = tuple[tuple[int, int], int, "int | None", bool, float]  # a QueueEntry's fields, as a plain tuple


class RunQueue:
    def __init__(
        self,
        limit: Callable[[], int],
        execute: Callable[..., Coroutine[Any, Any, None]],
        cancel: Callable[[int], bool] | None = None,
    ) -> None:
        """`cancel` stops a running execution cooperatively; without it, its task is cancelled."""
        self._limit = limit
        self._execute = execute
        self._cancel = cancel
        self._heap: list[_Item] = []  # ready to run, by priority then age
        self._delayed: list[tuple[float, int, _Item]] = []  # waiting for not_before (retry backoff)
        self._queued_per_event: collections.Counter[int | None] = collections.Counter()
        self._queued: set[int] = set()  # the execution ids in _heap and _delayed
        self._counter = itertools.count()
        self._running: dict[int, tuple[asyncio.Task[None], int | None]] = {}
        self._reserved = 0  # slots of runs being recorded that start at once (see `reserve`)
        self._tasks: set[asyncio.Task[None]] = set()  # every execute task, released ones included
        self._timer: asyncio.TimerHandle | None = None
        self._accepting = True
        self._held = False  # runs wait: another process hosts the folder's runs for now (runs/host.py)
        self._limit_value = 1
        self._limit_read_at = -LIMIT_REFRESH_SECONDS  # monotonic time the limit was last read

    # -- what is in it ----------------------------------------------------------------------------

    def running_ids(self) -> list[int]:
        return list(self._running)

    def _entries(self) -> list[QueueEntry]:
        return [QueueEntry._make(item) for item in self._heap + [item for _, _, item in self._delayed]]

    def queued_ids(self) -> list[int]:
        return [entry.execution_id for entry in self._entries()]

    def is_event_busy(self, event_id: int) -> bool:
        return self._queued_per_event[event_id] > 0 or any(eid == event_id for _, eid in self._running.values())

    async def idle(self, poll_seconds: float = 0.05) -> None:
        """Wait until nothing is queued or running."""
        while (self._heap or self._delayed or self._running or self._reserved
               or any(not task.done() for task in self._tasks)):
            await asyncio.sleep(poll_seconds)

    def __contains__(self, execution_id: int) -> bool:
        return execution_id in self._running or execution_id in self._queued

    # -- feeding it -------------------------------------------------------------------------------

    def submit(
        self, execution_id: int, event_id: int | None, priority: int, *, exclusive: bool = False, delay: float = 0.0
    ) -> None:
        sequence = next(self._counter)
        item: _Item = ((-priority, sequence), execution_id, event_id, exclusive, time.monotonic() + delay)
        self._queued_per_event[event_id] += 1
        self._queued.add(execution_id)
        if delay > 0:
            heapq.heappush(self._delayed, (item[4], sequence, item))
        else:
            heapq.heappush(self._heap, item)
        self.pump()

    def remove(self, execution_id: int) -> bool:
        """Take a queued (not running) execution out; True if it was queued."""
        if execution_id not in self._queued:
            return False
        self._queued.discard(execution_id)
        for index, item in enumerate(self._heap):
            entry = QueueEntry._make(item)
            if entry.execution_id == execution_id:
                self._heap.pop(index)
                heapq.heapify(self._heap)
                self._queued_per_event[entry.event_id] -= 1
                return True
        for index, (_, _, item) in enumerate(self._delayed):
            entry = QueueEntry._make(item)
            if entry.execution_id == execution_id:
                self._delayed.pop(index)
                heapq.heapify(self._delayed)
                self._queued_per_event[entry.event_id] -= 1
                return True
        return False

    def cancel_running(self, execution_id: int) -> bool:
        running = self._running.get(execution_id)
        if running is None:
            return False
        if self._cancel is not None:
            return self._cancel(execution_id)
        if not running[0].cancelling():  # a second cancel would interrupt the first one's cleanup
            running[0].cancel()
        return True

    # -- running it -------------------------------------------------------------------------------

    def _promote_due(self) -> None:
        """Move retries whose backoff has passed into the ready heap."""
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            heapq.heappush(self._heap, heapq.heappop(self._delayed)[2])

    def claim_next(self) -> QueueEntry | None:
        self._promote_due()
        busy_events = {event_id for _, event_id in self._running.values()}
        waiting: list[_Item] = []  # overlap QUEUE entries whose event is running: they keep their place
        claimed: QueueEntry | None = None
        while self._heap:
            item = heapq.heappop(self._heap)
            entry = QueueEntry._make(item)
            if entry.exclusive and entry.event_id in busy_events:
                waiting.append(item)
                continue
            claimed = entry
            break
        for item in waiting:
            heapq.heappush(self._heap, item)
        if claimed is not None:
            self._queued_per_event[claimed.event_id] -= 1
            self._queued.discard(claimed.execution_id)
        return claimed

    def limit(self) -> int:
        """The global concurrency limit (at least 1), re-read from the settings at most once a second."""
        now = time.monotonic()
        if now - self._limit_read_at >= LIMIT_REFRESH_SECONDS:
            self._limit_value = max(1, self._limit())
            self._limit_read_at = now
        return self._limit_value

    def hold(self) -> None:
        """Start nothing until `resume()`: what is submitted keeps its place."""
        self._held = True

    def resume(self) -> None:
        self._held = False
        if self._accepting:
            self.pump()

    def limit_changed(self) -> None:
        """The limit setting changed: read it now and start what a raised limit lets run."""
        self._limit_read_at = -LIMIT_REFRESH_SECONDS
        if self._accepting:
            self.pump()

    def pump(self) -> None:
        if not self._accepting or self._held:
            return
        while len(self._running) + self._reserved < self.limit():
            entry = self.claim_next()
            if entry is None:
                break
            self._run(entry.execution_id, entry.event_id, self._execute(entry.execution_id))
        self._arm_timer()

    def _run(self, execution_id: int, event_id: int | None, work: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._running[execution_id] = (task, event_id)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(functools.partial(self._task_done, execution_id))

    # -- a run that starts as it is recorded --------------------------------------------------------

    def reserve(self) -> bool:
        """A slot for a run about to be recorded, if it can start at once: a free slot and nothing
        queued ahead of it. Its start is then written in the transaction that records it (one write
        less per run); `start_reserved` or `unreserve` follows, on the loop, once that is done."""
        if not self._accepting or self._held:
            return False
        self._promote_due()
        if self._heap or len(self._running) + self._reserved >= self.limit():
            return False
        self._reserved += 1
        return True

    def start_reserved(self, execution_id: int, event_id: int | None, begun: Any) -> None:
        """Run a reserved run whose start was written (`begun`: what the runner made of it)."""
        self._reserved -= 1
        self._run(execution_id, event_id, self._execute(execution_id, begun))

    def unreserve(self) -> None:
        self._reserved -= 1
        if self._accepting:
            self.pump()

    def adopt(self, execution_id: int, event_id: int | None, work: Coroutine[Any, Any, None]) -> None:
        """A run found still going after a restart: it runs outside the queue's choice but counts
        towards the concurrency limit and its event's overlap like any running run."""
        self._run(execution_id, event_id, work)

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
        if self._delayed:
            delay = self._delayed[0][0] - time.monotonic()
            self._timer = asyncio.get_running_loop().call_later(max(0.0, delay), self.pump)

    async def stop(self, grace_seconds: float) -> list[int]:
        """Stop claiming; wait up to `grace_seconds` for running runs, then cancel them.

        Returns the ids still queued (they stay PENDING in the store and run at next start).
        """
        self._accepting = False
        if self._timer is not None:
            self._timer.cancel()
        while self._reserved:  # runs being recorded as they start: they start, and are waited for too
            await asyncio.sleep(0.01)
        tasks = {task: execution_id for execution_id, (task, _) in self._running.items()}
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                self.cancel_running(tasks[task])
            if pending:
                await asyncio.wait(pending, timeout=15)
        return self.queued_ids()
