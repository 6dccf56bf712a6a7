"""Firing lateness of the embedded scheduler under load, beside bare APScheduler.

N active events with 1-second schedules run trivial BASH work for D seconds. Printed:
- firing lateness: when the run was recorded (the scheduler's fire) minus its due time, for times
  due once the scheduler was up (the fires due while it was down are its misfire catch-up at start,
  counted apart);
- start lateness: when the run's process started minus its due time (includes queueing under the
  concurrency limit);
- event-loop lag: how late a 10 ms ticker wakes up while the events fire, and apart from that, the
  longest stall while the engine starts with them (once: loading the schedules, and freezing the
  start-up heap as the app does) and while it stops;
- bare APScheduler firing N no-op jobs every second in the same process, for comparison;
- missed fires: due times with no run recorded.
Targets (1,000 events, 2 cores): firing p99 ≤ 1.5 × bare APScheduler's p99 in the same run, event-loop
lag while firing ≤ 100 ms, no missed fire.

    ./dev bench scheduler [--events 1000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from apscheduler.events import EVENT_JOB_SUBMITTED  # noqa: E402
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # noqa: E402
from apscheduler.triggers.interval import IntervalTrigger  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.scratch import data_folder  # noqa: E402
from cronium_desktop import heap  # noqa: E402
from cronium_desktop.engine.engine import Engine  # noqa: E402
from cronium_desktop.engine.store.models import Execution  # noqa: E402


def p99_of(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def figures(label: str, values: list[float]) -> str:
    if not values:
        return f"{label:<34} no samples"
    ordered = sorted(values)
    p99 = p99_of(ordered)
    return (f"{label:<34} p50 {statistics.median(ordered) * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms   "
            f"max {ordered[-1] * 1000:8.1f} ms   (n={len(ordered)})")


class Ticker:
    """How late a 10 ms sleep wakes up, per phase of the bench."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.samples: dict[str, list[float]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started, phase = time.perf_counter(), self.phase
            await asyncio.sleep(0.01)
            self.samples.setdefault(phase, []).append(time.perf_counter() - started - 0.01)


async def bare_apscheduler(count: int, seconds: float) -> list[float]:
    lateness: list[float] = []
    scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop(), timezone=UTC)
    due: dict[str, datetime] = {}

    def submitted(event) -> None:  # type: ignore[no-untyped-def]
        due[event.job_id] = max(event.scheduled_run_times)

    async def job(job_id: str) -> None:
        lateness.append((datetime.now(UTC) - due[job_id]).total_seconds())

    scheduler.add_listener(submitted, EVENT_JOB_SUBMITTED)
    start = datetime.now(UTC).replace(microsecond=0)
    for index in range(count):
        scheduler.add_job(job, IntervalTrigger(seconds=1, start_date=start), args=[f"j{index}"], id=f"j{index}",
                          max_instances=10, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    await asyncio.sleep(seconds)
    scheduler.shutdown(wait=False)
    return lateness


async def cronium(count: int, seconds: float, folder: Path, ticker: Ticker) -> tuple[list[float], list[float], int, int, int]:
    engine = Engine(folder)
    await engine.start()
    for index in range(count):
        await engine.events.create(
            {"name": f"Tick {index}", "type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE",
             "schedule": {"every": 1, "unit": "SECONDS"}, "overlap": "ALLOW", "timeout_seconds": 30}
        )
    await engine.stop()
    ticker.phase = "start"
    heap.pause()  # as `cronium-desktop` does until the app or the headless scheduler has started
    engine = Engine(folder)
    await engine.start(scheduler=True)
    heap.settle(collect=True)
    ticker.phase = "firing"
    began = datetime.now(UTC).replace(tzinfo=None)
    await asyncio.sleep(seconds)
    assert engine.scheduler is not None
    engine.scheduler.pause_all()
    ended = datetime.now(UTC).replace(tzinfo=None)
    ticker.phase = "stop"
    await engine.stop(grace_seconds=5)
    ticker.phase = "done"

    def recorded() -> list:  # type: ignore[type-arg]
        with engine.ctx.db.read() as session:
            return list(session.execute(select(Execution.scheduled_for, Execution.created_at, Execution.started_at)
                                        .where(Execution.trigger == "SCHEDULE")))

    rows = await asyncio.to_thread(recorded)  # the bench's own read: off the loop it measures
    fired = [row for row in rows if row.scheduled_for and row.scheduled_for >= began]
    firing = [(created - due).total_seconds() for due, created, _ in fired]
    starting = [(started - due).total_seconds() for due, _, started in fired if started]
    expected = count * int((ended - began).total_seconds() - 1)
    return firing, starting, len(rows), expected, len(rows) - len(fired)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    stop = asyncio.Event()
    ticker = Ticker()
    ticking = asyncio.create_task(ticker.run(stop))
    with data_folder() as folder:
        firing, starting, fired, expected, caught_up = await cronium(args.events, args.seconds, folder, ticker)
    stop.set()
    await ticking
    bare = await bare_apscheduler(args.events, min(args.seconds, 20))
    print(f"{args.events} events every second for {args.seconds:g} s")
    print(figures("cronium firing lateness", firing))
    print(figures("cronium start lateness (queued)", starting))
    print(figures("event-loop lag while firing", ticker.samples.get("firing", [])))
    for phase, label in (("start", "starting with them"), ("stop", "stopping")):
        print(f"longest event-loop stall {label:<20} {max(ticker.samples.get(phase, [0])) * 1000:8.1f} ms")
    print(figures("bare APScheduler firing lateness", bare))
    print(f"caught up at start (due while it was down): {caught_up} runs")
    print(f"runs recorded: {fired} of at least {expected} due → {'no missed fire' if fired >= expected else 'MISSED FIRES'}")
    ratio = p99_of(firing) / p99_of(bare) if p99_of(bare) else float("inf")
    lag = max(ticker.samples.get("firing", [0.0]))
    print(f"target: firing p99 ≤ 1.5 × bare → {ratio:.2f} × ({'meets' if ratio <= 1.5 else 'misses'}); "
          f"loop lag while firing ≤ 100 ms → {lag * 1000:.1f} ms ({'meets' if lag <= 0.1 else 'misses'})")


if __name__ == "__main__":
    asyncio.run(main())
