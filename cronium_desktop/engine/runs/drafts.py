"""Draft runs: an event's unsaved script text, tried from the editor (SPEC §2, trigger `DRAFT`).

A draft is recorded like any run (so it is listed, logged and cancellable) and goes through the same
queue, runner and executors as a real run of the event. It differs in what it runs and in what it
leaves behind: the text comes from the editor, not the store; it counts toward no max runs (the
trigger is not a counted one), is never retried, never skipped by the overlap policy, and fires no
conditional actions.

The text is kept in memory only, keyed by execution id: a draft is a try-out from the window that
owns it, not something to resume after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cronium_desktop.engine.executors.base import Executor, Job
from cronium_desktop.engine.states import SCRIPT_TYPES, RunTrigger

DRAFT_TRIGGER = RunTrigger.DRAFT.value
LOST_TEXT = "The draft's text is gone (the application stopped before it ran); run the draft again."


@dataclass
class Draft:
    content: str
    event_type: str | None  # the editor's language when it differs from the saved event's


class DraftRuns:
    """Starts draft runs and hands the runner their text in place of the saved one."""

    def __init__(self, start_run: Callable[..., Awaitable[int]]) -> None:
        self._start_run = start_run  # RunService.start
        self._texts: dict[int, Draft] = {}
        self._ids: set[int] = set()  # draft runs of this process not yet finished

    async def start(self, event: int | str, content: str, input: Any = None, event_type: str | None = None) -> int:
        """Record and queue a run of `event` with `content` as its script; returns the execution id."""
        if not isinstance(content, str):
            raise TypeError("content: the draft's script must be text.")
        if event_type is not None and event_type not in SCRIPT_TYPES:
            raise ValueError(f"event_type: a draft runs a script, one of {', '.join(SCRIPT_TYPES)}; got {event_type!r}.")
        execution_id = await self._start_run(event, input, DRAFT_TRIGGER)
        # No await since the queue got the run: the runner cannot have asked for the text yet.
        self._texts[execution_id] = Draft(content, event_type)
        self._ids.add(execution_id)
        return execution_id

    def is_draft(self, execution_id: int) -> bool:
        return execution_id in self._ids

    def wrap_selector(self, select: Callable[[Job], Executor | str]) -> Callable[[Job], Executor | str]:
        """The runner's executor choice, with a draft's text and language put into its job first."""

        def select_with_draft(job: Job) -> Executor | str:
            if job.execution_id in self._ids:
                draft = self._texts.pop(job.execution_id, None)
                if draft is None:
                    return LOST_TEXT
                job.content = draft.content
                if draft.event_type is not None:
                    job.event_type = draft.event_type
            return select(job)

        return select_with_draft

    def wrap_after_run(self, after_run: Callable[[int], Awaitable[None]]) -> Callable[[int], Awaitable[None]]:
        """Conditional actions after a run, except after a draft (SPEC §2)."""

        async def after_run_unless_draft(execution_id: int) -> None:
            if execution_id in self._ids:
                self._ids.discard(execution_id)
                self._texts.pop(execution_id, None)
                return
            await after_run(execution_id)

        return after_run_unless_draft
