"""Remote runs through the whole engine: queue, runner, per-server results, masking, conditional actions."""

from __future__ import annotations

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.executors.ssh import SshExecutor
from cronium_desktop.engine.servers import ServerService
from tests.fixtures.sshd import SshServer, free_port, sshd_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.timeout(120)


async def wire_servers(engine: Engine) -> ServerService:
    service = ServerService(engine.ctx)
    engine.servers = service
    engine.register_executor("REMOTE", SshExecutor(service))
    return service


async def test_a_partial_multi_server_run_is_recorded_and_triggers_on_failure(engine: Engine, sshd: SshServer) -> None:
    servers = await wire_servers(engine)
    try:
        await servers.add("good", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                          key_path=str(sshd.key_path), verify=True, accept_host_key=True)
        await servers.add("down", host="127.0.0.1", port=free_port(), username=sshd.user, auth_method="KEY",
                          key_path=str(sshd.key_path))
        await engine.events.create({"name": "Cleanup", "type": "BASH", "content": "echo cleaning"})
        await engine.events.create(
            {
                "name": "Deploy",
                "type": "BASH",
                "content": 'source cronium.sh\necho "token=$TOKEN"\ncronium_output \'{"deployed": true}\'',
                "run_location": "REMOTE",
                "servers": ["good", "down"],
                "env": {"TOKEN": "hunter2-secret"},
                "secret_env": ["TOKEN"],
                "conditional_actions": [{"on": "ON_FAILURE", "action": "RUN_EVENT", "event": "Cleanup"}],
            }
        )

        execution_id = await engine.runs.start("Deploy")
        summary = await engine.runs.wait(execution_id, timeout=60)
        await engine.runs.idle()

        assert summary.status == "PARTIAL"
        detail = await engine.runs.get(execution_id)
        results = {s.server: s for s in detail.servers}
        assert results["good"].status == "SUCCESS" and results["good"].output == {"deployed": True}
        assert results["down"].status == "FAILURE" and "cannot connect" in (results["down"].error or "")
        log = await engine.runs.log(execution_id)
        assert [(r.server, r.text) for r in log if r.stream == "stdout"] == [("good", "token=••••••")]
        assert all("hunter2-secret" not in r.text for r in log)
        assert [r.event for r in await engine.runs.list()] == ["Cleanup", "Deploy"]  # PARTIAL counts as failure
    finally:
        await servers.stop()
