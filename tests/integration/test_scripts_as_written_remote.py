"""Scripts written for the original Cronium run as written on servers over SSH too (SPEC §3):
`cronium` without an import, variables read on demand and tool actions through a port forward
on the run's own connection, the last JSON stdout line as output."""

from __future__ import annotations

from typing import Any

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.secrets import MASK
from tests.fixtures.http_server import RecordingServer, http_server_fixture  # noqa: F401 - fixture
from tests.fixtures.sshd import SshServer, sshd_fixture  # noqa: F401 - fixture
from tests.fixtures.tools import wire_tools

pytestmark = pytest.mark.timeout(120)


async def run_remote(engine: Engine, sshd: SshServer, name: str, event_type: str, content: str) -> tuple[Any, list[str]]:
    if not any(server.name == "loop" for server in await engine.servers.list()):
        await engine.servers.add("loop", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                                 key_path=str(sshd.key_path), verify=True, accept_host_key=True)
    await engine.events.create({"name": name, "type": event_type, "content": content,
                                "run_location": "REMOTE", "servers": ["loop"]})
    execution_id = await engine.runs.start(name)
    summary = await engine.runs.wait(execution_id, timeout=60)
    return summary, [f"{line.stream}: {line.text}" for line in await engine.runs.log(execution_id)]


@pytest.mark.parametrize(
    ("event_type", "script"),
    [
        ("PYTHON", "import os\nprint(os.path.exists('vars'), cronium.event()['server'], cronium.getVariable('greeting'),"
                   " cronium.getVariable('token'))\ncronium.setVariable('touched', 'python')\n"),
        ("NODEJS", "const info = cronium.event();\n"
                   "(async () => { console.log(require('fs').existsSync('vars'), info.server,"
                   " await cronium.getVariable('greeting'), await cronium.getVariable('token'));\n"
                   "cronium.setVariable('touched', 'nodejs'); })();\n"),
        ("BASH", 'source cronium.sh\necho "$([ -d vars ] && echo true || echo false) loop '
                 '$(cronium_getVariable greeting) $(cronium_getVariable token)"\ncronium_setVariable touched bash\n'),
    ],
)
async def test_cronium_needs_no_import_and_reads_variables_on_demand_on_a_server(
    engine: Engine, sshd: SshServer, event_type: str, script: str
) -> None:
    await engine.variables.set("greeting", "hello")
    await engine.variables.set("token", "hunter2-secret", secret=True)
    summary, lines = await run_remote(engine, sshd, f"Remote {event_type}", event_type, script)
    assert summary.status == "SUCCESS", lines
    expected = {"PYTHON": "False", "NODEJS": "false", "BASH": "false"}[event_type]
    assert f"stdout: {expected} loop hello {MASK}" in lines
    assert (await engine.variables.get("touched")).value == event_type.lower()


async def test_a_server_script_sends_messages_and_its_last_json_line_is_the_output(
    engine: Engine, sshd: SshServer, http_server: RecordingServer
) -> None:
    tools = wire_tools(engine)
    await tools.add("ops-slack", "slack", {"url": http_server.reply("/slack/remote")})
    summary, lines = await run_remote(engine, sshd, "Remote send", "PYTHON", (
        "import os\n"
        "print('env', any('slack/remote' in value for value in os.environ.values()))\n"
        "cronium.sendSlack({'message': 'from the server'})\n"
        "print('{\"rows\": 3}')\n"
    ))
    assert summary.status == "SUCCESS", lines
    assert "stdout: env False" in lines
    assert summary.output == {"rows": 3}
    assert "from the server" in http_server.requests[-1].body.decode()


async def test_a_request_to_the_forwarded_port_without_the_run_token_is_refused(engine: Engine, sshd: SshServer) -> None:
    await engine.variables.set("guarded", "value")
    summary, lines = await run_remote(engine, sshd, "Forged remote", "PYTHON", (
        "import json, os, socket\n"
        "s = socket.create_connection(('127.0.0.1', int(os.environ['CRONIUM_APP_PORT'])))\n"
        "s.sendall(json.dumps({'token': 'guess', 'op': 'getVariable', 'args': {'key': 'guarded'}}).encode() + b'\\n')\n"
        "data = b''\n"
        "while chunk := s.recv(65536): data += chunk\n"
        "print('forged', json.loads(data))\n"
    ))
    assert summary.status == "SUCCESS", lines
    forged = next(line for line in lines if line.startswith("stdout: forged"))
    assert "'ok': False" in forged and "token" in forged and "'value'" not in forged
