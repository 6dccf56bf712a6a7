"""Catch-up after sleep and after power-off, conditions and the login trigger (SPEC §1)."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.store.models import Event, Execution
from cronium_desktop.engine.triggers.conditions import ConditionChecker
from tests.conftest import TEST_PASSPHRASE


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def minutely(name: str, misfire: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE",
            "schedule": {"every": 1, "unit": "MINUTES"}, "misfire": misfire, **fields}


async def log_text(engine: Engine, execution_id: int) -> str:
    await engine.runs.wait(execution_id)
    return "\n".join(line.text for line in await engine.runs.log(execution_id))


async def powered_off(data_dir: Path, misfire: str, missed: int, **fields: Any) -> tuple[Engine, int]:
    """The data folder closed while `missed` minutely fires passed, then the app starts again."""
    first = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await first.start()
    event_id = await first.events.create(minutely("Minutely", misfire, **fields))
    now = datetime.now(UTC).replace(tzinfo=None)
    with first.ctx.db.write() as session:
        event = session.get(Event, event_id)
        assert event is not None
        event.activated_at = event.last_fire_at = now - timedelta(minutes=missed, seconds=30)
    await first.stop()
    second = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await second.start(scheduler=True)
    return second, event_id


async def scheduled(engine: Engine) -> list[Any]:
    await engine.runs.idle()
    return sorted((r for r in await engine.runs.list(event="Minutely") if r.trigger == "SCHEDULE"),
                  key=lambda r: r.execution_id)


@pytest.mark.parametrize(("misfire", "cap", "expected"), [("RUN_ONCE", 10, 1), ("RUN_ALL", 10, 6),
                                                          ("RUN_ALL", 4, 4), ("SKIP", 10, 0)])
async def test_each_misfire_policy_after_the_app_was_closed(data_dir: Path, misfire: str, cap: int,
                                                            expected: int) -> None:
    engine, event_id = await powered_off(data_dir, misfire, missed=6, misfire_cap=cap)
    try:
        runs = await scheduled(engine)
        assert len(runs) == expected
        for run in runs:
            assert "Caught up after the app was closed" in await log_text(engine, run.execution_id)
        with engine.ctx.db.read() as session:
            event = session.get(Event, event_id)
            assert event is not None and event.last_fire_at is not None  # the missed fires are handled
            assert datetime.now(UTC).replace(tzinfo=None) - event.last_fire_at < timedelta(minutes=1, seconds=5)
    finally:
        await engine.stop()


@pytest.mark.parametrize(("misfire", "expected"), [("RUN_ONCE", 1), ("RUN_ALL", 5), ("SKIP", 0)])
async def test_a_wall_clock_jump_catches_up_after_sleep(data_dir: Path, misfire: str, expected: int) -> None:
    """A fake wall clock jumps 5 minutes while the monotonic clock does not: the computer slept."""
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        assert engine.scheduler is not None and engine.scheduler.apscheduler is not None
        event_id = await engine.events.create(minutely("Minutely", misfire))
        await engine.scheduler.settled()
        fell_asleep = datetime.now(UTC) - timedelta(minutes=5, seconds=30)
        with engine.ctx.db.write() as session:
            event = session.get(Event, event_id)
            assert event is not None
            event.activated_at = event.last_fire_at = naive_utc(fell_asleep)
        offset = [0.0]
        engine.scheduler._wall_clock = lambda: time.time() + offset[0]  # noqa: SLF001 - the fake clock
        engine.scheduler._watchdog_seconds = 0.05  # noqa: SLF001
        engine.scheduler._watchdog.cancel()  # type: ignore[union-attr]  # noqa: SLF001
        engine.scheduler._watchdog = asyncio.ensure_future(engine.scheduler._watch_clock())  # noqa: SLF001
        await asyncio.sleep(0.1)
        notices: list[Any] = []
        engine.bus.subscribe(notices.append)
        # On waking the wall clock is 5 min ahead and the job's next due time lies in the past.
        offset[0] = 330.0
        engine.scheduler.apscheduler.modify_job(f"event:{event_id}", next_run_time=fell_asleep + timedelta(minutes=1))
        await asyncio.sleep(0.5)
        assert any("clock jumped by 330 s" in getattr(n, "text", "") for n in notices)
        await engine.scheduler.settled()
        runs = await scheduled(engine)
        assert len(runs) == expected
        for run in runs:
            assert "Caught up after sleep" in await log_text(engine, run.execution_id)
    finally:
        await engine.stop()


class Readings:
    """Injected power and idle readings (a mock of the machine: these cannot be changed here)."""

    def __init__(self, ac: bool | None = True, idle: float | None = 0.0) -> None:
        self.ac, self.idle = ac, idle

    def on_ac_power(self) -> bool | None:
        return self.ac

    def idle_seconds(self) -> float | None:
        return self.idle


async def test_conditions_with_injected_power_and_idle_readings() -> None:
    readings = Readings(ac=False, idle=120)
    checker = ConditionChecker(readings, route=lambda: True)
    verdict = await checker.check({"ac_power": True, "idle_minutes": 5, "network": None, "not_between": None})
    assert not verdict.holds
    assert "battery power" in verdict.reason and "needs 5 min idle" in verdict.reason
    readings.ac, readings.idle = True, 600
    assert (await checker.check({"ac_power": True, "idle_minutes": 5})).holds
    readings.idle = None
    assert "does not report" in (await checker.check({"idle_minutes": 5})).reason


async def test_network_condition_asks_a_real_local_port() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    checker = ConditionChecker(Readings(), route=lambda: True, connect_timeout=1)
    try:
        assert (await checker.check({"network": f"127.0.0.1:{port}"})).holds
    finally:
        server.close()
        await server.wait_closed()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    verdict = await checker.check({"network": f"127.0.0.1:{closed}"})
    assert not verdict.holds and f"127.0.0.1:{closed} does not answer" in verdict.reason
    assert not (await ConditionChecker(Readings(), route=lambda: False).check({"network": "up"})).holds


async def test_quiet_hours_use_the_items_clock() -> None:
    at = [datetime(2027, 1, 1, 23, 30)]
    checker = ConditionChecker(Readings(), now=lambda zone: at[0], route=lambda: True)
    quiet = {"not_between": ["22:00", "06:00"]}
    assert "between 22:00 and 06:00" in (await checker.check(quiet)).reason
    at[0] = datetime(2027, 1, 1, 12, 0)
    assert (await checker.check(quiet)).holds


async def login_engine(data_dir: Path, conditions: dict[str, Any] | None, readings: Readings) -> Engine:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    assert engine.triggers is not None
    engine.triggers.checker = ConditionChecker(readings, route=lambda: True)
    engine.triggers._recheck_seconds = 0.1  # noqa: SLF001 - re-check quickly in the test
    await engine.events.create({"name": "At login", "type": "BASH", "content": "true", "status": "ACTIVE",
                                "run_at_login": True, "conditions": conditions})
    return engine


async def test_login_trigger_runs_with_the_login_input(data_dir: Path) -> None:
    engine = await login_engine(data_dir, None, Readings())
    try:
        assert engine.triggers is not None
        assert await engine.triggers.run_login_triggers() == 1
        await engine.triggers.idle()
        [run] = await engine.runs.list(event="At login")
        assert run.trigger == "LOGIN" and (await engine.runs.wait(run.execution_id)).status == "SUCCESS"
    finally:
        await engine.stop()


async def test_an_unmet_condition_with_skip_records_a_skipped_run_naming_it(data_dir: Path) -> None:
    engine = await login_engine(data_dir, {"ac_power": True, "when_unmet": "SKIP"}, Readings(ac=False))
    try:
        assert engine.triggers is not None
        await engine.triggers.run_login_triggers()
        await engine.triggers.idle()
        [run] = await engine.runs.list(event="At login")
        assert run.status == "SKIPPED" and "battery power" in (run.error or "")
    finally:
        await engine.stop()


async def test_a_waiting_fire_runs_once_the_condition_holds(data_dir: Path) -> None:
    readings = Readings(ac=False)
    engine = await login_engine(data_dir, {"ac_power": True, "when_unmet": "WAIT", "wait_minutes": 5}, readings)
    try:
        assert engine.triggers is not None
        await engine.triggers.run_login_triggers()
        await asyncio.sleep(0.3)
        assert await engine.runs.list(event="At login") == []  # waiting for the charger
        readings.ac = True
        await engine.triggers.idle()
        [run] = await engine.runs.list(event="At login")
        assert (await engine.runs.wait(run.execution_id)).status == "SUCCESS"
    finally:
        await engine.stop()


async def test_a_wait_past_its_deadline_is_skipped_with_the_reason(data_dir: Path) -> None:
    engine = await login_engine(data_dir, {"ac_power": True, "when_unmet": "WAIT", "wait_minutes": 1},
                                Readings(ac=False))
    try:
        assert engine.triggers is not None
        engine.triggers.seconds_per_minute = 0.3  # the one-minute deadline passes in 0.3 s
        await engine.triggers.run_login_triggers()
        await asyncio.wait_for(engine.triggers.idle(), 10)
        with engine.ctx.db.read() as session:
            [row] = session.scalars(select(Execution).where(Execution.event_name == "At login")).all()
            assert row.status == "SKIPPED" and "battery power (waited 1 min)" in (row.error or "")
    finally:
        await engine.stop()


async def test_fires_that_come_while_one_waits_fold_into_it(data_dir: Path) -> None:
    readings = Readings(ac=False)
    engine = await login_engine(data_dir, {"ac_power": True, "when_unmet": "WAIT", "wait_minutes": 5}, readings)
    try:
        assert engine.triggers is not None
        for _ in range(3):  # three fires while the computer is on battery
            await engine.triggers.run_login_triggers()
        await asyncio.sleep(0.3)
        readings.ac = True
        await engine.triggers.idle()
        assert len(await engine.runs.list(event="At login")) == 1
    finally:
        await engine.stop()
