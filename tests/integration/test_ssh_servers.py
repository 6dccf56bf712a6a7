"""Servers against a real OpenSSH sshd: logins, host keys, the pool's breaker, health checks, shells, CLI."""

from __future__ import annotations

import argparse
import asyncio
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import paramiko
import pytest

from cronium_desktop.cli.servers import add_server, check_server
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.executors.ssh import SshExecutor
from cronium_desktop.engine.notices import ServerStatusChanged
from cronium_desktop.engine.servers import ServerService
from cronium_desktop.engine.ssh.errors import CircuitOpen, ConnectFailed, HostKeyChanged, UnknownHostKey
from cronium_desktop.engine.ssh.hostkeys import HostKeyStore
from cronium_desktop.engine.ssh.pool import ConnectionPool
from cronium_desktop.engine.store.models import Secret
from tests.fixtures.servers import RecordingSink, add_key_server, executor_fixture, make_job, servers_fixture  # noqa: F401
from tests.fixtures.sshd import SshServer, free_port, sshd_fixture, start_sshd, stop_sshd  # noqa: F401

pytestmark = pytest.mark.timeout(120)


# -- logins -------------------------------------------------------------------------------------------------


async def test_key_login_marks_the_server_online_and_tells_subscribers(sshd: SshServer, servers: ServerService) -> None:
    notices: list[ServerStatusChanged] = []
    servers._ctx.bus.subscribe(lambda n: notices.append(n) if isinstance(n, ServerStatusChanged) else None)
    server = await servers.add("web", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                               key_path=str(sshd.key_path))
    assert server.status == "UNKNOWN"

    result = await servers.check(server.id, accept_host_key=True)

    assert result.ok and result.status == "ONLINE"
    assert result.fingerprint == sshd.host_key_fingerprint
    assert result.accepted_host_key
    stored = await servers.get("web")
    assert stored.status == "ONLINE" and stored.last_checked_at is not None and stored.last_error is None
    assert [(n.name, n.status) for n in notices] == [("web", "ONLINE")]


async def test_password_login_runs_as_the_password_user(sshd: SshServer, servers: ServerService,
                                                        executor: SshExecutor) -> None:
    server = await servers.add("pw", host=sshd.host, port=sshd.port, username=sshd.password_user,
                               auth_method="PASSWORD", password=sshd.password, verify=True, accept_host_key=True)
    sink = RecordingSink()

    result = await executor.run(make_job("BASH", "whoami", [server]), sink)

    assert result.status == "SUCCESS", sink.lines
    assert sink.texts("stdout") == [sshd.password_user]


async def test_a_wrong_password_is_refused_and_nothing_is_saved(sshd: SshServer, servers: ServerService) -> None:
    from cronium_desktop.engine.ssh.errors import AuthFailed

    with pytest.raises(AuthFailed, match=f"refused the password of user '{sshd.password_user}'"):
        await servers.add("pw", host=sshd.host, port=sshd.port, username=sshd.password_user, auth_method="PASSWORD",
                          password="not-it", verify=True, accept_host_key=True)
    assert await servers.list() == []


async def test_an_encrypted_key_needs_its_passphrase(sshd: SshServer, servers: ServerService,
                                                     executor: SshExecutor) -> None:
    common = dict(host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                  key_path=str(sshd.encrypted_key_path))
    with pytest.raises(ValidationError) as missing:
        await servers.add("enc", **common)
    with pytest.raises(ValidationError) as wrong:
        await servers.add("enc", passphrase="nope", **common)

    server = await servers.add("enc", passphrase=sshd.key_passphrase, verify=True, accept_host_key=True, **common)
    result = await executor.run(make_job("BASH", "echo unlocked", [server]), RecordingSink())

    assert missing.value.field == "passphrase" and "encrypted" in str(missing.value)
    assert wrong.value.field == "passphrase"
    assert result.status == "SUCCESS"


async def test_a_pasted_key_and_its_passphrase_are_stored_only_as_secrets(
    sshd: SshServer, servers: ServerService, executor: SshExecutor
) -> None:
    pasted = sshd.encrypted_key_path.read_text()
    server = await servers.add("pasted", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                               private_key=pasted, passphrase=sshd.key_passphrase, verify=True, accept_host_key=True)

    result = await executor.run(make_job("BASH", "echo ok", [server]), RecordingSink())

    assert result.status == "SUCCESS"
    with servers._ctx.db.read() as session:
        owners = sorted(row.owner for row in session.query(Secret))
    assert owners == [f"server:{server.id}:passphrase", f"server:{server.id}:private_key"]
    database = (servers._ctx.data_dir / "cronium.db").read_bytes()
    assert sshd.key_passphrase.encode() not in database
    assert b"OPENSSH PRIVATE KEY" not in database


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"port": 70000}, "port"),
        ({"host": "user@host"}, "host"),
        ({"username": ""}, "username"),
        ({"auth_method": "TELNET"}, "auth_method"),
        ({"key_path": "/nonexistent/key"}, "key_path"),
        ({"auth_method": "PASSWORD", "key_path": None}, "password"),
        ({"name": " "}, "name"),
    ],
)
async def test_bad_server_input_names_the_field_and_saves_nothing(
    sshd: SshServer, servers: ServerService, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = dict(name="x", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="KEY",
                                     key_path=str(sshd.key_path))
    values.update(changes)
    name = values.pop("name")

    with pytest.raises(ValidationError) as caught:
        await servers.add(name, **values)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert await servers.list() == []


async def test_a_duplicate_name_is_refused(sshd: SshServer, servers: ServerService) -> None:
    await servers.add("db1", host=sshd.host, port=sshd.port, username=sshd.user, auth_method="AGENT")
    with pytest.raises(ValidationError, match="a server named 'db1' already exists") as caught:
        await servers.add("DB1", host="other", username="u", auth_method="AGENT")
    assert caught.value.field == "name"


async def test_update_and_delete_keep_secrets_in_step(sshd: SshServer, servers: ServerService) -> None:
    server = await servers.add("s", host=sshd.host, port=sshd.port, username=sshd.password_user,
                               auth_method="PASSWORD", password=sshd.password)
    await servers.update(server.id, auth_method="KEY", key_path=str(sshd.key_path), username=sshd.user)
    with servers._ctx.db.read() as session:
        assert servers._ctx.secrets.owners(session, f"server:{server.id}:") == []
    updated = await servers.get(server.id)
    assert (updated.auth_method, updated.username) == ("KEY", sshd.user)
    await servers.update(server.id, auth_method="PASSWORD", password="pw", key_path=None)
    await servers.delete("s")
    assert await servers.list() == []
    with servers._ctx.db.read() as session:
        assert servers._ctx.secrets.owners(session, "server:") == []


# -- host keys ----------------------------------------------------------------------------------------------


async def test_an_unknown_host_key_is_refused_unless_accepted(sshd: SshServer, servers: ServerService) -> None:
    known_hosts = servers._ctx.data_dir / "known_hosts"
    with pytest.raises(UnknownHostKey) as caught:
        await add_key_server(servers, sshd, accept_host_key=False)
    assert caught.value.fingerprint == sshd.host_key_fingerprint
    assert sshd.host_key_fingerprint in str(caught.value)
    assert await servers.list() == []
    assert not known_hosts.exists()

    with pytest.raises(UnknownHostKey):  # accepting another fingerprint than the one presented
        await add_key_server(servers, sshd, accept_host_key="SHA256:" + "A" * 43)
    await add_key_server(servers, sshd, accept_host_key=sshd.host_key_fingerprint)

    found = subprocess.run(["ssh-keygen", "-F", f"[{sshd.host}]:{sshd.port}", "-f", str(known_hosts)],
                           capture_output=True, text=True)
    assert found.returncode == 0 and "ssh-ed25519" in found.stdout
    assert known_hosts.stat().st_mode & 0o777 == 0o600


async def test_changed_host_key_is_refused(sshd: SshServer, servers: ServerService, executor: SshExecutor) -> None:
    server = await add_key_server(servers, sshd)
    impostor = paramiko.Ed25519Key.from_private_key_file(str(sshd.key_path))  # any other ed25519 key
    servers.hostkeys.accept(sshd.host, sshd.port, impostor)
    servers.pool.forget(server.id)
    from cronium_desktop.engine.ssh.hostkeys import fingerprint

    result = await servers.check(server.id, accept_host_key=True)  # accepting never covers a changed key
    run = await executor.run(make_job("BASH", "echo never", [server]), RecordingSink())

    assert isinstance(result.error, HostKeyChanged)
    message = str(result.error)
    assert f"({sshd.host}:{sshd.port})" in message
    assert f"was {fingerprint(impostor)}, now {sshd.host_key_fingerprint}" in message
    assert (await servers.get(server.id)).status == "OFFLINE"
    assert run.status == "FAILURE" and "host key changed" in (run.error or "")

    assert await servers.forget_host_key(server.id)
    assert (await servers.check(server.id, accept_host_key=sshd.host_key_fingerprint)).ok


# -- the pool ------------------------------------------------------------------------------------------------


async def test_circuit_breaker_fails_fast_after_three_failed_connects(sshd: SshServer, servers: ServerService,
                                                                     tmp_path: Path) -> None:
    # A bound socket that does not listen refuses connections; once it listens, every TCP attempt shows.
    gate = socket.socket()
    gate.bind(("127.0.0.1", 0))
    port = gate.getsockname()[1]
    pool = ConnectionPool(HostKeyStore(tmp_path / "known_hosts"), open_seconds=0.5)
    try:
        server = await servers.add("flaky", host="127.0.0.1", port=port, username="u", auth_method="AGENT")
        spec = await servers.load_spec(server.id)
        for _ in range(3):
            with pytest.raises(ConnectFailed, match="cannot connect"):
                await pool.run(pool.transport, spec)

        gate.listen(8)
        gate.settimeout(0.2)
        with pytest.raises(CircuitOpen, match="3 connection attempts failed in a row") as caught:
            await pool.run(pool.transport, spec)
        with pytest.raises(TimeoutError):
            gate.accept()  # fail fast means no TCP connection was even tried
        assert "cannot connect" in str(caught.value)

        await asyncio.sleep(0.6)  # the breaker lets one attempt through after open_seconds
        attempt = asyncio.ensure_future(pool.run(pool.transport, spec))
        accepted, _ = await asyncio.to_thread(gate.accept)
        accepted.close()
        with pytest.raises(ConnectFailed):
            await attempt
        with pytest.raises(CircuitOpen):  # that attempt failed: open again at once
            await pool.run(pool.transport, spec)
    finally:
        gate.close()
        pool.close()


async def test_checks_and_runs_share_one_connection(sshd: SshServer, servers: ServerService,
                                                    executor: SshExecutor) -> None:
    server = await add_key_server(servers, sshd)
    await servers.check(server.id)
    accepted = sshd.connections()

    await asyncio.gather(*(executor.run(make_job("BASH", "echo $$", [server]), RecordingSink()) for _ in range(4)))
    await servers.check(server.id)

    assert sshd.connections() == accepted
    assert servers.pool.connects(server.id) == 1


# -- health checks and shells ---------------------------------------------------------------------------------


async def test_health_checks_follow_a_server_going_down(sshd: SshServer, servers: ServerService, tmp_path: Path) -> None:
    own, process = start_sshd(tmp_path / "second-sshd")
    notices: list[ServerStatusChanged] = []
    servers._ctx.bus.subscribe(lambda n: notices.append(n) if isinstance(n, ServerStatusChanged) else None)
    servers._ctx.settings.set("health_check_seconds", 1)
    try:
        await servers.add("moody", host=own.host, port=own.port, username=own.user, auth_method="KEY",
                          key_path=str(own.key_path), verify=True, accept_host_key=True)
        await servers.start()
        await _until(lambda: [n.status for n in notices] == ["ONLINE"])
    finally:
        stop_sshd(own, process)
    await _until(lambda: [n.status for n in notices] == ["ONLINE", "OFFLINE"])
    stored = await servers.get("moody")
    assert stored.status == "OFFLINE" and stored.last_error
    assert notices[-1].error == stored.last_error


async def _until(condition: object, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def test_open_shell_gives_an_interactive_terminal(sshd: SshServer, servers: ServerService) -> None:
    server = await add_key_server(servers, sshd)

    def converse() -> str:
        channel = servers.open_shell(server.id, cols=100, rows=30)
        try:
            channel.settimeout(10)
            channel.sendall(b"echo TERM=$TERM; stty size; exit\n")
            received = b""
            while chunk := channel.recv(4096):
                received += chunk
            return received.decode(errors="replace")
        finally:
            channel.close()

    text = await asyncio.to_thread(converse)

    assert "TERM=xterm-256color" in text
    assert "30 100" in text


# -- command line -----------------------------------------------------------------------------------------------


class Facade:
    """What the CLI handlers use of the Engine facade."""

    def __init__(self, service: ServerService) -> None:
        self.servers = service
        self.ctx = service._ctx


def add_args(sshd: SshServer, **changes: object) -> argparse.Namespace:
    values: dict[str, object] = dict(name="cli", host=sshd.host, port=sshd.port, user=sshd.user,
                                     key=str(sshd.key_path), password_stdin=False, agent=False, accept_host_key=False)
    values.update(changes)
    return argparse.Namespace(**values)


async def test_cli_server_add_refuses_an_unknown_host_key_until_accepted(
    sshd: SshServer, servers: ServerService, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Facade(servers)

    refused = await add_server(engine, add_args(sshd))
    refused_err = capsys.readouterr().err
    added = await add_server(engine, add_args(sshd, accept_host_key=True))
    added_out = capsys.readouterr().out
    checked = await check_server(engine, argparse.Namespace(name="cli"))
    checked_out = capsys.readouterr().out

    assert refused == 1
    assert refused_err.startswith("error: ") and refused_err.count("\n") == 1
    assert sshd.host_key_fingerprint in refused_err and "--accept-host-key" in refused_err
    assert added == 0 and sshd.host_key_fingerprint in added_out
    assert checked == 0 and "online" in checked_out


async def test_cli_server_add_reads_the_password_from_stdin(
    sshd: SshServer, servers: ServerService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(sshd.password + "\n"))
    code = await add_server(Facade(servers), add_args(sshd, user=sshd.password_user, key=None, password_stdin=True,
                                                      accept_host_key=True))
    assert code == 0, capsys.readouterr().err
    assert (await servers.get("cli")).auth_method == "PASSWORD"


async def test_cli_exit_codes_for_bad_input_and_failed_checks(
    sshd: SshServer, servers: ServerService, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Facade(servers)
    both = await add_server(engine, add_args(sshd, agent=True))
    bad_port = await add_server(engine, add_args(sshd, port=0))
    missing = await check_server(engine, argparse.Namespace(name="nope"))
    await servers.add("down", host="127.0.0.1", port=free_port(), username="u", auth_method="AGENT")
    down = await check_server(engine, argparse.Namespace(name="down"))
    errors = capsys.readouterr().err.splitlines()

    assert (both, bad_port, missing, down) == (2, 2, 2, 1)
    assert all(line.startswith("error: ") for line in errors) and len(errors) == 4
    assert "port" in errors[1] and "No server named 'nope'" in errors[2] and "cannot connect" in errors[3]
