"""One process runs the data folder's runs, so overlap and the concurrency limit hold per folder (SPEC §9).

Overlap (SKIP/QUEUE/ALLOW) and the concurrency limit are decided by a run queue, and a queue lives
in one process. So one process per data folder is the *run host*: it holds ``runhost.lock`` and
listens on 127.0.0.1 at the port named in ``runhost.json`` (private to the user, with a random
token). The window and `headless` are the host while they run; a `cronium-desktop run` hands its run
to the host, which records and queues it like any other trigger and streams its log back; with no
host, the command becomes the host itself for as long as it runs, so two commands started together
still share one queue.

The protocol is JSON lines. The client sends ``{"token", "op": "run", "event", "input"}``; the host
answers ``{"error"}`` (bad request, nothing recorded) or ``{"accepted": id}``, then
``{"segments": [[stream, server, [texts]], ...]}`` as log lines come and ``{"done": summary}``. A
client that goes away before the run ends cancels it, as Ctrl+C cancels a run the command runs itself.
`run-workflow` likewise sends ``{"token", "op": "run-workflow", "workflow", "input"}``: its node runs
go through the host's queue too, and the host streams ``{"node": [key, status, execution id]}``,
``{"segments": …, "execution": id, "node_key": key}`` for each node's lines (a fast node's lines can
come before its RUNNING state), then ``{"done": result}`` (the shape
`run-workflow --json` prints). `runs cancel` sends ``{"token", "op": "cancel", "execution"}``; the
host cancels that run as the window's Stop does and answers ``{"cancelled": bool, "status"}`` once
the run has stopped (or at once when it had already ended: ``cancelled`` false).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any

from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.lock import _lock, _private, _unlock
from cronium_desktop.engine.notices import (
    LogLines,
    NodeStateChanged,
    Notice,
    NoticeBus,
    RunFinished,
    RunQueued,
)
from cronium_desktop.engine.runs.service import RunService
from cronium_desktop.engine.states import RunTrigger

HOST_LOCK_FILENAME = "runhost.lock"
HOST_ADDRESS_FILENAME = "runhost.json"
LINE_LIMIT = 64 * 1024 * 1024  # one message carries a segment of log lines; a segment can be large
CLOSE_POLL_SECONDS = 0.05
CANCEL_WAIT_SECONDS = 30.0  # the wrapper gets its TERM, then KILL after the grace: this covers both

ShowSegment = Callable[[str, str | None, list[str]], None]  # stream, server, texts


class RunRefused(CroniumError):
    """The host refused the run (unknown event, bad input): nothing was recorded."""


class HostGone(Exception):
    """The host stopped while it ran our run (the run did not succeed as far as we know: exit 1)."""


def summary_fields(summary: Any) -> dict[str, Any]:
    return {
        "execution_id": summary.execution_id, "status": summary.status, "exit_code": summary.exit_code,
        "attempts": summary.attempt, "duration_ms": summary.duration_ms, "output": summary.output,
        "error": summary.error,
    }


class RunHost:
    """The listening side: takes runs from other processes into this process's run queue."""

    def __init__(self, data_dir: Path, runs: RunService, bus: NoticeBus, workflows: Any = None) -> None:
        self._data_dir = data_dir
        self._runs = runs
        self._workflows = workflows  # WorkflowService: takes `run-workflow` too
        self._bus = bus
        self._lock_handle: IO[str] | None = None
        self._server: asyncio.Server | None = None
        self._token = secrets.token_hex(16)
        self._handlers: set[asyncio.Task[Any]] = set()  # one per client, while its run goes on
        self._closing = False

    @property
    def serving(self) -> bool:
        return self._server is not None

    def try_acquire(self) -> bool:
        """Take the host role if no other process has it (never blocks)."""
        if self._lock_handle is not None:
            return True
        handle = open(self._data_dir / HOST_LOCK_FILENAME, "a+", opener=_private)  # noqa: SIM115 - held while host
        try:
            _lock(handle)
        except OSError:
            handle.close()
            return False
        self._lock_handle = handle
        return True

    async def serve(self) -> None:
        """Listen on 127.0.0.1 and say where in the data folder (call after `try_acquire`)."""
        assert self._lock_handle is not None, "take the host role first"
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=LINE_LIMIT)
        port = self._server.sockets[0].getsockname()[1]
        address = self._data_dir / HOST_ADDRESS_FILENAME
        temporary = address.with_name(address.name + f".{os.getpid()}.tmp")
        with open(temporary, "w", opener=_private) as handle:
            json.dump({"port": port, "token": self._token, "pid": os.getpid()}, handle)
        temporary.replace(address)

    async def close_when_idle(self) -> None:
        """Stop taking runs once every run handed to us has ended (a command that was the host)."""
        while self._handlers:
            await asyncio.sleep(CLOSE_POLL_SECONDS)
        await self.stop_listening()
        while self._handlers:  # a run handed over just before we closed is served to its end
            await asyncio.sleep(CLOSE_POLL_SECONDS)
        await self.stop()

    async def stop_listening(self) -> None:
        """Take no more runs; clients that come now try again and find the next host."""
        self._closing = True
        if self._server is not None:
            self._server.close()
            self._server = None
            # A connection accepted just before the close starts its handler now: let it see `_closing`.
            await asyncio.sleep(CLOSE_POLL_SECONDS)

    async def stop(self, grace_seconds: float = 15.0) -> None:
        """Give up the host role once the runs still streaming to clients have ended (or the grace is over)."""
        await self.stop_listening()
        if self._handlers:
            _done, pending = await asyncio.wait(set(self._handlers), timeout=grace_seconds)
            for task in pending:
                task.cancel()
        if self._lock_handle is not None:
            address = self._data_dir / HOST_ADDRESS_FILENAME
            with contextlib.suppress(OSError, ValueError):
                if json.loads(address.read_text()).get("token") == self._token:
                    address.unlink()
            try:
                _unlock(self._lock_handle)
            finally:
                self._lock_handle.close()
                self._lock_handle = None

    # -- one client ---------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:  # the client tries again and finds the next host
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
        writer.write(json.dumps(message).encode() + b"\n")
        await writer.drain()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = json.loads(await reader.readline())
        except ValueError:
            return
        if not isinstance(request, dict) or not hmac.compare_digest(str(request.get("token", "")), self._token):
            return  # not one of ours: say nothing
        if request.get("op") == "run-workflow" and isinstance(request.get("workflow"), str) and self._workflows:
            await self._serve_workflow(request, reader, writer)
            return
        if request.get("op") == "cancel" and isinstance(request.get("execution"), int):
            await self._serve_cancel(request["execution"], writer)
            return
        if request.get("op") != "run" or not isinstance(request.get("event"), str):
            await self._send(writer, {"error": "the request must name an event to run."})
            return
        notices: asyncio.Queue[Notice] = asyncio.Queue()
        unsubscribe = self._bus.subscribe(
            lambda notice: notices.put_nowait(notice) if isinstance(notice, LogLines | RunFinished) else None)
        try:
            try:
                execution_id = await self._runs.start(request["event"], input=request.get("input"), trigger=RunTrigger.CLI)
            except (CroniumError, ValueError) as error:
                await self._send(writer, {"error": str(error)})
                return
            await self._send(writer, {"accepted": execution_id})
            await self._stream(execution_id, notices, reader, writer)
        finally:
            unsubscribe()

    async def _serve_cancel(self, execution_id: int, writer: asyncio.StreamWriter) -> None:
        try:
            cancelled = await self._runs.cancel(execution_id)
            summary = await self._runs.wait(execution_id, timeout=CANCEL_WAIT_SECONDS)
        except (CroniumError, TimeoutError) as error:
            await self._send(writer, {"error": str(error) or f"run {execution_id} did not stop within "
                                      f"{CANCEL_WAIT_SECONDS:g} s"})
            return
        await self._send(writer, {"cancelled": cancelled, "status": summary.status})

    async def _stream(self, execution_id: int, notices: asyncio.Queue[Notice],
                      reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        finished = asyncio.ensure_future(self._runs.wait(execution_id))
        gone = asyncio.ensure_future(reader.read())  # the client sends nothing more: this ends at its EOF
        try:
            while True:
                taken = asyncio.ensure_future(notices.get())
                done, _ = await asyncio.wait({taken, finished, gone}, return_when=asyncio.FIRST_COMPLETED)
                if taken in done:
                    await self._forward(execution_id, taken.result(), writer)
                else:
                    taken.cancel()
                if gone in done:  # Ctrl+C on the command: stop its run, as when the command runs it itself
                    await self._runs.cancel(execution_id)
                    return
                if finished in done:
                    while not notices.empty():
                        await self._forward(execution_id, notices.get_nowait(), writer)
                    await self._send(writer, {"done": summary_fields(finished.result())})
                    return
        finally:
            for task in (finished, gone):
                task.cancel()

    async def _serve_workflow(self, request: dict[str, Any], reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter) -> None:
        from cronium_desktop.engine.workflows.subworkflows import result_json

        notices: asyncio.Queue[Notice] = asyncio.Queue()
        unsubscribe = self._bus.subscribe(lambda notice: notices.put_nowait(notice)
                                          if isinstance(notice, LogLines | NodeStateChanged | RunQueued) else None)
        try:
            try:
                run_id = await self._workflows.run(request["workflow"], input=request.get("input"), trigger=RunTrigger.CLI)
            except (CroniumError, ValueError) as error:
                await self._send(writer, {"error": str(error)})
                return
            await self._send(writer, {"accepted": run_id})
            nodes: dict[int, str] = {}  # execution id of each of this workflow run's nodes → its key
            finished = asyncio.ensure_future(self._workflows.wait(run_id))
            gone = asyncio.ensure_future(reader.read())
            try:
                while True:
                    taken = asyncio.ensure_future(notices.get())
                    done, _ = await asyncio.wait({taken, finished, gone}, return_when=asyncio.FIRST_COMPLETED)
                    pending = [taken.result()] if taken in done else []
                    if taken not in done:
                        taken.cancel()
                    if finished in done:
                        while not notices.empty():
                            pending.append(notices.get_nowait())
                    for notice in pending:
                        await self._forward_node(run_id, nodes, notice, writer)
                    if gone in done:
                        await self._workflows.cancel(run_id)
                        return
                    if finished in done:
                        await self._send(writer, {"done": result_json(finished.result())})
                        return
            finally:
                for task in (finished, gone):
                    task.cancel()
        finally:
            unsubscribe()

    async def _forward_node(self, run_id: int, nodes: dict[int, str], notice: Notice,
                            writer: asyncio.StreamWriter) -> None:
        if isinstance(notice, RunQueued) and notice.workflow_execution_id == run_id and notice.workflow_node_key:
            nodes[notice.execution_id] = notice.workflow_node_key  # known before its lines, which can beat its state
        elif isinstance(notice, NodeStateChanged) and notice.workflow_execution_id == run_id:
            if notice.execution_id is not None:
                nodes.setdefault(notice.execution_id, notice.node_key)
            await self._send(writer, {"node": [notice.node_key, notice.status, notice.execution_id]})
        elif isinstance(notice, LogLines) and notice.execution_id in nodes:
            segments = [[segment.stream, segment.server, segment.texts] for segment in notice.segments]
            await self._send(writer, {"segments": segments, "execution": notice.execution_id,
                                      "node_key": nodes[notice.execution_id]})

    async def _forward(self, execution_id: int, notice: Notice, writer: asyncio.StreamWriter) -> None:
        if isinstance(notice, LogLines) and notice.execution_id == execution_id:
            segments = [[segment.stream, segment.server, segment.texts] for segment in notice.segments]
            await self._send(writer, {"segments": segments})


# -- the handing side --------------------------------------------------------------------------------


def _address(data_dir: Path) -> dict[str, Any] | None:
    try:
        address = json.loads((data_dir / HOST_ADDRESS_FILENAME).read_text())
    except (OSError, ValueError):
        return None
    return address if isinstance(address, dict) and isinstance(address.get("port"), int) else None


@contextlib.asynccontextmanager
async def _connected(data_dir: Path, request: dict[str, Any],
                     ) -> AsyncIterator[tuple[asyncio.StreamReader, dict[str, Any]] | None]:
    """A connection to the folder's run host with `request` sent: its reader and the host's address
    record, or None when no host is there."""
    address = _address(data_dir)
    if address is None:
        yield None
        return
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", address["port"], limit=LINE_LIMIT)
    except OSError:
        yield None
        return
    try:
        writer.write(json.dumps({"token": address.get("token"), **request}).encode() + b"\n")
        await writer.drain()
        yield reader, address
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _answer(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The host's first answer; None when there is none (the host was closing). Raises RunRefused
    for an error the host gave."""
    try:
        answer = json.loads(await reader.readline())
    except (ValueError, ConnectionError):
        return None
    if not isinstance(answer, dict):
        return None
    if "error" in answer:
        raise RunRefused(answer["error"])
    return answer


async def cancel_in_host(data_dir: Path, execution_id: int) -> dict[str, Any] | None:
    """Ask the folder's run host to cancel a run: its answer (`cancelled`, `status`), or None when no
    host is there. Raises RunRefused for an error the host gave (an unknown run)."""
    async with _connected(data_dir, {"op": "cancel", "execution": execution_id}) as connection:
        return None if connection is None else await _answer(connection[0])


async def hand_over(data_dir: Path, event: str, input: Any, show: ShowSegment,
                    workflow: bool = False, on_message: Callable[[dict[str, Any]], None] | None = None,
                    ) -> dict[str, Any] | None:
    """Run `event` (with `workflow`: the workflow of that name) in the folder's run host and stream
    its log to `show` (a workflow's messages to `on_message`); its summary (result) when done.

    None when no host took the run (none is there, or it was closing): nothing was recorded, the
    caller may become the host or try again. Raises RunRefused for a request the host refused and
    HostGone when the host stopped during the run.
    """
    request = {"op": "run-workflow", "workflow": event} if workflow else {"op": "run", "event": event}
    async with _connected(data_dir, {**request, "input": input}) as connection:
        if connection is None:
            return None
        reader, address = connection
        answer = await _answer(reader)
        if answer is None:
            return None
        execution_id = answer["accepted"]
        while True:
            try:
                line = await reader.readline()
            except ConnectionError:
                line = b""
            if not line:
                raise HostGone(f"the process running this folder's runs (PID {address.get('pid')}) stopped "
                               f"during run {execution_id}; see `cronium-desktop list runs`.")
            message = json.loads(line)
            if on_message is not None and "done" not in message:
                on_message(message)
            elif "segments" in message:
                for stream, server, texts in message["segments"]:
                    show(stream, server, texts)
            elif "done" in message:
                return dict(message["done"])
