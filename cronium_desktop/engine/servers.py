"""Servers (SPEC §6): what they are, whether they answer, and the shared connections to them.

A server row holds where and as whom to log in; its password, pasted private key and key
passphrase are secrets (`server:{id}:password|private_key|passphrase`). Host keys live in the
app's own known_hosts file in the data folder; connections are pooled (`ssh/pool.py`) and a
background health check keeps each server's ONLINE/OFFLINE status current.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import paramiko
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import Conflict, NotFound, ValidationError
from cronium_desktop.engine.notices import ServerStatusChanged
from cronium_desktop.engine.ssh.connect import AUTH_METHODS, ServerSpec, load_private_key
from cronium_desktop.engine.ssh.errors import CredentialError, SshError
from cronium_desktop.engine.ssh.hostkeys import KNOWN_HOSTS_FILENAME, HostKeyStore, fingerprint
from cronium_desktop.engine.ssh.pool import ConnectionPool
from cronium_desktop.engine.store.models import EventServer, Server
from cronium_desktop.engine.validation import clean_name

__all__ = ["CheckResult", "ConnectionPool", "HostKeyStore", "ServerInfo", "ServerService", "ServerSpec"]

log = logging.getLogger(__name__)

SECRET_KINDS = ("password", "private_key", "passphrase")
MAX_NAME_LENGTH = 200
_HOST = re.compile(r"^[A-Za-z0-9._:\-\[\]%]{1,255}$")
_USER = re.compile(r"^[A-Za-z0-9._@\-\\]{1,100}$")
MIN_HEALTH_INTERVAL_SECONDS = 1.0


def secret_owner(server_id: int, kind: str) -> str:
    return f"server:{server_id}:{kind}"


@dataclass(frozen=True)
class ServerInfo:
    id: int
    name: str
    host: str
    port: int
    username: str
    auth_method: str
    key_path: str | None
    status: str  # ONLINE, OFFLINE, UNKNOWN
    last_checked_at: datetime | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class CheckResult:
    """One connection check. `error` is the SshError itself, so a dialog can read e.g.
    `UnknownHostKey.fingerprint` and offer to accept it."""

    server: str
    error: SshError | None = None
    fingerprint: str | None = None  # the host key the server presented, when the handshake got that far
    accepted_host_key: bool = False  # this check stored a new host key

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        return "ONLINE" if self.error is None else "OFFLINE"


def _info(server: Server) -> ServerInfo:
    return ServerInfo(server.id, server.name, server.host, server.port, server.username, server.auth_method,
                      server.key_path, server.status, server.last_checked_at, server.last_error, server.created_at)


# -- validation -------------------------------------------------------------------------------------------


def _text(field: str, value: Any, pattern: re.Pattern[str], rule: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "is required.")
    value = value.strip()
    if not pattern.match(value):
        raise ValidationError(field, f"{value!r} is not valid: {rule}")
    return value


def validate_spec(spec: ServerSpec) -> ServerSpec:
    """A clean copy of `spec`, or ValidationError naming the first bad field; the key is test-opened."""
    name = clean_name(spec.name, "name", MAX_NAME_LENGTH)
    host = _text("host", spec.host, _HOST, "use a host name or an IP address, without spaces or user@.")
    if isinstance(spec.port, bool) or not isinstance(spec.port, int) or not 1 <= spec.port <= 65535:
        raise ValidationError("port", f"must be a whole number from 1 to 65535, not {spec.port!r}.")
    username = _text("username", spec.username, _USER, "letters, digits, '.', '_', '-', '@' only.")
    method = str(spec.auth_method or "").upper()
    if method not in AUTH_METHODS:
        raise ValidationError("auth_method", f"must be KEY, PASSWORD or AGENT, not {spec.auth_method!r}.")
    clean = replace(spec, name=name, host=host, username=username, auth_method=method)
    if method == "PASSWORD":
        if not spec.password:
            raise ValidationError("password", "is required for password login.")
        return replace(clean, key_path=None, private_key=None, passphrase=None)
    if method == "AGENT":
        return replace(clean, key_path=None, private_key=None, passphrase=None, password=None)
    if bool(spec.key_path) == bool(spec.private_key):
        raise ValidationError("key_path", "choose a private key file or paste a key (exactly one of the two).")
    if spec.key_path:
        path = Path(spec.key_path).expanduser()
        if not path.is_file():
            raise ValidationError("key_path", f"the file {str(path)!r} does not exist.")
        clean = replace(clean, key_path=str(path.resolve()), private_key=None)
    try:
        load_private_key(clean)
    except CredentialError as error:
        text = str(error).split(": ", 1)[-1]
        field = "passphrase" if "passphrase" in text else ("private_key" if spec.private_key else "key_path")
        raise ValidationError(field, text) from error
    return replace(clean, password=None)


class ServerService:
    def __init__(self, ctx: EngineContext, *, pool: ConnectionPool | None = None) -> None:
        self._ctx = ctx
        self.pool = pool if pool is not None else ConnectionPool(HostKeyStore(ctx.data_dir / KNOWN_HOSTS_FILENAME))
        self.hostkeys = self.pool.hostkeys
        self._health_task: asyncio.Task[None] | None = None

    # -- what exists ------------------------------------------------------------------------------------

    @staticmethod
    def _find(session: Session, id_or_name: int | str) -> Server:
        if isinstance(id_or_name, int):
            server = session.get(Server, id_or_name)
        else:
            server = session.scalar(select(Server).where(func.lower(Server.name) == str(id_or_name).strip().lower()))
        if server is None:
            raise NotFound(
                f"No server named {id_or_name!r}; add it in Servers first (command line: server add)."
                if isinstance(id_or_name, str)
                else f"No server with id {id_or_name}; it may have been deleted."
            )
        return server

    @in_thread
    def list(self) -> list[ServerInfo]:
        with self._ctx.db.read() as session:
            return [_info(s) for s in session.scalars(select(Server).order_by(func.lower(Server.name)))]

    @in_thread
    def get(self, id_or_name: int | str) -> ServerInfo:
        with self._ctx.db.read() as session:
            return _info(self._find(session, id_or_name))

    def spec(self, id_or_name: int | str) -> ServerSpec:
        """Blocking: the server's connection details with its credentials decrypted."""
        with self._ctx.db.read() as session:
            server = self._find(session, id_or_name)
            secrets = {kind: self._ctx.secrets.get(session, secret_owner(server.id, kind)) for kind in SECRET_KINDS}
            return ServerSpec(server.id, server.name, server.host, server.port, server.username, server.auth_method,
                              server.key_path, secrets["private_key"], secrets["passphrase"], secrets["password"])

    async def load_spec(self, id_or_name: int | str) -> ServerSpec:
        return await asyncio.to_thread(self.spec, id_or_name)

    def host_key_fingerprint(self, info: ServerInfo | ServerSpec) -> str | None:
        """The accepted host key's fingerprint, or None before the first accepted connection."""
        known = self.hostkeys.known(info.host, info.port)
        return fingerprint(known[0]) if known else None

    # -- changes ----------------------------------------------------------------------------------------

    async def add(
        self,
        name: str,
        *,
        host: str,
        username: str,
        auth_method: str,
        port: int = 22,
        key_path: str | None = None,
        private_key: str | None = None,
        passphrase: str | None = None,
        password: str | None = None,
        verify: bool = False,
        accept_host_key: bool | str = False,
    ) -> ServerInfo:
        """Validate and store a server. With `verify`, it is saved only after a successful login
        (raising the SshError otherwise), so a refused host key or a typo changes nothing."""
        spec = validate_spec(ServerSpec(None, name, host, port, username, auth_method, key_path or None,
                                        private_key or None, passphrase or None, password or None))
        await asyncio.to_thread(self._check_name_free, spec.name, None)
        if verify:
            transport = await self.pool.run(self.pool.transport, spec, accept_host_key)
            transport.close()
        info = await asyncio.to_thread(self._save, None, spec)
        if verify:
            await self._set_status(info.id, info.name, None)
            info = await self.get(info.id)
        return info

    async def update(self, id_or_name: int | str, **changes: Any) -> ServerInfo:
        """Change some fields (name, host, port, username, auth_method, key_path, private_key,
        passphrase, password); credentials not given are kept. The pooled connection is dropped."""
        unknown = set(changes) - {"name", "host", "port", "username", "auth_method", "key_path", "private_key",
                                  "passphrase", "password"}
        if unknown:
            raise ValidationError(sorted(unknown)[0], "is not a server field.")
        current = await self.load_spec(id_or_name)
        if changes.get("key_path"):
            changes.setdefault("private_key", None)
        elif changes.get("private_key"):
            changes.setdefault("key_path", None)
        spec = validate_spec(replace(current, **changes))
        await asyncio.to_thread(self._check_name_free, spec.name, current.id)
        info = await asyncio.to_thread(self._save, current.id, spec)
        self.pool.forget(info.id)
        return info

    def _check_name_free(self, name: str, own_id: int | None) -> None:
        with self._ctx.db.read() as session:
            clash = session.scalar(select(Server).where(func.lower(Server.name) == name.lower()))
        if clash is not None and clash.id != own_id:
            raise ValidationError("name", f"a server named {clash.name!r} already exists; choose another name.")

    def _save(self, server_id: int | None, spec: ServerSpec) -> ServerInfo:
        with self._ctx.db.write() as session:
            if server_id is None:
                server = Server(name=spec.name, host=spec.host, port=spec.port, username=spec.username,
                                auth_method=spec.auth_method, key_path=spec.key_path, status="UNKNOWN")
                session.add(server)
                session.flush()
            else:
                server = self._find(session, server_id)
                moved = (server.host, server.port, server.username) != (spec.host, spec.port, spec.username)
                server.name, server.host, server.port = spec.name, spec.host, spec.port
                server.username, server.auth_method, server.key_path = spec.username, spec.auth_method, spec.key_path
                if moved:
                    server.status, server.last_error = "UNKNOWN", None
            values = {"password": spec.password, "private_key": spec.private_key, "passphrase": spec.passphrase}
            for kind, value in values.items():
                if value:
                    self._ctx.secrets.put(session, secret_owner(server.id, kind), value)
                else:
                    self._ctx.secrets.delete(session, secret_owner(server.id, kind))
            return _info(server)

    async def delete(self, id_or_name: int | str) -> None:
        """Delete a server and its secrets; refused while events still run on it."""
        server_id = await asyncio.to_thread(self._delete, id_or_name)
        self.pool.forget(server_id)

    def _delete(self, id_or_name: int | str) -> int:
        with self._ctx.db.write() as session:
            server = self._find(session, id_or_name)
            users = sorted(link.event.name for link in session.scalars(
                select(EventServer).where(EventServer.server_id == server.id)))
            if users:
                names = ", ".join(repr(name) for name in users[:5]) + (" …" if len(users) > 5 else "")
                raise Conflict(f"Server {server.name!r} is used by the events {names}; remove it from them first.")
            self._ctx.secrets.delete_prefix(session, f"server:{server.id}:")
            session.delete(server)
            return server.id

    # -- host keys --------------------------------------------------------------------------------------

    async def forget_host_key(self, id_or_name: int | str) -> bool:
        """Drop the accepted host key, so the next check can accept a new (expected) one."""
        info = await self.get(id_or_name)
        self.pool.forget(info.id)
        return await asyncio.to_thread(self.hostkeys.forget, info.host, info.port)

    # -- connections ------------------------------------------------------------------------------------

    async def check(self, server: int | str | ServerInfo | ServerSpec, accept_host_key: bool | str = False) -> CheckResult:
        """Log in over the pooled connection and open a session; record and announce the status.

        `accept_host_key` trusts an unknown host key (True, or only the given fingerprint); a changed
        key is always refused: `forget_host_key` first if the change is expected.
        """
        if isinstance(server, ServerSpec):
            spec = server
        else:
            spec = await self.load_spec(server.id if isinstance(server, ServerInfo) else server)
        known_before = self.host_key_fingerprint(spec)
        error: SshError | None = None
        try:
            await self.pool.run(self._probe, spec, accept_host_key)
        except SshError as failure:
            error = failure
        presented = getattr(error, "fingerprint", None) or getattr(error, "presented", None) or self.host_key_fingerprint(spec)
        result = CheckResult(spec.name, error, presented, accepted_host_key=known_before is None and error is None)
        if spec.id is not None:
            await self._set_status(spec.id, spec.name, error)
        return result

    def _probe(self, spec: ServerSpec, accept_host_key: bool | str) -> None:
        self.pool.transport(spec, accept_host_key)
        self.pool.open_session(spec).close()

    async def _set_status(self, server_id: int, name: str, error: SshError | None) -> None:
        changed = await asyncio.to_thread(self._record_status, server_id, error)
        if changed is not None:
            self._ctx.bus.publish(ServerStatusChanged(server_id, changed, "ONLINE" if error is None else "OFFLINE",
                                                      None if error is None else str(error)))

    def _record_status(self, server_id: int, error: SshError | None) -> str | None:
        """Store the check's outcome; returns the server's name if its status changed."""
        status = "ONLINE" if error is None else "OFFLINE"
        with self._ctx.db.write() as session:
            server = session.get(Server, server_id)
            if server is None:
                return None
            before = server.status
            server.status, server.last_checked_at = status, utcnow()
            server.last_error = None if error is None else str(error)
            return server.name if before != status else None

    async def check_all(self) -> builtins.list[CheckResult]:
        """Check every server at once (one health-check round)."""
        servers = await self.list()
        results = await asyncio.gather(*(self.check(info) for info in servers), return_exceptions=True)
        done: builtins.list[CheckResult] = []
        for info, result in zip(servers, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                log.warning("health check of server %r failed: %s", info.name, result)
                continue
            done.append(result)
        return done

    def open_shell(self, server_id: int, cols: int, rows: int, term: str = "xterm-256color") -> paramiko.Channel:
        """Blocking: an interactive shell with a PTY on the pooled connection, for a terminal tab.

        Call it from a worker thread. Raises SshError subclasses (UnknownHostKey: accept the key
        first). Resize with `channel.resize_pty(cols, rows)`; close the channel to end the shell.
        """
        spec = self.spec(server_id)
        channel = self.pool.open_session(spec)
        try:
            channel.get_pty(term=term, width=cols, height=rows)
            channel.invoke_shell()
        except (paramiko.SSHException, EOFError, OSError) as error:
            channel.close()
            raise SshError(f"{spec.where}: the shell could not start ({error}).") from error
        return channel

    # -- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the health checks (window and headless; CLI commands need not)."""
        if self._health_task is None:
            self._health_task = asyncio.create_task(self._health_loop(), name="server-health-checks")

    async def _health_loop(self) -> None:
        while True:
            try:
                await self.check_all()
            except Exception:  # one bad round must not end the health checks
                log.exception("server health check round failed")
            seconds = await asyncio.to_thread(self._ctx.settings.get, "health_check_seconds")
            await asyncio.sleep(max(MIN_HEALTH_INTERVAL_SECONDS, float(seconds or 60)))

    async def stop(self) -> None:
        """Stop the health checks and close every pooled connection."""
        if self._health_task is not None:
            self._health_task.cancel()
            try:
                await self._health_task
            except asyncio.CancelledError:
                pass
            self._health_task = None
        await asyncio.to_thread(self.pool.close)
