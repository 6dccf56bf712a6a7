"""The workflow being edited, as a graph with positions and no pixels.

The scene draws this model and every edit goes through it (via the undo commands); the page saves it
through the engine as the SPEC §8 `workflow` dict. Its signals let any number of views follow along.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from cronium_desktop.engine.triggers.spec import DEFAULTS
from cronium_desktop.ui.workflows.layout import layered_positions

EDGE_TYPES = ("ALWAYS", "ON_SUCCESS", "ON_FAILURE", "ON_CONDITION")
TRIGGERS = ("MANUAL", "SCHEDULE", "WEBHOOK")
# Kept as the engine gives them and saved back as they are; edited in the Triggers dialog.
WORKFLOW_TRIGGER_KEYS = ("file_triggers", "run_at_login", "conditions", "misfire_cap", "misfire")
TRIGGER_DEFAULTS: dict[str, Any] = {**DEFAULTS, "misfire": "RUN_ONCE"}
EdgeKey = tuple[str, str]


@dataclass
class Node:
    id: str
    event: str  # the event's name, as the engine's workflow dict names it (WORKFLOW nodes: the child workflow's)
    label: str
    x: float = 0.0
    y: float = 0.0
    kind: str = "EVENT"  # or "WORKFLOW": the node runs another workflow

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "WORKFLOW":
            return {"id": self.id, "kind": "WORKFLOW", "workflow": self.event, "label": self.label, "x": self.x, "y": self.y}
        return {"id": self.id, "event": self.event, "label": self.label, "x": self.x, "y": self.y}


@dataclass
class Edge:
    source: str
    target: str
    type: str = "ON_SUCCESS"

    @property
    def key(self) -> EdgeKey:
        return (self.source, self.target)

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "type": self.type}


class EdgeRefused(ValueError):
    """An edge the graph cannot take; the message is shown to the user as it stands."""


class WorkflowModel(QObject):
    nodeAdded = Signal(str)
    nodeRemoved = Signal(str)
    nodeMoved = Signal(str)
    nodeChanged = Signal(str)  # label or event
    edgeAdded = Signal(str, str)
    edgeRemoved = Signal(str, str)
    edgeChanged = Signal(str, str)
    propertiesChanged = Signal()
    modelReset = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.trigger = "MANUAL"
        self.schedule: dict[str, Any] | None = None
        self.description = ""
        self.timezone: str | None = None  # not edited on the canvas, but kept so a save does not drop it
        self.triggers: dict[str, Any] = {}  # file triggers, login, conditions, misfire (WORKFLOW_TRIGGER_KEYS)
        self.nodes: dict[str, Node] = {}
        self.edges: dict[EdgeKey, Edge] = {}

    # -- nodes ---------------------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def new_node_id(self) -> str:
        numbers = [int(m.group(1)) for key in self.nodes if (m := re.fullmatch(r"n(\d+)", key))]
        return f"n{max(numbers, default=0) + 1}"

    def unique_label(self, wanted: str, taken: set[str] | None = None) -> str:
        """Labels name node outputs for the engine, so they must differ (case-insensitively)."""
        used = {node.label.lower() for node in self.nodes.values()} | {t.lower() for t in (taken or set())}
        if wanted.lower() not in used:
            return wanted
        base = re.sub(r" \(\d+\)$", "", wanted)
        number = 2
        while f"{base} ({number})".lower() in used:
            number += 1
        return f"{base} ({number})"

    def add_node(self, node: Node, index: int | None = None) -> None:
        """Add a node at the end, or at `index` in the saved order (undoing a delete puts it back)."""
        if node.id in self.nodes:
            raise ValueError(f"A node with id {node.id!r} already exists.")
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = copy.copy(node)
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, copy.copy(node)))
            self.nodes = dict(items)
        self.nodeAdded.emit(node.id)

    def remove_node(self, node_id: str) -> None:
        """Remove a node; its edges must have been removed first (the commands do so, for undo)."""
        attached = [key for key in self.edges if node_id in key]
        if attached:
            raise ValueError(f"Node {node_id!r} still has {len(attached)} edge(s).")
        del self.nodes[node_id]
        self.nodeRemoved.emit(node_id)

    def move_node(self, node_id: str, x: float, y: float) -> None:
        node = self.nodes[node_id]
        if (node.x, node.y) != (x, y):
            node.x, node.y = float(x), float(y)
            self.nodeMoved.emit(node_id)

    def set_label(self, node_id: str, label: str) -> None:
        self.nodes[node_id].label = label
        self.nodeChanged.emit(node_id)

    def edges_of(self, node_id: str) -> list[Edge]:
        return [edge for key, edge in self.edges.items() if node_id in key]

    # -- edges ---------------------------------------------------------------------------------------------

    def path(self, start: str, goal: str) -> list[str] | None:
        """Node ids of a directed path start → … → goal, or None."""
        successors: dict[str, list[str]] = {}
        for source, target in self.edges:
            successors.setdefault(source, []).append(target)
        previous: dict[str, str | None] = {start: None}
        queue = [start]
        while queue:
            current = queue.pop(0)
            if current == goal:
                path = [current]
                while (back := previous[path[-1]]) is not None:
                    path.append(back)
                return path[::-1]
            for following in successors.get(current, []):
                if following not in previous:
                    previous[following] = current
                    queue.append(following)
        return None

    def check_edge(self, source: str, target: str) -> str | None:
        """Why source → target cannot be added, or None when it can."""
        if source not in self.nodes or target not in self.nodes:
            return "Both ends of an edge must be nodes of this workflow."
        if source == target:
            return f"'{self.nodes[source].label}' cannot lead to itself."
        if (source, target) in self.edges:
            return f"'{self.nodes[source].label}' already leads to '{self.nodes[target].label}'."
        back = self.path(target, source)
        if back is not None:
            loop = " → ".join(self.nodes[node_id].label for node_id in [*back, target])
            return f"That edge would close a cycle: {loop}. A workflow must not loop."
        return None

    def add_edge(self, edge: Edge) -> None:
        if edge.type not in EDGE_TYPES:
            raise EdgeRefused(f"Unknown edge type {edge.type!r}; use one of {', '.join(EDGE_TYPES)}.")
        reason = self.check_edge(edge.source, edge.target)
        if reason:
            raise EdgeRefused(reason)
        self.edges[edge.key] = copy.copy(edge)
        self.edgeAdded.emit(*edge.key)

    def insert_edge(self, edge: Edge, index: int) -> None:
        """Put back an edge removed from `index`, keeping the saved order."""
        self.add_edge(edge)
        items = list(self.edges.items())
        items.insert(index, items.pop())
        self.edges = dict(items)

    def remove_edge(self, key: EdgeKey) -> None:
        del self.edges[key]
        self.edgeRemoved.emit(*key)

    def set_edge_type(self, key: EdgeKey, edge_type: str) -> None:
        if edge_type not in EDGE_TYPES:
            raise EdgeRefused(f"Unknown edge type {edge_type!r}.")
        self.edges[key].type = edge_type
        self.edgeChanged.emit(*key)

    # -- properties and files ------------------------------------------------------------------------------

    def properties(self) -> dict[str, Any]:
        return {"name": self.name, "trigger": self.trigger, "schedule": copy.deepcopy(self.schedule),
                "description": self.description, "triggers": copy.deepcopy(self.triggers)}

    def set_properties(self, values: dict[str, Any]) -> None:
        self.name = values.get("name", self.name)
        self.trigger = values.get("trigger", self.trigger)
        self.schedule = copy.deepcopy(values.get("schedule", self.schedule))
        self.description = values.get("description", self.description)
        self.triggers = copy.deepcopy(values.get("triggers", self.triggers))
        self.propertiesChanged.emit()

    def to_dict(self) -> dict[str, Any]:
        """The SPEC §8 `workflow` dict (plus `description`, and `timezone` when the workflow has one)."""
        properties = self.properties()
        data = {
            **{key: value for key, value in properties.items() if key != "triggers"},
            **properties["triggers"],  # file triggers, login, conditions, misfire (engine/triggers/spec.py)
            "schedule": self.schedule if self.trigger == "SCHEDULE" else None,
            "nodes": [node.to_dict() for node in self.nodes.values()],
            "edges": [edge.to_dict() for edge in self.edges.values()],
        }
        if self.timezone:
            data["timezone"] = self.timezone
        return data

    def load(self, data: dict[str, Any]) -> None:
        """Replace everything with a workflow dict; edges keep their order, checks are the engine's job."""
        self.name = str(data.get("name") or "")
        self.trigger = data.get("trigger") or "MANUAL"
        self.schedule = copy.deepcopy(data.get("schedule"))
        self.description = str(data.get("description") or "")
        self.timezone = data.get("timezone") or None
        # Only what differs from the defaults: a workflow without such triggers reads and saves as before.
        self.triggers = {key: copy.deepcopy(data[key]) for key in WORKFLOW_TRIGGER_KEYS
                         if key in data and data[key] != TRIGGER_DEFAULTS[key]}
        self.nodes = {}
        for item in data.get("nodes") or []:
            kind = item.get("kind") or "EVENT"
            target = str(item["workflow"] if kind == "WORKFLOW" else item["event"])
            node = Node(str(item["id"]), target, str(item.get("label") or target),
                        float(item.get("x", 0)), float(item.get("y", 0)), kind)
            self.nodes[node.id] = node
        self.edges = {}
        for item in data.get("edges") or []:
            edge = Edge(str(item["from"]), str(item["to"]), item.get("type") or "ALWAYS")
            self.edges[edge.key] = edge
        if len(self.nodes) > 1 and len({(node.x, node.y) for node in self.nodes.values()}) == 1:
            # A workflow written without positions (a hand-made file, the CLI): lay it out rather
            # than pile every node on one spot.
            links = [(edge.source, edge.target) for edge in self.edges.values()]
            for node_id, (x, y) in layered_positions(self.nodes, links).items():
                self.nodes[node_id].x, self.nodes[node_id].y = x, y
        self.modelReset.emit()
