"""One SSH transport per server, shared by runs, health checks and terminals.

Reusing the transport saves the TCP, key-exchange and login round trips on every run; keepalive
packets notice a dead connection, and the next user reconnects. A circuit breaker stops a down
server from making every run wait for a connect timeout: after `failure_threshold` failed
connects in a row, connecting fails at once for `open_seconds`, then one attempt is let through.

Everything here blocks (paramiko); `run()` hands it to the pool's own worker threads so the event
loop never waits and a multi-server run is not limited by asyncio's small default executor.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import paramiko

from cronium_desktop.engine.ssh.connect import CONNECT_TIMEOUT_SECONDS, KEEPALIVE_SECONDS, ServerSpec, connect
from cronium_desktop.engine.ssh.errors import AuthFailed, CircuitOpen, ConnectFailed, SshError
from cronium_desktop.engine.ssh.hostkeys import HostKeyStore

T = TypeVar("T")
CHANNEL_TIMEOUT_SECONDS = 15.0


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    transport: paramiko.Transport | None = None
    spec: ServerSpec | None = None
    failures: int = 0
    open_until: float = 0.0
    last_error: str | None = None
    connects: int = 0  # TCP connections opened, for tests and the benchmark


class ConnectionPool:
    def __init__(
        self,
        hostkeys: HostKeyStore,
        *,
        failure_threshold: int = 3,
        open_seconds: float = 30.0,
        keepalive_seconds: int = KEEPALIVE_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
        max_workers: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hostkeys = hostkeys
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.keepalive_seconds = keepalive_seconds
        self.connect_timeout = connect_timeout
        self._clock = clock
        self._slots: dict[int, _Slot] = {}
        self._slots_lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssh")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking SSH work in the pool's threads and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    def _slot(self, server_id: int) -> _Slot:
        with self._slots_lock:
            return self._slots.setdefault(server_id, _Slot())

    # -- transports ----------------------------------------------------------------------------------

    def transport(self, spec: ServerSpec, accept_host_key: bool | str = False) -> paramiko.Transport:
        """The server's live transport, connecting (or reconnecting) when needed."""
        return self._transport(spec, accept_host_key)[0]

    def _transport(self, spec: ServerSpec, accept_host_key: bool | str = False) -> tuple[paramiko.Transport, bool]:
        """(transport, reused) — reused tells whether a failure may just mean a stale connection."""
        if spec.id is None:  # a server not saved yet (checked before `add`): never pooled
            return self._connect(spec, accept_host_key), False
        slot = self._slot(spec.id)
        with slot.lock:
            if slot.transport is not None and slot.spec == spec and slot.transport.is_active() \
                    and slot.transport.is_authenticated():
                return slot.transport, True
            if slot.transport is not None:
                slot.transport.close()
                slot.transport = None
            now = self._clock()
            if slot.failures >= self.failure_threshold and now < slot.open_until:
                raise CircuitOpen(
                    f"{spec.where}: {slot.failures} connection attempts failed in a row; not trying again for "
                    f"{slot.open_until - now:.0f} s. Last error: {slot.last_error}"
                )
            try:
                transport = self._connect(spec, accept_host_key)
            except (ConnectFailed, AuthFailed) as error:
                slot.failures += 1
                slot.last_error = str(error)
                if slot.failures >= self.failure_threshold:
                    slot.open_until = self._clock() + self.open_seconds
                raise
            slot.connects += 1
            slot.transport, slot.spec, slot.failures, slot.last_error = transport, spec, 0, None
            return transport, False

    def _connect(self, spec: ServerSpec, accept_host_key: bool | str) -> paramiko.Transport:
        return connect(spec, self.hostkeys, accept_host_key, self.connect_timeout, self.keepalive_seconds)

    def open_session(self, spec: ServerSpec) -> paramiko.Channel:
        """A new session channel; a stale pooled connection is replaced once, transparently."""
        transport, reused = self._transport(spec)
        try:
            return self._open_channel(spec, transport)
        except ConnectFailed:
            self.invalidate(spec, transport)
            if not reused:
                raise
        return self._open_channel(spec, self._transport(spec)[0])

    @staticmethod
    def _open_channel(spec: ServerSpec, transport: paramiko.Transport) -> paramiko.Channel:
        try:
            return transport.open_session(timeout=CHANNEL_TIMEOUT_SECONDS)
        except paramiko.ChannelException as error:
            raise SshError(
                f"{spec.where}: the server refused another session on the shared connection ({error}). "
                "Raise MaxSessions in its sshd_config or run fewer things on it at once."
            ) from error
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise ConnectFailed(f"{spec.where}: the connection was lost ({error or type(error).__name__}).") from error

    # -- state -----------------------------------------------------------------------------------------

    def invalidate(self, spec: ServerSpec, transport: paramiko.Transport | None = None) -> None:
        """Close the pooled transport (only `transport`, if given, so a fresh one is not dropped)."""
        if spec.id is None:
            if transport is not None:
                transport.close()
            return
        slot = self._slot(spec.id)
        with slot.lock:
            if slot.transport is not None and (transport is None or slot.transport is transport):
                slot.transport.close()
                slot.transport = None

    def forget(self, server_id: int) -> None:
        """Drop the server's transport and breaker state (it was edited or deleted)."""
        with self._slots_lock:
            slot = self._slots.pop(server_id, None)
        if slot is not None:
            with slot.lock:
                if slot.transport is not None:
                    slot.transport.close()

    def is_connected(self, server_id: int) -> bool:
        slot = self._slots.get(server_id)
        return bool(slot and slot.transport and slot.transport.is_active())

    def connects(self, server_id: int) -> int:
        """How many TCP connections the pool has opened to this server."""
        slot = self._slots.get(server_id)
        return slot.connects if slot else 0

    def close(self) -> None:
        with self._slots_lock:
            slots = list(self._slots.values())
            self._slots.clear()
        for slot in slots:
            if slot.transport is not None:
                slot.transport.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
