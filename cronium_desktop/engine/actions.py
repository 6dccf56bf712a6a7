"""Conditional actions (SPEC §4): what happens after a run ends.

RUN_EVENT starts another event with this run's output as its input; SEND_MESSAGE renders the
subject and body templates and sends them through a tool credential. A failing action is logged on
the run it follows and never changes that run's state.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert, select

from cronium_desktop.engine.context import EngineContext
from cronium_desktop.engine.events import utcnow
from cronium_desktop.engine.notices import LogLineNotice, LogLines, Message
from cronium_desktop.engine.store.models import ConditionalAction, Event, Execution, LogLine
from cronium_desktop.engine.variables import VariableService

if TYPE_CHECKING:
    from cronium_desktop.engine.runs import RunService

log = logging.getLogger(__name__)

MAX_CHAIN_DEPTH = 20
FAILED_STATES = ("FAILURE", "TIMEOUT", "PARTIAL")


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
    def __init__(self, ctx: EngineContext, runs: RunService, variables: VariableService) -> None:
        self._ctx = ctx
        self._runs = runs
        self._variables = variables
        self.messages: MessageSender | None = None  # set when tools are available

    async def after_run(self, execution_id: int) -> None:
        plan = await asyncio.to_thread(self._plan, execution_id)
        if plan is None:
            return
        execution, actions, scope = plan
        for action in actions:
            try:
                if action["action"] == "RUN_EVENT":
                    await self._run_event(execution, action)
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
            if any(a["action"] == "SEND_MESSAGE" for a in actions):
                tail = list(
                    session.scalars(
                        select(LogLine.text).where(LogLine.execution_id == execution.id).order_by(LogLine.id.desc()).limit(20)
                    )
                )
                scope = {
                    "event": {"id": event.id, "name": event.name, "type": event.type},
                    "execution": {
                        "id": execution.id,
                        "status": execution.status,
                        "exit_code": execution.exit_code,
                        "duration": (execution.duration_ms or 0) / 1000,
                        "error": execution.error,
                        "log_tail": "\n".join(reversed(tail)),
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
            trigger="ACTION",
            parent_execution_id=execution["id"],
            chain_depth=depth,
        )

    async def _send_message(self, execution: dict[str, Any], action: dict[str, Any], scope: dict[str, Any]) -> None:
        if self.messages is None:
            raise RuntimeError("sending messages is not available in this build")
        if action["tool_id"] is None:
            raise RuntimeError("its tool credential was deleted")
        await self.messages.send_conditional_message(action["tool_id"], action["subject"], action["body"], scope)
        await self.note(execution["id"], execution["attempt"], f"Conditional action {action['on']}: message sent.")

    async def note(self, execution_id: int, attempt: int, text: str) -> None:
        """Append a system line to a finished run's log."""
        ts = utcnow()

        def write() -> None:
            with self._ctx.db.write() as session:
                session.execute(
                    insert(LogLine),
                    [{"execution_id": execution_id, "attempt": attempt, "server": None, "ts": ts, "stream": "system", "text": text}],
                )

        await asyncio.to_thread(write)
        self._ctx.bus.publish(LogLines(execution_id, attempt, (LogLineNotice(ts, "system", text),)))
