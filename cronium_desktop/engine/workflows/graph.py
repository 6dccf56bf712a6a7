"""Workflow graphs without the store: shape checks, cycle detection, edge rules (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.states import FAILED_STATES

EDGE_TYPES = ("ALWAYS", "ON_SUCCESS", "ON_FAILURE", "ON_CONDITION")
NODE_KEYS = {"id", "kind", "event", "workflow", "label", "x", "y"}
# An EVENT node runs an event; a WORKFLOW node runs another workflow (engine/workflows/subworkflows.py).
NODE_KINDS = ("EVENT", "WORKFLOW")
EDGE_KEYS = {"from", "to", "type"}


@dataclass(frozen=True)
class Node:
    id: str
    event: Any  # an event name, file key or id, depending on who built the graph
    label: str
    x: float = 0.0
    y: float = 0.0
    kind: str = "EVENT"
    workflow: Any = None  # WORKFLOW nodes: the child workflow's name or id


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    type: str


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def incoming(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.target == node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == node_id]

    def find_cycle(self) -> list[str] | None:
        """Node ids of one cycle (first node repeated at the end), or None."""
        colour = {node.id: 0 for node in self.nodes}  # 0 new, 1 on the path, 2 done
        path: list[str] = []

        def visit(node_id: str) -> list[str] | None:
            colour[node_id] = 1
            path.append(node_id)
            for edge in self.outgoing(node_id):
                if colour[edge.target] == 1:
                    return path[path.index(edge.target):] + [edge.target]
                if colour[edge.target] == 0 and (cycle := visit(edge.target)):
                    return cycle
            path.pop()
            colour[node_id] = 2
            return None

        for node in self.nodes:
            if colour[node.id] == 0 and (cycle := visit(node.id)):
                return cycle
        return None


def edge_satisfied(edge_type: str, status: str, condition: bool) -> bool:
    """Does a finished source (not skipped) let this edge through?"""
    if status in ("SKIPPED", "CANCELLED"):
        return False
    if edge_type == "ALWAYS":
        return True
    if edge_type == "ON_SUCCESS":
        return status == "SUCCESS"
    if edge_type == "ON_FAILURE":
        return status in FAILED_STATES
    return condition  # ON_CONDITION


def parse_graph(data: Any, field: str = "workflow") -> Graph:
    """Check the shape of the `nodes` and `edges` of a workflow dict and build the graph."""
    if not isinstance(data, dict):
        raise ValidationError(field, "must be an object with nodes and edges.")
    raw_nodes, raw_edges = data.get("nodes"), data.get("edges", [])
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise ValidationError(f"{field}.nodes", "a workflow needs at least one node.")
    if not isinstance(raw_edges, list):
        raise ValidationError(f"{field}.edges", "must be a list.")
    nodes: list[Node] = []
    for index, item in enumerate(raw_nodes):
        place = f"{field}.nodes[{index}]"
        if not isinstance(item, dict):
            raise ValidationError(place, "must be an object.")
        unknown = set(item) - NODE_KEYS
        if unknown:
            raise ValidationError(f"{place}.{sorted(unknown)[0]}", "unknown key.")
        node_id = item.get("id")
        if not isinstance(node_id, str) or not node_id.strip():
            raise ValidationError(f"{place}.id", "is required.")
        if any(node.id == node_id for node in nodes):
            raise ValidationError(f"{place}.id", f"{node_id!r} is used by two nodes.")
        kind = item.get("kind", "EVENT")
        if kind not in NODE_KINDS:
            raise ValidationError(f"{place}.kind", f"must be one of {', '.join(NODE_KINDS)}, not {kind!r}.")
        target, other = ("event", "workflow") if kind == "EVENT" else ("workflow", "event")
        if other in item:
            raise ValidationError(f"{place}.{other}", f"belongs to {other.upper()} nodes; this node is {kind}.")
        if not isinstance(item.get(target), str | int) or isinstance(item.get(target), bool) or item.get(target) == "":
            raise ValidationError(f"{place}.{target}", f"names the {target} this node runs and is required.")
        label = item.get("label") or str(item[target])
        if not isinstance(label, str) or len(label) > 200:
            raise ValidationError(f"{place}.label", "must be text of at most 200 characters.")
        for axis in ("x", "y"):
            value = item.get(axis, 0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValidationError(f"{place}.{axis}", "must be a number.")
        nodes.append(Node(node_id, item.get("event"), label, float(item.get("x", 0)), float(item.get("y", 0)),
                          kind, item.get("workflow")))
    labels = [node.label.lower() for node in nodes]
    for index, label in enumerate(labels):
        if labels.index(label) != index:
            raise ValidationError(f"{field}.nodes[{index}].label", f"{nodes[index].label!r} labels two nodes; labels name node outputs and must differ.")
    ids = {node.id for node in nodes}
    edges: list[Edge] = []
    for index, item in enumerate(raw_edges):
        place = f"{field}.edges[{index}]"
        if not isinstance(item, dict):
            raise ValidationError(place, "must be an object.")
        unknown = set(item) - EDGE_KEYS
        if unknown:
            raise ValidationError(f"{place}.{sorted(unknown)[0]}", "unknown key.")
        for end in ("from", "to"):
            if item.get(end) not in ids:
                raise ValidationError(f"{place}.{end}", f"no node with id {item.get(end)!r}.")
        edge_type = item.get("type", "ALWAYS")
        if edge_type not in EDGE_TYPES:
            raise ValidationError(f"{place}.type", f"must be one of {', '.join(EDGE_TYPES)}, not {edge_type!r}.")
        if item["from"] == item["to"]:
            raise ValidationError(place, f"node {item['from']!r} cannot lead to itself.")
        if any(e.source == item["from"] and e.target == item["to"] for e in edges):
            raise ValidationError(place, f"{item['from']!r} → {item['to']!r} is connected twice.")
        edges.append(Edge(item["from"], item["to"], edge_type))
    graph = Graph(nodes, edges)
    cycle = graph.find_cycle()
    if cycle:
        names = " → ".join(graph.node(node_id).label for node_id in cycle)
        raise ValidationError(f"{field}.edges", f"the edges make a cycle: {names}. A workflow must not loop.")
    return graph
