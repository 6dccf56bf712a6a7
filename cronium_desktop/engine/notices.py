"""Typed notices the engine publishes, and the bus that delivers them.

The engine tells, it never calls UI code: the window's `EngineBridge`, the CLI's log streamer and
tests subscribe here. Callbacks run on the engine's event loop and must be quick.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    pass


@dataclass(frozen=True)
class RunQueued(Notice):
    execution_id: int
    event_id: int | None
    event_name: str
    trigger: str
    due_at: datetime | None = None  # its scheduled time, else when it was queued (naive UTC)
    # A workflow node's run: published before any of its lines, so a follower of the workflow knows
    # which node they come from (the node's RUNNING state may be recorded after the run has begun).
    workflow_execution_id: int | None = None
    workflow_node_key: str | None = None


@dataclass(frozen=True)
class RunStarted(Notice):
    execution_id: int
    event_id: int | None
    attempt: int


@dataclass(frozen=True)
class RunFinished(Notice):
    """An execution reached a final state (after its last attempt)."""

    execution_id: int
    event_id: int | None
    event_name: str
    status: str
    exit_code: int | None
    error: str | None
    # The run's row as its final state was recorded, when the recording read it: waiters need no read.
    record: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AttemptFinished(Notice):
    execution_id: int
    attempt: int
    status: str
    retry_at: datetime | None  # set when another attempt will follow


@dataclass(frozen=True)
class LogLineNotice:
    ts: datetime
    stream: str  # stdout, stderr, system
    text: str
    server: str | None = None


class Segment:
    """Lines of one stream read at one moment: the unit output travels in, from the reader to the
    store and to the window. `data` is the lines' UTF-8 text joined by newlines (already masked);
    with `count == 1` it is one line, which may itself hold newlines (system messages)."""

    __slots__ = ("stream", "ts", "data", "count", "server", "_texts")

    def __init__(self, stream: str, ts: datetime, data: bytes, count: int, server: str | None = None) -> None:
        self.stream, self.ts, self.data, self.count, self.server = stream, ts, data, count, server
        self._texts: list[str] | None = None

    @property
    def texts(self) -> list[str]:
        if self._texts is None:
            text = self.data.decode("utf-8", errors="replace")
            self._texts = [text] if self.count == 1 else text.split("\n")
        return self._texts


@dataclass(frozen=True, init=False)
class LogLines(Notice):
    """New log lines of one execution, already masked, in segments; `lines` builds one record per
    line on demand (a million-line log is carried as a few dozen segments)."""

    execution_id: int
    attempt: int
    segments: tuple[Segment, ...]

    def __init__(self, execution_id: int, attempt: int, lines: tuple[LogLineNotice, ...] = (),
                 segments: tuple[Segment, ...] = ()) -> None:
        made = tuple(Segment(line.stream, line.ts, line.text.encode(), 1, line.server) for line in lines)
        object.__setattr__(self, "execution_id", execution_id)
        object.__setattr__(self, "attempt", attempt)
        object.__setattr__(self, "segments", tuple(segments) + made)

    @property
    def lines(self) -> list[LogLineNotice]:
        return [LogLineNotice(segment.ts, segment.stream, text, segment.server)
                for segment in self.segments for text in segment.texts]


@dataclass(frozen=True)
class EventsChanged(Notice):
    """Events were created, edited, deleted, paused or activated."""

    event_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ScheduleChanged(Notice):
    event_id: int | None
    workflow_id: int | None
    next_run: datetime | None


@dataclass(frozen=True)
class EventPaused(Notice):
    """The engine itself paused an event (e.g. max_executions reached)."""

    event_id: int
    reason: str


@dataclass(frozen=True)
class ServerStatusChanged(Notice):
    server_id: int
    name: str
    status: str  # ONLINE, OFFLINE
    error: str | None


@dataclass(frozen=True)
class NodeStateChanged(Notice):
    workflow_execution_id: int
    node_key: str
    status: str
    execution_id: int | None


@dataclass(frozen=True)
class WorkflowRunFinished(Notice):
    workflow_execution_id: int
    workflow_id: int | None
    status: str


@dataclass(frozen=True)
class WorkflowsChanged(Notice):
    workflow_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class VariablesChanged(Notice):
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolsChanged(Notice):
    """Tool credentials were added, edited or deleted."""

    tool_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SettingsChanged(Notice):
    """Settings were changed by another process (the CLI's `settings set`)."""

    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message(Notice):
    """Something the user should hear about that is not tied to a run."""

    level: str  # info, warning, error
    text: str
    details: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Notice], None]


class NoticeBus:
    """Fan-out of notices to subscribers, safe to publish from worker threads."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, notice: Notice) -> None:
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._deliver, notice)
        else:
            self._deliver(notice)

    def _deliver(self, notice: Notice) -> None:
        for callback in list(self._subscribers):
            try:
                callback(notice)
            except Exception:  # a broken subscriber must not break the engine
                log.exception("notice subscriber failed on %r", notice)
