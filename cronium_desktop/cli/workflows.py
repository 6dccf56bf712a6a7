"""`run-workflow` (under the data folder's rules, like `run`: engine/runs/host.py) and `list workflows` (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from cronium_desktop.engine.states import RunTrigger

if TYPE_CHECKING:
    from cronium_desktop.engine.api import Engine


class NodeLog:
    """Prints a workflow run's node states and node lines, by node label (as --json names nodes)."""

    def __init__(self, graph: dict[str, Any], stream: TextIO) -> None:
        self.label_of = {str(node["id"]): str(node.get("label") or node["id"]) for node in graph.get("nodes", [])}
        self.stream = stream
        self.labels: dict[int, str] = {}  # execution id of a node's run → its label

    def node_run(self, node_key: str, execution_id: int) -> None:
        """The run `execution_id` is the node's: its lines are told by the node's label."""
        self.labels.setdefault(execution_id, self.label_of.get(node_key, node_key))

    def state(self, node_key: str, status: str, execution_id: int | None) -> None:
        if execution_id is not None:
            self.node_run(node_key, execution_id)
        print(f"[cronium] {self.label_of.get(node_key, node_key)}: {status}", file=self.stream, flush=True)

    def lines(self, execution_id: int, texts: list[str]) -> None:
        if execution_id in self.labels:
            node = self.labels[execution_id]
            for text in texts:
                print(f"[{node}] {text}", file=self.stream)
            self.stream.flush()

    def message(self, message: dict[str, Any]) -> None:
        """A message of the run host (engine/runs/host.py) about the workflow run it runs for us."""
        if "node" in message:
            self.state(*message["node"])
        elif "segments" in message:
            if "node_key" in message:
                self.node_run(str(message["node_key"]), int(message["execution"]))
            for _stream, _server, texts in message["segments"]:
                self.lines(int(message["execution"]), texts)


async def _run_here(engine: Engine, name: str, input_data: Any, log: NodeLog) -> dict[str, Any]:
    """Run the workflow in this process (we are the folder's run host)."""
    from cronium_desktop.engine.notices import LogLines, NodeStateChanged, RunQueued
    from cronium_desktop.engine.workflows.subworkflows import result_json

    state: dict[str, Any] = {"id": None}

    def on_notice(notice: Any) -> None:
        if isinstance(notice, NodeStateChanged) and notice.workflow_execution_id == state["id"]:
            log.state(notice.node_key, notice.status, notice.execution_id)
        elif isinstance(notice, RunQueued) and notice.workflow_execution_id == state["id"] and notice.workflow_node_key:
            log.node_run(notice.workflow_node_key, notice.execution_id)  # before its lines, which can beat its state
        elif isinstance(notice, LogLines):
            log.lines(notice.execution_id, [line.text for line in notice.lines])

    unsubscribe = engine.bus.subscribe(on_notice)
    try:
        workflow_execution_id = await engine.workflows.run(name, input=input_data, trigger=RunTrigger.CLI)
        state["id"] = workflow_execution_id
        return result_json(await engine.workflows.wait(workflow_execution_id))
    finally:
        unsubscribe()


async def run_workflow(engine: Engine, args: argparse.Namespace) -> int:
    """Run a workflow under the data folder's rules: its node runs go through the folder's run host
    (the window, `headless` or another command), or this command hosts the folder's runs until done."""
    from cronium_desktop.cli.common import parse_json_option
    from cronium_desktop.cli.run import under_folder_rules
    from cronium_desktop.engine.runs.host import hand_over

    input_data = parse_json_option(args.input, "--input")
    log_stream = sys.stderr if args.json else sys.stdout
    graph = await engine.workflows.get(args.name)  # an unknown name stops here: nothing recorded
    log = NodeLog(graph, log_stream)
    result = await under_folder_rules(
        engine, lambda: _run_here(engine, args.name, input_data, log),
        lambda: hand_over(engine.data_dir, args.name, input_data, lambda *_: None, workflow=True,
                          on_message=log.message))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"[cronium] workflow {graph['name']!r}: {result['status']}", file=log_stream)
    return 0 if result["status"] == "SUCCESS" else 1


async def list_workflows(engine: Engine, args: argparse.Namespace) -> int:
    from cronium_desktop.cli.common import print_table

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
