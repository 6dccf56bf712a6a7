"""`workflow runs NAME`, `workflow show-run ID` and `workflow webhook NAME` (SPEC §9).

The history is read from the store (engine/workflows/history.py), as the window's run history reads
it. A webhook URL is printed with the port from Settings: the listener runs in the window or in
`headless`, not in this command.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cronium_desktop.cli.common import UsageError, iso, print_table, shown

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("workflow", parents=[common], help="a workflow's past runs and its webhook URL")
    workflow = p.add_subparsers(dest="workflow_command", metavar="ACTION", required=True, parser_class=type(p))
    q = workflow.add_parser("runs", parents=[common], help="list a workflow's last runs, newest first")
    q.add_argument("name", metavar="NAME", help="the workflow's name")
    q.add_argument("--last", default="20", metavar="N", help="how many runs (default 20)")
    q.add_argument("--json", action="store_true", help="print a JSON list")
    q = workflow.add_parser("show-run", parents=[common], help="one workflow run: each node's state, times and output")
    q.add_argument("id", metavar="ID", help="the workflow run's id (see `workflow runs NAME`)")
    q.add_argument("--json", action="store_true", help="print a JSON object")
    q = workflow.add_parser("webhook", parents=[common], help="print the URL that runs a WEBHOOK workflow")
    q.add_argument("name", metavar="NAME", help="the workflow's name")
    q.add_argument("--rotate", action="store_true", help="make a new token first: the old URL stops working")
    q.add_argument("--json", action="store_true", help='print {"workflow", "url", "token"}')


def _whole_number(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{what} must be a whole number, not {text!r}.") from None
    if value < 1:
        raise UsageError(f"{what} must be 1 or more, not {value}.")
    return value


def _duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _run_json(run: Any) -> dict[str, Any]:
    return {"workflow_execution_id": run.workflow_execution_id, "workflow": run.workflow, "status": run.status,
            "trigger": run.trigger, "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
            "duration_ms": run.duration_ms, "error": run.error}


async def cmd_workflow(engine: Engine, args: argparse.Namespace) -> int:
    if args.workflow_command == "runs":
        return await _runs(engine, args)
    if args.workflow_command == "show-run":
        return await _show_run(engine, args)
    return await _webhook(engine, args)


async def _runs(engine: Engine, args: argparse.Namespace) -> int:
    last = _whole_number(args.last, "--last")
    runs = await engine.workflow_history.runs(args.name, last=last)
    if args.json:
        print(json.dumps([_run_json(run) for run in runs], indent=2))
    else:
        print_table([[str(r.workflow_execution_id), r.status, r.trigger, shown(r.started_at) or "-",
                      _duration(r.duration_ms)] for r in runs],
                    ["ID", "STATUS", "TRIGGER", "STARTED", "DURATION"])
    return 0


async def _show_run(engine: Engine, args: argparse.Namespace) -> int:
    run_id = _whole_number(args.id, "ID")
    run = await engine.workflow_history.run(run_id)
    if args.json:
        print(json.dumps({**_run_json(run), "input": run.input, "nodes": [
            {"key": n.key, "label": n.label, "status": n.status, "execution_id": n.execution_id,
             "started_at": iso(n.started_at), "finished_at": iso(n.finished_at), "duration_ms": n.duration_ms,
             "exit_code": n.exit_code, "attempt": n.attempt, "output": n.output, "error": n.error}
            for n in run.nodes]}, indent=2))
        return 0
    print(f"Workflow run {run.workflow_execution_id} of {run.workflow!r}: {run.status} "
          f"({run.trigger}, started {shown(run.started_at) or '-'}, {_duration(run.duration_ms)})")
    if run.error:
        print(f"error: {run.error}")
    print_table([[n.label, n.status, "-" if n.execution_id is None else str(n.execution_id),
                  shown(n.started_at, "%H:%M:%S") or "-", shown(n.finished_at, "%H:%M:%S") or "-",
                  _duration(n.duration_ms), "-" if n.exit_code is None else str(n.exit_code)] for n in run.nodes],
                ["NODE", "STATUS", "RUN", "STARTED", "FINISHED", "DURATION", "EXIT"])
    for node in run.nodes:
        if node.output is not None:
            print(f"{node.label} output: {json.dumps(node.output)}")
        if node.error and node.status != "SUCCESS":
            print(f"{node.label} error: {node.error}")
    return 0


def listener_port(engine: Engine) -> int:
    """The webhook listener's port: this process's if it runs one, else the one set in Settings."""
    if engine.webhooks is not None and engine.webhooks.port:
        return int(engine.webhooks.port)
    return int(engine.settings.get("webhook_port"))


def print_webhook(engine: Engine, args: argparse.Namespace, what: str, name: str, token: str) -> None:
    import sys

    from cronium_desktop.engine.event_webhooks import webhook_url

    port = listener_port(engine)
    url = webhook_url(port, token)
    if args.json:
        print(json.dumps({what: name, "url": url, "token": token}))
    else:
        print(url)
    if not port:
        print("note: the webhook port is set to 'any free port'; the window or headless picks it when it starts "
              "(set a fixed port in Settings to keep the URL stable).", file=sys.stderr)


async def _webhook(engine: Engine, args: argparse.Namespace) -> int:
    workflow = await engine.workflows.get(args.name)
    if workflow["trigger"] != "WEBHOOK":
        raise UsageError(f"the workflow {workflow['name']!r} is triggered {workflow['trigger']}, not by webhook; "
                         "set its trigger to Webhook in the window first.")
    token = workflow["webhook_token"]
    if args.rotate or not token:
        token = await engine.workflows.regenerate_token(workflow["id"])
    print_webhook(engine, args, "workflow", workflow["name"], token)
    return 0
