"""Scripts on a server reach the app over the run's own SSH connection (SPEC §3, runtime_requests).

One remote port forward per pooled connection, on the server's 127.0.0.1, shared by the runs on
that connection: sshd hands each connection a script makes to that port back to this process as
a channel. Other users of the server can connect to the port too, so every request carries its
run's token (random, per run, in the run's 0600 env file), and a request whose token names no
running run is refused. A server that does not allow forwarding (`AllowTcpForwarding no`) gets
its variables written into the run folder and no tool actions, as a run with no socket does.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import weakref
from typing import Any

import paramiko

from cronium_desktop.engine.executors.base import Sink
from cronium_desktop.engine.runtime_requests import (
    MAX_REQUEST_BYTES,
    REQUEST_ARRIVAL_SECONDS,
    REQUEST_WORK_SECONDS,
    TOKEN_ENV,
    TOO_LARGE,
    TOO_LATE,
    RunRequests,
    encode_reply,
    reply_to,
)

PORT_ENV = "CRONIUM_APP_PORT"
NO_FORWARD = 0  # a connection whose server refused the forward: not asked again


class AppChannel:
    """The runs reachable from servers, by token, and each connection's forwarded port."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._runs: dict[str, tuple[RunRequests, Sink]] = {}
        self._ports: weakref.WeakKeyDictionary[paramiko.Transport, int] = weakref.WeakKeyDictionary()

    def port_for(self, transport: paramiko.Transport) -> int | None:
        """The server-side port forwarded to this process, asked for once per connection (blocks)."""
        with self._lock:
            port = self._ports.get(transport)
            if port is None:
                try:
                    port = transport.request_port_forward("127.0.0.1", 0, handler=self._accept)
                except (paramiko.SSHException, EOFError, OSError):
                    port = NO_FORWARD
                self._ports[transport] = port
        return port or None

    def register(self, requests: RunRequests, sink: Sink) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._runs[token] = (requests, sink)
        return token

    def unregister(self, token: str) -> None:
        with self._lock:
            self._runs.pop(token, None)

    def env(self, token: str, port: int) -> dict[str, str]:
        return {TOKEN_ENV: token, PORT_ENV: str(port)}

    def _lookup(self, token: str) -> tuple[RunRequests, Sink] | None:
        with self._lock:
            return self._runs.get(token)

    def _accept(self, channel: paramiko.Channel, origin: Any, server: Any) -> None:
        # Called in paramiko's transport thread, which must go on reading packets: serve elsewhere.
        threading.Thread(target=self._serve, args=(channel,), name="cronium-app-channel", daemon=True).start()

    def _serve(self, channel: paramiko.Channel) -> None:
        try:
            channel.settimeout(REQUEST_ARRIVAL_SECONDS)
            line = b""
            while b"\n" not in line:
                chunk = channel.recv(65536)
                if not chunk:
                    break
                line += chunk
                if len(line) > MAX_REQUEST_BYTES:
                    channel.sendall(encode_reply(TOO_LARGE))
                    return
            # The sink's lines and the store belong to the loop: the request is answered there.
            answer = asyncio.run_coroutine_threadsafe(reply_to(line, self._lookup), self._loop)
            channel.settimeout(REQUEST_WORK_SECONDS + 5)
            channel.sendall(encode_reply(answer.result(REQUEST_WORK_SECONDS + 5)))
        except TimeoutError:
            try:
                channel.sendall(encode_reply(TOO_LATE))
            except OSError:
                pass
        except (OSError, EOFError, paramiko.SSHException):
            pass  # the script or the connection went away
        finally:
            channel.close()
