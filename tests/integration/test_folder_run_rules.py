"""Overlap and the concurrency limit hold per data folder, whichever process starts a run (SPEC §9).

Real `cronium-desktop run` processes side by side, with and without a real `headless` scheduler.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.integration.headless_process import HeadlessProcess, headless, import_events, runs_of, wait_for

__all__ = ["headless"]
pytestmark = pytest.mark.timeout(600)  # real processes side by side; slow on a busy machine


def slow(name: str, overlap: str, trace: Path, seconds: float = 2) -> dict[str, object]:
    """An event that writes when it starts and ends (with its input's n) to `trace`."""
    script = ("source cronium.sh\n"
              f"n=$(cronium_input | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"n\", 0))')\n"
              f"echo \"start $n $(date +%s.%N)\" >> {trace}\n"
              f"sleep {seconds}\n"
              f"echo \"end $n $(date +%s.%N)\" >> {trace}\n"
              "echo done\n")
    return {"name": name, "type": "BASH", "content": script, "overlap": overlap}


def start_run(cli: Cli, event: str, n: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run", event, "--json",
                             "--input", json.dumps({"n": n})],
                            env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> tuple[int, dict[str, object]]:
    stdout, stderr = process.communicate(timeout=120)
    assert stdout.strip(), stderr
    return process.returncode, json.loads(stdout)


def spans(trace: Path) -> dict[int, tuple[float, float]]:
    """n → (start, end) of each run that wrote to the trace."""
    found: dict[int, list[float]] = {}
    for line in trace.read_text().splitlines():
        what, n, moment = line.split()
        found.setdefault(int(n), [0.0, 0.0])[0 if what == "start" else 1] = float(moment)
    return {n: (start, end) for n, (start, end) in found.items()}


def most_at_once(trace: Path) -> int:
    moments = sorted([(start, 1) for start, _ in spans(trace).values()] + [(end, -1) for _, end in spans(trace).values()])
    running = peak = 0
    for _, step in moments:
        running += step
        peak = max(peak, running)
    return peak


def test_two_commands_at_once_with_overlap_skip_run_the_event_once(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    import_events(cli, tmp_path, slow("Slow", "SKIP", trace))
    first, second = start_run(cli, "Slow", 1), start_run(cli, "Slow", 2)
    results = sorted([finish(first), finish(second)], key=lambda result: result[0])
    assert [code for code, _ in results] == [0, 1]
    assert [summary["status"] for _, summary in results] == ["SUCCESS", "SKIPPED"]
    assert len(spans(trace)) == 1, "both commands ran the script"


def test_a_command_beside_headless_is_skipped_while_the_scheduler_runs_the_event(
        cli: Cli, tmp_path: Path, headless: HeadlessProcess) -> None:
    trace = tmp_path / "trace"
    import_events(cli, tmp_path, slow("Slow", "SKIP", trace, seconds=30))
    first = start_run(cli, "Slow", 1)
    assert wait_for(lambda: any(run["status"] == "RUNNING" for run in runs_of(cli, "Slow")), timeout=120)
    code, summary = finish(start_run(cli, "Slow", 2))
    assert (code, summary["status"]) == (1, "SKIPPED")
    assert finish(first)[1]["status"] == "SUCCESS"
    # Both runs went through the scheduler's queue: it reports each as it ends.
    assert "of 'Slow': SKIPPED" in headless.output() and "of 'Slow': SUCCESS" in headless.output()


def test_queued_runs_from_several_commands_run_one_after_another_in_order(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    import_events(cli, tmp_path, slow("Queued", "QUEUE", trace, seconds=1))
    processes = []
    for n in (1, 2, 3):
        processes.append(start_run(cli, "Queued", n))
        if n == 1:
            assert wait_for(lambda: trace.exists(), timeout=120)  # the first one is running
        else:
            wait_for(lambda n=n: len(runs_of(cli, "Queued")) >= n, timeout=120)  # recorded before the next
    assert [finish(process)[1]["status"] for process in processes] == ["SUCCESS"] * 3
    order = spans(trace)
    assert sorted(order, key=lambda n: order[n][0]) == [1, 2, 3]
    assert order[1][1] <= order[2][0] and order[2][1] <= order[3][0], "queued runs overlapped"


def test_the_concurrency_limit_holds_across_commands_and_the_scheduler(
        cli: Cli, tmp_path: Path, headless: HeadlessProcess) -> None:
    trace = tmp_path / "trace"
    import_events(cli, tmp_path, slow("Parallel", "ALLOW", trace, seconds=1.5))
    assert cli("settings", "set", "concurrency", "2").code == 0
    time.sleep(1.2)  # the scheduler reads the new limit within a second
    processes = [start_run(cli, "Parallel", n) for n in (1, 2, 3, 4)]
    assert [finish(process)[1]["status"] for process in processes] == ["SUCCESS"] * 4
    assert len(spans(trace)) == 4
    assert most_at_once(trace) == 2


def test_the_concurrency_limit_holds_across_commands_with_no_scheduler(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    import_events(cli, tmp_path, slow("Parallel", "ALLOW", trace, seconds=1.5))
    assert cli("settings", "set", "concurrency", "2").code == 0
    processes = [start_run(cli, "Parallel", n) for n in (1, 2, 3, 4)]
    assert [finish(process)[1]["status"] for process in processes] == ["SUCCESS"] * 4
    assert most_at_once(trace) == 2


def test_a_scheduler_started_while_a_command_hosts_the_runs_waits_to_share_its_limit(
        cli: Cli, tmp_path: Path) -> None:
    from tests.integration.headless_process import HeadlessProcess

    trace = tmp_path / "trace"
    tick = {**slow("Tick", "ALLOW", trace, seconds=0.2), "trigger": "SCHEDULE",
            "schedule": {"every": 1, "unit": "SECONDS"}, "status": "ACTIVE"}
    import_events(cli, tmp_path, slow("Slow", "SKIP", trace, seconds=8), tick)
    assert cli("settings", "set", "concurrency", "1").code == 0
    hosting = start_run(cli, "Slow", 1)  # no scheduler yet: this command hosts the folder's runs
    assert wait_for(lambda: trace.exists(), timeout=60)
    scheduler = HeadlessProcess(cli, tmp_path / "headless.log")
    try:
        assert finish(hosting)[1]["status"] == "SUCCESS"
        assert wait_for(lambda: "start 0 " in trace.read_text(), timeout=30), scheduler.output()
    finally:
        scheduler.stop()
    slow_end = spans(trace)[1][1]
    tick_starts = [float(line.split()[2]) for line in trace.read_text().splitlines() if line.startswith("start 0 ")]
    assert tick_starts and min(tick_starts) >= slow_end, "a scheduled run went past the limit of 1"


def traced(name: str, trace: Path, seconds: float = 1.5) -> dict[str, object]:
    """An event that writes when it starts and ends (keyed by its shell's PID) to `trace`."""
    return {"name": name, "type": "BASH", "overlap": "ALLOW",
            "content": f'echo "start $$ $(date +%s.%N)" >> {trace}\nsleep {seconds}\necho "end $$ $(date +%s.%N)" >> {trace}\n'}


@pytest.mark.parametrize("with_scheduler", [False, True])
def test_a_workflow_run_from_the_command_line_shares_the_folders_limit(
        cli: Cli, tmp_path: Path, with_scheduler: bool, request: pytest.FixtureRequest) -> None:
    trace = tmp_path / "trace"
    flow = {"name": "Flow", "trigger": "MANUAL", "edges": [],
            "nodes": [{"id": "a", "event": "A", "label": "A", "x": 0, "y": 0},
                      {"id": "b", "event": "B", "label": "B", "x": 200, "y": 0}]}
    path = tmp_path / "flow.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1,
                                "events": [traced("A", trace), traced("B", trace), traced("Solo", trace)],
                                "workflow": flow}))
    assert cli("import", str(path)).code == 0
    assert cli("settings", "set", "concurrency", "1").code == 0
    if with_scheduler:
        request.getfixturevalue("headless")
        time.sleep(1.2)  # the scheduler reads the new limit within a second
    solo = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run", "Solo", "--json"],
                            env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workflow = subprocess.Popen([sys.executable, "-m", "cronium_desktop", "run-workflow", "Flow", "--json"],
                                env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, summary = finish(solo)
    assert (code, summary["status"]) == (0, "SUCCESS")
    stdout, stderr = workflow.communicate(timeout=120)
    assert workflow.returncode == 0, stderr
    result = json.loads(stdout)
    assert result["status"] == "SUCCESS" and set(result["nodes"]) == {"A", "B"}
    assert "[cronium] A: SUCCESS" in stderr and "[cronium] B: SUCCESS" in stderr  # node states reach the command
    assert len(spans(trace)) == 3
    assert most_at_once(trace) == 1, "a workflow's node runs went past the folder's concurrency limit"
