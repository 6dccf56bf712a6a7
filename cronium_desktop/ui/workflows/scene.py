"""The canvas scene: graphics items built from a `WorkflowModel`, user gestures turned into undo commands.

The scene never changes the model directly: drops, port drags, moves, deletes and pastes push commands on
the undo stack, the commands edit the model, and the model's signals update the items.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import (
    QCursor,
    QPainter,
    QPainterPath,
    QPen,
    QTransform,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneDragDropEvent,
    QGraphicsSceneMouseEvent,
    QInputDialog,
    QMenu,
)

from cronium_desktop.ui.workflows import style
from cronium_desktop.ui.workflows.commands import (
    AddEdgeCommand,
    AddNodeCommand,
    ChangeEdgeTypeCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveItemsCommand,
    RenameNodeCommand,
)
from cronium_desktop.ui.workflows.items import EdgeItem, NodeItem, curve
from cronium_desktop.ui.workflows.mime import MIME_EVENT, MIME_NODES, EventInfo
from cronium_desktop.ui.workflows.model import EDGE_TYPES, Edge, EdgeKey, Node, WorkflowModel


class WorkflowScene(QGraphicsScene):
    notice = Signal(str)  # something the user should read: a refused edge and why
    nodeActivated = Signal(str)  # a node was clicked (the page shows its run)
    childWorkflowRequested = Signal(str)  # a WORKFLOW node was double-clicked: open the workflow it runs

    def __init__(self, model: WorkflowModel, stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.stack = stack
        self.events: dict[str, EventInfo] = {}
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[EdgeKey, EdgeItem] = {}
        self._edges_by_node: dict[str, set[EdgeKey]] = {}
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._connect_from: str | None = None
        self._connect_line: QGraphicsPathItem | None = None
        self._hover_target: NodeItem | None = None
        self.pulse = 0.0
        self._pulser = QVariantAnimation(self, startValue=0.0, endValue=2 * math.pi, duration=1400, loopCount=-1)  # type: ignore[call-arg]  # Qt property keyword
        self._pulser.valueChanged.connect(self._pulse_step)
        self.choose_edge_type: Callable[[QPoint, str | None], str | None] = self._menu_edge_type
        self.ask_label: Callable[[str], str | None] = self._dialog_label
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        model.nodeAdded.connect(self._node_added)
        model.nodeRemoved.connect(self._node_removed)
        model.nodeMoved.connect(self._node_moved)
        model.nodeChanged.connect(lambda node_id: self.node_items[node_id].update())
        model.edgeAdded.connect(lambda s, t: self._edge_added((s, t)))
        model.edgeRemoved.connect(lambda s, t: self._edge_removed((s, t)))
        model.edgeChanged.connect(self._edge_changed)
        model.modelReset.connect(self.rebuild)
        self.rebuild()

    # -- building items from the model -------------------------------------------------------------------

    def rebuild(self) -> None:
        for item in [*self.edge_items.values(), *self.node_items.values()]:
            self.removeItem(item)
        self.node_items, self.edge_items, self._edges_by_node = {}, {}, {}
        for node_id in self.model.nodes:
            self._node_added(node_id)
        for key in self.model.edges:
            self._edge_added(key)
        self.update_scene_rect()

    def _node_added(self, node_id: str) -> None:
        node = self.model.nodes[node_id]
        item = NodeItem(self, node_id)
        item.setPos(node.x, node.y)
        self.node_items[node_id] = item
        self._edges_by_node[node_id] = set()
        self.addItem(item)

    def _node_removed(self, node_id: str) -> None:
        self.removeItem(self.node_items.pop(node_id))
        del self._edges_by_node[node_id]

    def _node_moved(self, node_id: str) -> None:
        node = self.model.nodes[node_id]
        self.node_items[node_id].setPos(node.x, node.y)

    def node_item_moved(self, node_id: str) -> None:
        for key in self._edges_by_node.get(node_id, ()):
            self.edge_items[key].update_path()

    def _edge_added(self, key: EdgeKey) -> None:
        item = EdgeItem(self, key)
        self.edge_items[key] = item
        self._edges_by_node[key[0]].add(key)
        self._edges_by_node[key[1]].add(key)
        self.addItem(item)

    def _edge_removed(self, key: EdgeKey) -> None:
        self.removeItem(self.edge_items.pop(key))
        self._edges_by_node[key[0]].discard(key)
        self._edges_by_node[key[1]].discard(key)

    def _edge_changed(self, source: str, target: str) -> None:
        item = self.edge_items[(source, target)]
        item.update_path()
        item.update()

    def update_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect() if self.node_items else QRectF()
        self.setSceneRect(bounds.adjusted(-1500, -1000, 1500, 1000).united(QRectF(-1500, -1000, 3000, 2000)))

    # -- what the nodes show -----------------------------------------------------------------------------

    def set_events(self, events: list[EventInfo]) -> None:
        self.events = {info.name.lower(): info for info in events}
        for item in self.node_items.values():
            item.update()

    def event_info(self, name: str) -> EventInfo | None:
        return self.events.get(name.lower())

    def set_node_state(self, node_id: str, status: str | None) -> None:
        item = self.node_items.get(node_id)
        if item is None:
            return
        item.run_state = status
        item.update()
        running = any(i.run_state == "RUNNING" for i in self.node_items.values())
        if running and self._pulser.state() != QVariantAnimation.State.Running:
            self._pulser.start()
        elif not running:
            self._pulser.stop()
            self.pulse = 0.0

    def node_state(self, node_id: str) -> str | None:
        return self.node_items[node_id].run_state

    def clear_states(self) -> None:
        for node_id in self.node_items:
            self.set_node_state(node_id, None)

    def _pulse_step(self, value: float) -> None:
        self.pulse = (math.sin(value) + 1) / 2
        for item in self.node_items.values():
            if item.run_state == "RUNNING":
                item.update()

    # -- edits -------------------------------------------------------------------------------------------

    def add_event_node(self, event_name: str, centre: QPointF) -> str:
        """Add a node running `event_name` centred near `centre` (snapped to the grid); returns its id."""
        x = round((centre.x() - style.NODE_WIDTH / 2) / style.GRID) * style.GRID
        y = round((centre.y() - style.NODE_HEIGHT / 2) / style.GRID) * style.GRID
        node = Node(self.model.new_node_id(), event_name, self.model.unique_label(event_name), float(x), float(y))
        self.stack.push(AddNodeCommand(self.model, node))
        return node.id

    def add_workflow_node(self, workflow_name: str, centre: QPointF) -> str:
        """Add a node that runs the workflow `workflow_name`, centred near `centre`; returns its id."""
        node_id = self.model.new_node_id()
        x = round((centre.x() - style.NODE_WIDTH / 2) / style.GRID) * style.GRID
        y = round((centre.y() - style.NODE_HEIGHT / 2) / style.GRID) * style.GRID
        node = Node(node_id, workflow_name, self.model.unique_label(workflow_name), float(x), float(y), "WORKFLOW")
        self.stack.push(AddNodeCommand(self.model, node))
        return node_id

    def connect_nodes(self, source: str, target: str, screen_pos: QPoint | None = None) -> bool:
        """Try source → target: refuse with the reason, else ask for the type and add the edge."""
        reason = self.model.check_edge(source, target)
        if reason:
            self.notice.emit(reason)
            return False
        edge_type = self.choose_edge_type(screen_pos or QCursor.pos(), None)
        if edge_type is None:
            return False
        self.stack.push(AddEdgeCommand(self.model, Edge(source, target, edge_type)))
        return True

    def change_edge_type(self, key: EdgeKey, edge_type: str) -> None:
        if self.model.edges[key].type != edge_type:
            self.stack.push(ChangeEdgeTypeCommand(self.model, key, edge_type))

    def rename_node(self, node_id: str) -> bool:
        """Ask for a new label; labels name node outputs, so one used by another node is refused."""
        current = self.model.nodes[node_id].label
        label = (self.ask_label(current) or "").strip()
        if not label or label == current:
            return False
        if any(n.label.lower() == label.lower() for n in self.model.nodes.values() if n.id != node_id):
            self.notice.emit(f"Another node is already labelled '{label}'. Labels name node outputs and must differ.")
            return False
        self.stack.push(RenameNodeCommand(self.model, node_id, label[:200]))
        return True

    def _dialog_label(self, current: str) -> str | None:
        views = self.views()
        text, ok = QInputDialog.getText(views[0] if views else None, "Rename node", "Label", text=current)
        return text if ok else None

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def delete_selected(self) -> None:
        nodes = self.selected_node_ids()
        edges = [item.key for item in self.selectedItems() if isinstance(item, EdgeItem)]
        if nodes or edges:
            self.stack.push(RemoveItemsCommand(self.model, nodes, edges))

    def select_all(self) -> None:
        for item in self.node_items.values():
            item.setSelected(True)

    def copy_selection(self) -> QMimeData | None:
        """The selected nodes and the edges between them, as clipboard data."""
        chosen = set(self.selected_node_ids())
        if not chosen:
            return None
        payload = {
            "nodes": [self.model.nodes[n].to_dict() for n in self.model.nodes if n in chosen],
            "edges": [e.to_dict() for key, e in self.model.edges.items() if key[0] in chosen and key[1] in chosen],
        }
        mime = QMimeData()
        mime.setData(MIME_NODES, json.dumps(payload).encode())
        return mime

    def paste(self, mime: QMimeData, offset: QPointF = QPointF(40, 40)) -> list[str]:
        """Add copies of pasted nodes with fresh ids and labels; they become the selection."""
        if not mime.hasFormat(MIME_NODES):
            return []
        payload = json.loads(bytes(mime.data(MIME_NODES).data()).decode())
        ids: dict[str, str] = {}
        nodes: list[Node] = []
        taken: set[str] = set()
        next_number = int(self.model.new_node_id()[1:])
        for item in payload["nodes"]:
            new_id = f"n{next_number}"
            next_number += 1
            ids[item["id"]] = new_id
            label = self.model.unique_label(item["label"], taken)
            taken.add(label)
            nodes.append(Node(new_id, item.get("event", item.get("workflow")), label, item["x"] + offset.x(),
                              item["y"] + offset.y(), item.get("kind", "EVENT")))
        edges = [Edge(ids[e["from"]], ids[e["to"]], e["type"]) for e in payload["edges"]]
        self.stack.push(PasteCommand(self.model, nodes, edges))
        self.clearSelection()
        for node in nodes:
            self.node_items[node.id].setSelected(True)
        return [node.id for node in nodes]

    # -- drops from the library ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        event.setAccepted(event.mimeData().hasFormat(MIME_EVENT))

    def dragMoveEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if event.mimeData().hasFormat(MIME_EVENT):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QGraphicsSceneDragDropEvent) -> None:
        if self.drop_mime(event.mimeData(), event.scenePos()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def drop_mime(self, mime: QMimeData, scene_pos: QPointF) -> str | None:
        if not mime.hasFormat(MIME_EVENT):
            return None
        payload = json.loads(bytes(mime.data(MIME_EVENT).data()).decode())
        return self.add_event_node(str(payload["name"]), scene_pos)

    # -- mouse: port drags, moves, clicks ------------------------------------------------------------------

    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos, Qt.ItemSelectionMode.IntersectsItemShape, Qt.SortOrder.DescendingOrder,
                               self._view_transform()):
            if isinstance(item, NodeItem):
                return item
        return None

    def _view_transform(self) -> QTransform:
        views = self.views()
        return views[0].transform() if views else QTransform()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            node = self.node_at(event.scenePos())
            if node is not None and node.port_at(node.mapFromScene(event.scenePos())) == "out":
                self._start_connection(node.node_id)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {n: (self.node_items[n].x(), self.node_items[n].y()) for n in self.selected_node_ids()}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._connect_from is not None and self._connect_line is not None:
            start = self.node_items[self._connect_from].pos() + NodeItem.output_port()
            target = self.node_at(event.scenePos())
            if target is not None and target.node_id == self._connect_from:
                target = None
            self._set_hover_target(target)
            end = target.pos() + NodeItem.input_port() if target else event.scenePos()
            self._connect_line.setPath(curve(start, end))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._connect_from is not None:
            source = self._connect_from
            target = self.node_at(event.scenePos())
            self._end_connection()
            if target is not None and target.node_id != source:
                self.connect_nodes(source, target.node_id, event.screenPos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._commit_moves()
            node = self.node_at(event.scenePos())
            if node is not None and event.buttonDownScreenPos(Qt.MouseButton.LeftButton) == event.screenPos():
                self.nodeActivated.emit(node.node_id)

    def _commit_moves(self) -> None:
        moves = {}
        for node_id, before in self._press_positions.items():
            item = self.node_items.get(node_id)
            if item is None:
                continue
            after = (float(round(item.x())), float(round(item.y())))
            if after != before:
                moves[node_id] = (before, after)
        self._press_positions = {}
        if moves:
            self.stack.push(MoveNodesCommand(self.model, moves))
            self.update_scene_rect()

    def _start_connection(self, node_id: str) -> None:
        self._connect_from = node_id
        line = QGraphicsPathItem()
        line.setPen(QPen(style.canvas_colours()["accent"], 2, Qt.PenStyle.DashLine))
        line.setZValue(3)
        start = self.node_items[node_id].pos() + NodeItem.output_port()
        line.setPath(QPainterPath(start))
        self.addItem(line)
        self._connect_line = line

    def _set_hover_target(self, target: NodeItem | None) -> None:
        if self._hover_target is target:
            return
        if self._hover_target is not None:
            self._hover_target.highlighted = False
            self._hover_target.update()
        self._hover_target = target
        if target is not None:
            target.highlighted = True
            target.update()

    def _end_connection(self) -> None:
        self._set_hover_target(None)
        if self._connect_line is not None:
            self.removeItem(self._connect_line)
        self._connect_line = None
        self._connect_from = None

    # -- menus -----------------------------------------------------------------------------------------------

    def _menu_edge_type(self, screen_pos: QPoint, current: str | None) -> str | None:
        menu = QMenu()
        menu.addSection("Edge type")
        for edge_type in EDGE_TYPES:
            action = menu.addAction(style.edge_swatch(edge_type), style.EDGE_LABELS[edge_type].capitalize())
            action.setData(edge_type)
            action.setCheckable(True)
            action.setChecked(edge_type == current)
        chosen = menu.exec(screen_pos)
        return chosen.data() if chosen is not None else None

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        item = self.itemAt(event.scenePos(), self._view_transform())
        if isinstance(item, EdgeItem):
            chosen = self.choose_edge_type(event.screenPos(), item.type)
            if chosen is not None and item.key in self.model.edges:
                self.change_edge_type(item.key, chosen)
            event.accept()
            return
        if isinstance(item, NodeItem):
            if not item.isSelected():
                self.clearSelection()
                item.setSelected(True)
            menu = QMenu()
            rename = menu.addAction("Rename…")
            delete = menu.addAction("Delete")
            picked = menu.exec(event.screenPos())
            if picked is delete:
                self.delete_selected()
            elif picked is rename:
                self.rename_node(item.node_id)
            event.accept()
            return
        super().contextMenuEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        item = self.itemAt(event.scenePos(), self._view_transform())
        if isinstance(item, EdgeItem):
            chosen = self.choose_edge_type(event.screenPos(), item.type)
            if chosen is not None and item.key in self.model.edges:
                self.change_edge_type(item.key, chosen)
            event.accept()
            return
        node = self.node_at(event.scenePos())
        if node is not None:
            if self.model.nodes[node.node_id].kind == "WORKFLOW":
                self.childWorkflowRequested.emit(node.node_id)  # rename stays in the node's context menu
            else:
                self.rename_node(node.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # -- background ---------------------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # type: ignore[override]  # Qt passes a QRectF
        style.paint_grid(painter, rect)
