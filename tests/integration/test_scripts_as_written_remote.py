"""Scripts written for the original Cronium run as written on servers over SSH too (SPEC §3):
`cronium` without an import, plain `cronium.event()`, the last JSON stdout line as output; tool
actions, which need the app, fail with a clear reason there."""

from __future__ import annotations

import pytest

from cronium_desktop.engine import runtime
from cronium_desktop.engine.executors.base import SUCCESS
from cronium_desktop.engine.executors.ssh import SshExecutor
from cronium_desktop.engine.servers import ServerService
from tests.fixtures.servers import RecordingSink, add_key_server, executor_fixture, make_job, servers_fixture  # noqa: F401
from tests.fixtures.sshd import SshServer, sshd_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("event_type", "script"),
    [
        ("PYTHON", "print(cronium.event()['server'], cronium.getVariable('greeting'))\n"
                   "cronium.setVariable('touched', 'python')\n"),
        ("NODEJS", "const info = cronium.event();\n"
                   "(async () => { console.log(info.server, await cronium.getVariable('greeting'));\n"
                   "cronium.setVariable('touched', 'python'); })();\n"),
    ],
)
async def test_cronium_needs_no_import_on_a_server(
    sshd: SshServer, servers: ServerService, executor: SshExecutor, event_type: str, script: str
) -> None:
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()
    result = await executor.run(make_job(event_type, script, [server], variables={"greeting": "hello"}), sink)
    assert result.status == SUCCESS, sink.lines
    assert sink.texts("stdout", server="loop") == ["loop hello"]
    assert result.variables == {"touched": "python"}


async def test_the_last_json_line_is_the_output_on_a_server_and_tool_actions_say_why_not(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    server = await add_key_server(servers, sshd)
    sink = RecordingSink()
    script = ("try:\n    cronium.sendSlack('hi')\nexcept Exception as error:\n    print(error)\n"
              "print('{\"rows\": 3}')\n")
    job = make_job("PYTHON", script, [server])
    tail = runtime.StdoutTail(sink)
    result = await executor.run(job, tail)
    runtime.output_from_stdout(result, tail, lambda text: text, sink)
    assert result.status == SUCCESS, sink.lines
    assert result.output == {"rows": 3}
    stdout = sink.texts("stdout", server="loop")
    assert "runs on servers over SSH have no connection back to the app" in stdout[0]
