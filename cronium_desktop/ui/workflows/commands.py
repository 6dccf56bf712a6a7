"""Undoable edits of a `WorkflowModel`: every change the canvas makes is one of these on a QUndoStack."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from cronium_desktop.ui.workflows.model import Edge, EdgeKey, Node, WorkflowModel

Position = tuple[float, float]


class AddNodeCommand(QUndoCommand):
    def __init__(self, model: WorkflowModel, node: Node) -> None:
        super().__init__(f"Add '{node.label}'")
        self.model, self.node = model, copy.copy(node)

    def redo(self) -> None:
        self.model.add_node(self.node)

    def undo(self) -> None:
        self.model.remove_node(self.node.id)


class PasteCommand(QUndoCommand):
    """Add several nodes and the edges between them at once (paste, duplicate)."""

    def __init__(self, model: WorkflowModel, nodes: list[Node], edges: list[Edge], text: str = "Paste") -> None:
        super().__init__(f"{text} {len(nodes)} node{'s' if len(nodes) != 1 else ''}")
        self.model = model
        self.nodes = [copy.copy(node) for node in nodes]
        self.edges = [copy.copy(edge) for edge in edges]

    def redo(self) -> None:
        for node in self.nodes:
            self.model.add_node(node)
        for edge in self.edges:
            self.model.add_edge(edge)

    def undo(self) -> None:
        for edge in reversed(self.edges):
            self.model.remove_edge(edge.key)
        for node in reversed(self.nodes):
            self.model.remove_node(node.id)


class RemoveItemsCommand(QUndoCommand):
    """Delete nodes (with every edge touching them) and edges; undo puts them back where they were."""

    def __init__(self, model: WorkflowModel, node_ids: list[str], edge_keys: list[EdgeKey]) -> None:
        self.model = model
        doomed_nodes = set(node_ids)
        self.nodes = [(index, copy.copy(node)) for index, node in enumerate(model.nodes.values()) if node.id in doomed_nodes]
        doomed = set(edge_keys) | {key for key in model.edges if key[0] in doomed_nodes or key[1] in doomed_nodes}
        self.edges = [(index, copy.copy(edge)) for index, (key, edge) in enumerate(model.edges.items()) if key in doomed]
        if self.nodes:
            text = f"Delete {len(self.nodes)} node{'s' if len(self.nodes) != 1 else ''}"
        else:
            text = f"Delete {len(self.edges)} edge{'s' if len(self.edges) != 1 else ''}"
        super().__init__(text)

    def redo(self) -> None:
        for _, edge in self.edges:
            self.model.remove_edge(edge.key)
        for _, node in self.nodes:
            self.model.remove_node(node.id)

    def undo(self) -> None:
        for index, node in self.nodes:
            self.model.add_node(node, index)
        for index, edge in self.edges:
            self.model.insert_edge(edge, index)


class MoveNodesCommand(QUndoCommand):
    def __init__(self, model: WorkflowModel, moves: dict[str, tuple[Position, Position]], text: str = "") -> None:
        count = len(moves)
        super().__init__(text or f"Move {count} node{'s' if count != 1 else ''}")
        self.model, self.moves = model, dict(moves)

    def redo(self) -> None:
        for node_id, (_, (x, y)) in self.moves.items():
            self.model.move_node(node_id, x, y)

    def undo(self) -> None:
        for node_id, ((x, y), _) in self.moves.items():
            self.model.move_node(node_id, x, y)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, model: WorkflowModel, edge: Edge) -> None:
        labels = model.nodes[edge.source].label, model.nodes[edge.target].label
        super().__init__(f"Connect '{labels[0]}' to '{labels[1]}'")
        self.model, self.edge = model, copy.copy(edge)

    def redo(self) -> None:
        self.model.add_edge(self.edge)

    def undo(self) -> None:
        self.model.remove_edge(self.edge.key)


class ChangeEdgeTypeCommand(QUndoCommand):
    def __init__(self, model: WorkflowModel, key: EdgeKey, edge_type: str) -> None:
        super().__init__(f"Change edge to {edge_type}")
        self.model, self.key, self.new, self.old = model, key, edge_type, model.edges[key].type

    def redo(self) -> None:
        self.model.set_edge_type(self.key, self.new)

    def undo(self) -> None:
        self.model.set_edge_type(self.key, self.old)


class RenameNodeCommand(QUndoCommand):
    def __init__(self, model: WorkflowModel, node_id: str, label: str) -> None:
        super().__init__(f"Rename to '{label}'")
        self.model, self.node_id, self.new, self.old = model, node_id, label, model.nodes[node_id].label

    def redo(self) -> None:
        self.model.set_label(self.node_id, self.new)

    def undo(self) -> None:
        self.model.set_label(self.node_id, self.old)


class LayoutCommand(MoveNodesCommand):
    def __init__(self, model: WorkflowModel, positions: dict[str, Position]) -> None:
        moves = {node_id: ((model.nodes[node_id].x, model.nodes[node_id].y), position)
                 for node_id, position in positions.items()
                 if (model.nodes[node_id].x, model.nodes[node_id].y) != position}
        super().__init__(model, moves, "Tidy layout")


class SetPropertiesCommand(QUndoCommand):
    """Change name, trigger, schedule or description; typing in one field merges into one step."""

    ID = 9001

    def __init__(self, model: WorkflowModel, values: dict[str, Any]) -> None:
        super().__init__(f"Change {', '.join(sorted(values))}")
        self.model = model
        self.new = copy.deepcopy(values)
        current = model.properties()
        self.old = {key: current[key] for key in values}

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetPropertiesCommand) or set(other.new) != set(self.new):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.model.set_properties(self.new)

    def undo(self) -> None:
        self.model.set_properties(self.old)
