"""`run-workflow` and `list workflows` (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


async def run_workflow(engine: Any, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import parse_json_option
    from cronium_desktop.engine.notices import LogLines, NodeStateChanged
    from cronium_desktop.engine.subworkflows import result_json

    input_data = parse_json_option(args.input, "--input")
    log_stream = sys.stderr if args.json else sys.stdout
    state: dict[str, Any] = {"id": None}
    # Lines and states are told by node label, as the --json result names the nodes.
    graph = await engine.workflows.get(args.name)
    label_of = {str(node["id"]): str(node.get("label") or node["id"]) for node in graph.get("nodes", [])}
    labels: dict[str, str] = {}  # execution id of a node's run → its label

    def on_notice(notice: Any) -> None:
        if isinstance(notice, NodeStateChanged) and notice.workflow_execution_id == state["id"]:
            label = label_of.get(notice.node_key, notice.node_key)
            if notice.execution_id is not None:
                labels.setdefault(str(notice.execution_id), label)
            print(f"[cronium] {label}: {notice.status}", file=log_stream, flush=True)
        elif isinstance(notice, LogLines) and str(notice.execution_id) in labels:
            node = labels[str(notice.execution_id)]
            for line in notice.lines:
                print(f"[{node}] {line.text}", file=log_stream)
            log_stream.flush()

    engine.bus.subscribe(on_notice)
    workflow_execution_id = await engine.workflows.run(args.name, input=input_data, trigger="CLI")
    state["id"] = workflow_execution_id
    result = await engine.workflows.wait(workflow_execution_id)
    await engine.runs.idle()
    if args.json:
        print(json.dumps(result_json(result)))
    else:
        print(f"[cronium] workflow {result.workflow!r}: {result.status}", file=log_stream)
    return 0 if result.status == "SUCCESS" else 1


async def list_workflows(engine: Any, args: argparse.Namespace) -> int:
    from cronium_desktop.cli import print_table

    workflows = await engine.workflows.list()
    if args.json:
        print(json.dumps([
            {"name": w.name, "trigger": w.trigger, "status": w.status, "nodes": w.nodes, "last_status": w.last_status}
            for w in workflows
        ], indent=2))
    else:
        print_table([[w.name, w.trigger, w.status, str(w.nodes), w.last_status or "-"] for w in workflows],
                    ["NAME", "TRIGGER", "STATUS", "NODES", "LAST"])
    return 0
