"""The workflow canvas on its own: model, undo commands, scene, view and library, driven like a user would."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from typing import Any  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QUndoStack  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cronium_desktop.ui.workflows.items import NodeItem  # noqa: E402
from cronium_desktop.ui.workflows.layout import layered_positions  # noqa: E402
from cronium_desktop.ui.workflows.library import EventLibrary  # noqa: E402
from cronium_desktop.ui.workflows.mime import EventInfo  # noqa: E402
from cronium_desktop.ui.workflows.model import Edge, EdgeRefused, Node, WorkflowModel  # noqa: E402
from cronium_desktop.ui.workflows.scene import WorkflowScene  # noqa: E402
from cronium_desktop.ui.workflows.view import WorkflowView  # noqa: E402

EVENTS = [EventInfo(1, "Extract", "PYTHON", "SUCCESS"), EventInfo(2, "Transform", "NODEJS"),
          EventInfo(3, "Load", "BASH", "FAILURE"), EventInfo(4, "Notify", "TOOL_ACTION")]


class Canvas:
    """A model, an undo stack, a scene, a view and a library wired like the page wires them."""

    def __init__(self, qtbot: Any) -> None:
        self.model = WorkflowModel()
        self.stack = QUndoStack()
        self.scene = WorkflowScene(self.model, self.stack)
        self.scene.set_events(EVENTS)
        self.view = WorkflowView(self.scene)
        self.view.resize(1000, 700)
        qtbot.addWidget(self.view)
        self.view.show()
        self.view.resetTransform()
        self.view.centerOn(400, 150)
        self.library = EventLibrary()
        qtbot.addWidget(self.library)
        self.library.set_events(EVENTS)
        self.chosen_types: list[str | None] = []
        self.scene.choose_edge_type = lambda _pos, _current: self.chosen_types.pop(0)

    def drag_from_library(self, name: str, scene_pos: QPointF) -> None:
        """Drop the library row's own drag data on the view's viewport, as a finished drag would."""
        row = self.library.visible_names().index(name)
        mime = self.library.model.mimeData([self.library.model.index(self.library.model.events.index(
            next(e for e in self.library.model.events if e.name == name)))])
        assert row >= 0
        self.drop(mime, scene_pos)

    def drop(self, mime: QMimeData, scene_pos: QPointF) -> None:
        target = self.view.viewport()
        point = self.view.mapFromScene(scene_pos)
        actions = Qt.DropAction.CopyAction
        for event in (QDragEnterEvent(point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                      QDragMoveEvent(point, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                      QDropEvent(QPointF(point), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)):
            QApplication.sendEvent(target, event)

    def node_id(self, label: str) -> str:
        return next(n.id for n in self.model.nodes.values() if n.label == label)

    def port_point(self, label: str, port: str) -> QPoint:
        item = self.scene.node_items[self.node_id(label)]
        local = NodeItem.output_port() if port == "out" else NodeItem.input_port()
        return self.view.mapFromScene(item.mapToScene(local))

    def drag_port(self, source: str, target: str, edge_type: str | None) -> None:
        self.chosen_types.append(edge_type)
        start = self.port_point(source, "out")
        end = self.view.mapFromScene(self.scene.node_items[self.node_id(target)].sceneBoundingRect().center())
        viewport = self.view.viewport()
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(viewport, (start + end) / 2)
        QTest.mouseMove(viewport, end)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    def edge_types(self) -> dict[tuple[str, str], str]:
        return {(self.model.nodes[s].label, self.model.nodes[t].label): e.type for (s, t), e in self.model.edges.items()}


@pytest.fixture
def canvas(qtbot: Any) -> Canvas:
    return Canvas(qtbot)


def build_four_nodes(canvas: Canvas) -> None:
    for index, name in enumerate(["Extract", "Transform", "Load", "Notify"]):
        canvas.drag_from_library(name, QPointF(150 + index * 280, 150 + (index % 2) * 60))
    canvas.drag_port("Extract", "Transform", "ON_SUCCESS")
    canvas.drag_port("Transform", "Load", "ALWAYS")
    canvas.drag_port("Load", "Notify", "ON_FAILURE")


def test_four_node_workflow_is_built_by_dropping_events_and_dragging_ports(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    assert [n.label for n in canvas.model.nodes.values()] == ["Extract", "Transform", "Load", "Notify"]
    assert canvas.edge_types() == {("Extract", "Transform"): "ON_SUCCESS", ("Transform", "Load"): "ALWAYS",
                                   ("Load", "Notify"): "ON_FAILURE"}
    assert len(canvas.scene.edge_items) == 3
    first = canvas.model.nodes[canvas.node_id("Extract")]
    assert (first.x, first.y) == (40.0, 120.0)  # centred on the drop point, snapped to the 20 px grid
    assert canvas.stack.count() == 7


def test_dropping_the_same_event_twice_gives_distinct_labels(canvas: Canvas) -> None:
    canvas.drag_from_library("Extract", QPointF(100, 100))
    canvas.drag_from_library("Extract", QPointF(100, 300))
    assert [n.label for n in canvas.model.nodes.values()] == ["Extract", "Extract (2)"]
    assert {n.event for n in canvas.model.nodes.values()} == {"Extract"}


def test_every_step_undoes_and_redoes(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    snapshots = []
    for _ in range(canvas.stack.count()):
        snapshots.append(canvas.model.to_dict())
        canvas.stack.undo()
    assert canvas.model.nodes == {} and canvas.scene.node_items == {} and canvas.scene.edge_items == {}
    for expected in reversed(snapshots):
        canvas.stack.redo()
        assert canvas.model.to_dict() == expected
    assert len(canvas.scene.edge_items) == 3 and len(canvas.scene.node_items) == 4


def test_edge_type_change_shows_colour_and_label_and_undoes(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    key = (canvas.node_id("Extract"), canvas.node_id("Transform"))
    item = canvas.scene.edge_items[key]
    canvas.chosen_types.append("ON_CONDITION")
    canvas.scene.clearSelection()
    item.setSelected(True)
    label_at = canvas.view.mapFromScene(item.label_rect.center())
    QTest.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, label_at)
    assert canvas.model.edges[key].type == "ON_CONDITION"
    image = canvas.view.grab().toImage()
    pixel = image.pixelColor(canvas.view.mapFromScene(item.path.pointAtPercent(0.25)))
    assert pixel.red() > 150 and pixel.green() > 110 and pixel.blue() < 100  # amber
    canvas.stack.undo()
    assert canvas.model.edges[key].type == "ON_SUCCESS"
    canvas.stack.redo()
    assert canvas.model.edges[key].type == "ON_CONDITION"


def test_edge_closing_a_cycle_is_refused_with_the_reason(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    notices: list[str] = []
    canvas.scene.notice.connect(notices.append)
    before = canvas.stack.count()
    canvas.drag_port("Notify", "Extract", "ALWAYS")
    assert canvas.stack.count() == before
    assert (canvas.node_id("Notify"), canvas.node_id("Extract")) not in canvas.model.edges
    assert notices == ["That edge would close a cycle: Extract → Transform → Load → Notify → Extract. A workflow must not loop."]
    assert canvas.view.toast.isVisible() and "cycle" in canvas.view.toast.text()
    canvas.chosen_types.clear()


def test_model_refuses_self_loops_duplicates_and_cycles() -> None:
    model = WorkflowModel()
    for node_id in ("a", "b"):
        model.add_node(Node(node_id, node_id.upper(), node_id.upper()))
    model.add_edge(Edge("a", "b", "ALWAYS"))
    for edge in (Edge("a", "a"), Edge("a", "b"), Edge("b", "a"), Edge("a", "b", "SOMETIMES")):
        with pytest.raises(EdgeRefused):
            model.add_edge(edge)


def test_moving_nodes_with_the_mouse_is_one_undoable_step(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    item = canvas.scene.node_items[canvas.node_id("Load")]
    before = (item.x(), item.y())
    centre = canvas.view.mapFromScene(item.sceneBoundingRect().center())
    viewport = canvas.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    QTest.mouseMove(viewport, centre + QPoint(30, 40))
    QTest.mouseMove(viewport, centre + QPoint(60, 80))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(60, 80))
    node = canvas.model.nodes[canvas.node_id("Load")]
    assert (node.x, node.y) == (before[0] + 60, before[1] + 80)
    edge = canvas.scene.edge_items[(canvas.node_id("Transform"), canvas.node_id("Load"))]
    assert edge.path.pointAtPercent(1.0) == item.pos() + NodeItem.input_port()
    canvas.stack.undo()
    assert (canvas.model.nodes[node.id].x, canvas.model.nodes[node.id].y) == before == (item.x(), item.y())


def test_rubber_band_selects_several_nodes_and_delete_removes_them_with_their_edges(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    viewport = canvas.view.viewport()
    top_left = canvas.view.mapFromScene(QPointF(0, 40))
    bottom_right = canvas.view.mapFromScene(QPointF(570, 300))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, top_left)
    QTest.mouseMove(viewport, (top_left + bottom_right) / 2)
    QTest.mouseMove(viewport, bottom_right)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bottom_right)
    assert sorted(canvas.model.nodes[n].label for n in canvas.scene.selected_node_ids()) == ["Extract", "Transform"]
    canvas.scene.delete_selected()
    assert [n.label for n in canvas.model.nodes.values()] == ["Load", "Notify"]
    assert canvas.edge_types() == {("Load", "Notify"): "ON_FAILURE"}
    full = canvas.model.to_dict
    canvas.stack.undo()
    assert [n["label"] for n in full()["nodes"]] == ["Extract", "Transform", "Load", "Notify"]
    assert len(full()["edges"]) == 3


def test_copy_paste_duplicates_nodes_and_inner_edges_with_new_ids(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    canvas.scene.clearSelection()
    for label in ("Extract", "Transform"):
        canvas.scene.node_items[canvas.node_id(label)].setSelected(True)
    mime = canvas.scene.copy_selection()
    assert mime is not None
    pasted = canvas.scene.paste(mime)
    assert [canvas.model.nodes[n].label for n in pasted] == ["Extract (2)", "Transform (2)"]
    assert canvas.edge_types()[("Extract (2)", "Transform (2)")] == "ON_SUCCESS"
    assert sorted(canvas.scene.selected_node_ids()) == sorted(pasted)
    canvas.stack.undo()
    assert len(canvas.model.nodes) == 4 and len(canvas.model.edges) == 3


def test_tidy_layout_places_layers_left_to_right_and_undoes(canvas: Canvas) -> None:
    from cronium_desktop.ui.workflows.commands import LayoutCommand

    build_four_nodes(canvas)
    before = canvas.model.to_dict()
    positions = layered_positions(canvas.model.nodes, canvas.model.edges)
    canvas.stack.push(LayoutCommand(canvas.model, positions))
    xs = [canvas.model.nodes[canvas.node_id(label)].x for label in ("Extract", "Transform", "Load", "Notify")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    canvas.stack.undo()
    assert canvas.model.to_dict() == before


def test_layout_puts_parallel_branches_in_one_column() -> None:
    positions = layered_positions(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    assert positions["b"][0] == positions["c"][0] > positions["a"][0]
    assert positions["d"][0] > positions["b"][0] and positions["b"][1] != positions["c"][1]


def test_wheel_zooms_and_fit_shows_every_node(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    canvas.view.zoom_by(3)
    canvas.view.fit_to_view()
    viewport = canvas.view.viewport().rect()
    for item in canvas.scene.node_items.values():
        assert viewport.contains(canvas.view.mapFromScene(item.sceneBoundingRect()).boundingRect())
    from PySide6.QtGui import QWheelEvent

    before = canvas.view.zoom()
    centre = QPointF(viewport.center())
    wheel = QWheelEvent(centre, canvas.view.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas.view.viewport(), wheel)
    assert canvas.view.zoom() == pytest.approx(before * 1.15)


def test_middle_button_drag_pans_the_canvas(canvas: Canvas) -> None:
    canvas.drag_from_library("Extract", QPointF(100, 100))
    viewport = canvas.view.viewport()
    before = canvas.view.mapToScene(viewport.rect().center())
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(500, 300))
    QTest.mouseMove(viewport, QPoint(400, 250))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(400, 250))
    after = canvas.view.mapToScene(viewport.rect().center())
    assert (after - before).toPoint() == QPoint(100, 50)


def test_library_search_filters_by_name(canvas: Canvas) -> None:
    canvas.library.search.setText("tra")
    assert canvas.library.visible_names() == ["Extract", "Transform"]
    canvas.library.search.setText("")
    assert canvas.library.visible_names() == ["Extract", "Load", "Notify", "Transform"]


def test_running_node_pulses_and_states_colour_the_cards(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    node_id = canvas.node_id("Transform")
    canvas.scene.set_node_state(node_id, "RUNNING")
    assert canvas.scene._pulser.state().name == "Running"
    canvas.scene.set_node_state(node_id, "SUCCESS")
    assert canvas.scene._pulser.state().name == "Stopped"
    canvas.scene.clear_states()
    assert all(item.run_state is None for item in canvas.scene.node_items.values())


def test_double_click_renames_a_node_and_refuses_a_label_in_use(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    answers = ["Extract orders", "load"]
    canvas.scene.ask_label = lambda _current: answers.pop(0)
    notices: list[str] = []
    canvas.scene.notice.connect(notices.append)
    item = canvas.scene.node_items[canvas.node_id("Extract")]
    centre = canvas.view.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert canvas.model.nodes[item.node_id].label == "Extract orders"
    assert canvas.model.nodes[item.node_id].event == "Extract"
    assert not canvas.scene.rename_node(item.node_id)
    assert notices and "already labelled 'load'" in notices[0]
    canvas.stack.undo()
    assert canvas.model.nodes[item.node_id].label == "Extract"


def test_delete_key_on_the_canvas_removes_the_selected_edge(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    key = (canvas.node_id("Transform"), canvas.node_id("Load"))
    canvas.scene.edge_items[key].setSelected(True)
    canvas.view.activateWindow()
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert key not in canvas.model.edges and len(canvas.model.edges) == 2


def test_copy_and_paste_go_through_the_clipboard(canvas: Canvas) -> None:
    build_four_nodes(canvas)
    canvas.scene.node_items[canvas.node_id("Load")].setSelected(True)
    canvas.view.edit_actions["Copy"].trigger()
    canvas.view.edit_actions["Paste"].trigger()
    assert [n.label for n in canvas.model.nodes.values()][-1] == "Load (2)"


def test_model_round_trips_the_workflow_dict_keeping_order_positions_and_timezone() -> None:
    data = {"name": "W", "trigger": "SCHEDULE", "schedule": {"cron": "0 9 * * *"}, "description": "d",
            "timezone": "Europe/Berlin",
            "nodes": [{"id": "b", "event": "B", "label": "Bee", "x": 12.5, "y": -40.0},
                      {"id": "a", "event": "A", "label": "A", "x": 0.0, "y": 0.0}],
            "edges": [{"from": "b", "to": "a", "type": "ON_CONDITION"}]}
    model = WorkflowModel()
    model.load(data)
    assert model.to_dict() == data
