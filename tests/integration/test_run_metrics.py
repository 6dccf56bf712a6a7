"""Every local run measured on real processes: CPU, peak memory, I/O, the ending signal, queue time.

The scripts run as users write them; the figures are read back as the CLI and the window read them.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine

MB = 1024 * 1024

GRANDCHILD_300MB = """
import subprocess, sys
grandchild = "data = b'\\\\x01' * (300 * 1024 * 1024); import time; time.sleep(0.3)"
child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
subprocess.run([sys.executable, "-c", child], check=True)
print("done")
"""

BUSY_TWO_SECONDS = """
import time
end = time.process_time() + 2.0
n = 0
while time.process_time() < end:  # the clock is asked rarely: its system calls are not the load
    for _ in range(200_000):
        n += 1
print("spun", n)
"""


async def measured(engine: Engine, execution_id: int) -> dict:
    run = await engine.runs.get(execution_id)
    assert run.metrics is not None, "the run was not measured"
    return run.metrics.figures


async def run_script(engine: Engine, name: str, content: str, event_type: str = "PYTHON", **fields: object) -> int:
    event_id = await engine.events.create({"name": name, "type": event_type, "content": content, **fields})
    run = await engine.runs.wait(await engine.runs.start(event_id), timeout=60)
    return run.execution_id


async def test_memory_of_a_grandchild_counts_toward_the_runs_peak(engine: Engine) -> None:
    execution_id = await run_script(engine, "Big grandchild", GRANDCHILD_300MB)
    assert (await engine.runs.summary(execution_id)).status == "SUCCESS"
    assert (await measured(engine, execution_id))["max_rss_bytes"] >= 300 * MB


async def test_two_seconds_of_busy_loop_record_at_least_one_point_eight_seconds_of_user_time(engine: Engine) -> None:
    execution_id = await run_script(engine, "Busy", BUSY_TWO_SECONDS)
    figures = await measured(engine, execution_id)
    assert figures["cpu_user_s"] >= 1.8
    assert figures["cpu_system_s"] is not None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="storage I/O per process is told by Linux")
async def test_fifty_megabytes_written_to_a_file_are_recorded(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "written.bin"
    script = f"""
import os
with open({str(target)!r}, "wb") as out:
    for _ in range(50):
        out.write(b"x" * (1024 * 1024))
    out.flush()
    os.fsync(out.fileno())
"""
    execution_id = await run_script(engine, "Writer", script)
    assert (await measured(engine, execution_id))["write_bytes"] >= 50 * MB


async def test_a_script_killed_by_sigkill_records_the_signal_by_name(engine: Engine) -> None:
    execution_id = await run_script(engine, "Killed", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    run = await engine.runs.get(execution_id)
    assert run.status == "FAILURE"
    assert run.metrics is not None and run.metrics.figures["signal"] == "SIGKILL"


async def test_a_run_behind_the_concurrency_limit_records_its_queue_time(engine: Engine) -> None:
    engine.settings.set("concurrency", 1)
    blocker = await engine.events.create({"name": "Blocker", "type": "BASH", "content": "sleep 1.5"})
    waiting = await engine.events.create({"name": "Waiting", "type": "BASH", "content": "echo hello"})
    first = await engine.runs.start(blocker)
    second = await engine.runs.start(waiting)
    await engine.runs.wait(first)
    run = await engine.runs.wait(second)
    detail = await engine.runs.get(run.execution_id)
    assert detail.metrics is not None
    assert detail.metrics.figures["queued_s"] >= 1.0
    first_detail = await engine.runs.get(first)
    assert first_detail.metrics is not None and first_detail.metrics.figures["queued_s"] < 1.0
    phases = detail.metrics.phases
    assert phases.started_at <= phases.first_output_at <= phases.finished_at


async def test_every_attempt_is_measured(engine: Engine) -> None:
    event_id = await engine.events.create({"name": "Flaky", "type": "BASH", "content": "exit 3", "retries": 1,
                                           "retry_backoff_seconds": 0})
    run = await engine.runs.wait(await engine.runs.start(event_id), timeout=30)
    attempts = await engine.metrics.of_run(run.execution_id)
    assert [m.attempt for m in attempts] == [1, 2]
    assert all(m.figures["cpu_user_s"] is not None for m in attempts)


async def test_a_cpu_limit_stops_the_script_and_says_so(engine: Engine) -> None:
    execution_id = await run_script(engine, "Limited CPU", BUSY_TWO_SECONDS, limit_cpu_seconds=1)
    run = await engine.runs.get(execution_id)
    assert run.status == "FAILURE"
    assert run.metrics is not None and run.metrics.figures["signal"] in ("SIGXCPU", "SIGKILL")
    assert "CPU limit" in (run.error or "") and "1 s" in (run.error or "")


async def test_a_memory_limit_fails_a_large_allocation_and_says_so(engine: Engine) -> None:
    script = "data = b'x' * (400 * 1024 * 1024)\nprint(len(data))\n"
    execution_id = await run_script(engine, "Limited memory", script, limit_memory_mb=200)
    run = await engine.runs.get(execution_id)
    assert run.status == "FAILURE"
    assert "Out of memory" in (run.error or "") and "200 MB" in (run.error or "")


async def test_a_run_with_conditional_actions_records_when_they_were_done(engine: Engine) -> None:
    await engine.events.create({"name": "Follow-up", "type": "BASH", "content": "true"})
    event_id = await engine.events.create({
        "name": "Leader", "type": "BASH", "content": "echo go",
        "conditional_actions": [{"on": "ALWAYS", "action": "RUN_EVENT", "event": "Follow-up"}]})
    run = await engine.runs.wait(await engine.runs.start(event_id))
    for _ in range(100):
        attempts = await engine.metrics.of_run(run.execution_id)
        if attempts and attempts[0].phases.actions_done_at:
            break
        await asyncio.sleep(0.05)
    phases = attempts[0].phases
    assert phases.actions_done_at is not None and phases.actions_done_at >= phases.finished_at


async def test_an_events_trend_and_the_weeks_heaviest_events_are_read_back(engine: Engine) -> None:
    light = await engine.events.create({"name": "Light", "type": "BASH", "content": "true"})
    heavy = await engine.events.create({"name": "Heavy", "type": "PYTHON", "content": "import time\nx = b'1' * (80 * 1024 * 1024)\ntime.sleep(0.5)"})
    for event_id in (light, heavy, heavy):
        await engine.runs.wait(await engine.runs.start(event_id))
    points = await engine.metrics.trend(heavy)
    assert len(points) == 2 and all(p.max_rss_bytes and p.max_rss_bytes >= 80 * MB for p in points)
    by_memory = await engine.metrics.heaviest("memory")
    assert by_memory[0].name == "Heavy" and by_memory[0].runs == 2
    by_cpu = await engine.metrics.heaviest("cpu")
    assert {e.name for e in by_cpu} == {"Heavy", "Light"}  # CPU is told for every local run
