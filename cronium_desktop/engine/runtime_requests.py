"""What a running script asks of the app (SPEC §3): variables on demand, tool actions, messages.

A script reaches the app through a Unix socket, `.cronium.sock`, in its private run folder, and
proves which run it is with a random token in its environment (`CRONIUM_RUN_TOKEN`). So variables
need not be written into every run folder (start-up does not grow with their number), and tool
credentials stay in the app: the script names a tool, the app runs its action and hands back the
result.

Protocol: the helper connects, sends one JSON line `{"token", "op", "args"}` of at most 1 MiB and
reads one JSON reply, `{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`; the app then
closes the connection. Ops: `getVariable {key}`, `executeToolAction {tool, action, params}`,
`send {kind: email|slack|discord, options: {message|body, subject, to, tool}}`. A request must
arrive within 10 s of connecting, and its work (a tool action) ends within 60 s.

Contract for executors: `RequestSocket.plan(job, folder)` gives the environment to add before the
folder is made; `plan.make(folder)` binds the socket (or writes the variables) with the folder's
other files; `serve_requests(plan, sink)` serves it around the script's run. A
container run bind-mounts the run folder: the socket inside it is reachable from the container
(same kernel), so the executor passes the environment on and adds its location to
`ON_DEMAND_LOCATIONS`. The script in the container must run as the app's user (or root): the run
folder is 0700 and connecting to a socket needs write permission on it. Runs on servers over SSH
reach the app through a port forward on their connection (`ssh/app_channel.py`: the same requests over TCP
on the server's 127.0.0.1, `CRONIUM_APP_PORT`); a server that allows no forwarding gets every
variable written into the folder, and the helpers refuse tool actions there with a clear error.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.executors.base import Job, Sink
from cronium_desktop.engine.runtime import VARIABLE_KEY
from cronium_desktop.engine.secrets import Masker
from cronium_desktop.engine.store.models import Variable
from cronium_desktop.engine.tools.service import ToolService

SOCKET_NAME = ".cronium.sock"
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


Lookup = Callable[[str], "tuple[RunRequests, Sink] | None"]


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


class _Connections:
    """Serves one run's socket: token check, size and time bounds, a few requests at a time."""

    def __init__(self, requests: RunRequests, token: str, sink: Sink) -> None:
        self._run = (requests, sink)
        self._token = token
        self._slots = asyncio.Semaphore(CONCURRENT_REQUESTS)
        self.tasks: set[asyncio.Task[Any]] = set()

    def _lookup(self, token: str) -> tuple[RunRequests, Sink] | None:
        return self._run if hmac.compare_digest(token.encode(), self._token.encode()) else None

    async def serve(self, connection: socket.socket) -> None:
        """Answer one accepted connection (its task is in `tasks` while it is served)."""
        connection.setblocking(False)
        try:
            reader, writer = await asyncio.open_unix_connection(sock=connection, limit=MAX_REQUEST_BYTES)
        except OSError:
            connection.close()
            return
        try:
            async with self._slots:
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


class RequestSocket:
    """What a run needs to reach the app, decided before its folder is made: the socket's token and
    the script's environment, or (a folder too deep for a socket path) its variables to write; then
    the socket itself, made with the folder (`make`)."""

    def __init__(self, requests: RunRequests, env: dict[str, str], token: str | None = None,
                 variables: dict[str, str] | None = None) -> None:
        self.requests = requests
        self.env = env
        self.token = token
        self.variables = variables
        self.listener: socket.socket | None = None  # bound and listening, once made

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
        """In the new run folder, before the script starts: the socket bound and listening (a script
        connecting at once waits in its backlog until the app serves it), or the variables written.
        Blocking: the worker thread that makes the folder."""
        if self.token is None:
            _write_variables(folder, self.variables or {})
            return
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(folder / SOCKET_NAME))
            listener.listen(LISTEN_BACKLOG)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self.listener = listener

    def close(self) -> None:
        """Close a socket that will not be served (the run did not start)."""
        if self.listener is not None:
            self.listener.close()


@asynccontextmanager
async def serve_requests(plan: RequestSocket | None, sink: Sink) -> AsyncIterator[None]:
    """Serve the run's socket (made by `plan.make`) while the block runs.

    The loop watches the listening socket itself and makes a stream of each connection it accepts:
    most runs never ask anything, and a server object per run cost more than the run's other
    bookkeeping on the loop."""
    if plan is None or plan.listener is None or plan.token is None:
        yield
        return
    listener = plan.listener
    path = listener.getsockname()
    connections = _Connections(plan.requests, plan.token, sink)
    loop = asyncio.get_running_loop()
    fd = listener.fileno()
    serving = [True]

    def accept() -> None:
        while True:  # every connection waiting in the backlog
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors and the like: look again in a second, not at once
                loop.remove_reader(fd)
                loop.call_later(ACCEPT_RETRY_SECONDS, lambda: serving[0] and loop.add_reader(fd, accept))
                return
            task = loop.create_task(connections.serve(connection))
            connections.tasks.add(task)
            task.add_done_callback(connections.tasks.discard)

    try:
        loop.add_reader(fd, accept)
        try:
            yield
        finally:
            serving[0] = False
            loop.remove_reader(fd)
            for task in list(connections.tasks):
                task.cancel()
    finally:
        listener.close()
        Path(path).unlink(missing_ok=True)
