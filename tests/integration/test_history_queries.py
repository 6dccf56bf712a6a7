"""History read at any size: the dashboard's counts past 100,000 runs, every run once through the
pages of the Runs view, and each event's last result in the event list."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.store.models import Event, Execution

NOW = datetime(2026, 6, 30, 12, 0, 0)


def _events(engine: Engine, count: int) -> list[int]:
    with engine.ctx.db.write() as session:
        events = [Event(name=f"job {i}", type="BASH", content="true") for i in range(count)]
        session.add_all(events)
        session.flush()
        return [event.id for event in events]


def _runs(engine: Engine, rows: list[dict[str, object]]) -> None:
    with engine.ctx.db.write() as session:
        session.execute(insert(Execution), rows)


def _row(event_id: int, created: datetime, status: str, **more: object) -> dict[str, object]:
    return {"event_id": event_id, "event_name": "x", "trigger": "SCHEDULE", "status": status, "created_at": created,
            "started_at": created, "finished_at": created, "duration_ms": 100, **more}


async def test_dashboard_counts_are_right_past_a_hundred_thousand_runs(engine: Engine) -> None:
    [event] = _events(engine, 1)
    today = NOW.replace(hour=0, minute=0, second=1)
    rows = [_row(event, today + timedelta(seconds=i % 40_000), "SUCCESS") for i in range(110_000)]
    rows += [_row(event, today - timedelta(days=1, seconds=-i), "FAILURE") for i in range(30_000)]
    rows += [_row(event, today - timedelta(days=2), "SKIPPED") for _ in range(5_000)]
    rows += [_row(event, today - timedelta(days=45), "SUCCESS") for _ in range(7_000)]  # before the 30 days
    _runs(engine, rows)

    figures = await engine.history.dashboard(days=30, now=NOW)

    assert figures.runs_today == 110_000
    assert figures.per_day[(today - timedelta(days=1)).date()] == 30_000
    assert figures.per_day[(today - timedelta(days=2)).date()] == 0  # skipped fires are not runs
    assert sum(figures.per_day.values()) == 140_000
    assert figures.success_rate is not None and round(figures.success_rate, 2) == round(100 * 110_000 / 140_000, 2)
    # the newest 50 finished runs of the 30 days, oldest first: the last failures (skipped bursts aside)
    assert [run.execution_id for run in figures.recent] == list(range(139_951, 140_001))


async def test_paging_through_history_returns_every_run_exactly_once(engine: Engine) -> None:
    first, second = _events(engine, 2)
    _runs(engine, [_row(first if i % 3 else second, NOW - timedelta(minutes=i), "FAILURE" if i % 7 == 0 else "SUCCESS")
                   for i in range(2_345)])

    async def all_pages(**filters: object) -> list[int]:
        seen: list[int] = []
        before = None
        while True:
            page = await engine.history.page(**filters, before_id=before, limit=200)  # type: ignore[arg-type]
            seen += [run.execution_id for run in page]
            if len(page) < 200:
                return seen
            before = page[-1].execution_id

    everything = await all_pages()
    assert len(everything) == len(set(everything)) == 2_345
    assert everything == sorted(everything, reverse=True)  # newest first
    of_second = await all_pages(event_id=second)
    assert len(of_second) == len(set(of_second)) == len([i for i in range(2_345) if i % 3 == 0])
    failed = await all_pages(status="FAILURE")
    assert len(set(failed)) == len([i for i in range(2_345) if i % 7 == 0])


async def test_a_run_recorded_while_paging_does_not_shift_the_pages(engine: Engine) -> None:
    [event] = _events(engine, 1)
    _runs(engine, [_row(event, NOW, "SUCCESS") for _ in range(450)])
    page_one = await engine.history.page(limit=200)
    _runs(engine, [_row(event, NOW, "SUCCESS") for _ in range(30)])  # new runs arrive at the top
    page_two = await engine.history.page(before_id=page_one[-1].execution_id, limit=200)
    page_three = await engine.history.page(before_id=page_two[-1].execution_id, limit=200)

    ids = [run.execution_id for run in page_one + page_two + page_three]
    assert len(ids) == len(set(ids)) == 450


async def test_the_event_list_shows_each_events_newest_finished_run(engine: Engine) -> None:
    ids = _events(engine, 50)
    rows = []
    for index, event in enumerate(ids):
        rows += [_row(event, NOW - timedelta(hours=3), "SUCCESS") for _ in range(20)]
        rows.append(_row(event, NOW - timedelta(hours=1), "FAILURE" if index % 2 else "SUCCESS"))
        rows.append(_row(event, NOW, "RUNNING", finished_at=None))  # not finished: not its last result
    _runs(engine, rows)

    listed = {event.name: event for event in await engine.events.list()}

    assert listed["job 1"].last_status == "FAILURE" and listed["job 2"].last_status == "SUCCESS"
    assert all(listed[f"job {i}"].last_run_at == NOW - timedelta(hours=1) for i in range(50))
