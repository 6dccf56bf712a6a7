"""Load a 200-node workflow into the canvas and pan across it.

Prints the time to load it (model, items, fit, first frame) and the frame time while panning, zoomed to
fit and at 100 %. Targets: load ≤ 500 ms, ≤ 16 ms per frame.

    ./dev bench canvas [--nodes 200] [--frames 120]
    xvfb-run -a env QT_QPA_PLATFORM=xcb .venv/bin/python bench/canvas.py   # the real platform
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TYPES = ("BASH", "PYTHON", "NODEJS", "HTTP_REQUEST", "TOOL_ACTION")
EDGE_TYPES = ("ON_SUCCESS", "ALWAYS", "ON_FAILURE", "ON_CONDITION")


def workflow(count: int) -> dict[str, Any]:
    """Layers of 20 nodes; each node leads to one or two nodes of the next layer."""
    per_layer = 20
    nodes = [{"id": f"n{i}", "event": f"Event {i % 40}", "label": f"Step {i}",
              "x": (i // per_layer) * 300.0, "y": (i % per_layer) * 110.0} for i in range(count)]
    edges = []
    for i in range(count - per_layer):
        edges.append({"from": f"n{i}", "to": f"n{i + per_layer}", "type": EDGE_TYPES[i % 4]})
        if i % 3 == 0 and (i + 1) % per_layer:
            edges.append({"from": f"n{i}", "to": f"n{i + per_layer + 1}", "type": "ALWAYS"})
    return {"name": "Big", "trigger": "MANUAL", "schedule": None, "description": "", "nodes": nodes, "edges": edges}


def main(count: int, frames: int) -> None:
    from cronium_desktop.ui import theme
    from cronium_desktop.ui.workflows.mime import EventInfo
    from cronium_desktop.ui.workflows.model import WorkflowModel
    from cronium_desktop.ui.workflows.scene import WorkflowScene
    from cronium_desktop.ui.workflows.view import WorkflowView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, "light")
    model, stack = WorkflowModel(), QUndoStack()
    scene = WorkflowScene(model, stack)
    scene.set_events([EventInfo(i, f"Event {i}", TYPES[i % 5], ("SUCCESS", "FAILURE", None)[i % 3]) for i in range(40)])
    view = WorkflowView(scene)
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    data = workflow(count)

    started = time.perf_counter()
    model.load(data)
    view.fit_to_view()
    view.viewport().repaint()
    load_ms = (time.perf_counter() - started) * 1000
    print(f"platform: {app.platformName()}; {len(model.nodes)} nodes, {len(model.edges)} edges")
    print(f"load (model + items + fit + first frame): {load_ms:.0f} ms (target ≤ 500 ms)")

    for zoom_name, zoom in (("fit", None), ("100 %", 1.0)):
        if zoom is not None:
            view.set_zoom(zoom)
            view.centerOn(scene.node_items["n0"])
        app.processEvents()
        for how in ("as Qt paints it", "full redraw"):
            times = []
            for frame in range(frames):
                step = 12 if (frame // 40) % 2 == 0 else -12
                begin = time.perf_counter()
                view.pan_by(step, step / 3)
                if how == "full redraw":  # the worst case: every pixel of the viewport painted again
                    view.viewport().repaint()
                app.processEvents()
                times.append((time.perf_counter() - begin) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"pan at {zoom_name} (zoom {view.zoom():.2f}), {how}: median {statistics.median(times):.1f} ms, "
                  f"p95 {p95:.1f} ms, worst {times[-1]:.1f} ms per frame (target ≤ 16 ms)")

    begin = time.perf_counter()
    scene.set_node_state("n0", "RUNNING")
    for node_id in list(model.nodes)[1:100]:
        scene.set_node_state(node_id, "SUCCESS")
    view.viewport().repaint()
    print(f"colour 100 nodes by state and redraw: {(time.perf_counter() - begin) * 1000:.0f} ms")
    scene.set_node_state("n0", None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--frames", type=int, default=120)
    arguments = parser.parse_args()
    main(arguments.nodes, arguments.frames)
