"""Workflow graphs without the store (engine/workflows/graph.py): what a saved graph may look like
and which edges let a finished node's result through (SPEC §5)."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.workflows.graph import edge_satisfied, parse_graph


def graph(edges: list[dict[str, Any]], labels: tuple[str, ...] = ("Fetch", "Build", "Ship")) -> dict[str, Any]:
    nodes = [{"id": label[0].lower(), "event": label, "label": label} for label in labels]
    return {"nodes": nodes, "edges": edges}


def refused(data: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_graph(data)
    return caught.value


def test_a_diamond_is_accepted_with_its_edges_in_both_directions() -> None:
    data = graph([{"from": "f", "to": "b"}, {"from": "f", "to": "s", "type": "ON_FAILURE"},
                  {"from": "b", "to": "s", "type": "ON_SUCCESS"}])
    parsed = parse_graph(data)
    assert [node.label for node in parsed.nodes] == ["Fetch", "Build", "Ship"]
    assert [(edge.source, edge.type) for edge in parsed.incoming("s")] == [("f", "ON_FAILURE"), ("b", "ON_SUCCESS")]
    assert [edge.target for edge in parsed.outgoing("f")] == ["b", "s"]
    assert parsed.find_cycle() is None


def test_a_cycle_is_refused_naming_its_nodes_in_order() -> None:
    error = refused(graph([{"from": "f", "to": "b"}, {"from": "b", "to": "s"}, {"from": "s", "to": "b"}]))
    assert error.field == "workflow.edges"
    assert "the edges make a cycle: Build → Ship → Build" in error.message
    assert "must not loop" in error.message


def test_a_node_leading_to_itself_is_refused() -> None:
    error = refused(graph([{"from": "b", "to": "b"}]))
    assert error.field == "workflow.edges[0]"
    assert "'b' cannot lead to itself" in error.message


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"nodes": [], "edges": []}, "workflow.nodes", "at least one node"),
        (graph([{"from": "f", "to": "nowhere"}]), "workflow.edges[0].to", "no node with id 'nowhere'"),
        (graph([{"from": "f", "to": "b", "type": "SOMETIMES"}]), "workflow.edges[0].type", "not 'SOMETIMES'"),
        (graph([{"from": "f", "to": "b"}, {"from": "f", "to": "b", "type": "ON_SUCCESS"}]), "workflow.edges[1]",
         "connected twice"),
        ({"nodes": [{"id": "a", "event": "E", "label": "Build"}, {"id": "b", "event": "E", "label": "build"}]},
         "workflow.nodes[1].label", "labels two nodes"),
        ({"nodes": [{"id": "a", "event": "E", "colour": "red"}]}, "workflow.nodes[0].colour", "unknown key"),
        ({"nodes": [{"id": "a", "kind": "WORKFLOW", "workflow": "Child", "event": "E"}]}, "workflow.nodes[0].event",
         "belongs to EVENT nodes"),
    ],
)
def test_a_bad_graph_is_refused_naming_the_field(data: Any, field: str, words: str) -> None:
    error = refused(data)
    assert error.field == field
    assert words in error.message


@pytest.mark.parametrize(
    ("edge", "status", "condition", "passes"),
    [
        ("ALWAYS", "FAILURE", False, True),
        ("ALWAYS", "SKIPPED", False, False),  # a node that did not run leads nowhere
        ("ALWAYS", "CANCELLED", False, False),
        ("ON_SUCCESS", "SUCCESS", False, True),
        ("ON_SUCCESS", "PARTIAL", False, False),
        ("ON_FAILURE", "TIMEOUT", False, True),  # a timeout and a partial run are failures (SPEC §4)
        ("ON_FAILURE", "PARTIAL", False, True),
        ("ON_FAILURE", "SUCCESS", False, False),
        ("ON_CONDITION", "SUCCESS", True, True),
        ("ON_CONDITION", "SUCCESS", False, False),
    ],
)
def test_which_edges_a_finished_node_lets_through(edge: str, status: str, condition: bool, passes: bool) -> None:
    assert edge_satisfied(edge, status, condition) is passes
