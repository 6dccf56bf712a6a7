"""Scripts written for the original Cronium run as written (SPEC §3): no import, plain or awaited
helpers, output from the last JSON stdout line, tool actions and messages from scripts, variables
read on demand through the run's socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors.local import run_folders_root
from cronium_desktop.engine.folder import remove_tree
from cronium_desktop.engine.runtime import STDOUT_OUTPUT_NOTE
from cronium_desktop.engine.runtime_requests import SERVER_PREFIX
from cronium_desktop.engine.secrets import MASK
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import wire_tools

# A script's own request on its run's socket, as the helpers make it: `ask(payload)` gives the reply.
ASK = (
    "import json, os, socket\n"
    "def ask(payload):\n"
    "    s = socket.socket(socket.AF_UNIX); s.connect('.cronium.sock'); s.sendall(payload)\n"
    "    data = b''\n"
    "    while chunk := s.recv(65536): data += chunk\n"
    "    return json.loads(data)\n"
)


async def run(engine: Engine, spec: dict[str, Any], input: Any = None) -> tuple[Any, list[str]]:
    event_id = await engine.events.create(spec)
    execution_id = await engine.runs.start(event_id, input=input)
    summary = await engine.runs.wait(execution_id, timeout=60)
    lines = [f"{line.stream}: {line.text}" for line in await engine.runs.log(execution_id)]
    return summary, lines


async def test_python_script_uses_cronium_without_import(engine: Engine) -> None:
    summary, lines = await run(engine, {"name": "No import", "type": "PYTHON", "content": (
        'data = cronium.input()\n'
        'cronium.setVariable("greeted", data.get("name", "world"))\n'
        'cronium.output({"hello": data.get("name", "world")})\n'
    )}, input={"name": "Ada"})
    assert summary.status == "SUCCESS", lines
    assert summary.output == {"hello": "Ada"}
    assert (await engine.variables.get("greeted")).value == "Ada"


async def test_python_import_cronium_still_works_and_is_the_same_module(engine: Engine) -> None:
    summary, lines = await run(engine, {"name": "Import", "type": "PYTHON", "content": (
        'cronium.setCondition(True)\nimport cronium as imported\nprint(imported is cronium)\n'
    )})
    assert summary.status == "SUCCESS", lines
    assert "stdout: True" in lines


async def test_node_script_uses_cronium_without_require(engine: Engine) -> None:
    await engine.variables.set("api_url", "http://example.invalid/api")
    summary, lines = await run(engine, {"name": "No require", "type": "NODEJS", "content": (
        "(async () => {\n"
        "  const url = await cronium.getVariable('api_url');\n"
        "  cronium.setVariable('seen_url', url);\n"
        "  await cronium.output({ url });\n"
        "})();\n"
    )})
    assert summary.status == "SUCCESS", lines
    assert summary.output == {"url": "http://example.invalid/api"}
    assert (await engine.variables.get("seen_url")).value == "http://example.invalid/api"


async def test_node_event_and_input_work_plain_or_awaited(engine: Engine) -> None:
    summary, lines = await run(engine, {"name": "Plain or awaited", "type": "NODEJS", "content": (
        "const info = cronium.event();\n"
        "console.log('plain', info.name, info.type);\n"
        "(async () => {\n"
        "  const awaited = await cronium.event();\n"
        "  console.log('same', JSON.stringify(awaited) === JSON.stringify(info));\n"
        "  console.log('input', cronium.input().n, (await cronium.input()).n);\n"
        "  cronium.setCondition(true);\n"
        "  cronium.output({ done: true });\n"
        "})();\n"
    )}, input={"n": 7})
    assert summary.status == "SUCCESS", lines
    assert "stdout: plain Plain or awaited NODEJS" in lines
    assert "stdout: same true" in lines
    assert "stdout: input 7 7" in lines
    assert summary.output == {"done": True}


async def test_node_options_of_the_event_stay_behind_the_helper(engine: Engine) -> None:
    summary, lines = await run(engine, {"name": "Node options", "type": "NODEJS",
                                        "env": {"NODE_OPTIONS": "--max-old-space-size=64"},
                                        "content": "console.log(typeof cronium.output, process.execArgv.length)\n"})
    assert summary.status == "SUCCESS", lines
    assert "stdout: function 0" in lines


async def test_bash_last_json_line_becomes_the_output_passed_to_the_next_event(engine: Engine) -> None:
    await engine.events.create({"name": "Next", "type": "PYTHON", "content": 'print("got", cronium.input()["backup_file"])'})
    event_id = await engine.events.create({
        "name": "Backup", "type": "BASH",
        "content": 'echo "backing up"\n# Output for next event\necho "{\\"backup_file\\": \\"/tmp/b.tar.gz\\"}"\n\n',
        "conditional_actions": [{"on": "ON_SUCCESS", "action": "RUN_EVENT", "event": "Next"}],
    })
    execution_id = await engine.runs.start(event_id)
    summary = await engine.runs.wait(execution_id, timeout=30)
    await engine.runs.idle()
    assert summary.output == {"backup_file": "/tmp/b.tar.gz"}
    log = [line.text for line in await engine.runs.log(execution_id) if line.stream == "system"]
    assert log.count(STDOUT_OUTPUT_NOTE) == 1
    [next_run] = [run for run in await engine.runs.list() if run.event == "Next"]
    assert any(line.text == "got /tmp/b.tar.gz" for line in await engine.runs.log(next_run.execution_id))


async def test_an_output_call_wins_over_a_json_last_line(engine: Engine) -> None:
    summary, lines = await run(engine, {"name": "Explicit", "type": "PYTHON", "content": (
        'cronium.output({"from": "helper"})\nprint(\'{"from": "stdout"}\')\n'
    )})
    assert summary.output == {"from": "helper"}
    assert f"system: {STDOUT_OUTPUT_NOTE}" not in lines


async def test_a_last_line_that_is_not_a_json_object_or_array_is_no_output(engine: Engine) -> None:
    summary, _ = await run(engine, {"name": "Text", "type": "BASH", "content": 'echo \'{"a": 1}\'\necho 42\n'})
    assert summary.output is None


async def test_variables_are_read_on_demand_and_not_written_into_the_run_folder(engine: Engine) -> None:
    for index in range(50):
        await engine.variables.set(f"v{index}", str(index))
    await engine.variables.set("token", "hunter2-secret", secret=True)
    summary, lines = await run(engine, {"name": "On demand", "type": "PYTHON", "content": (
        "import os\n"
        "print('vars folder', os.path.exists('vars'))\n"
        "print('v7', cronium.getVariable('v7'), cronium.getVariable('missing'))\n"
        "print('secret', cronium.getVariable('token'))\n"
    )})
    assert summary.status == "SUCCESS", lines
    assert "stdout: vars folder False" in lines
    assert "stdout: v7 7 None" in lines
    assert f"stdout: secret {MASK}" in lines  # handed out on demand, masked all the same
    assert not any("hunter2" in line for line in lines)


async def test_bash_reads_variables_on_demand(engine: Engine) -> None:
    await engine.variables.set("greeting", "hello there")
    summary, lines = await run(engine, {"name": "Bash vars", "type": "BASH", "content": (
        'source cronium.sh\necho "value: $(cronium_getVariable greeting)"\n'
        'cronium_getVariable nothing || echo "unset: $?"\n'
    )})
    assert summary.status == "SUCCESS", lines
    assert "stdout: value: hello there" in lines
    assert "stdout: unset: 1" in lines


async def test_scripts_run_tool_actions_without_seeing_credentials(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    url = http_server.reply("/hooks/secret-path-123", body={"received": True})
    await tools.add("team-hook", "webhook", {"url": url})
    summary, lines = await run(engine, {"name": "Tool from Python", "type": "PYTHON", "content": (
        "import os, pathlib\n"
        "needle = 'secret' + '-path'  # not spelled out: the script itself is in the folder\n"
        "print('env', needle in repr(dict(os.environ)))\n"
        "print('folder', any(needle in p.read_text(errors='ignore') for p in pathlib.Path('.').rglob('*') if p.is_file()))\n"
        "result = cronium.executeToolAction('team-hook', 'post_json', {'payload': {'from': 'python'}})\n"
        "print('result', result)\n"
    )})
    assert summary.status == "SUCCESS", lines
    assert "stdout: env False" in lines and "stdout: folder False" in lines
    assert http_server.requests[-1].json() == {"from": "python"}
    assert any(line.startswith("stdout: result ") for line in lines)
    assert not any("secret-path" in line for line in lines)


async def test_send_slack_and_discord_from_node_and_bash(engine: Engine, http_server: RecordingServer) -> None:
    tools = wire_tools(engine)
    await tools.add("ops-slack", "slack", {"url": http_server.reply("/slack/T000")})
    await tools.add("ops-discord", "discord", {"url": http_server.reply("/discord/D000", status=204)})
    summary, lines = await run(engine, {"name": "Send from Node", "type": "NODEJS", "content": (
        "(async () => {\n"
        "  await cronium.sendSlack({ message: 'from node' });\n"
        "  await cronium.sendDiscord({ message: 'to discord', subject: 'Hi' });\n"
        "})();\n"
    )})
    assert summary.status == "SUCCESS", lines
    summary, lines = await run(engine, {"name": "Send from Bash", "type": "BASH", "content": (
        'source cronium.sh\ncronium_sendSlack "from \\"bash\\""\n'
        'cronium_executeToolAction ops-slack send_message \'{"body": "raw"}\' >/dev/null\n'
    )})
    assert summary.status == "SUCCESS", lines
    bodies = [request.body.decode() for request in http_server.requests]
    assert any("from node" in body for body in bodies)
    assert any("to discord" in body for body in bodies)
    assert any('from \\"bash\\"' in body for body in bodies)
    assert any("raw" in body for body in bodies)


async def test_a_failing_tool_request_fails_in_the_script_with_the_reason(engine: Engine) -> None:
    wire_tools(engine)
    summary, lines = await run(engine, {"name": "No tool", "type": "PYTHON", "content": (
        "try:\n    cronium.sendSlack('hi')\nexcept Exception as error:\n    print('refused', error)\n"
    )})
    assert summary.status == "SUCCESS", lines
    assert any("refused cronium.send: no slack tool is configured" in line for line in lines), lines


async def test_requests_without_the_run_token_or_too_large_are_refused(engine: Engine) -> None:
    await engine.variables.set("guarded", "value")
    summary, lines = await run(engine, {"name": "Forged", "type": "PYTHON", "content": ASK + (
        "print('forged', ask(json.dumps({'token': 'guess', 'op': 'getVariable', 'args': {'key': 'guarded'}}).encode() + b'\\n'))\n"
        "try:\n"
        "    print('large', ask(b'x' * (2 * 1024 * 1024) + b'\\n')['ok'])\n"
        "except ConnectionError:  # the app stopped reading and closed the connection\n"
        "    print('large', False)\n"
    )})
    assert summary.status == "SUCCESS", lines
    forged = next(line for line in lines if line.startswith("stdout: forged"))
    assert "'ok': False" in forged and "token" in forged and "value'" not in forged
    assert "stdout: large False" in lines


async def test_the_socket_is_gone_after_the_run(engine: Engine, data_dir: Path) -> None:
    summary, lines = await run(engine, {"name": "Where", "type": "PYTHON", "content": "import os\nprint(os.getcwd())\n"})
    folder = Path(next(line for line in lines if line.startswith("stdout: ")).removeprefix("stdout: "))
    assert not folder.exists()
    with pytest.raises(OSError), socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(folder / ".cronium.sock"))
    assert json.dumps(summary.output) == "null"


async def test_runs_going_on_together_are_each_answered_and_an_ended_runs_token_is_refused(engine: Engine) -> None:
    """Every local run's `.cronium.sock` leads to the app's one listener; the token says which run asks."""
    await engine.variables.set("region", "eu-west")
    event_id = await engine.events.create({"name": "Together", "type": "PYTHON", "overlap": "ALLOW", "content": (
        "import os, time\ntime.sleep(0.3)\n"
        "print('asked', cronium.getVariable('region'))\nprint('token', os.environ['CRONIUM_RUN_TOKEN'])\n"
    )})
    ids = [await engine.runs.start(event_id) for _ in range(5)]
    tokens = set()
    for execution_id in ids:
        summary = await engine.runs.wait(execution_id, timeout=60)
        lines = [line.text for line in await engine.runs.log(execution_id)]
        assert summary.status == "SUCCESS" and "asked eu-west" in lines, lines
        tokens.add(next(line for line in lines if line.startswith("token ")).removeprefix("token "))
    assert len(tokens) == 5

    ended = tokens.pop()
    summary, lines = await run(engine, {"name": "Late", "type": "PYTHON", "content": ASK + (
        f"print('reply', ask(json.dumps({{'token': {ended!r}, 'op': 'getVariable', 'args': {{'key': 'region'}}}}).encode() + b'\\n'))\n"
    )})
    assert summary.status == "SUCCESS", lines
    reply = next(line for line in lines if line.startswith("stdout: reply"))
    assert "'ok': False" in reply and "token" in reply and "eu-west" not in reply


async def test_the_apps_socket_goes_with_it_and_one_a_killed_app_left_is_removed(engine: Engine, data_dir: Path) -> None:
    root = run_folders_root(data_dir)
    root.mkdir(mode=0o700, exist_ok=True)
    gone = root / f"{SERVER_PREFIX}999999999-1.sock"  # a PID no process has
    with socket.socket(socket.AF_UNIX) as left:
        left.bind(str(gone))
    summary, lines = await run(engine, {"name": "Ask", "type": "BASH", "content": "echo ok"})
    assert summary.status == "SUCCESS", lines
    assert not gone.exists()
    [listening] = root.glob(f"{SERVER_PREFIX}*")
    await engine.stop()
    assert not listening.exists()


async def test_scripts_still_reach_the_app_after_its_socket_was_removed(engine: Engine, data_dir: Path) -> None:
    """A cleaner of temporary folders may remove the listener's file, or the whole run folders root,
    while the app runs for weeks."""
    await engine.variables.set("region", "eu-west")
    spec = {"type": "PYTHON", "content": "print('asked', cronium.getVariable('region'))\n"}
    summary, lines = await run(engine, {"name": "Before", **spec})
    assert "stdout: asked eu-west" in lines, lines
    [listening] = run_folders_root(data_dir).glob(f"{SERVER_PREFIX}*")
    listening.unlink()
    summary, lines = await run(engine, {"name": "Without the socket", **spec})
    assert summary.status == "SUCCESS" and "stdout: asked eu-west" in lines, lines
    remove_tree(run_folders_root(data_dir))
    summary, lines = await run(engine, {"name": "Without the root", **spec})
    assert summary.status == "SUCCESS" and "stdout: asked eu-west" in lines, lines


async def test_a_run_folder_too_deep_for_a_socket_gets_its_variables_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cronium_desktop.engine import runtime_requests

    monkeypatch.setattr(runtime_requests, "MAX_SOCKET_PATH", 10)
    await engine.variables.set("region", "eu-west")
    summary, lines = await run(engine, {"name": "Deep", "type": "PYTHON", "content": (
        "import os\nprint(os.path.exists('.cronium.sock'), cronium.getVariable('region'))\n"
    )})
    assert summary.status == "SUCCESS", lines
    assert "stdout: False eu-west" in lines
