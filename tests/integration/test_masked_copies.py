"""A script that copies a secret into its output or its variables leaves no clear copy anywhere: not
in the run result, the store, `list variables`, nor a message built from them (SPEC §7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cronium_desktop.engine.masking import MASK
from tests.conftest import Cli
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture

SECRET = "Tr0ub4dor-and-3"
LEAKY = (
    "import cronium\n"
    "token = cronium.getVariable('API_TOKEN')\n"
    "cronium.setVariable('copied', 'Bearer ' + token)\n"
    "cronium.output({'header': 'Bearer ' + token, 'nested': [{'again': token}], token: 'as a key', 'fine': 'public'})\n"
)


def store_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in data_dir.glob("cronium.db*"))


async def test_secrets_copied_into_output_variables_and_messages_are_masked(
    cli: Cli, tmp_path: Path, http_server: RecordingServer
) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return asyncio.to_thread(cli, *args)  # the CLI reaches the HTTP server on this loop

    hook = http_server.reply("/hook", 200, "ok")
    assert (await run("var", "set", "API_TOKEN", SECRET, "--secret")).code == 0
    assert (await run("tool", "add", "hook", "--type", "webhook", "--config", json.dumps({"url": hook}))).code == 0
    document = {"format": "cronium-desktop", "version": 1, "events": [{
        "key": "leak", "name": "Leak", "type": "PYTHON", "content": LEAKY,
        "conditional_actions": [{"on": "ALWAYS", "action": "SEND_MESSAGE", "tool": "hook", "subject": "run",
                                 "body": "{{ output.header }} / {{ variables.copied }} / {{ output | tojson }}"}],
    }]}
    path = tmp_path / "leak.cronium.json"
    path.write_text(json.dumps(document))
    assert (await run("import", str(path))).code == 0

    result = await run("run", "Leak", "--json")
    assert result.code == 0, result.stderr
    output = result.json()["output"]  # type: ignore[index]
    assert output == {"header": f"Bearer {MASK}", "nested": [{"again": MASK}], MASK: "as a key", "fine": "public"}
    assert SECRET not in result.stdout + result.stderr
    assert result.stderr.count("was stored as ••••••") == 1  # the run's log says so, once

    variables = {v["key"]: v["value"] for v in (await run("list", "variables", "--json")).json()}  # type: ignore[union-attr, index]
    assert variables["copied"] == f"Bearer {MASK}"
    logs = (await run("logs", "Leak", "--json")).stdout
    assert SECRET not in logs and "was stored as" in logs

    [message] = [r for r in http_server.requests if r.path == "/hook"]
    sent = json.loads(message.body)["body"]
    assert SECRET not in sent and sent.startswith(f"Bearer {MASK} / Bearer {MASK} / ")
    assert SECRET.encode() not in store_bytes(cli.data_dir)


async def test_a_run_with_nothing_secret_in_its_output_says_nothing(cli: Cli, tmp_path: Path) -> None:
    assert (await asyncio.to_thread(cli, "var", "set", "API_TOKEN", SECRET, "--secret")).code == 0
    path = tmp_path / "ok.cronium.json"
    path.write_text(json.dumps({"format": "cronium-desktop", "version": 1, "events": [
        {"key": "ok", "name": "Ok", "type": "PYTHON", "content": "import cronium\ncronium.output({'n': 1})"}]}))
    assert (await asyncio.to_thread(cli, "import", str(path))).code == 0
    result = await asyncio.to_thread(cli, "run", "Ok", "--json")
    assert result.json()["output"] == {"n": 1}  # type: ignore[index]
    assert "was stored as" not in result.stderr
