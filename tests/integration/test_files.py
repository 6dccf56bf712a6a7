"""`.cronium.json` import and export (SPEC §8): strict, all or nothing, no secrets."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.tools.base import ToolError
from tests.conftest import TEST_PASSPHRASE

DOCUMENT: dict[str, Any] = {
    "format": "cronium-desktop",
    "version": 1,
    "events": [
        {
            "key": "extract",
            "name": "Extract",
            "type": "PYTHON",
            "content": "import cronium\ncronium.output({'rows': 3})\n",
            "trigger": "MANUAL",
            "schedule": None,
            "timezone": None,
            "run_location": "LOCAL",
            "servers": [],
            "timeout_seconds": 60,
            "retries": 0,
            "env": {"MODE": "fast", "TOKEN": ""},
            "secret_env": ["TOKEN"],
            "tags": ["etl"],
            "conditional_actions": [{"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "load"}],
        },
        {
            "key": "load",
            "name": "Load",
            "type": "BASH",
            "content": "source cronium.sh\necho \"loaded $(cronium_input)\"\n",
            "trigger": "SCHEDULE",
            "schedule": {"every": 15, "unit": "MINUTES"},
            "timezone": "Europe/Berlin",
            "status": "ACTIVE",
            "priority": "HIGH",
            "overlap": "QUEUE",
            "misfire": "SKIP",
            "max_executions": 10,
            "retry_backoff_seconds": 2,
            "start_time": "2026-01-01T00:00:00+00:00",
            "run_location": "LOCAL",
            "servers": [],
            "timeout_seconds": 30,
            "retries": 2,
            "env": {},
            "tags": [],
            "conditional_actions": [],
        },
    ],
}


def document(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DOCUMENT)
    data.update(changes)
    return data


async def test_import_creates_events_with_every_field(engine: Engine) -> None:
    report = await engine.files.import_data(document())
    assert report.created == ["Extract", "Load"]
    assert report.missing_secrets == ["event 'Extract': env TOKEN"]
    load = await engine.events.get("Load")
    assert load["schedule"] == {"every": 15, "unit": "MINUTES"}
    assert (load["priority"], load["overlap"], load["misfire"], load["max_executions"]) == ("HIGH", "QUEUE", "SKIP", 10)
    assert load["start_time"] == "2026-01-01T00:00:00+00:00"
    extract = await engine.events.get("Extract")
    assert extract["conditional_actions"] == [{"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "Load"}]


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d.update(extra=1), "extra", "unknown key"),
        (lambda d: d.update(format="other"), "format", "not a Cronium Desktop file"),
        (lambda d: d["events"][1].update(colour="red"), "events[1] ('load').colour", "unknown key"),
        (lambda d: d["events"][1].update(type="PERL"), "events[1] ('load').type", "BASH"),
        (lambda d: d["events"][1].update(schedule={"cron": "99 * * * *"}), "events[1] ('load').schedule.cron", "does not parse"),
        (lambda d: d["events"][1].update(retries=11), "events[1] ('load').retries", "between 0 and 10"),
        (lambda d: d["events"][1].update(timezone="Nowhere/City"), "events[1] ('load').timezone", "unknown timezone"),
        (lambda d: d["events"][1].update(key="extract"), "events[1] ('extract').key", "two events"),
        (lambda d: d["events"][1].update(name="extract"), "events[1] ('load').name", "twice"),
        (lambda d: d["events"][0]["conditional_actions"][0].update(event="nowhere"),
         "events[0] ('extract').conditional_actions[0].event", "nowhere"),
        (lambda d: d["events"][1].update(run_location="REMOTE", servers=["db1"]), "events[1] ('load').servers", "db1"),
        (lambda d: d["events"][1].update(timeout=30), "events[1] ('load').timeout", "did you mean 'timeout_seconds'?"),
        (lambda d: d.update(event=[]), "event", "did you mean 'events'?"),
        (lambda d: d["events"][0].update(key=None, colour="red"), "events[0] ('Extract').colour", "unknown key"),
        (lambda d: d["events"].append(5), "events[2]", "must be an object"),
        (lambda d: d.pop("version"), "version", "is missing"),
        (lambda d: d.update(tools=[{"name": "ops", "type": "irc", "config": {}}]), "tools[0] ('ops').type", "slack"),
        (lambda d: d.update(tools=[{"name": "ops", "type": "slack", "config": {"url": "ftp://x"}}]),
         "tools[0] ('ops').config.url", "http"),
    ],
)
async def test_one_bad_item_refuses_the_whole_file(engine: Engine, mutate: Any, field: str, words: str) -> None:
    data = document()
    mutate(data)
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(data)
    assert caught.value.field == field
    assert words in caught.value.message
    assert await engine.events.list() == []  # nothing half-written


async def test_newer_version_is_refused_naming_both_versions(engine: Engine) -> None:
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(document(version=2))
    assert "version 2" in str(caught.value) and "version 1" in str(caught.value)


async def test_existing_name_fails_unless_replaced(engine: Engine) -> None:
    await engine.files.import_data(document())
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(document())
    assert "--replace" in caught.value.message
    changed = document()
    changed["events"][1]["retries"] = 5
    report = await engine.files.import_data(changed, replace=True)
    assert report.replaced == ["Extract", "Load"]
    assert (await engine.events.get("Load"))["retries"] == 5
    assert len(await engine.events.list()) == 2


async def test_export_then_import_on_a_second_data_folder_round_trips(engine: Engine, tmp_path: Path) -> None:
    await engine.files.import_data(document())
    extract_id = (await engine.events.get("Extract"))["id"]
    await engine.events.update(extract_id, {**(await engine.events.get("Extract")), "env": {"MODE": "fast", "TOKEN": "s3cr3t-token"}})
    path = tmp_path / "etl.cronium.json"
    await engine.files.export_events(["Extract", "Load"], path)
    text = path.read_text()
    assert "s3cr3t-token" not in text
    exported = json.loads(text)
    assert exported["events"][0]["env"]["TOKEN"] == ""
    assert exported["events"][0]["conditional_actions"] == [{"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "load"}]

    second = Engine(tmp_path / "other", passphrase=TEST_PASSPHRASE)
    await second.start()
    try:
        report = await second.files.import_file(path)
        assert report.missing_secrets == ["event 'Extract': env TOKEN"]
        for name in ("Extract", "Load"):
            mine = {k: v for k, v in (await engine.events.get(name)).items() if k != "id"}
            theirs = {k: v for k, v in (await second.events.get(name)).items() if k != "id"}
            assert mine == theirs
        run = await second.runs.wait(await second.runs.start("Extract"))
        assert run.output == {"rows": 3}
        await second.runs.idle()
        assert [r.event for r in await second.runs.list()] == ["Load", "Extract"]
    finally:
        await second.stop()


async def test_unreadable_and_invalid_json_files_are_reported(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        await engine.files.import_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        await engine.files.import_file(broken)


async def test_a_file_with_a_key_twice_is_refused_and_a_byte_order_mark_is_fine(engine: Engine, tmp_path: Path) -> None:
    twice = tmp_path / "twice.cronium.json"
    twice.write_text('{"format": "cronium-desktop", "version": 1, "version": 2, "events": []}')
    with pytest.raises(ValidationError, match="'version' twice"):
        await engine.files.import_file(twice)
    marked = tmp_path / "notepad.cronium.json"
    marked.write_bytes(b"\xef\xbb\xbf" + json.dumps(document()).encode())
    assert (await engine.files.import_file(marked)).created == ["Extract", "Load"]


async def test_an_existing_workflow_name_says_how_to_replace_it(engine: Engine) -> None:
    workflow = {"name": "Publish", "nodes": [{"id": "n1", "event": "extract"}], "edges": []}
    await engine.files.import_data(document(workflow=workflow))
    renamed = document(workflow=workflow)
    for event in renamed["events"]:
        event["name"] += " v2"
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(renamed)
    assert caught.value.field == "workflow.name"
    assert "--replace" in caught.value.message
    assert {e.name for e in await engine.events.list()} == {"Extract", "Load"}
    assert (await engine.files.import_data(renamed, replace=True)).workflow_replaced


async def test_export_takes_the_events_that_actions_run_and_each_event_once(engine: Engine, tmp_path: Path) -> None:
    await engine.files.import_data(document())
    path = tmp_path / "extract.cronium.json"
    exported = await engine.files.export_events(["Extract", "extract"], path)
    assert [e["name"] for e in exported["events"]] == ["Extract", "Load"]  # Load: Extract's ON_SUCCESS action
    second = Engine(tmp_path / "other", passphrase=TEST_PASSPHRASE)
    await second.start()
    try:
        assert (await second.files.import_file(path)).created == ["Extract", "Load"]
        assert (await second.events.get("Extract"))["conditional_actions"][0]["event"] == "Load"
    finally:
        await second.stop()


async def test_export_to_a_missing_folder_names_the_file_and_leaves_nothing(engine: Engine, tmp_path: Path) -> None:
    await engine.files.import_data(document())
    target = tmp_path / "no-such-folder" / "out.cronium.json"
    with pytest.raises(ValidationError) as caught:
        await engine.files.export_events(["Load"], target)
    assert caught.value.field == "file"
    assert str(target) in caught.value.message and ".tmp" not in caught.value.message
    with pytest.raises(ValidationError, match="it is a folder"):
        await engine.files.export_events(["Load"], tmp_path)
    assert list(tmp_path.parent.glob("*.tmp")) == []


async def test_tool_credentials_travel_by_name_and_type_without_their_settings(engine: Engine, tmp_path: Path) -> None:
    secret_url = "http://127.0.0.1:9/services/T0/B0/s3cr3tHookToken"
    await engine.tools.add("ops-slack", "slack", {"url": secret_url})
    await engine.events.create({
        "name": "Ping", "type": "TOOL_ACTION",
        "tool_action": {"tool": "ops-slack", "action": "send_message", "params": {"body": "hi"}},
    })
    await engine.events.create({
        "name": "Job", "type": "BASH", "content": "true",
        "conditional_actions": [{"on": "ALWAYS", "action": "SEND_MESSAGE", "tool": "ops-slack", "subject": "s", "body": "b"}],
    })
    path = tmp_path / "tools.cronium.json"
    await engine.files.export_events(["Ping", "Job"], path)
    assert "s3cr3tHookToken" not in path.read_text()
    assert json.loads(path.read_text())["tools"] == [{"name": "ops-slack", "type": "slack", "config": {}}]

    second = Engine(tmp_path / "other", passphrase=TEST_PASSPHRASE)
    await second.start()
    try:
        report = await second.files.import_file(path)
        assert report.created == ["Ping", "Job"] and report.created_tools == ["ops-slack"]
        assert report.missing_secrets == ["tool 'ops-slack': settings"]
        assert any("'ops-slack' (slack) has no settings" in line and "tool add" in line for line in report.lines())
        assert (await second.tools.get("ops-slack")).type == "slack"
        with pytest.raises(ToolError, match="no stored settings"):
            await second.tools.load("ops-slack")
        # Once its settings are entered, importing the file again keeps them and says nothing of them.
        await second.tools.update("ops-slack", config={"url": secret_url})
        again = await second.files.import_file(path, replace=True)
        assert again.missing_secrets == [] and (await second.tools.load("ops-slack")).config["url"] == secret_url
    finally:
        await second.stop()


async def test_a_tool_of_another_type_with_the_same_name_refuses_the_file(engine: Engine) -> None:
    await engine.tools.add("ops", "discord", {"url": "http://127.0.0.1:9/api/webhooks/1/x"})
    data = document(tools=[{"name": "ops", "type": "slack", "config": {}}])
    with pytest.raises(ValidationError) as caught:
        await engine.files.import_data(data)
    assert caught.value.field == "tools[0] ('ops').type"
    assert "discord" in caught.value.message
    assert await engine.events.list() == []
