"""Blocking work handed to a thread of its own, its outcome handed back to the event loop that asked.

`run_in_executor` pays, per call, for a `concurrent.futures.Future` (a condition and its lock), the
chaining of that future to an asyncio one, and a wake-up of the loop through its self-pipe; a run
crosses to a thread and back several times (its start, its end, its two writes), and at many runs a
second that cost as much as the app's own work on them. Here the caller's asyncio future goes to the
thread as it is, and the thread settles the futures of everything it finished since it last did in
one call on the loop: work that comes in together is answered together.

`Backlog` is a thread that comes when there is work and leaves when there is none; `Worker` is one
for any work (`await worker.run(fn, *args)`); `in_own_thread` gives one piece of long work a thread
of its own; `Outcomes` is the handing back (the group writer, a backlog of its own, uses both).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")
SETTLE_EVERY_SECONDS = 0.001  # a long batch hands back what it finished at least this often
IDLE_SECONDS = 5.0  # a worker's thread leaves after this long without work, and comes back with the next

# What a thread was asked: the item, its caller's future, and the loop that future belongs to.
Asked = tuple[Item, "asyncio.Future[Any]", asyncio.AbstractEventLoop]
Outcome = tuple["asyncio.Future[Any]", BaseException | None, Any]  # the future, its error or its result


def _settle(outcomes: list[Outcome]) -> None:
    """On the loop: each future gets its outcome, unless its caller stopped waiting meanwhile."""
    for future, error, result in outcomes:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class Outcomes:
    """Outcomes a thread gathers for futures of one or more loops, handed back in one call per loop."""

    def __init__(self) -> None:
        self._by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        self._since = 0.0

    def add(self, asked: Asked[Any], error: BaseException | None, result: Any) -> None:
        _, future, loop = asked
        if not self._by_loop:
            self._since = time.monotonic()
        self._by_loop.setdefault(loop, []).append((future, error, result))

    def hand_back_if_due(self) -> None:
        if self._by_loop and time.monotonic() - self._since >= SETTLE_EVERY_SECONDS:
            self.hand_back()

    def hand_back(self) -> None:
        by_loop, self._by_loop = self._by_loop, {}
        for loop, outcomes in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, outcomes)
            except RuntimeError:  # the loop is closed: no one waits any more
                pass


def _asked(item: Item) -> Asked[Item]:
    loop = asyncio.get_running_loop()
    return item, loop.create_future(), loop


class Backlog(Generic[Item]):
    """What waits for one thread that comes when there is work (`ask`) and leaves after `IDLE_SECONDS`
    without any: `serve` is called on that thread and takes the work in batches (`take`).

    Work whose caller stopped waiting before the thread took it is dropped, as a cancelled task's
    that had not begun; once taken, it is done (its outcome dropped if no one waits for it)."""

    def __init__(self, name: str, serve: Callable[[], None]) -> None:
        self._name = name
        self._serve = serve
        self._items: list[Asked[Item]] = []
        self._ready = threading.Condition()
        self._running = False

    def ask(self, item: Item) -> asyncio.Future[Any]:
        """A future of what the thread makes of `item` (awaited on the running loop)."""
        asked = _asked(item)
        with self._ready:
            self._items.append(asked)
            self._ready.notify()
            if not self._running:
                self._running = True
                threading.Thread(target=self._serve, name=self._name, daemon=True).start()
        return asked[1]

    def take(self, most: int | None = None, leaving: Callable[[], None] | None = None) -> list[Asked[Item]] | None:
        """What waits and is still waited for, up to `most` (the serving thread's); None when nothing
        came for `IDLE_SECONDS`: the thread must return (`leaving` is called first, under the lock: a
        thread started after this one cannot run before it)."""
        with self._ready:
            if not self._items:
                self._ready.wait(IDLE_SECONDS)
            if not self._items:
                if leaving is not None:
                    leaving()
                self._running = False
                return None
            if most is None or len(self._items) <= most:
                batch, self._items = self._items, []
            else:
                batch, self._items = self._items[:most], self._items[most:]
        return [asked for asked in batch if not asked[1].cancelled()]


class Worker:
    """One thread doing blocking work in the order it comes: `await worker.run(fn, *args)` (a caller
    that must not lose work once asked shields it)."""

    def __init__(self, name: str) -> None:
        self._backlog: Backlog[tuple[Callable[..., Any], tuple[Any, ...]]] = Backlog(name, self._serve)

    def run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """A future of `fn(*args)` done on the thread (awaited on the running loop)."""
        return self._backlog.ask((fn, args))

    def _serve(self) -> None:
        outcomes = Outcomes()
        while (batch := self._backlog.take()) is not None:
            for asked in batch:
                fn, args = asked[0]
                try:
                    outcomes.add(asked, None, fn(*args))
                except BaseException as error:  # noqa: BLE001 - handed to the caller, as run_in_executor does
                    outcomes.add(asked, error, None)
                outcomes.hand_back_if_due()
            outcomes.hand_back()


def in_own_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """Long blocking work (waiting for a whole run) in a thread of its own, not a shared one: eight
    runs at once would otherwise hold every worker the short calls need."""
    asked = _asked(work)

    def target() -> None:
        outcomes = Outcomes()
        try:
            outcomes.add(asked, None, work())
        except BaseException as error:  # noqa: BLE001 - handed to the loop, which re-raises it where it is awaited
            outcomes.add(asked, error, None)
        outcomes.hand_back()

    threading.Thread(target=target, name="container-wait", daemon=True).start()
    return asked[1]
