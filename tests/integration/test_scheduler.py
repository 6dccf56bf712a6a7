"""The scheduler with real time: firing, edits, limits, misfires, overlap and priorities (SPEC §1, §2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.notices import EventPaused, Message, Notice
from cronium_desktop.engine.scheduling.scheduler import Scheduler
from cronium_desktop.engine.store.models import Event, Execution
from tests.conftest import TEST_PASSPHRASE


@pytest.fixture
async def scheduled(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


def every_second(name: str, content: str = "true", **fields: object) -> dict[str, object]:
    return {"name": name, "type": "BASH", "content": content, "status": "ACTIVE", "trigger": "SCHEDULE",
            "schedule": {"every": 1, "unit": "SECONDS"}, **fields}


async def scheduled_runs(engine: Engine, event: str) -> list:  # type: ignore[type-arg]
    return [r for r in await engine.runs.list(event=event) if r.trigger == "SCHEDULE"]


async def test_interval_schedule_fires_every_second(scheduled: Engine) -> None:
    await scheduled.events.create(every_second("Ticker"))
    await asyncio.sleep(3.6)
    runs = await scheduled_runs(scheduled, "Ticker")
    assert 3 <= len(runs) <= 5
    assert all(r.status == "SUCCESS" for r in runs if r.finished_at)


async def test_six_field_cron_fires_on_its_seconds(scheduled: Engine) -> None:
    await scheduled.events.create({**every_second("Cron"), "schedule": {"cron": "*/2 * * * * *"}})
    await asyncio.sleep(4.5)
    runs = await scheduled_runs(scheduled, "Cron")
    assert 2 <= len(runs) <= 3
    detail = await scheduled.runs.get(runs[0].execution_id)
    assert detail.created_at.second % 2 == 0


async def test_pause_activate_and_delete_take_effect_at_once(scheduled: Engine) -> None:
    event_id = await scheduled.events.create(every_second("Toggled"))
    await asyncio.sleep(1.5)
    await scheduled.events.set_status(event_id, "PAUSED")
    assert scheduled.scheduler is not None
    await scheduled.scheduler.settled()
    paused_count = len(await scheduled_runs(scheduled, "Toggled"))
    assert paused_count >= 1
    await asyncio.sleep(2)
    assert len(await scheduled_runs(scheduled, "Toggled")) == paused_count
    await scheduled.events.set_status(event_id, "ACTIVE")
    await asyncio.sleep(2.2)
    assert len(await scheduled_runs(scheduled, "Toggled")) > paused_count
    await scheduled.runs.idle()
    await scheduled.events.delete(event_id)
    await scheduled.scheduler.settled()
    assert scheduled.scheduler.next_run(event_id) is None


async def test_editing_the_schedule_reschedules(scheduled: Engine) -> None:
    event_id = await scheduled.events.create({**every_second("Edited"), "schedule": {"cron": "0 0 1 1 *"}})
    assert scheduled.scheduler is not None
    await scheduled.scheduler.settled()
    assert scheduled.scheduler.next_run(event_id).year >= 2027  # type: ignore[union-attr]
    spec = await scheduled.events.get(event_id)
    await scheduled.events.update(event_id, {**spec, "schedule": {"every": 1, "unit": "SECONDS"}})
    await asyncio.sleep(2.5)
    assert len(await scheduled_runs(scheduled, "Edited")) >= 1


async def test_max_executions_pauses_the_event_with_a_notice(scheduled: Engine) -> None:
    notices: list[Notice] = []
    scheduled.bus.subscribe(notices.append)
    event_id = await scheduled.events.create(every_second("Limited", max_executions=2))
    await asyncio.sleep(4)
    assert len(await scheduled_runs(scheduled, "Limited")) == 2
    assert (await scheduled.events.get(event_id))["status"] == "PAUSED"
    assert any(isinstance(n, EventPaused) and n.event_id == event_id for n in notices)
    await scheduled.events.set_status(event_id, "ACTIVE")  # the counter starts again
    summary = next(e for e in await scheduled.events.list() if e.id == event_id)
    assert summary.execution_count == 0


async def _downtime(data_dir: Path, misfire: str, activated_minutes_ago: float = 10.5) -> tuple[Engine, int]:
    """An event due every minute whose last fire was 10 minutes ago: the app was closed meanwhile."""
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create(
        {"name": "Minutely", "type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE",
         "schedule": {"every": 1, "unit": "MINUTES"}, "misfire": misfire}
    )
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10, seconds=30)
    with first.ctx.db.write() as session:
        event = session.get(Event, event_id)
        assert event is not None
        event.last_fire_at = long_ago
        event.activated_at = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=activated_minutes_ago)
    await first.stop()
    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    return second, event_id


async def test_misfire_run_once_catches_up_with_one_run(data_dir: Path) -> None:
    engine, event_id = await _downtime(data_dir, "RUN_ONCE")
    try:
        await engine.runs.idle()
        runs = await scheduled_runs(engine, "Minutely")
        assert len(runs) == 1  # ten missed fires, one catch-up run
        with engine.ctx.db.read() as session:
            event = session.get(Event, event_id)
            assert event is not None and event.last_fire_at is not None
            assert datetime.now(UTC).replace(tzinfo=None) - event.last_fire_at < timedelta(minutes=1, seconds=5)
    finally:
        await engine.stop()


async def test_misfire_skip_runs_nothing_and_moves_on(data_dir: Path) -> None:
    engine, event_id = await _downtime(data_dir, "SKIP")
    try:
        await asyncio.sleep(0.3)
        assert await scheduled_runs(engine, "Minutely") == []
        with engine.ctx.db.read() as session:
            event = session.get(Event, event_id)
            assert event is not None and event.last_fire_at is not None
            assert datetime.now(UTC).replace(tzinfo=None) - event.last_fire_at < timedelta(minutes=1, seconds=5)
    finally:
        await engine.stop()


async def test_fires_that_fell_while_the_event_was_paused_are_not_caught_up(data_dir: Path) -> None:
    engine, _ = await _downtime(data_dir, "RUN_ONCE", activated_minutes_ago=0.2)  # paused until just now
    try:
        await asyncio.sleep(0.3)
        assert await scheduled_runs(engine, "Minutely") == []
    finally:
        await engine.stop()


async def _overlapping(engine: Engine, overlap: str) -> list:  # type: ignore[type-arg]
    await engine.events.create(every_second(f"Slow {overlap}", "sleep 1.6", overlap=overlap))
    await asyncio.sleep(2.8)
    assert engine.scheduler is not None
    engine.scheduler.pause_all()
    await engine.runs.idle()
    return sorted(await scheduled_runs(engine, f"Slow {overlap}"), key=lambda r: r.execution_id)


def _overlaps(runs: list) -> bool:  # type: ignore[type-arg]
    ran = [r for r in runs if r.status == "SUCCESS"]
    return any(b.started_at < a.finished_at for a, b in zip(ran, ran[1:], strict=False))


async def test_overlap_skip_records_skipped_runs(scheduled: Engine) -> None:
    runs = await _overlapping(scheduled, "SKIP")
    statuses = [r.status for r in runs]
    assert "SKIPPED" in statuses and statuses.count("SUCCESS") >= 1
    assert not _overlaps(runs)


async def test_overlap_queue_runs_one_after_another(scheduled: Engine) -> None:
    runs = await _overlapping(scheduled, "QUEUE")
    assert "SKIPPED" not in [r.status for r in runs]
    assert len([r for r in runs if r.status == "SUCCESS"]) >= 2
    assert not _overlaps(runs)


async def test_overlap_allow_runs_in_parallel(scheduled: Engine) -> None:
    runs = await _overlapping(scheduled, "ALLOW")
    assert "SKIPPED" not in [r.status for r in runs]
    assert _overlaps(runs)


async def test_priorities_order_the_queue_under_a_concurrency_limit_of_one(engine: Engine) -> None:
    engine.settings.set("concurrency", 1)
    blocker = await engine.events.create({"name": "Blocker", "type": "BASH", "content": "sleep 0.5"})
    ids = {}
    for priority in ("LOW", "NORMAL", "CRITICAL", "HIGH"):
        ids[priority] = await engine.events.create(
            {"name": priority.title(), "type": "BASH", "content": "true", "priority": priority, "overlap": "ALLOW"}
        )
    await engine.runs.start(blocker)
    await asyncio.sleep(0.1)
    for priority in ("LOW", "NORMAL", "CRITICAL", "HIGH", "LOW"):
        await engine.runs.start(ids[priority])
    await engine.runs.idle()
    order = [r.event for r in sorted(await engine.runs.list(), key=lambda r: r.started_at)]
    assert order == ["Blocker", "Critical", "High", "Normal", "Low", "Low"]


async def test_next_run_is_shown_for_scheduled_events(scheduled: Engine) -> None:
    event_id = await scheduled.events.create({**every_second("Daily"), "schedule": {"cron": "0 6 * * *"}, "timezone": "UTC"})
    [summary] = [e for e in await scheduled.events.list() if e.id == event_id]
    assert summary.next_run is not None and (summary.next_run.hour, summary.next_run.minute) == (6, 0)
    assert scheduled.scheduler is not None
    await scheduled.scheduler.settled()
    assert scheduled.scheduler.next_run(event_id) == summary.next_run


async def _sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def test_start_and_end_time_bound_the_scheduled_runs(scheduled: Engine) -> None:
    # A whole second at least 2 s away: the schedule is anchored on whole seconds.
    start = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    end = start + timedelta(seconds=1.5)
    event_id = await scheduled.events.create(
        every_second("Windowed", start_time=start.isoformat(), end_time=end.isoformat())
    )
    await _sleep_until(start - timedelta(seconds=0.5))
    assert await scheduled_runs(scheduled, "Windowed") == []  # not before start_time
    await _sleep_until(end + timedelta(seconds=1.5))
    await scheduled.runs.idle()
    with scheduled.ctx.db.read() as session:
        due = sorted(session.scalars(select(Execution.scheduled_for).where(Execution.event_id == event_id)))
    start_naive = start.replace(tzinfo=None)
    assert due == [start_naive, start_naive + timedelta(seconds=1)]  # and none after end_time
    assert scheduled.scheduler is not None and scheduled.scheduler.next_run(event_id) is None


@pytest.mark.parametrize(("misfire", "expected_runs"), [("RUN_ONCE", 1), ("SKIP", 0)])
async def test_fires_missed_while_the_computer_slept_follow_the_misfire_policy(
    scheduled: Engine, misfire: str, expected_runs: int
) -> None:
    notices: list[Notice] = []
    scheduled.bus.subscribe(notices.append)
    event_id = await scheduled.events.create(
        {**every_second("Sleeper"), "schedule": {"every": 1, "unit": "MINUTES"}, "misfire": misfire}
    )
    assert scheduled.scheduler is not None and scheduled.scheduler.apscheduler is not None
    await scheduled.scheduler.settled()
    # What resuming from a 5-minute sleep looks like to APScheduler: five due times already past.
    slept_from = datetime.now(UTC) - timedelta(minutes=5, seconds=30)
    scheduled.scheduler.apscheduler.modify_job(f"event:{event_id}", next_run_time=slept_from)

    def handled() -> datetime | None:  # the fire is recorded once the catch-up is decided (and started)
        with scheduled.ctx.db.read() as session:
            event = session.get(Event, event_id)
            return event.last_fire_at if event is not None else None

    for _ in range(150):  # a loaded machine may take a while to get to the job
        if handled() is not None and any(isinstance(n, Message) and "Sleeper" in n.text for n in notices):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # a second catch-up run would have been started by now
    await scheduled.scheduler.settled()
    await scheduled.runs.idle()
    assert len(await scheduled_runs(scheduled, "Sleeper")) == expected_runs
    last_fire = handled()
    assert last_fire is not None  # handled, not missed again at next start
    assert datetime.now(UTC).replace(tzinfo=None) - last_fire < timedelta(minutes=1)
    assert any(isinstance(n, Message) and "Sleeper" in n.text for n in notices)
    next_run = scheduled.scheduler.next_run(event_id)
    assert next_run is not None and next_run > datetime.now(UTC)


async def test_watchdog_notices_a_wall_clock_jump(engine: Engine) -> None:
    offset = [0.0]
    scheduler = Scheduler(engine.ctx, engine.runs, wall_clock=lambda: time.time() + offset[0], watchdog_seconds=0.05)
    notices: list[Notice] = []
    engine.bus.subscribe(notices.append)
    await scheduler.start()
    try:
        await asyncio.sleep(0.2)
        assert not any("clock jumped" in getattr(n, "text", "") for n in notices)
        offset[0] = 3600.0  # an hour of sleep: the wall clock moved, the monotonic clock did not
        await asyncio.sleep(0.2)
        assert any("clock jumped by 3600 s" in getattr(n, "text", "") for n in notices)
    finally:
        await scheduler.stop()


async def test_downtime_across_spring_forward_counts_the_0230_job_once_per_day(engine: Engine) -> None:
    """A controllable clock: the app was closed from Saturday to Monday noon around a DST change."""
    event_id = await engine.events.create(
        {**every_second("Nightly"), "schedule": {"cron": "30 2 * * *"}, "timezone": "Europe/Berlin"}
    )
    with engine.ctx.db.write() as session:
        event = session.get(Event, event_id)
        assert event is not None
        event.activated_at = event.last_fire_at = datetime(2027, 3, 27, 1, 30)  # Saturday 02:30 in Berlin
    notices: list[Notice] = []
    engine.bus.subscribe(notices.append)
    monday_noon = datetime(2027, 3, 29, 10, 0, tzinfo=UTC)
    scheduler = Scheduler(engine.ctx, engine.runs, now=lambda: monday_noon)
    await scheduler.start()
    try:
        await engine.runs.idle()
        with engine.ctx.db.read() as session:
            due = list(session.scalars(select(Execution.scheduled_for).where(Execution.event_id == event_id)))
        assert due == [datetime(2027, 3, 29, 0, 30)]  # one catch-up, for the latest missed fire
        assert any(isinstance(n, Message) and "missed 2 runs" in n.text for n in notices)  # Sun 03:30, Mon 02:30
    finally:
        await scheduler.stop()
