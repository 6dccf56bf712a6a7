"""Conditional actions (SPEC §4): what happens after a run ends.

RUN_EVENT starts another event with this run's output as its input; SEND_MESSAGE renders the
subject and body templates and sends them through a tool credential; SET_VARIABLE renders its value
template (the same sandbox) and sets the variable, keeping a secret variable secret. A failing action is logged on
the run it follows and never changes that run's state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.notices import (
    EventsChanged,
    LogLineNotice,
    LogLines,
    Message,
    Notice,
    RunFinished,
)
from cronium_desktop.engine.runs import logstore
from cronium_desktop.engine.states import FAILED_STATES, RunTrigger
from cronium_desktop.engine.store.models import ConditionalAction, Event, Execution
from cronium_desktop.engine.variables import VariableService

if TYPE_CHECKING:
    from cronium_desktop.engine.runs.service import RunService

log = logging.getLogger(__name__)

MAX_CHAIN_DEPTH = 20
PLAN_CACHE_SECONDS = 2.0


def action_matches(on: str, status: str, condition: bool) -> bool:
    if status == "SKIPPED" or status == "CANCELLED":
        return False
    if on == "ALWAYS":
        return True
    if on == "ON_SUCCESS":
        return status == "SUCCESS"
    if on == "ON_FAILURE":
        return status in FAILED_STATES
    if on == "ON_CONDITION":
        return condition
    return False


class MessageSender(Protocol):
    async def send_conditional_message(
        self, tool_id: int, subject_template: str, body_template: str, scope: dict[str, Any]
    ) -> None: ...


class ConditionalActions:
    def __init__(self, ctx: EngineContext, runs: RunService, variables: VariableService,
                 messages: MessageSender) -> None:
        self._ctx = ctx
        self._runs = runs
        self._variables = variables
        self._messages = messages  # the tool credentials that send SEND_MESSAGE actions
        # Per event, its actions' `on` values: most runs end with nothing to do, known without a read.
        # Dropped when events change here; another process's edit shows within PLAN_CACHE_SECONDS.
        self._triggers: dict[int, tuple[float, tuple[str, ...]]] = {}
        self._ended: dict[int, int] = {}  # execution id → event id, from RunFinished, until after_run
        ctx.bus.subscribe(self._on_notice)

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, RunFinished) and notice.event_id is not None and len(self._ended) < 10_000:
            self._ended[notice.execution_id] = notice.event_id
        if isinstance(notice, EventsChanged):
            for event_id in notice.event_ids or tuple(self._triggers):
                self._triggers.pop(event_id, None)

    def _without_actions(self, execution_id: int) -> bool:
        """True when the run's event (known from its RunFinished) has no actions at all: the usual run,
        known without a read or a thread hop."""
        event_id = self._ended.pop(execution_id, None)
        known = self._triggers.get(event_id) if event_id is not None else None
        return known is not None and not known[1] and time.monotonic() - known[0] <= PLAN_CACHE_SECONDS

    def _nothing_due(self, execution_id: int) -> bool:
        """True when the run's event has no action that could match it (one small read, or none)."""
        with self._ctx.db.read() as session:
            row = session.execute(
                select(Execution.event_id, Execution.status, Execution.condition).where(Execution.id == execution_id)
            ).first()
            if row is None or row.event_id is None:
                return True
            cached = self._triggers.get(row.event_id)
            if cached is None or time.monotonic() - cached[0] > PLAN_CACHE_SECONDS:
                ons = tuple(session.scalars(select(ConditionalAction.on).where(ConditionalAction.event_id == row.event_id)))
                cached = self._triggers[row.event_id] = (time.monotonic(), ons)
        return not any(action_matches(on, row.status, row.condition) for on in cached[1])

    async def after_run(self, execution_id: int) -> None:
        if self._without_actions(execution_id) or await asyncio.to_thread(self._nothing_due, execution_id):
            return
        plan = await asyncio.to_thread(self._plan, execution_id)
        if plan is None:
            return
        execution, actions, scope = plan
        for action in actions:
            try:
                if action["action"] == "RUN_EVENT":
                    await self._run_event(execution, action)
                elif action["action"] == "SET_VARIABLE":
                    await self._set_variable(execution, action, scope)
                else:
                    await self._send_message(execution, action, scope)
            except Exception as error:  # an action's failure is the action's, not the run's
                await self.note(execution["id"], execution["attempt"], f"Conditional action {action['on']} → {action['action']} failed: {error}")

    def _plan(self, execution_id: int) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]] | None:
        with self._ctx.db.read() as session:
            execution = session.get(Execution, execution_id)
            # A draft run from the editor fires no conditional actions (SPEC §2), after a restart too.
            if execution is None or execution.event_id is None or execution.trigger == "DRAFT":
                return None
            event = session.get(Event, execution.event_id)
            if event is None:
                return None
            rows = session.scalars(
                select(ConditionalAction).where(ConditionalAction.event_id == event.id).order_by(ConditionalAction.position)
            ).all()
            actions = [
                {
                    "on": row.on,
                    "action": row.action,
                    "target_event_id": row.target_event_id,
                    "tool_id": row.tool_id,
                    "subject": row.subject,
                    "body": row.body,
                }
                for row in rows
                if action_matches(row.on, execution.status, execution.condition)
            ]
            if not actions:
                return None
            info = {
                "id": execution.id,
                "attempt": execution.attempt,
                "status": execution.status,
                "output": execution.output,
                "chain_depth": execution.chain_depth,
            }
            scope: dict[str, Any] = {}
            if any(a["action"] in ("SEND_MESSAGE", "SET_VARIABLE") for a in actions):
                tail = logstore.tail(session.connection(), execution.id, 20)
                scope = {
                    "event": {"id": event.id, "name": event.name, "type": event.type},
                    "execution": {
                        "id": execution.id,
                        "status": execution.status,
                        "exit_code": execution.exit_code,
                        "duration": (execution.duration_ms or 0) / 1000,
                        "error": execution.error,
                        "log_tail": "\n".join(tail),
                        "attempt": execution.attempt,
                    },
                    "output": execution.output,
                    "variables": {
                        key: value for key, (value, secret) in self._variables.read_all(session).items() if not secret
                    },
                }
            return info, actions, scope

    async def _run_event(self, execution: dict[str, Any], action: dict[str, Any]) -> None:
        if action["target_event_id"] is None:
            raise RuntimeError("its target event was deleted")
        depth = execution["chain_depth"] + 1
        if depth > MAX_CHAIN_DEPTH:
            message = (
                f"Conditional action chain stopped: it is deeper than {MAX_CHAIN_DEPTH} runs, "
                "which usually means events start each other in a loop."
            )
            await self.note(execution["id"], execution["attempt"], message)
            self._ctx.bus.publish(Message("error", message, {"execution_id": execution["id"]}))
            return
        await self._runs.start(
            action["target_event_id"],
            input=execution["output"],
            trigger=RunTrigger.ACTION,
            parent_execution_id=execution["id"],
            chain_depth=depth,
        )

    async def _send_message(self, execution: dict[str, Any], action: dict[str, Any], scope: dict[str, Any]) -> None:
        if action["tool_id"] is None:
            raise RuntimeError("its tool credential was deleted")
        await self._messages.send_conditional_message(action["tool_id"], action["subject"], action["body"], scope)
        await self.note(execution["id"], execution["attempt"], f"Conditional action {action['on']}: message sent.")

    async def _set_variable(self, execution: dict[str, Any], action: dict[str, Any], scope: dict[str, Any]) -> None:
        from cronium_desktop.engine.template_process import render_bounded

        key = action["subject"]
        value = await render_bounded(action["body"] or "", scope, "value")  # bounded as SEND_MESSAGE's (SPEC §4)
        await self._variables.set(key, value, secret=None)
        await self.note(execution["id"], execution["attempt"], f"Conditional action {action['on']}: variable {key!r} set.")

    async def note(self, execution_id: int, attempt: int, text: str) -> None:
        """Append a system line to a finished run's log."""
        ts = utcnow()

        def write() -> None:
            with self._ctx.db.write() as session:
                logstore.write_system_line(session.connection(), execution_id, attempt, ts, text)

        await asyncio.to_thread(write)
        self._ctx.bus.publish(LogLines(execution_id, attempt, (LogLineNotice(ts, "system", text),)))
