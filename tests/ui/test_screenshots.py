"""Screenshots of every view with realistic data, saved to test-artifacts/screenshots/ to be looked at.

`./dev screenshots` takes them on a virtual X screen (Xvfb, the xcb platform); the suite takes them offscreen.
"""

from __future__ import annotations

from typing import Any

from tests.fixtures.servers import add_key_server
from tests.fixtures.sshd import SshServer, sshd  # noqa: F401
from tests.ui.conftest import SCREENSHOTS, run, wait_until

EVENTS = [
    {"name": "Nightly backup", "type": "BASH", "content": "echo archiving\nfor i in $(seq 1 40); do echo \"copied file $i\"; done\necho 'disk almost full' >&2",
     "tags": ["backup", "nightly"], "status": "ACTIVE", "trigger": "SCHEDULE", "schedule": {"cron": "30 2 * * *"},
     "timezone": "Europe/Berlin"},
    {"name": "Sales report", "type": "PYTHON", "content": "import cronium\nprint('rows: 1280')\ncronium.output({'rows': 1280, 'regions': {'eu': 700, 'us': 580}})",
     "tags": ["reports"], "status": "ACTIVE", "trigger": "SCHEDULE", "schedule": {"cron": "0 9 * * 1-5"}},
    {"name": "Health ping", "type": "NODEJS", "content": "console.log('pong')", "tags": ["monitoring"],
     "status": "ACTIVE", "trigger": "SCHEDULE", "schedule": {"every": 15, "unit": "MINUTES"}},
    {"name": "Flaky import", "type": "BASH", "content": "echo importing; exit 3", "tags": ["etl"]},
    {"name": "Cleanup temp", "type": "BASH", "content": "true", "status": "PAUSED"},
]


def test_screenshots_of_every_view(application: Any, loop: Any, sshd: SshServer) -> None:  # noqa: F811
    engine, window = application.engine, application.window
    run(loop, add_key_server(engine.servers, sshd, name="build-box"))
    run(loop, engine.tools.add("ops-slack", "slack", {"url": "http://127.0.0.1:9/hooks/ops"}))
    for event in EVENTS:
        run(loop, engine.events.create(event))
    for name in ("Nightly backup", "Sales report", "Flaky import", "Sales report", "Health ping"):
        run(loop, engine.runs.wait(run(loop, engine.runs.start(name))))
    run(loop, engine.variables.set("API_TOKEN", "secret-token-value", secret=True))
    run(loop, engine.variables.set("last_region", "eu-west-1"))
    run(loop, engine.workflows.save({"name": "Daily ETL", "description": "Extract, report, clean up.",
                                     "nodes": [{"id": "a", "event": "Sales report", "label": "Report"},
                                               {"id": "b", "event": "Cleanup temp", "label": "Cleanup"}],
                                     "edges": [{"from": "a", "to": "b", "type": "ON_SUCCESS"}]}))
    window.resize(1280, 800)
    window.show()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in window.pages:
        window.open_page(name)
        page = window.pages[name]
        if name == "Runs":
            wait_until(loop, lambda page=page: page.model.rowCount() >= 5)
            page.table.selectRow(1)
            wait_until(loop, lambda page=page: page.log.model.rowCount() > 0)
        if name == "Workflows":
            wait_until(loop, lambda page=page: page.table.rowCount() == 1)
            page.table.selectRow(0)
        run(loop, _settle())
        path = SCREENSHOTS / f"{name.lower()}.png"
        assert window.grab().save(str(path))
        assert path.stat().st_size > 10_000
    # A run on two servers, one of which fails: the Runs view's per-server results.
    run(loop, add_key_server(engine.servers, sshd, name="db-box"))
    script = ("source cronium.sh\n"
              "if cronium_event | grep -q '\"server\": \"db-box\"'; then echo 'disk 97% full' >&2; exit 1; fi\n"
              "echo 'disk 41% used'")
    run(loop, engine.events.create({"name": "Disk check", "type": "BASH", "content": script,
                                    "run_location": "REMOTE", "servers": ["build-box", "db-box"]}))
    multi = run(loop, engine.runs.wait(run(loop, engine.runs.start("Disk check"))))
    assert multi.status == "PARTIAL"
    window.open_page("Runs")
    runs_page = window.pages["Runs"]
    wait_until(loop, lambda: runs_page.model.rowCount() >= 6)
    runs_page.table.selectRow(0)
    wait_until(loop, lambda: runs_page.servers_model.rowCount() == 2)
    runs_page.details.setCurrentIndex(2)
    run(loop, _settle())
    assert window.grab().save(str(SCREENSHOTS / "runs-multi-server.png"))
    runs_page.details.setCurrentIndex(0)
    run(loop, _settle())
    assert window.grab().save(str(SCREENSHOTS / "runs-multi-server-log.png"))

    from cronium_desktop.ui.events.editor import EventEditor

    data = run(loop, engine.events.get("Sales report"))
    editor = EventEditor(engine, data, window)
    editor.show()
    run(loop, _settle())
    assert editor.grab().save(str(SCREENSHOTS / "event-editor.png"))
    editor.tabs.setCurrentIndex(1)
    run(loop, _settle())
    assert editor.grab().save(str(SCREENSHOTS / "event-editor-script.png"))
    editor.reject()


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.4)
