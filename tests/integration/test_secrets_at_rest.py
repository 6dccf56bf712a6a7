"""No secret in clear anywhere under the data folder (SPEC §7, ARCHITECTURE rule 5)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.fixtures.sshd import sshd_fixture  # noqa: F401 - the real loopback sshd

VARIABLE_SECRET = "var-Secret-0b7f1e"
ENV_SECRET = "env-Secret-93c2aa"
TOOL_SECRET = "tool-Secret-4d81f0"


def every_byte_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_secrets_written_through_every_public_path_are_nowhere_in_clear(cli: Cli, tmp_path: Path, sshd) -> None:  # type: ignore[no-untyped-def]
    assert cli("var", "set", "API_KEY", VARIABLE_SECRET, "--secret").code == 0
    assert cli("var", "get", "API_KEY").stdout.strip() == "••••••"
    assert cli("var", "get", "API_KEY", "--reveal").stdout.strip() == VARIABLE_SECRET

    webhook = f"https://hooks.example.invalid/services/{TOOL_SECRET}"
    assert cli("tool", "add", "ops-hook", "--type", "webhook", "--config", json.dumps({"url": webhook})).code == 0

    added = cli("server", "add", "box", "--host", sshd.host, "--port", str(sshd.port), "--user", sshd.password_user,
                "--password-stdin", "--accept-host-key", stdin=sshd.password + "\n")
    assert added.code == 0, added.stderr

    document = {
        "format": "cronium-desktop",
        "version": 1,
        "events": [
            {
                "key": "leaky",
                "name": "Leaky",
                "type": "BASH",
                "content": 'source cronium.sh\necho "env=$TOKEN var=$(cronium_getVariable API_KEY)"\necho "$TOKEN" >&2',
                "env": {"TOKEN": ""},
                "secret_env": ["TOKEN"],
            }
        ],
    }
    path = tmp_path / "leaky.cronium.json"
    path.write_text(json.dumps(document))
    assert cli("import", str(path)).code == 0

    import asyncio

    from cronium_desktop.engine.engine import Engine
    from tests.conftest import TEST_PASSPHRASE

    async def set_secret_env() -> None:
        engine = Engine(cli.data_dir, passphrase=TEST_PASSPHRASE)
        await engine.start()
        event = await engine.events.get("Leaky")
        await engine.events.update(event["id"], {**event, "env": {"TOKEN": ENV_SECRET}})
        await engine.stop()

    asyncio.run(set_secret_env())
    run = cli("run", "Leaky")
    assert run.code == 0
    assert "env=•••••• var=••••••" in run.stdout
    logs = cli("logs", "Leaky", "--json").stdout
    exported = tmp_path / "out.cronium.json"
    assert cli("export", "--event", "Leaky", "-o", str(exported)).code == 0

    everything = every_byte_under(cli.data_dir) + run.stdout.encode() + run.stderr.encode() + logs.encode()
    everything += exported.read_bytes()
    assert sshd.password.encode() not in everything
    for secret in (VARIABLE_SECRET, ENV_SECRET, TOOL_SECRET):
        assert secret.encode() not in everything, secret
