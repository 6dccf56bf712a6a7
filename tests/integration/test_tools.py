"""Tool credentials, webhook tools' exact payloads, TOOL_ACTION events and SEND_MESSAGE actions,
against a real HTTP server on 127.0.0.1 (SPEC §1, §4, §9)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.notices import Notice, ToolsChanged
from cronium_desktop.engine.tools.base import ToolError
from cronium_desktop.engine.tools.service import ToolService, config_owner
from tests.conftest import Cli
from tests.fixtures.http_server import RecordingServer, closed_port, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import engine_context_fixture, tool_service_fixture, wire_tools  # noqa: F401 - fixtures

SECRET_PATH = "/services/T000/B000/XyZsecretTokenXyZ"


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not become true in time")


def raw_database_text(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "cronium.db") as connection:
        rows = [row for table in ("tools", "secrets") for row in connection.execute(f"SELECT * FROM {table}")]
    return repr(rows)


# -- credentials ----------------------------------------------------------------------------------------


async def test_config_is_stored_only_as_an_encrypted_secret(
    tool_service: ToolService, engine_context: EngineContext, data_dir: Path
) -> None:
    url = f"https://hooks.slack.com{SECRET_PATH}"
    tool_id = await tool_service.add("ops-slack", "slack", {"url": url})
    info = await tool_service.get("OPS-SLACK")
    assert (info.id, info.name, info.type) == (tool_id, "ops-slack", "slack")
    assert await tool_service.get_config(tool_id) == {"url": url}
    with engine_context.db.read() as session:
        assert engine_context.secrets.owners(session, "tool:") == [config_owner(tool_id)]
    assert "XyZsecretTokenXyZ" not in raw_database_text(data_dir)


async def test_tools_are_listed_by_name_and_changes_are_announced(
    tool_service: ToolService, engine_context: EngineContext
) -> None:
    seen: list[Notice] = []
    engine_context.bus.subscribe(seen.append)
    await tool_service.add("zeta", "webhook", {"url": "https://example.com/z"})
    await tool_service.add("Alpha", "discord", {"url": "https://discord.com/api/webhooks/1/abc"})
    assert [tool.name for tool in await tool_service.list()] == ["Alpha", "zeta"]
    assert [type(notice) for notice in seen] == [ToolsChanged, ToolsChanged]


async def test_duplicate_name_is_refused_case_insensitively(tool_service: ToolService) -> None:
    await tool_service.add("Ops", "slack", {"url": "https://hooks.slack.com/a"})
    with pytest.raises(ValidationError) as caught:
        await tool_service.add("ops", "teams", {"url": "https://example.com/b"})
    assert caught.value.field == "name"
    assert len(await tool_service.list()) == 1


@pytest.mark.parametrize(
    ("tool_type", "config", "field"),
    [
        ("sms", {"url": "https://example.com"}, "type"),
        ("slack", {}, "config.url"),
        ("slack", "https://hooks.slack.com/x", "config"),
        ("discord", {"url": "discord.com/api/webhooks/1"}, "config.url"),
        ("teams", {"url": "https://example.com", "token": "x"}, "config.token"),
        ("email", {"port": 587, "from": "a@example.com"}, "config.host"),
        ("email", {"host": "smtp.example.com", "from": "not an address"}, "config.from"),
        ("email", {"host": "smtp.example.com", "from": "a@example.com", "port": 70000}, "config.port"),
    ],
)
async def test_bad_config_is_refused_naming_the_field(
    tool_service: ToolService, tool_type: str, config: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await tool_service.add("bad", tool_type, config)
    assert caught.value.field == field
    assert await tool_service.list() == []


async def test_update_replaces_config_and_rename_follows_into_events(engine: Engine) -> None:
    tools = wire_tools(engine)
    tool_id = await tools.add("old-name", "webhook", {"url": "https://example.com/a"})
    event_id = await engine.events.create(
        {"name": "Notify", "type": "TOOL_ACTION",
         "tool_action": {"tool": "old-name", "action": "post_json", "params": {"payload": {}}}}
    )
    await tools.update(tool_id, name="new-name", config={"url": "https://example.com/b"})
    assert (await tools.get(tool_id)).name == "new-name"
    assert await tools.get_config("new-name") == {"url": "https://example.com/b"}
    assert (await engine.events.get(event_id))["tool_action"]["tool"] == "new-name"


async def test_delete_removes_the_tool_and_its_secret(tool_service: ToolService, engine_context: EngineContext) -> None:
    tool_id = await tool_service.add("gone", "slack", {"url": "https://hooks.slack.com/x"})
    await tool_service.delete("gone")
    with pytest.raises(NotFound):
        await tool_service.get(tool_id)
    with engine_context.db.read() as session:
        assert engine_context.secrets.owners(session, "tool:") == []


# -- actions and their parameters -------------------------------------------------------------------------


def test_every_tool_type_declares_send_message_with_a_required_body() -> None:
    for tool_type in ("slack", "discord", "teams", "webhook", "email"):
        actions = {action["id"]: action for action in ToolService.actions(tool_type)}
        body = {p["name"]: p for p in actions["send_message"]["parameters"]}["body"]
        assert body == {"name": "body", "type": "text", "required": True, "description": body["description"]}
    webhook_actions = {action["id"]: action for action in ToolService.actions("webhook")}
    assert webhook_actions["post_json"]["parameters"][0]["name"] == "payload"
    assert webhook_actions["post_json"]["parameters"][0]["required"] is True


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("send_message", {}, "tool_action.params.body"),
        ("send_message", {"body": 5}, "tool_action.params.body"),
        ("send_message", {"body": "x", "colour": "red"}, "tool_action.params.colour"),
        ("send_message", {"body": "x", "subject": "two\nlines"}, "tool_action.params.subject"),
        ("post_json", {"payload": "not an object"}, "tool_action.params.payload"),
        ("delete_channel", {}, "tool_action.action"),
    ],
)
async def test_action_parameters_are_validated_before_the_run(
    tool_service: ToolService, action: str, params: dict[str, Any], field: str
) -> None:
    await tool_service.add("hook", "webhook", {"url": "https://example.com/hook"})
    with pytest.raises(ValidationError) as caught:
        await tool_service.validate_action("hook", action, params)
    assert caught.value.field == field


async def test_validating_an_action_of_a_missing_tool_names_the_tool_field(tool_service: ToolService) -> None:
    with pytest.raises(ValidationError) as caught:
        await tool_service.validate_action("nobody", "send_message", {"body": "x"})
    assert caught.value.field == "tool_action.tool"


# -- exact payloads ----------------------------------------------------------------------------------------


async def test_slack_message_uses_slack_incoming_webhook_format(
    tool_service: ToolService, http_server: RecordingServer
) -> None:
    url = http_server.reply(SECRET_PATH, 200, "ok")
    await tool_service.add("slack", "slack", {"url": url})
    result = await tool_service.send_message("slack", "Backup failed", "exit code 3")
    [request] = http_server.requests
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"text": "*Backup failed*\nexit code 3"}
    assert result == {"status": 200, "body": "ok"}


async def test_discord_message_uses_discord_webhook_format(
    tool_service: ToolService, http_server: RecordingServer
) -> None:
    url = http_server.reply("/api/webhooks/123/tok", 204, b"")
    await tool_service.add("discord", "discord", {"url": url})
    await tool_service.send_message("discord", "Backup failed", "exit code 3 @everyone")
    assert http_server.requests[0].json() == {
        "content": "**Backup failed**\nexit code 3 @everyone",
        "allowed_mentions": {"parse": []},
    }


async def test_discord_message_is_cut_to_discords_limit(tool_service: ToolService, http_server: RecordingServer) -> None:
    url = http_server.reply("/api/webhooks/1/t", 204, b"")
    await tool_service.add("discord", "discord", {"url": url})
    await tool_service.send_message("discord", "", "x" * 5000)
    content = http_server.requests[0].json()["content"]
    assert len(content) == 2000
    assert content.endswith("…")


async def test_teams_message_is_an_adaptive_card(tool_service: ToolService, http_server: RecordingServer) -> None:
    url = http_server.reply("/webhookb2/abc", 202, b"")
    await tool_service.add("teams", "teams", {"url": url})
    await tool_service.send_message("teams", "Backup failed", "exit code 3")
    assert http_server.requests[0].json() == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": "Backup failed", "weight": "Bolder", "size": "Medium", "wrap": True},
                        {"type": "TextBlock", "text": "exit code 3", "wrap": True},
                    ],
                },
            }
        ],
    }


async def test_webhook_send_message_and_post_json_payloads(
    tool_service: ToolService, http_server: RecordingServer
) -> None:
    url = http_server.reply("/hook", 200, {"received": True})
    await tool_service.add("hook", "webhook", {"url": url})
    await tool_service.send_message("hook", "Subject", "Body")
    result = await tool_service.run_action("hook", "post_json", {"payload": {"a": [1, 2], "b": None}})
    assert [request.json() for request in http_server.requests] == [
        {"subject": "Subject", "body": "Body"},
        {"a": [1, 2], "b": None},
    ]
    assert result == {"status": 200, "body": {"received": True}}


# -- errors keep the secret path out --------------------------------------------------------------------------


async def test_rejected_webhook_error_names_the_host_but_not_the_secret_path(
    tool_service: ToolService, http_server: RecordingServer
) -> None:
    url = http_server.reply(SECRET_PATH, 404, f"no_service for {SECRET_PATH}")
    await tool_service.add("slack", "slack", {"url": url})
    with pytest.raises(ToolError) as caught:
        await tool_service.send_message("slack", "", "hello")
    message = str(caught.value)
    assert "HTTP 404" in message
    assert f"127.0.0.1:{http_server.port}" in message
    assert "XyZsecretTokenXyZ" not in message


async def test_unreachable_webhook_error_keeps_the_secret_path_out(tool_service: ToolService) -> None:
    port = closed_port()
    await tool_service.add("teams", "teams", {"url": f"http://127.0.0.1:{port}{SECRET_PATH}"})
    with pytest.raises(ToolError) as caught:
        await tool_service.send_message("teams", "", "hello")
    assert "Connection refused" in str(caught.value)
    assert "XyZsecretTokenXyZ" not in str(caught.value)


# -- TOOL_ACTION events ---------------------------------------------------------------------------------------


async def run_tool_event(engine: Engine, tool_action: dict[str, Any]) -> tuple[Any, list[str]]:
    await engine.events.create({"name": "Notify", "type": "TOOL_ACTION", "tool_action": tool_action})
    execution_id = await engine.runs.start("Notify")
    summary = await engine.runs.wait(execution_id, timeout=30)
    return summary, [record.text for record in await engine.runs.log(execution_id)]


async def test_tool_action_event_posts_and_outputs_the_answer(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    url = http_server.reply(SECRET_PATH, 200, {"accepted": 1})
    await tools.add("hook", "webhook", {"url": url})
    summary, log = await run_tool_event(
        engine, {"tool": "hook", "action": "post_json", "params": {"payload": {"deploy": "v2"}}}
    )
    assert summary.status == "SUCCESS"
    assert summary.output == {"status": 200, "body": {"accepted": 1}}
    assert http_server.requests[0].json() == {"deploy": "v2"}
    assert not any("XyZsecretTokenXyZ" in line for line in log)


async def test_failing_tool_action_fails_the_run_without_leaking_the_url(
    engine: Engine, http_server: RecordingServer
) -> None:
    tools = wire_tools(engine)
    url = http_server.reply(SECRET_PATH, 500, f"crash at {SECRET_PATH}")
    await tools.add("slack", "slack", {"url": url})
    summary, log = await run_tool_event(engine, {"tool": "slack", "action": "send_message", "params": {"body": "hi"}})
    assert summary.status == "FAILURE"
    assert "HTTP 500" in summary.error
    assert "XyZsecretTokenXyZ" not in summary.error
    assert not any("XyZsecretTokenXyZ" in line for line in log)


async def test_tool_action_with_bad_parameters_is_refused_on_save(
    engine: Engine, http_server: RecordingServer
) -> None:
    tools = wire_tools(engine)
    await tools.add("hook", "webhook", {"url": http_server.url("/hook")})
    with pytest.raises(ValidationError) as caught:
        await engine.events.create(
            {"name": "Notify", "type": "TOOL_ACTION",
             "tool_action": {"tool": "hook", "action": "send_message", "params": {"text": "hi"}}}
        )
    assert caught.value.field == "tool_action.params.text"
    assert await engine.events.list() == []
    assert http_server.requests == []


async def test_tool_action_with_a_missing_tool_is_refused_on_save(engine: Engine) -> None:
    wire_tools(engine)
    with pytest.raises(ValidationError) as caught:
        await engine.events.create(
            {"name": "Notify", "type": "TOOL_ACTION",
             "tool_action": {"tool": "ghost", "action": "send_message", "params": {"body": "x"}}}
        )
    assert caught.value.field == "tool_action.tool"
    assert "ghost" in caught.value.message


async def test_tool_action_whose_tool_was_deleted_fails_the_run_clearly(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    await tools.add("hook", "webhook", {"url": http_server.url("/hook")})
    await engine.events.create(
        {"name": "Notify", "type": "TOOL_ACTION",
         "tool_action": {"tool": "hook", "action": "send_message", "params": {"body": "x"}}}
    )
    await tools.delete("hook")
    summary = await engine.runs.wait(await engine.runs.start("Notify"), timeout=30)
    assert summary.status == "FAILURE"
    assert "No tool credential named 'hook'" in summary.error
    assert http_server.requests == []


# -- SEND_MESSAGE conditional actions --------------------------------------------------------------------------


async def create_event_with_message(engine: Engine, content: str, subject: str, body: str) -> None:
    await engine.events.create(
        {
            "name": "Backup",
            "type": "BASH",
            "content": content,
            "conditional_actions": [
                {"on": "ALWAYS", "action": "SEND_MESSAGE", "tool": "slack", "subject": subject, "body": body}
            ],
        }
    )


async def test_send_message_action_renders_the_run_into_the_message(
    engine: Engine, http_server: RecordingServer
) -> None:
    tools = wire_tools(engine)
    await tools.add("slack", "slack", {"url": http_server.reply(SECRET_PATH, 200, "ok")})
    await engine.variables.set("SITE", "prod")
    await create_event_with_message(
        engine,
        "echo copying; echo disk full; exit 3",
        "{{ event.name }} {{ execution.status }}",
        "exit {{ execution.exit_code }} on {{ variables.SITE }}\n{{ execution.log_tail }}",
    )
    summary = await engine.runs.wait(await engine.runs.start("Backup"), timeout=30)
    assert summary.status == "FAILURE"
    await eventually(lambda: _async_value(bool(http_server.requests)))
    text = http_server.requests[0].json()["text"]
    assert text.startswith("*Backup FAILURE*\nexit 3 on prod\n")
    assert "copying\ndisk full" in text


async def test_template_error_is_logged_on_the_run_and_does_not_change_its_state(
    engine: Engine, http_server: RecordingServer
) -> None:
    tools = wire_tools(engine)
    await tools.add("slack", "slack", {"url": http_server.reply("/hook", 200, "ok")})
    await create_event_with_message(engine, "echo fine", "ok", "{{ execution.stauts }}")
    execution_id = await engine.runs.start("Backup")
    assert (await engine.runs.wait(execution_id, timeout=30)).status == "SUCCESS"

    async def logged() -> bool:
        return any("body template" in record.text for record in await engine.runs.log(execution_id))

    await eventually(logged)
    assert (await engine.runs.summary(execution_id)).status == "SUCCESS"
    assert http_server.requests == []


async def test_delivery_error_is_logged_without_the_webhook_secret(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    await tools.add("slack", "slack", {"url": http_server.reply(SECRET_PATH, 403, f"invalid_token {SECRET_PATH}")})
    await create_event_with_message(engine, "echo fine", "", "done")
    execution_id = await engine.runs.start("Backup")
    assert (await engine.runs.wait(execution_id, timeout=30)).status == "SUCCESS"

    async def logged() -> bool:
        return any("HTTP 403" in record.text for record in await engine.runs.log(execution_id))

    await eventually(logged)
    log = [record.text for record in await engine.runs.log(execution_id)]
    assert not any("XyZsecretTokenXyZ" in line for line in log)
    assert (await engine.runs.summary(execution_id)).status == "SUCCESS"


async def _async_value(value: bool) -> bool:
    return value


# -- command line --------------------------------------------------------------------------------------------


def test_cli_tool_add_stores_the_tool(cli: Cli, data_dir: Path) -> None:
    url = f"https://hooks.slack.com{SECRET_PATH}"
    result = cli("tool", "add", "ops-slack", "--type", "slack", "--config", json.dumps({"url": url}))
    assert result.code == 0, result.stderr
    assert "ops-slack" in result.stdout
    assert "XyZsecretTokenXyZ" not in result.stdout + result.stderr
    assert "XyZsecretTokenXyZ" not in raw_database_text(data_dir)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("{not json", "--config is not valid JSON"),
        ('{"url": "hooks.slack.com/x"}', "config.url"),
    ],
)
def test_cli_tool_add_refuses_bad_config_with_one_error_line(cli: Cli, config: str, expected: str) -> None:
    result = cli("tool", "add", "ops", "--type", "slack", "--config", config)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
