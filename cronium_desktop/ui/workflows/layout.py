"""Tidy left-to-right layout: nodes in layers by longest path from a start node, ordered to limit crossings."""

from __future__ import annotations

from collections.abc import Iterable

COLUMN_WIDTH = 320.0  # a node is 210 wide: the gap leaves room for the edge labels
ROW_HEIGHT = 100.0


def layered_positions(
    node_ids: Iterable[str], edges: Iterable[tuple[str, str]], origin: tuple[float, float] = (0.0, 0.0)
) -> dict[str, tuple[float, float]]:
    """Position of each node: its layer is its longest distance from a node with no incoming edge."""
    order = list(node_ids)
    links = [(s, t) for s, t in edges if s in order and t in order]
    predecessors: dict[str, list[str]] = {node: [] for node in order}
    successors: dict[str, list[str]] = {node: [] for node in order}
    for source, target in links:
        predecessors[target].append(source)
        successors[source].append(target)

    # longest-path layering in topological order (Kahn); a cycle's leftovers go last rather than hang
    layer = {node: 0 for node in order}
    waiting = {node: len(predecessors[node]) for node in order}
    ready = [node for node in order if waiting[node] == 0]
    seen: list[str] = []
    while ready:
        node = ready.pop(0)
        seen.append(node)
        for following in successors[node]:
            layer[following] = max(layer[following], layer[node] + 1)
            waiting[following] -= 1
            if waiting[following] == 0:
                ready.append(following)
    for node in order:
        if node not in seen:
            layer[node] = max(layer.values(), default=0) + 1

    columns: dict[int, list[str]] = {}
    for node in order:
        columns.setdefault(layer[node], []).append(node)
    # two barycentre sweeps: each node sits near the mean row of its predecessors, then its successors
    rows = {node: float(index) for nodes in columns.values() for index, node in enumerate(nodes)}
    for neighbours in (predecessors, successors):
        for number in sorted(columns, reverse=neighbours is successors):
            nodes = columns[number]
            nodes.sort(key=lambda n: (sum(rows[m] for m in neighbours[n]) / len(neighbours[n]))
                       if neighbours[n] else rows[n])
            for index, node in enumerate(nodes):
                rows[node] = float(index)

    tallest = max((len(nodes) for nodes in columns.values()), default=0)
    positions: dict[str, tuple[float, float]] = {}
    for number, nodes in columns.items():
        offset = (tallest - len(nodes)) * ROW_HEIGHT / 2
        for index, node in enumerate(nodes):
            positions[node] = (origin[0] + number * COLUMN_WIDTH, origin[1] + offset + index * ROW_HEIGHT)
    return positions
