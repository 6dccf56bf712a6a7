"""The one protocol every executor implements: `run(job, sink) -> ExecResult`.

An executor runs one attempt of one execution. It reports log lines through the sink as they are
produced and returns the outcome; it never touches the store or the UI. Cancellation arrives as
`asyncio.CancelledError`: the executor stops what it started (process tree, remote process group)
and re-raises.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cronium_desktop.engine.states import RunState

if TYPE_CHECKING:
    from cronium_desktop.engine.metrics import RunMetrics
    from cronium_desktop.engine.runtime_requests import RunRequests

# The outcomes an executor reports, as the store keeps them (states.py).
SUCCESS = RunState.SUCCESS.value
FAILURE = RunState.FAILURE.value
TIMEOUT = RunState.TIMEOUT.value
PARTIAL = RunState.PARTIAL.value
CANCELLED = RunState.CANCELLED.value


@dataclass(frozen=True)
class ServerRef:
    id: int
    name: str


@dataclass
class Job:
    """Everything an executor needs for one attempt, with secrets already decrypted."""

    execution_id: int
    attempt: int
    event_id: int
    event_name: str
    event_type: str  # BASH, PYTHON, NODEJS, HTTP_REQUEST, TOOL_ACTION
    content: str
    run_location: str  # LOCAL, CONTAINER, REMOTE
    timeout_seconds: float
    input: Any = None
    env: dict[str, str] = field(default_factory=dict)  # includes secret env values
    variables: dict[str, str] = field(default_factory=dict)  # every variable, secret ones included
    servers: list[ServerRef] = field(default_factory=list)
    http: dict[str, Any] | None = None
    tool_action: dict[str, Any] | None = None
    container: dict[str, Any] | None = None
    interpreters: dict[str, str] = field(default_factory=dict)  # "BASH" -> "/bin/bash" overrides
    requests: RunRequests | None = None  # answers the script's requests to the app (runtime_requests)
    # Optional local limits (POSIX): {"memory_mb": N, "cpu_seconds": N}
    limits: dict[str, int] = field(default_factory=dict)


class Sink(Protocol):
    def line(self, stream: str, text: str, server: str | None = None) -> None:
        """One line of output (without its newline); stream is stdout, stderr or system."""


@dataclass
class ServerOutcome:
    server_id: int | None
    server_name: str
    status: str
    exit_code: int | None = None
    error: str | None = None
    output: Any = None
    started_at: Any = None
    finished_at: Any = None
    metrics: RunMetrics | None = None  # what the server reported of the run's cost


@dataclass
class ExecResult:
    status: str  # SUCCESS, FAILURE, TIMEOUT, PARTIAL
    exit_code: int | None = None
    error: str | None = None
    output: Any = None
    condition: bool = False
    variables: dict[str, str] = field(default_factory=dict)  # variables the run set
    servers: list[ServerOutcome] = field(default_factory=list)
    metrics: RunMetrics | None = None  # CPU, memory, I/O, signal: what the executor could measure
    # Removes what the run left (a local run's folder) once its end is committed, on the writer's
    # thread: until then a crash of the app leaves it to be re-attached and recorded with its true status.
    release: Callable[[], object] | None = None
    # The same for what takes a slow call to remove (a container: Docker may be slow or away), awaited
    # on the loop once the end is committed and before the run is reported finished.
    leftover: Callable[[], Awaitable[object]] | None = None


class Executor(Protocol):
    async def run(self, job: Job, sink: Sink) -> ExecResult: ...


def aggregate_status(statuses: list[str]) -> str:
    """SPEC §2: all SUCCESS → SUCCESS; none → FAILURE (TIMEOUT if all timed out); mixed → PARTIAL."""
    if not statuses:
        return FAILURE
    if all(s == SUCCESS for s in statuses):
        return SUCCESS
    if any(s == SUCCESS for s in statuses):
        return PARTIAL
    if all(s == TIMEOUT for s in statuses):
        return TIMEOUT
    return FAILURE
