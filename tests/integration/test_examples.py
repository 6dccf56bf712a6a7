"""Every example in examples/ imports on a fresh data folder and runs end to end against local
stand-ins: an HTTP server on 127.0.0.1 for the APIs, webhooks and Slack, the loopback sshd for servers."""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.event_fields import FACADE_KEYS as FACADE_EVENT_KEYS
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.sshd import SshServer, sshd_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import wire_tools

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.timeout(180)


async def change(engine: Engine, name: str, **changes: Any) -> None:
    """Point an imported event at the stand-ins, as a user would in the editor."""
    event = await engine.events.get(name)
    data = {key: value for key, value in event.items() if key in FACADE_EVENT_KEYS}
    data.update(changes)
    await engine.events.update(event["id"], data)


async def run(engine: Engine, name: str, input: Any = None) -> tuple[Any, list[str]]:
    execution_id = await engine.runs.start((await engine.events.get(name))["id"], input=input)
    summary = await engine.runs.wait(execution_id, timeout=120)
    await engine.runs.idle()
    return summary, [line.text for line in await engine.runs.log(execution_id)]


def test_the_index_describes_every_example_in_one_line() -> None:
    index = json.loads((EXAMPLES / "index.json").read_text())["examples"]
    assert sorted(item["file"] for item in index) == sorted(path.name for path in EXAMPLES.glob("*.cronium.json"))
    for item in index:
        assert item["title"] and item["description"] and "\n" not in item["description"]


async def test_every_example_imports_on_a_fresh_install(engine: Engine) -> None:
    for path in sorted(EXAMPLES.glob("*.cronium.json")):
        await engine.files.import_file(path)
    names = {event.name for event in await engine.events.list()}
    assert {"Nightly backup", "API sync", "Health check", "Draft article", "Record publication"} <= names


@pytest.mark.parametrize("kind", ["folder", "sqlite"])
async def test_nightly_backup_backs_up_and_rotates(engine: Engine, tmp_path: Path, kind: str) -> None:
    await engine.files.import_file(EXAMPLES / "nightly-backup.cronium.json")
    if kind == "folder":
        source = tmp_path / "documents"
        source.mkdir()
        (source / "notes.txt").write_text("keep me")
    else:
        source = tmp_path / "app.db"
        with sqlite3.connect(source) as db:
            db.execute("create table notes (text)")
            db.execute("insert into notes values ('keep me')")
    backups = tmp_path / "backups"
    await change(engine, "Nightly backup", env={"BACKUP_SOURCE": str(source), "BACKUP_DIR": str(backups),
                                                "BACKUP_KEEP": "2"})
    outputs = []
    for _ in range(3):
        summary, lines = await run(engine, "Nightly backup")
        assert summary.status == "SUCCESS", lines
        outputs.append(summary.output)
        await asyncio.sleep(1.1)  # backups are named to the second
    assert len(list(backups.glob("backup-*"))) == 2
    assert outputs[-1]["removed"] == 1
    latest = Path(outputs[-1]["backup_file"])
    if kind == "folder":
        with tarfile.open(latest) as archive:
            assert archive.extractfile("documents/notes.txt").read() == b"keep me"  # type: ignore[union-attr]
    else:
        copy = tmp_path / "restored.db"
        copy.write_bytes(gzip.decompress(latest.read_bytes()))
        with sqlite3.connect(copy) as db:
            assert db.execute("select text from notes").fetchall() == [("keep me",)]


async def test_api_sync_copies_new_records_with_retries_and_remembers_where_it_stopped(
    engine: Engine, http_server: RecordingServer
) -> None:
    await engine.files.import_file(EXAMPLES / "api-sync.cronium.json")
    failures = {"left": 1}

    async def source(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.json_response({"error": "busy"}, status=503)
        since = int(request.query.get("since", "0"))
        return web.json_response([{"id": n, "title": f"record {n}"} for n in (1, 2, 3) if n > since])

    http_server.reply("/target/records", body={"stored": True})
    app = web.Application()
    app.router.add_get("/source/records", source)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await engine.variables.set("sync_source_url", f"http://127.0.0.1:{port}/source/records")
        await engine.variables.set("sync_target_url", http_server.url("/target/records"))
        await engine.variables.set("sync_api_key", "k-123-secret", secret=True)
        summary, lines = await run(engine, "API sync")
        assert summary.status == "SUCCESS", lines
        assert summary.output == {"synced": 3, "last_id": "3"}
        assert any("trying again" in line for line in lines)
        posted = [r for r in http_server.requests if r.path == "/target/records"]
        assert [r.json()["id"] for r in posted] == [1, 2, 3]
        assert posted[0].headers["Authorization"] == "Bearer k-123-secret"
        summary, _ = await run(engine, "API sync")
        assert summary.output == {"synced": 0, "last_id": "3"}
    finally:
        await runner.cleanup()


async def test_api_sync_without_its_variables_says_which_to_set(engine: Engine) -> None:
    await engine.files.import_file(EXAMPLES / "api-sync.cronium.json")
    await change(engine, "API sync", retries=0)  # its retries would only wait to say the same
    summary, lines = await run(engine, "API sync")
    assert summary.status == "FAILURE"
    assert any("Set the variables sync_source_url and sync_target_url" in line for line in lines)


async def test_health_monitor_alerts_from_a_server_over_ssh(
    engine: Engine, http_server: RecordingServer, sshd: SshServer
) -> None:
    tools = wire_tools(engine)
    await engine.files.import_file(EXAMPLES / "health-monitor.cronium.json")
    await tools.update("ops-alerts", config={"url": http_server.reply("/slack/alerts")})
    await engine.servers.add("web-1", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                             key_path=str(sshd.key_path), verify=True, accept_host_key=True)
    await change(engine, "Health check", run_location="REMOTE", servers=["web-1"],
                 env={"DISK_MAX_PERCENT": "0", "MEMORY_MAX_PERCENT": "100", "LOAD_MAX_PER_CPU": "1000"})
    summary, lines = await run(engine, "Health check")
    assert summary.status == "SUCCESS", lines
    assert summary.output["host"] == "web-1" and summary.output["status"] == "ALERT"
    [alert] = [r.json() for r in http_server.requests if r.path == "/slack/alerts"]
    assert "web-1: disk" in json.dumps(alert)
    assert (await engine.variables.get("health_last_status")).value == "SUCCESS: ALERT"

    await change(engine, "Health check", run_location="LOCAL", servers=[],
                 env={"DISK_MAX_PERCENT": "100", "MEMORY_MAX_PERCENT": "100", "LOAD_MAX_PER_CPU": "1000"})
    summary, _ = await run(engine, "Health check")
    assert summary.output["status"] == "OK"
    assert len([r for r in http_server.requests if r.path == "/slack/alerts"]) == 1  # no alert when all is well
    assert (await engine.variables.get("health_last_status")).value == "SUCCESS: OK"


async def test_content_publishing_workflow_runs_every_step(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    await engine.files.import_file(EXAMPLES / "content-publishing.cronium.json")
    await tools.update("team-chat", config={"url": http_server.reply("/slack/team")})
    event = await engine.events.get("Publish to site")
    await change(engine, "Publish to site", http={**event["http"], "url": http_server.reply("/hooks/publish")})
    assert engine.workflows is not None
    run_id = await engine.workflows.run("Content publishing", input={"title": "Hello World", "body": "First post."})
    result = await engine.workflows.wait(run_id, timeout=120)
    await engine.runs.idle()
    assert result.status == "SUCCESS", result
    assert [r.path for r in http_server.requests] == ["/hooks/publish", "/slack/team"]
    assert "A new article is live" in http_server.requests[1].body.decode()
    assert (await engine.variables.get("last_published")).value.startswith("hello-world at ")
