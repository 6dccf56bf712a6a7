"""Screenshots of the workflow canvas, saved to test-artifacts/screenshots/ to be looked at.

`./dev screenshots` takes them on a virtual X screen (Xvfb, the xcb platform); the suite takes them offscreen.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from cronium_desktop.ui.workflows.layout import layered_positions  # noqa: E402
from tests.ui.conftest import SCREENSHOTS, run, wait_until  # noqa: E402
from tests.ui.test_canvas_page import page  # noqa: E402,F401  (the fixture)

STEPS = [("Fetch orders", "HTTP_REQUEST"), ("Validate", "PYTHON"), ("Enrich customers", "PYTHON"),
         ("Currency rates", "HTTP_REQUEST"), ("Build report", "NODEJS"), ("Archive raw", "BASH"),
         ("Publish dashboard", "NODEJS"), ("Notify team", "TOOL_ACTION"), ("Page on-call", "TOOL_ACTION"),
         ("Cleanup temp", "BASH")]
EDGES = [(0, 1, "ON_SUCCESS"), (0, 3, "ALWAYS"), (1, 2, "ON_SUCCESS"), (1, 8, "ON_FAILURE"), (2, 4, "ON_SUCCESS"),
         (3, 4, "ON_SUCCESS"), (4, 5, "ALWAYS"), (4, 6, "ON_CONDITION"), (6, 7, "ON_SUCCESS"), (5, 9, "ALWAYS")]


def create_events(engine: Any, loop: Any) -> None:
    for name, kind in STEPS:
        event: dict[str, Any] = {"name": name, "type": kind}
        if kind == "HTTP_REQUEST":
            event.update(type="BASH", content="echo fetching; sleep 0.3")  # no network here: a script stands in
        elif kind == "TOOL_ACTION":
            event.update(type="BASH", content="echo sent")
        elif kind == "PYTHON":
            event["content"] = "import time, cronium\ntime.sleep(0.3)\ncronium.output({'ok': True})\ncronium.setCondition(True)"
        elif kind == "NODEJS":
            event["content"] = "setTimeout(() => console.log('built'), 4000)" if name == "Build report" else "console.log(1)"
        else:
            event["content"] = "echo done"
        run(loop, engine.events.create(event))


def ten_nodes() -> dict[str, Any]:
    ids = [f"n{i + 1}" for i in range(len(STEPS))]
    positions = layered_positions(ids, [(ids[a], ids[b]) for a, b, _ in EDGES])
    return {"name": "Nightly sales pipeline", "trigger": "SCHEDULE", "schedule": {"cron": "30 2 * * *"},
            "description": "Fetch, check and publish the day's sales; tell the team.",
            "nodes": [{"id": ids[i], "event": name, "label": name, "x": positions[ids[i]][0], "y": positions[ids[i]][1]}
                      for i, (name, _) in enumerate(STEPS)],
            "edges": [{"from": ids[a], "to": ids[b], "type": kind} for a, b, kind in EDGES]}


async def settle() -> None:
    await asyncio.sleep(0.4)


@pytest.fixture(autouse=True)
def light_theme(qapp: Any) -> None:
    from cronium_desktop.ui import theme

    theme.apply(qapp, "light")  # before the page is built, as the app does


def test_screenshots_of_the_canvas(page: Any, loop: Any) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.resize(1600, 900)
    page.new_workflow()
    run(loop, settle())
    assert page.grab().save(str(SCREENSHOTS / "canvas-empty.png"))

    create_events(page.engine, loop)
    workflow_id = run(loop, page.engine.workflows.save(ten_nodes()))
    page.refresh()
    wait_until(loop, lambda: page.table.rowCount() == 1 and page.library.model.rowCount() == 15)
    run(loop, page.open_workflow(workflow_id))
    run(loop, settle())
    page.view.fit_to_view()
    run(loop, settle())
    assert page.grab().save(str(SCREENSHOTS / "canvas-10-nodes.png"))

    page.run()
    wait_until(loop, lambda: page.scene.node_state("n5") == "RUNNING", timeout=20)
    page.scene.nodeActivated.emit("n2")
    wait_until(loop, lambda: page.run_panel.output.toPlainText() != "")
    run(loop, settle())
    assert page.grab().save(str(SCREENSHOTS / "canvas-run.png"))
    page.view.set_zoom(1.0)
    page.view.centerOn(page.scene.node_items["n5"])
    run(loop, settle())
    assert page.view.grab().save(str(SCREENSHOTS / "canvas-run-100-percent.png"))
    page.cancel()
    wait_until(loop, lambda: page.run_status not in (None, "RUNNING"), timeout=20)


def test_screenshot_of_the_canvas_in_the_dark_theme(page: Any, loop: Any, qapp: Any) -> None:  # noqa: F811
    from cronium_desktop.ui import theme
    from cronium_desktop.ui.workflows.page import WorkflowsPage

    create_events(page.engine, loop)
    run(loop, page.engine.workflows.save(ten_nodes()))
    theme.apply(qapp, "dark")
    dark = WorkflowsPage(page.engine)
    try:
        dark.resize(1600, 900)
        dark.show()
        dark.refresh()
        wait_until(loop, lambda: dark.workflow_id is not None and dark.library.model.rowCount() == 15)
        run(loop, settle())
        dark.view.set_zoom(0.9)
        dark.view.centerOn(dark.scene.node_items["n3"])
        dark.scene.node_items["n2"].setSelected(True)
        run(loop, settle())
        assert dark.grab().save(str(SCREENSHOTS / "canvas-dark.png"))
    finally:
        theme.apply(qapp, "light")
        dark.close()
        dark.deleteLater()
