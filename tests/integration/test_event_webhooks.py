"""Event webhooks (SPEC §5's rules): a real HTTP client against the real local listener, files, the CLI."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import NotFound
from tests.conftest import TEST_PASSPHRASE, Cli, CliResult

ECHO = {"name": "Echo", "type": "PYTHON", "content": "import cronium\ncronium.output({'got': cronium.input()})"}


@pytest.fixture
async def owner(data_dir: Path) -> AsyncIterator[Engine]:
    """The process that owns the data folder: scheduler and webhook listener (on a free port)."""
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    engine.settings.set("webhook_port", 0)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


async def test_posting_to_an_events_webhook_runs_it_with_the_body_as_input(owner: Engine) -> None:
    await owner.events.create(ECHO)
    token = await owner.event_webhooks.enable("Echo")
    assert owner.webhooks is not None
    async with aiohttp.ClientSession() as http, http.post(owner.webhooks.url + token, json={"order": 7}) as response:
        assert response.status == 202
        answer = await response.json()
    assert answer["event"] == "Echo"
    summary = await owner.runs.wait(answer["execution_id"], timeout=30)
    assert (summary.status, summary.output) == ("SUCCESS", {"got": {"order": 7}})
    [run] = await owner.runs.list(limit=5)
    assert run.trigger == "WEBHOOK"


async def test_event_webhook_refuses_unknown_tokens_bad_json_and_large_bodies(owner: Engine) -> None:
    await owner.events.create(ECHO)
    token = await owner.event_webhooks.enable("Echo")
    assert owner.webhooks is not None
    base = owner.webhooks.url
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "not-a-token", json={}) as response:
            assert response.status == 404
        async with http.post(base + token, data=b"{not json", headers={"Content-Type": "application/json"}) as response:
            assert response.status == 400
            assert "not valid JSON" in (await response.json())["error"]
        async with http.post(base + token, data=b"[" + b"1," * 600_000 + b"1]") as response:
            assert response.status == 413
        async with http.post(base + token, data=b'"just a string"') as response:
            assert response.status == 400
    assert await owner.runs.list(limit=5) == []  # none of them ran the event


async def test_rotating_or_removing_the_webhook_stops_the_old_url(owner: Engine) -> None:
    await owner.events.create(ECHO)
    old = await owner.event_webhooks.enable("Echo")
    assert await owner.event_webhooks.enable("Echo") == old  # enabling again keeps the URL
    new = await owner.event_webhooks.rotate("Echo")
    assert new != old
    assert owner.webhooks is not None
    base = owner.webhooks.url
    async with aiohttp.ClientSession() as http:
        async with http.post(base + old, json={}) as response:
            assert response.status == 404
        async with http.post(base + new, json={}) as response:
            assert response.status == 202
            await owner.runs.wait((await response.json())["execution_id"], timeout=30)
        await owner.event_webhooks.disable("Echo")
        async with http.post(base + new, json={}) as response:
            assert response.status == 404
    assert await owner.event_webhooks.token("Echo") is None


async def test_a_paused_events_webhook_is_refused_until_it_is_activated(owner: Engine) -> None:
    event_id = await owner.events.create(ECHO)
    token = await owner.event_webhooks.enable(event_id)
    await owner.events.set_status(event_id, "PAUSED")
    assert owner.webhooks is not None
    async with aiohttp.ClientSession() as http, http.post(owner.webhooks.url + token, json={}) as response:
        assert response.status == 409
        assert "paused" in (await response.json())["error"]
    assert await owner.runs.list(limit=5) == []


async def test_export_says_an_event_has_a_webhook_but_never_writes_its_token(engine: Engine, tmp_path: Path) -> None:
    await engine.events.create(ECHO)
    await engine.events.create({"name": "Plain", "type": "BASH", "content": "true"})
    token = await engine.event_webhooks.enable("Echo")
    path = tmp_path / "hooks.cronium.json"
    document = await engine.files.export_events(["Echo", "Plain"], path)
    text = path.read_text()
    assert token not in text
    by_name = {event["name"]: event for event in document["events"]}
    assert by_name["Echo"]["webhook"] is True and "webhook" not in by_name["Plain"]

    # Imported elsewhere: a webhook with a new token; replaced here: the URL users know keeps working.
    other = Engine(tmp_path / "other", passphrase=TEST_PASSPHRASE)
    await other.start()
    try:
        await other.files.import_file(path)
        new_token = await other.event_webhooks.token("Echo")
        assert new_token and new_token != token
        assert await other.event_webhooks.token("Plain") is None
    finally:
        await other.stop(grace_seconds=1)
    await engine.files.import_file(path, replace=True)
    assert await engine.event_webhooks.token("Echo") == token


async def test_a_file_with_a_bad_webhook_value_is_refused_naming_the_field(engine: Engine) -> None:
    data = {"format": "cronium-desktop", "version": 1,
            "events": [{"key": "e", "name": "E", "type": "BASH", "content": "true", "webhook": "yes"}]}
    with pytest.raises(ValueError, match=r"events\[0\] \('e'\)\.webhook: must be true or false"):
        await engine.files.import_data(data)
    with pytest.raises(NotFound):
        await engine.events.get("E")


# -- the CLI ---------------------------------------------------------------------------------------


def assert_one_error_line(result: CliResult, *words: str) -> None:
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def with_echo_event(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "e.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [{"key": "echo", **ECHO}]}))
    assert cli("import", str(path)).code == 0


def test_event_webhook_command_enables_prints_and_rotates(cli: Cli, tmp_path: Path) -> None:
    with_echo_event(cli, tmp_path)
    enabled = cli("event", "webhook", "Echo", "--enable")
    assert enabled.code == 0
    url = enabled.stdout.strip()
    assert url.startswith("http://127.0.0.1:8787/webhooks/")
    assert cli("event", "webhook", "echo").stdout.strip() == url
    rotated = cli("event", "webhook", "Echo", "--rotate", "--json").json()
    assert rotated["event"] == "Echo" and rotated["url"] != url and rotated["url"].endswith(rotated["token"])  # type: ignore[index]


def test_event_webhook_command_says_when_there_is_none_and_disables(cli: Cli, tmp_path: Path) -> None:
    with_echo_event(cli, tmp_path)
    assert_one_error_line(cli("event", "webhook", "Echo"), "'Echo' has no webhook", "--enable")
    assert cli("event", "webhook", "Echo", "--enable").code == 0
    assert cli("event", "webhook", "Echo", "--disable").code == 0
    assert_one_error_line(cli("event", "webhook", "Echo"), "no webhook")


def test_event_webhook_command_refuses_an_unknown_event(cli: Cli) -> None:
    assert_one_error_line(cli("event", "webhook", "Nope", "--enable"), "No event named 'Nope'")
    assert_one_error_line(cli("event", "webhook", "Nope", "--enable", "--disable"))
    assert cli("list", "events", "--json").json() == []
