"""The run queue on its own (engine/runs/queue.py): which run starts next, how many at once, and
runs of one event that must wait for each other."""

from __future__ import annotations

import asyncio

from cronium_desktop.engine.runs.queue import PRIORITY_RANK, RunQueue


class Recorder:
    """Runs that start, in order; each one goes on until the test lets it finish."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.running: set[int] = set()
        self.most_at_once = 0
        self._finish: dict[int, asyncio.Event] = {}

    async def execute(self, execution_id: int) -> None:
        self.started.append(execution_id)
        self.running.add(execution_id)
        self.most_at_once = max(self.most_at_once, len(self.running))
        gate = self._finish.setdefault(execution_id, asyncio.Event())
        try:
            await gate.wait()
        finally:
            self.running.discard(execution_id)

    def finish(self, execution_id: int) -> None:
        self._finish.setdefault(execution_id, asyncio.Event()).set()

    def finish_all(self) -> None:
        for execution_id in list(self.running):
            self.finish(execution_id)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_higher_priority_runs_first_and_equal_priorities_run_oldest_first() -> None:
    runs = Recorder()
    queue = RunQueue(lambda: 1, runs.execute)
    queue.hold()  # everything is queued before anything is chosen
    for execution_id, priority in [(1, "LOW"), (2, "NORMAL"), (3, "CRITICAL"), (4, "HIGH"), (5, "NORMAL")]:
        queue.submit(execution_id, event_id=execution_id, priority=PRIORITY_RANK[priority])
    queue.resume()
    for _ in range(5):
        await settle()
        runs.finish_all()
    await queue.idle(poll_seconds=0.01)
    assert runs.started == [3, 4, 2, 5, 1]


async def test_no_more_runs_at_once_than_the_concurrency_limit() -> None:
    runs = Recorder()
    queue = RunQueue(lambda: 2, runs.execute)
    for execution_id in range(1, 7):
        queue.submit(execution_id, event_id=execution_id, priority=1)
    await settle()
    assert sorted(runs.running) == [1, 2]
    assert sorted(queue.queued_ids()) == [3, 4, 5, 6]
    runs.finish(1)
    await settle()
    assert sorted(runs.running) == [2, 3]  # a freed slot goes to the next run at once
    while runs.running or queue.queued_ids():
        runs.finish_all()
        await settle()
    assert runs.most_at_once == 2
    assert sorted(runs.started) == [1, 2, 3, 4, 5, 6]


async def test_a_limit_raised_in_settings_starts_waiting_runs() -> None:
    runs = Recorder()
    limit = {"value": 1}
    queue = RunQueue(lambda: limit["value"], runs.execute)
    for execution_id in (1, 2, 3):
        queue.submit(execution_id, event_id=execution_id, priority=1)
    await settle()
    assert sorted(runs.running) == [1]
    limit["value"] = 3
    queue.limit_changed()
    await settle()
    assert sorted(runs.running) == [1, 2, 3]
    runs.finish_all()
    await queue.idle(poll_seconds=0.01)


async def test_overlap_queue_waits_for_the_events_run_while_other_events_go_ahead() -> None:
    runs = Recorder()
    queue = RunQueue(lambda: 5, runs.execute)
    queue.submit(1, event_id=7, priority=1, exclusive=True)
    queue.submit(2, event_id=7, priority=3, exclusive=True)  # same event: waits, however urgent
    queue.submit(3, event_id=8, priority=1, exclusive=True)
    await settle()
    assert sorted(runs.running) == [1, 3]
    assert queue.is_event_busy(7)
    runs.finish(1)
    await settle()
    assert 2 in runs.running
    runs.finish_all()
    await queue.idle(poll_seconds=0.01)
    assert runs.started == [1, 3, 2]


async def test_a_retry_waits_for_its_backoff_while_later_runs_start() -> None:
    runs = Recorder()
    queue = RunQueue(lambda: 1, runs.execute)
    queue.submit(1, event_id=1, priority=3, delay=0.3)  # a retry of an urgent run, in backoff
    queue.submit(2, event_id=2, priority=0)
    await settle()
    assert runs.started == [2]
    runs.finish(2)
    while 1 not in runs.started:
        await asyncio.sleep(0.05)
    runs.finish_all()
    await queue.idle(poll_seconds=0.01)
    assert runs.started == [2, 1]


async def test_a_removed_run_never_starts_and_stop_returns_what_was_still_queued() -> None:
    runs = Recorder()
    queue = RunQueue(lambda: 1, runs.execute)
    for execution_id in (1, 2, 3):
        queue.submit(execution_id, event_id=execution_id, priority=1)
    await settle()
    assert queue.remove(2) is True
    assert queue.remove(1) is False  # running, not queued: cancel it instead
    assert 2 not in queue
    left = asyncio.ensure_future(queue.stop(grace_seconds=5))
    await settle()
    runs.finish(1)
    assert await left == [3]
    assert runs.started == [1]  # nothing new starts once stopping


async def test_a_backlog_of_queued_runs_gives_the_garbage_collector_nothing_to_walk() -> None:
    """Under a burst of schedules the queue holds tens of thousands of runs for minutes; a full
    collection walks every tracked object while the window waits, so queued runs are kept in a form
    the collector stops tracking (they once made 100 ms pauses every few seconds)."""
    import gc

    recorder = Recorder()
    queue = RunQueue(lambda: 1, recorder.execute)
    queue.hold()
    gc.collect()
    before = len(gc.get_objects())
    for execution_id in range(20_000):
        queue.submit(execution_id, execution_id % 50, PRIORITY_RANK["NORMAL"], exclusive=execution_id % 2 == 0)
    queue.submit(20_000, 7, PRIORITY_RANK["HIGH"], delay=60)  # a retry waiting for its backoff
    # A tuple is untracked once what it holds is: one pass for the (priority, sequence) keys, one for
    # the entries (the automatic collector makes many passes meanwhile; the window's, ui/collector.py, too).
    gc.collect()
    gc.collect()
    tracked_more = len(gc.get_objects()) - before
    assert tracked_more < 200
    assert len(queue.queued_ids()) == 20_001
    queue.resume()
    await settle()
    assert recorder.started == [0]
    recorder.finish_all()
