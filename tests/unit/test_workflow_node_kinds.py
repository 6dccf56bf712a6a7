"""The WORKFLOW node kind in the file format: strictly checked, and older nodes (no kind) still read."""

from __future__ import annotations

import pytest

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.workflows.graph import parse_graph


def test_a_node_without_kind_is_an_event_node_as_in_older_files() -> None:
    graph = parse_graph({"nodes": [{"id": "n1", "event": "extract", "label": "Extract", "x": 0, "y": 0}], "edges": []})
    assert graph.nodes[0].kind == "EVENT" and graph.nodes[0].event == "extract"


def test_a_workflow_node_names_its_workflow() -> None:
    graph = parse_graph({"nodes": [{"id": "n1", "kind": "WORKFLOW", "workflow": "Notify"}], "edges": []})
    node = graph.nodes[0]
    assert (node.kind, node.workflow, node.label, node.event) == ("WORKFLOW", "Notify", "Notify", None)


@pytest.mark.parametrize(("node", "field", "words"), [
    ({"id": "n1", "kind": "FLOW", "workflow": "X"}, "workflow.nodes[0].kind", "must be one of EVENT, WORKFLOW"),
    ({"id": "n1", "kind": "WORKFLOW"}, "workflow.nodes[0].workflow", "is required"),
    ({"id": "n1", "kind": "WORKFLOW", "workflow": "X", "event": "e"}, "workflow.nodes[0].event", "belongs to EVENT nodes"),
    ({"id": "n1", "event": "e", "workflow": "X"}, "workflow.nodes[0].workflow", "belongs to WORKFLOW nodes"),
    ({"id": "n1", "kind": "WORKFLOW", "workflow": True}, "workflow.nodes[0].workflow", "is required"),
    ({"id": "n1", "kind": "WORKFLOW", "workflow": "X", "child": 1}, "workflow.nodes[0].child", "unknown key"),
])
def test_bad_workflow_nodes_are_refused_naming_the_field(node: dict, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse_graph({"nodes": [node], "edges": []})
    assert error.value.field == field and words in error.value.message
