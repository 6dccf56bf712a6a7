"""TOOL_ACTION events: run one action of a tool credential (SPEC §1, §8).

`job.tool_action` is `{"tool": CREDENTIAL_NAME, "action": ACTION_ID, "params": {...}}`. The action's
result becomes the run's output. The tool's own secrets (webhook URL, SMTP password) are masked in
every line this executor logs, on top of the run's masker, which does not know them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cronium_desktop.engine.errors import CroniumError
from cronium_desktop.engine.executors.base import FAILURE, SUCCESS, TIMEOUT, ExecResult, Job, Sink
from cronium_desktop.engine.secrets import Masker
from cronium_desktop.engine.tools.base import validate_params
from cronium_desktop.engine.tools.registry import find_action
from cronium_desktop.engine.tools.service import ToolService


class ToolExecutor:
    """Implements `Executor` for TOOL_ACTION events."""

    def __init__(self, tool_service: ToolService) -> None:
        self._tools = tool_service

    async def run(self, job: Job, sink: Sink) -> ExecResult:
        spec: dict[str, Any] = job.tool_action or {}
        masker = Masker()

        def fail(message: str) -> ExecResult:
            message = masker.mask(message)
            sink.line("system", message)
            return ExecResult(status=FAILURE, error=message)

        tool_name, action_id = spec.get("tool"), spec.get("action")
        if not isinstance(tool_name, str) or not isinstance(action_id, str):
            return fail('The event has no tool action: it needs {"tool", "action", "params"}.')
        try:
            loaded = await self._tools.load(tool_name)
            masker.add(loaded.secret_values)
            action = find_action(loaded.info.type, action_id, "tool_action.action")
            params = validate_params(action, spec.get("params"), "tool_action.params")
        except CroniumError as error:
            return fail(f"Tool action {tool_name} → {action_id} cannot run: {error}")

        sink.line("system", f"Tool {loaded.info.name!r} ({loaded.kind.title}): {action.title}.")
        try:
            output = await asyncio.wait_for(
                action.run(loaded.config, params, lambda text: sink.line("system", masker.mask(text))),
                job.timeout_seconds,
            )
        except TimeoutError:
            message = f"Tool action {action_id} did not finish within {job.timeout_seconds:g} s."
            sink.line("system", message)
            return ExecResult(status=TIMEOUT, error=message)
        except CroniumError as error:
            return fail(str(error))
        sink.line("system", "Done.")
        return ExecResult(status=SUCCESS, output=output)
