"""What a running script asks of the app (SPEC §3): variables on demand, tool actions, messages.

A script reaches the app through a Unix socket, `.cronium.sock` in its private run folder (a link to
the one socket the app listens on for its local runs, `RequestServer`), and proves which run it is
with a random token in its environment (`CRONIUM_RUN_TOKEN`). So variables need not be written into
every run folder (start-up does not grow with their number), and tool credentials stay in the app:
the script names a tool, the app runs its action and hands back the result.

Protocol: the helper connects, sends one JSON line `{"token", "op", "args"}` of at most 1 MiB and
reads one JSON reply, `{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`; the app then
closes the connection. Ops: `getVariable {key}`, `executeToolAction {tool, action, params}`,
`send {kind: email|slack|discord, options: {message|body, subject, to, tool}}`. A request must
arrive within 10 s of connecting, and its work (a tool action) ends within 60 s.

Contract for executors: `RequestSocket.plan(job, folder)` gives the environment to add before the
folder is made; `RequestServer.register(plan, sink)` answers the run from then on (before its script
can ask) and `unregister` ends that at the run's end; `plan.make(folder)` links the socket (or writes
the variables) with the folder's other files. A run an earlier app process started is answered by
the process that follows it again: `RequestSocket(requests, {}, its token)`, registered, then
`relink(folder)`. The link points at a path of this computer: a
container run would need the server's socket mounted as well (container runs get their variables
written: they are not in `ON_DEMAND_LOCATIONS`). Runs on servers over SSH
reach the app through a port forward on their connection (`ssh/app_channel.py`: the same requests over TCP
on the server's 127.0.0.1, `CRONIUM_APP_PORT`); a server that allows no forwarding gets every
variable written into the folder, and the helpers refuse tool actions there with a clear error.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import psutil

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.executors.base import Job, Sink
from cronium_desktop.engine.runtime import VARIABLE_KEY
from cronium_desktop.engine.secrets import Masker
from cronium_desktop.engine.store.models import Variable
from cronium_desktop.engine.tools.service import ToolService

SOCKET_NAME = ".cronium.sock"
SERVER_PREFIX = ".requests-"  # the server's socket in the run folders root: .requests-PID-N.sock
TOKEN_ENV = "CRONIUM_RUN_TOKEN"
# Where variables are read on demand instead of being written into the run folder.
ON_DEMAND_LOCATIONS = frozenset({"LOCAL", "REMOTE"})
MAX_REQUEST_BYTES = 1024 * 1024
REQUEST_ARRIVAL_SECONDS = 10.0
REQUEST_WORK_SECONDS = 60.0
CONCURRENT_REQUESTS = 4
# sockaddr_un holds 108 bytes on Linux, 104 on macOS; longer folders fall back to written variables.
MAX_SOCKET_PATH = 100
LISTEN_BACKLOG = 64  # scripts connecting before the app serves the socket wait here
ACCEPT_RETRY_SECONDS = 1.0
MESSAGE_KINDS = ("email", "slack", "discord")


class RequestRefused(CroniumError):
    """A script's request the app will not or cannot do; the message goes back to the script."""


class RunRequests:
    """Answers one run's requests. Secret variables handed out join the run's masker first."""

    def __init__(self, ctx: EngineContext, masker: Masker) -> None:
        self._ctx = ctx
        self._masker = masker
        self._tools = ToolService(ctx)

    # -- variables -----------------------------------------------------------------------------------

    def _read_variable(self, key: str) -> tuple[str, bool] | None:
        from cronium_desktop.engine.variables import variable_owner

        with self._ctx.db.read() as session:
            row = session.get(Variable, key)
            if row is None:
                return None
            if row.secret:
                return self._ctx.secrets.get(session, variable_owner(key)) or "", True
            return row.value or "", False

    async def get_variable(self, key: Any) -> str | None:
        if not isinstance(key, str) or not VARIABLE_KEY.match(key):
            raise RequestRefused(f"invalid variable name {key!r}.")
        found = await asyncio.to_thread(self._read_variable, key)
        if found is None:
            return None
        value, secret = found
        if secret:
            self._masker.add([value])  # before the script can print it
        return value

    def _read_all(self) -> dict[str, str]:
        from cronium_desktop.engine.variables import VariableService

        with self._ctx.db.read() as session:
            every = VariableService(self._ctx).read_all(session)
        self._masker.add(value for value, secret in every.values() if secret)
        return {key: value for key, (value, _secret) in every.items()}

    async def all_variables(self) -> dict[str, str]:
        """Every variable, for a run folder that cannot have a socket."""
        return await asyncio.to_thread(self._read_all)

    # -- tools ----------------------------------------------------------------------------------------

    async def execute_tool_action(self, tool: Any, action: Any, params: Any, sink: Sink) -> Any:
        if not isinstance(tool, str) or not tool.strip():
            raise RequestRefused("the first argument names the tool credential to use (as in Tools).")
        if not isinstance(action, str) or not action.strip():
            raise RequestRefused("the second argument names the tool's action, e.g. 'send_message'.")
        loaded = await self._tools.load(tool)
        tool_masker = Masker(loaded.secret_values)
        sink.line("system", f"The script runs tool action {loaded.info.name!r} → {action}.")
        return await self._tools.run_loaded(
            loaded, action, params if params is not None else {},
            lambda text: sink.line("system", self._masker.mask(tool_masker.mask(text))),
        )

    async def _only_tool_of(self, kind: str) -> str:
        names = [info.name for info in await self._tools.list() if info.type == kind]
        if len(names) == 1:
            return names[0]
        if not names:
            raise RequestRefused(f"no {kind} tool is configured; add one in Tools.")
        raise RequestRefused(f"there are {len(names)} {kind} tools ({', '.join(names)}); name one with \"tool\".")

    async def send(self, kind: Any, options: Any, sink: Sink) -> Any:
        if kind not in MESSAGE_KINDS:
            raise RequestRefused(f"unknown message kind {kind!r}.")
        if isinstance(options, str):
            options = {"message": options}
        if not isinstance(options, dict):
            raise RequestRefused("the argument is an object such as {\"message\": \"...\"}.")
        unknown = set(options) - {"message", "body", "subject", "to", "tool"}
        if unknown:
            raise RequestRefused(f"unknown option {sorted(unknown)[0]!r}: use message, subject, to, tool.")
        body = options.get("message", options.get("body"))
        if not isinstance(body, str) or not body.strip():
            raise RequestRefused('"message" (the text to send) is required.')
        params: dict[str, Any] = {"body": body}
        if options.get("subject"):
            params["subject"] = options["subject"]
        if options.get("to") and kind == "email":
            params["to"] = options["to"]
        tool = options.get("tool") or await self._only_tool_of(kind)
        return await self.execute_tool_action(tool, "send_message", params, sink)

    async def answer(self, op: Any, args: Any, sink: Sink) -> Any:
        if not isinstance(args, dict):
            raise RequestRefused("the request's args must be an object.")
        if op == "getVariable":
            return await self.get_variable(args.get("key"))
        if op == "executeToolAction":
            return await self.execute_tool_action(args.get("tool"), args.get("action"), args.get("params"), sink)
        if op == "send":
            return await self.send(args.get("kind"), args.get("options"), sink)
        raise RequestRefused(f"unknown request {op!r}.")


def _write_variables(folder: Path, variables: dict[str, str]) -> None:
    for key, value in variables.items():
        if VARIABLE_KEY.match(key):
            path = folder / "vars" / key
            path.parent.mkdir(mode=0o700, exist_ok=True)
            path.write_text(value, encoding="utf-8")


def helper_python() -> dict[str, str]:
    """The app's own Python for Bash's helper client, when it is a plain interpreter (not a bundle)."""
    return {} if getattr(sys, "frozen", False) else {"CRONIUM_PYTHON": sys.executable}


class Answers(Protocol):
    def answer(self, op: Any, args: Any, sink: Sink) -> Awaitable[Any]: ...


Lookup = Callable[[str], "tuple[Answers, Sink] | None"]


async def reply_to(line: bytes, lookup: Lookup) -> dict[str, Any]:
    """The reply to one request line: the run its token names answers it, within the time bound."""
    try:
        request = json.loads(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {"ok": False, "error": "the request is not a JSON line."}
    token = request.get("token") if isinstance(request, dict) else None
    run = lookup(token) if isinstance(token, str) else None
    if run is None:
        return {"ok": False, "error": "the request does not carry this run's token."}
    requests, sink = run
    try:
        work: Awaitable[Any] = requests.answer(request.get("op"), request.get("args", {}), sink)
        result = await asyncio.wait_for(work, REQUEST_WORK_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"not done within {REQUEST_WORK_SECONDS:g} s."}
    except CroniumError as error:
        return {"ok": False, "error": str(error)}
    except Exception as error:  # a tool's unexpected failure is the request's, not the run's
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True, "result": result}


def encode_reply(reply: dict[str, Any]) -> bytes:
    return json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n"


TOO_LARGE = {"ok": False, "error": f"the request is larger than {MAX_REQUEST_BYTES // 1024} KiB."}
TOO_LATE = {"ok": False, "error": f"no request arrived within {REQUEST_ARRIVAL_SECONDS:g} s."}


class RequestSocket:
    """What a run needs to reach the app, decided before its folder is made: the token and the
    script's environment, or (a folder too deep for a socket path) its variables to write; then, with
    the folder, its `.cronium.sock`: a link to the process's `RequestServer` (`make`)."""

    def __init__(self, requests: RunRequests, env: dict[str, str], token: str | None = None,
                 variables: dict[str, str] | None = None) -> None:
        self.requests = requests
        self.env = env
        self.token = token
        self.variables = variables
        self.target: Path | None = None  # the server's socket, once the run is registered with it

    @classmethod
    async def plan(cls, job: Job, folder: str) -> RequestSocket | None:
        """None for a run without a request handler; `folder`: the run folder's path (or one as long)."""
        requests: RunRequests | None = job.requests
        if requests is None:
            return None
        if len(f"{folder}/{SOCKET_NAME}".encode()) > MAX_SOCKET_PATH:
            return cls(requests, {}, variables=await requests.all_variables())
        token = secrets.token_urlsafe(32)
        return cls(requests, {TOKEN_ENV: token, **helper_python()}, token)

    def make(self, folder: Path) -> None:
        """In the new run folder, before the script starts: the link to the server's socket (the run
        is registered with the server already), or the variables written. Blocking: the worker
        thread that makes the folder."""
        if self.token is None:
            _write_variables(folder, self.variables or {})
            return
        assert self.target is not None, "register the run with the server first"
        os.symlink(self.target, folder / SOCKET_NAME)

    def relink(self, folder: Path) -> None:
        """Point the link of a run an earlier app process started at this process's server (the run
        is registered with it already), at once: the script may be connecting meanwhile."""
        assert self.target is not None, "register the run with the server first"
        new = folder / f"{SOCKET_NAME}.new"
        new.unlink(missing_ok=True)
        os.symlink(self.target, new)
        os.replace(new, folder / SOCKET_NAME)


class _Run:
    """A run the server answers: its requests, a few at a time, and the requests being answered."""

    def __init__(self, requests: RunRequests, sink: Sink) -> None:
        self.requests = requests
        self.sink = sink
        self.slots = asyncio.Semaphore(CONCURRENT_REQUESTS)
        self.tasks: set[asyncio.Task[Any]] = set()

    async def answer(self, op: Any, args: Any, sink: Sink) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)  # cancelled when the run ends
        try:
            async with self.slots:
                return await self.requests.answer(op, args, sink)
        finally:
            self.tasks.discard(task)


_servers = itertools.count(1)


class RequestServer:
    """One listening socket for the local runs of this process in a run folders root.

    Each run folder's `.cronium.sock` is a symbolic link to it (`RequestSocket.make`): binding,
    watching and removing a socket per run cost the loop about a sixth of a trivial run's time. The
    token a request carries says which run asks; a run is known from before its script starts
    (`register`) until it ends (`unregister`). The socket is made on the first run, on the loop that
    serves it, in the root (private to the user: `private_folder`), named for this process."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._path: Path | None = None
        self._runs: dict[bytes, _Run] = {}
        self._tasks: set[asyncio.Task[Any]] = set()  # one per connection being served

    def register(self, plan: RequestSocket | None, sink: Sink) -> bytes | None:
        """Answer `plan`'s run from now on (on the running loop); the key to `unregister` it with
        (None: there is nothing to answer)."""
        if plan is None or plan.token is None:
            return None
        loop = asyncio.get_running_loop()
        # Made again where its file went (a cleaner of temporary folders, a user tidying /dev/shm):
        # an app running for weeks must not lose its scripts' line to it.
        if self._listener is None or self._loop is not loop or not os.path.exists(self._path or ""):
            self.close()
            self._listen(loop)
        plan.target = self._path
        key = _key(plan.token)
        self._runs[key] = _Run(plan.requests, sink)
        return key

    def unregister(self, key: bytes | None) -> None:
        """The run ended: its token is refused from now on, and what it asked and was not answered
        yet is dropped."""
        run = self._runs.pop(key, None) if key is not None else None
        if run is not None:
            for task in list(run.tasks):
                task.cancel()

    def close(self) -> None:
        """Stop listening (the executor's end); connections still being served are dropped."""
        listener, loop = self._listener, self._loop
        self._listener = self._loop = None
        if listener is None:
            return
        if loop is not None and not loop.is_closed():
            loop.remove_reader(listener.fileno())
            for task in list(self._tasks):
                task.cancel()
        self._tasks.clear()
        listener.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        _remove_orphans(self._root)
        path = self._root / f"{SERVER_PREFIX}{os.getpid()}-{next(_servers)}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(path))
            listener.listen(LISTEN_BACKLOG)  # a script connecting while the loop is busy waits here
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener, self._loop, self._path = listener, loop, path
        loop.add_reader(listener.fileno(), self._accept)

    def _accept(self) -> None:
        listener, loop = self._listener, self._loop
        assert listener is not None and loop is not None
        while True:  # every connection waiting in the backlog
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors and the like: look again in a second, not at once
                loop.remove_reader(listener.fileno())
                loop.call_later(ACCEPT_RETRY_SECONDS, self._accept_again, listener)
                return
            task = loop.create_task(self._serve(connection))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _accept_again(self, listener: socket.socket) -> None:
        if self._listener is listener and self._loop is not None:
            self._loop.add_reader(listener.fileno(), self._accept)

    async def _serve(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        try:
            reader, writer = await asyncio.open_unix_connection(sock=connection, limit=MAX_REQUEST_BYTES)
        except OSError:
            connection.close()
            return
        try:
            reply = await self._reply(reader)
            writer.write(encode_reply(reply))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the script went away; nothing to answer
        finally:
            writer.close()

    async def _reply(self, reader: asyncio.StreamReader) -> dict[str, Any]:
        try:
            line = await asyncio.wait_for(reader.readline(), REQUEST_ARRIVAL_SECONDS)
        except TimeoutError:
            return TOO_LATE
        except (ValueError, asyncio.LimitOverrunError):
            return TOO_LARGE
        return await reply_to(line, self._lookup)

    def _lookup(self, token: str) -> tuple[Answers, Sink] | None:
        run = self._runs.get(_key(token))
        return None if run is None else (run, run.sink)


def _key(token: str) -> bytes:
    """What a run is found by: its token's digest (a lookup by the token itself could take longer
    the more of it a guess gets right)."""
    return hashlib.sha256(token.encode()).digest()


def _remove_orphans(root: Path) -> None:
    """The sockets of processes that are gone (killed before they closed theirs)."""
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            if not entry.name.startswith(SERVER_PREFIX):
                continue
            pid = entry.name.removeprefix(SERVER_PREFIX).partition("-")[0]
            if pid.isdigit() and not psutil.pid_exists(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
