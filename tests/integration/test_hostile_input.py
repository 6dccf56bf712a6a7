"""Hostile input through the real CLI and the real webhook listener: JSON nested absurdly deep, and
names made of invisible or broken characters (SPEC §1, §8, §9)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from cronium_desktop.engine.engine import Engine
from tests.conftest import TEST_PASSPHRASE, Cli

DEEP = "[" * 100_000 + "]" * 100_000


def event_file(tmp_path: Path, *events: dict[str, object], text: str | None = None) -> Path:
    path = tmp_path / "events.cronium.json"
    path.write_text(text if text is not None else json.dumps({"format": "cronium-desktop", "version": 1, "events": list(events)}))
    return path


def test_import_of_json_nested_100000_deep_exits_2_naming_the_file(cli: Cli, tmp_path: Path) -> None:
    path = event_file(tmp_path, text=DEEP)
    result = cli("import", str(path))
    assert result.code == 2
    assert result.stderr.startswith("error:") and str(path) in result.stderr
    assert "Traceback" not in result.stderr and "recursion" not in result.stderr


def test_import_of_an_event_whose_env_nests_deep_is_refused(cli: Cli, tmp_path: Path) -> None:
    deep_but_parsable = "[" * 500 + "]" * 500
    path = event_file(tmp_path, text='{"format": "cronium-desktop", "version": 1, "events": ' + deep_but_parsable + "}")
    result = cli("import", str(path))
    assert result.code == 2 and str(path) in result.stderr and "deep" in result.stderr


def test_run_input_nested_60000_deep_exits_2_naming_the_option(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(event_file(tmp_path, {"key": "e", "name": "Echo", "type": "BASH", "content": "true"}))).code == 0
    for depth in (60_000, 990):  # 60,000: as deep as one command-line argument (128 KiB) can hold
        result = cli("run", "Echo", "--input", "[" * depth + "]" * depth)
        assert result.code == 2, result.stderr
        assert result.stderr.startswith("error: --input") and "Traceback" not in result.stderr
    assert cli("list", "runs", "--json").json() == []


@pytest.fixture
async def owner(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("webhook_port", 0)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


async def test_webhook_answers_a_deeply_nested_body_with_400(owner: Engine) -> None:
    await owner.events.create({"name": "Echo", "type": "BASH", "content": "true"})
    await owner.workflows.save({"name": "Hooked", "trigger": "WEBHOOK",
                                "nodes": [{"id": "a", "event": "Echo", "label": "Echo", "x": 0, "y": 0}], "edges": []})
    token = (await owner.workflows.get("Hooked"))["webhook_token"]
    assert owner.webhooks is not None
    async with aiohttp.ClientSession() as http:
        for depth in (990, 5000, 100_000):
            body = ("[" * depth + "]" * depth).encode()
            async with http.post(owner.webhooks.url + token, data=body) as response:
                assert response.status == 400, depth
                assert "deep" in (await response.json())["error"]
    assert await owner.workflows.runs("Hooked") == []


@pytest.mark.parametrize("name", ["Back\u200bup", "Backup\u202e", "\u2066Backup", "Back\ufeffup"])
def test_event_names_with_invisible_characters_are_refused_naming_the_field(cli: Cli, tmp_path: Path, name: str) -> None:
    result = cli("import", str(event_file(tmp_path, {"key": "e", "name": name, "type": "BASH", "content": "true"})))
    assert result.code == 2
    assert "name" in result.stderr and f"U+{ord(next(c for c in name if not c.isalpha())):04X}" in result.stderr
    assert cli("list", "events", "--json").json() == []


def test_a_name_with_a_lone_surrogate_is_refused_naming_the_field(cli: Cli, tmp_path: Path) -> None:
    text = '{"format": "cronium-desktop", "version": 1, "events": [{"key": "e", "name": "Bad\\ud800", "type": "BASH", "content": "true"}]}'
    result = cli("import", str(event_file(tmp_path, text=text)))
    assert result.code == 2
    assert "name" in result.stderr and "surrogate" in result.stderr


def test_names_are_stored_in_one_normal_form_so_lookalikes_clash(cli: Cli, tmp_path: Path) -> None:
    decomposed, composed = "Cafe\u0301", "Caf\u00e9"
    assert cli("import", str(event_file(tmp_path, {"key": "e", "name": decomposed, "type": "BASH", "content": "true"}))).code == 0
    assert [e["name"] for e in cli("list", "events", "--json").json()] == [composed]  # type: ignore[union-attr, index]
    again = cli("import", str(event_file(tmp_path, {"key": "e", "name": composed, "type": "BASH", "content": "true"})))
    assert again.code == 2  # the same name: refused without --replace
    assert cli("run", decomposed).code == 0  # found whichever form is typed


def test_server_tool_and_workflow_names_refuse_format_characters(cli: Cli, tmp_path: Path) -> None:
    server = cli("server", "add", "db\u200b1", "--host", "127.0.0.1", "--user", "me", "--agent")
    assert server.code == 2 and "name" in server.stderr and "U+200B" in server.stderr
    tool = cli("tool", "add", "ops\u202e", "--type", "webhook", "--config", '{"url": "https://example.com/x"}')
    assert tool.code == 2 and "name" in tool.stderr and "U+202E" in tool.stderr
    document = {"format": "cronium-desktop", "version": 1,
                "events": [{"key": "e", "name": "E", "type": "BASH", "content": "true"}],
                "workflow": {"name": "Flow\u200b", "nodes": [{"id": "n1", "event": "e", "label": "E", "x": 0, "y": 0}],
                             "edges": []}}
    result = cli("import", str(event_file(tmp_path, text=json.dumps(document))))
    assert result.code == 2 and "workflow.name" in result.stderr and "U+200B" in result.stderr
