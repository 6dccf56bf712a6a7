"""What the Workflows page needs from the engine, in one narrow place.

`EngineSource` adapts the engine facade (events, workflows, runs, files, webhooks); a test or another
host can pass anything with the same coroutines. Workflows travel as the SPEC §8 `workflow` dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronium_desktop.ui.workflows.mime import EventInfo

if TYPE_CHECKING:
    from cronium_desktop.engine.engine import Engine


@dataclass
class WorkflowEntry:
    id: int
    name: str
    nodes: int
    last_status: str | None


@dataclass
class NodeRun:
    """One node's execution as the Run panel shows it."""

    status: str
    log: list[tuple[str, str]]  # (stream, text)
    output: Any
    error: str | None


class EngineSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def list_events(self) -> list[EventInfo]:
        return [EventInfo(e.id, e.name, e.type, e.last_status) for e in await self.engine.events.list()]

    async def list_workflows(self) -> list[WorkflowEntry]:
        return [WorkflowEntry(w.id, w.name, w.nodes, w.last_status) for w in await self.engine.workflows.list()]

    async def load(self, workflow_id: int) -> dict[str, Any]:
        return dict(await self.engine.workflows.get(workflow_id))

    async def save(self, workflow: dict[str, Any]) -> int:
        return int(await self.engine.workflows.save(workflow))

    async def delete(self, workflow_id: int) -> None:
        await self.engine.workflows.delete(workflow_id)

    async def run(self, workflow_id: int) -> int:
        return int(await self.engine.workflows.run(workflow_id))

    async def cancel(self, workflow_execution_id: int) -> None:
        await self.engine.workflows.cancel(workflow_execution_id)

    async def node_run(self, execution_id: int) -> NodeRun:
        detail = await self.engine.runs.get(execution_id)
        lines = await self.engine.runs.log(execution_id)
        return NodeRun(detail.status, [(line.stream, line.text) for line in lines], detail.output, detail.error)

    def webhook_base(self) -> str | None:
        listener = self.engine.webhooks  # None while another process owns the folder
        return listener.url if listener is not None else None

    async def export_workflow(self, name: str, path: Path) -> None:
        await self.engine.files.export_workflow(name, path)

    async def import_file(self, path: Path, replace: bool) -> Any:
        return await self.engine.files.import_file(path, replace=replace)
