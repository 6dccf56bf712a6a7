"""Late and slow run alerts: raised once per run, shown as notices, sent through a tool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cronium_desktop.engine.alerts import RunAlerted
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.notices import Notice
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture


def bash(name: str, content: str) -> dict[str, object]:
    return {"name": name, "type": "BASH", "content": content, "overlap": "ALLOW"}


def collect_alerts(engine: Engine) -> list[RunAlerted]:
    seen: list[RunAlerted] = []

    def on_notice(notice: Notice) -> None:
        if isinstance(notice, RunAlerted):
            seen.append(notice)

    engine.bus.subscribe(on_notice)
    return seen


async def test_run_held_back_by_the_concurrency_limit_raises_late_exactly_once(engine: Engine) -> None:
    engine.settings.set("concurrency", 1)
    engine.alerts.set_defaults({"late_seconds": 0})  # only the event's own rule
    await engine.events.create(bash("Hog", "sleep 3"))
    waiting_id = await engine.events.create(bash("Waiting", "echo done"))
    await engine.alerts.set_rules(waiting_id, {"late_seconds": 1})
    seen = collect_alerts(engine)

    hog = await engine.runs.start("Hog")
    await asyncio.sleep(0.3)
    held = await engine.runs.start("Waiting")
    assert (await engine.runs.wait(held, timeout=30)).status == "SUCCESS"
    await engine.runs.wait(hog, timeout=30)
    await asyncio.sleep(0.5)

    alerts = await engine.alerts.list()
    assert [(a.execution_id, a.kind) for a in alerts] == [(held, "LATE")]
    assert "has not started 1 s after its time" in alerts[0].message
    assert [(n.execution_id, n.kind) for n in seen] == [(held, "LATE")]


async def test_late_alerts_of_a_queue_go_to_the_runs_still_waiting_at_their_own_times(engine: Engine) -> None:
    """Deadlines of many queued runs share one timer: each still-waiting run is told once, at its
    own time; a run cancelled while it waited, and one that started, are not."""
    engine.settings.set("concurrency", 1)
    engine.alerts.set_defaults({"late_seconds": 0})
    await engine.events.create(bash("Hog", "sleep 3"))
    soon_id = await engine.events.create(bash("Soon", "echo soon"))
    later_id = await engine.events.create(bash("Later", "echo later"))
    await engine.alerts.set_rules(soon_id, {"late_seconds": 1})
    await engine.alerts.set_rules(later_id, {"late_seconds": 2})
    seen = collect_alerts(engine)
    hog = await engine.runs.start("Hog")
    await asyncio.sleep(0.3)
    later = await engine.runs.start("Later")
    soon = await engine.runs.start("Soon")
    dropped = await engine.runs.start("Soon")
    await engine.runs.cancel(dropped)
    await asyncio.sleep(1.4)
    assert [(n.execution_id, n.kind) for n in seen] == [(soon, "LATE")]  # Later's time has not come
    for run in (hog, later, soon):
        await engine.runs.wait(run, timeout=30)
    await asyncio.sleep(0.3)
    assert [(n.execution_id, n.kind) for n in seen] == [(soon, "LATE"), (later, "LATE")]
    assert sorted(a.execution_id for a in await engine.alerts.list()) == sorted([soon, later])


async def test_run_started_in_time_raises_no_late_alert(engine: Engine) -> None:
    await engine.events.create(bash("Quick", "echo hi"))
    engine.alerts.set_defaults({"late_seconds": 1})
    run = await engine.runs.start("Quick")
    await engine.runs.wait(run, timeout=30)
    await asyncio.sleep(1.5)
    assert await engine.alerts.list() == []


async def test_run_slower_than_three_times_its_median_raises_slow(engine: Engine, tmp_path: Path) -> None:
    delay = tmp_path / "delay"
    delay.write_text("0.2")
    event_id = await engine.events.create(bash("Report", f"sleep $(cat {delay})"))
    await engine.alerts.set_rules(event_id, {"slow_factor": 3})
    for _ in range(3):  # its usual duration
        assert (await engine.runs.wait(await engine.runs.start("Report"), timeout=30)).status == "SUCCESS"
    assert await engine.alerts.list() == []
    seen = collect_alerts(engine)

    delay.write_text("4")
    slow = await engine.runs.start("Report")
    await engine.runs.wait(slow, timeout=30)

    alerts = await engine.alerts.list()
    assert [(a.execution_id, a.kind) for a in alerts] == [(slow, "SLOW")]
    assert "longer than usual" in alerts[0].message
    assert [n.kind for n in seen] == ["SLOW"]  # told while it was still running, once


async def test_tool_receives_the_alert(engine: Engine, http_server: RecordingServer) -> None:
    url = http_server.reply("/alerts", 200, "ok")
    await engine.tools.add("ops-hook", "webhook", {"url": url})
    engine.settings.set("concurrency", 1)
    engine.alerts.set_defaults({"late_seconds": 0, "tool": "ops-hook"})
    await engine.events.create(bash("Hog", "sleep 2"))
    waiting_id = await engine.events.create(bash("Nightly export", "echo done"))
    await engine.alerts.set_rules(waiting_id, {"late_seconds": 0.5})

    hog = await engine.runs.start("Hog")
    await asyncio.sleep(0.2)
    held = await engine.runs.start("Nightly export")
    await engine.runs.wait(held, timeout=30)
    await engine.runs.wait(hog, timeout=30)
    for _ in range(50):
        if http_server.requests:
            break
        await asyncio.sleep(0.1)

    [request] = http_server.requests
    text = request.body.decode()
    assert "Nightly export" in text and "late" in text and f"#{held}" in text
    [alert] = await engine.alerts.list()
    assert alert.delivery_error is None


async def test_bad_alert_settings_name_the_field(engine: Engine) -> None:
    event_id = await engine.events.create(bash("Any", "true"))
    with pytest.raises(ValidationError) as caught:
        await engine.alerts.set_rules(event_id, {"slow_factor": 0.5})
    assert caught.value.field == "alerts.slow_factor"
    with pytest.raises(ValidationError) as caught:
        await engine.alerts.set_rules(event_id, {"late_seconds": -3})
    assert caught.value.field == "alerts.late_seconds"
    assert await engine.alerts.get_rules(event_id) == {k: None for k in ("late_seconds", "slow_factor", "slow_seconds", "tool")}
