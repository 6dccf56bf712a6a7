"""`cronium-desktop runs show ID`: one run's states, phases, resources and output (SPEC §9);
`runs cancel ID`: stop a queued or running run, whichever process runs it (the folder's run host).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from cronium_desktop.engine import metrics as figures

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine
    from cronium_desktop.engine.metrics_store import MeasuredRun


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("runs", parents=[common], help="one run: states, phases, resources, output")
    action = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True, parser_class=p.__class__)
    q = action.add_parser("show", parents=[common], help="show a run: its states, phases, resources and output")
    q.add_argument("id", type=int, metavar="ID", help="the run's id (see `list runs`)")
    q.add_argument("--json", action="store_true", help="print the run as one JSON object")
    q = action.add_parser("cancel", parents=[common], help="stop a queued or running run (as Stop in the window)")
    q.add_argument("id", type=int, metavar="ID", help="the run's id (see `list runs`)")


def resource_lines(measured: MeasuredRun) -> list[str]:
    """The figures as `runs show` and the window say them; what was not measured says so."""
    f = measured.figures
    lines = [
        f"CPU            {figures.human_seconds(f.get('cpu_user_s'))} user, {figures.human_seconds(f.get('cpu_system_s'))} system",
        f"Peak memory    {figures.human_bytes(f.get('max_rss_bytes'))}",
        f"I/O            {figures.human_bytes(f.get('read_bytes'))} read, {figures.human_bytes(f.get('write_bytes'))} written",
    ]
    if f.get("signal"):
        lines.append(f"Ended by       {f['signal']}")
    if measured.limit_reason:
        lines.append(f"Limit          {measured.limit_reason}")
    return lines


def phase_lines(measured: MeasuredRun) -> list[str]:
    spans = measured.phases.spans()
    return [f"Queued         {spans['queued']:.2f} s",
            f"Start-up       {spans['starting']:.2f} s (to the first output)",
            f"Running        {spans['running']:.2f} s",
            f"Actions        {spans['actions']:.2f} s"]


async def cmd_cancel(engine: Engine, args: argparse.Namespace) -> int:
    """The run is stopped by the process that runs it: the window, `headless` or a `run` command."""
    from cronium_desktop.engine.runs.host import cancel_in_host
    from cronium_desktop.engine.states import FINAL_STATES

    detail = await engine.runs.get(args.id)  # NotFound names an unknown run
    if detail.status in FINAL_STATES:
        print(f"Run {detail.execution_id} ({detail.event}) had already ended: {detail.status}.")
        return 1
    answer = await cancel_in_host(engine.data_dir, detail.execution_id)
    if answer is None:
        print(f"error: run {detail.execution_id} is {detail.status} but no Cronium Desktop process is running this "
              "folder's runs: start the window or `cronium-desktop headless` (it follows a run an earlier one "
              "left, or records how it ended), then cancel it there or here.", file=sys.stderr)
        return 1
    if answer["cancelled"]:
        print(f"Cancelled run {detail.execution_id} ({detail.event}): {answer['status']}.")
        return 0
    print(f"Run {detail.execution_id} ({detail.event}) had already ended: {answer['status']}.")
    return 1


async def cmd_runs(engine: Engine, args: argparse.Namespace, iso: Any, shown: Any) -> int:
    if args.runs_command == "cancel":
        return await cmd_cancel(engine, args)
    detail = await engine.runs.get(args.id)
    attempts = await engine.metrics.of_run(detail.execution_id)
    if args.json:
        print(json.dumps({
            "execution_id": detail.execution_id, "event": detail.event, "status": detail.status,
            "attempt": detail.attempt, "trigger": detail.trigger, "created_at": iso(detail.created_at),
            "started_at": iso(detail.started_at), "finished_at": iso(detail.finished_at),
            "exit_code": detail.exit_code, "error": detail.error, "output": detail.output,
            **(detail.metrics.json_figures() if detail.metrics else {}),
            "attempts": [{"attempt": m.attempt, **m.json_figures(), "limit_reason": m.limit_reason,
                          "phases": m.phases.spans()} for m in attempts],
        }, indent=2, default=str))
        return 0
    print(f"Run {detail.execution_id} · {detail.event} · {detail.status_text}")
    print(f"Trigger        {detail.trigger}, attempt {detail.attempt}")
    print(f"Created        {shown(detail.created_at) or '-'}")
    print(f"Started        {shown(detail.started_at) or '-'}")
    print(f"Finished       {shown(detail.finished_at) or '-'}")
    print(f"Exit code      {'-' if detail.exit_code is None else detail.exit_code}")
    if detail.error:
        print(f"Error          {detail.error}")
    for measured in attempts:
        print(f"\nAttempt {measured.attempt}")
        for line in phase_lines(measured) + resource_lines(measured):
            print(f"  {line}")
    if not attempts:
        print("\nNot measured (the run did not start, or it ran before this version).")
    if detail.output is not None:
        print("\nOutput")
        print(json.dumps(detail.output, indent=2, default=str))
    return 0
