"""Workflow definitions (SPEC §5): check, save, list and delete graphs, their webhook tokens, and
their form in `.cronium.json` files. Running them is `service.py`'s."""

from __future__ import annotations

import builtins
import secrets as token_source
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine import versions
from cronium_desktop.engine.calendars import require_calendar
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.notices import WorkflowsChanged
from cronium_desktop.engine.scheduling.schedules import validate_schedule, zone
from cronium_desktop.engine.states import MISFIRES, WORKFLOW_TRIGGERS
from cronium_desktop.engine.store.models import (
    Event,
    Workflow,
    WorkflowEdge,
    WorkflowExecution,
    WorkflowNode,
)
from cronium_desktop.engine.triggers.spec import TRIGGER_KEYS, normalize_triggers
from cronium_desktop.engine.triggers.spec import non_default as non_default_triggers
from cronium_desktop.engine.triggers.spec import pack as pack_triggers
from cronium_desktop.engine.triggers.spec import unpack as unpack_triggers
from cronium_desktop.engine.validation import clean_name
from cronium_desktop.engine.workflows.graph import parse_graph
from cronium_desktop.engine.workflows.subworkflows import (
    check_no_cycle,
    parents_using,
    resolve_children,
)

WORKFLOW_KEYS = {"id", "name", "description", "trigger", "schedule", "timezone", "status", "overlap", "misfire",
                 "webhook_token", "nodes", "edges"}
FILE_WORKFLOW_KEYS = {"name", "description", "trigger", "schedule", "nodes", "edges", "timezone", "misfire",
                      *TRIGGER_KEYS}
WORKFLOW_KEYS |= set(TRIGGER_KEYS)
TRIGGERS = WORKFLOW_TRIGGERS


@dataclass
class WorkflowSummary:
    id: int
    name: str
    description: str
    trigger: str
    status: str
    nodes: int
    last_status: str | None
    webhook_token: str | None


class WorkflowDefinitions:
    """Workflows as the user defines them; `WorkflowService` adds their runs."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    # -- definitions -------------------------------------------------------------------------------------

    @staticmethod
    def find(session: Session, name_or_id: int | str) -> Workflow:
        if isinstance(name_or_id, int):
            workflow = session.get(Workflow, name_or_id)
        else:
            workflow = session.scalar(select(Workflow).where(func.lower(Workflow.name) == name_or_id.lower()))
        if workflow is None:
            raise NotFound(f"No workflow named {name_or_id!r}." if isinstance(name_or_id, str) else f"No workflow with id {name_or_id}.")
        return workflow

    def _to_dict(self, workflow: Workflow, event_as: str = "name") -> dict[str, Any]:
        return {
            "id": workflow.id,
            "name": workflow.name,
            "description": workflow.description,
            "trigger": workflow.trigger,
            "schedule": workflow.schedule,
            "timezone": workflow.timezone,
            "status": workflow.status,
            "webhook_token": workflow.webhook_token,
            "nodes": [self._node_dict(n, event_as) for n in workflow.nodes],
            "edges": [{"from": e.from_key, "to": e.to_key, "type": e.type} for e in workflow.edges],
            "misfire": workflow.misfire,
            **unpack_triggers(workflow.triggers),
        }

    @staticmethod
    def _node_dict(node: WorkflowNode, refer_as: str) -> dict[str, Any]:
        if node.child_workflow_id is not None:
            child = node.child_workflow.name if refer_as == "name" and node.child_workflow else node.child_workflow_id
            return {"id": node.key, "kind": "WORKFLOW", "workflow": child, "label": node.label, "x": node.x, "y": node.y}
        event = node.event.name if refer_as == "name" and node.event else node.event_id
        return {"id": node.key, "event": event, "label": node.label, "x": node.x, "y": node.y}

    @in_thread
    def get(self, name_or_id: int | str) -> dict[str, Any]:
        with self._ctx.db.read() as session:
            return self._to_dict(self.find(session, name_or_id))

    @in_thread
    def list(self) -> builtins.list[WorkflowSummary]:
        with self._ctx.db.read() as session:
            result = []
            for workflow in session.scalars(select(Workflow).order_by(func.lower(Workflow.name))):
                last = session.scalar(
                    select(WorkflowExecution.status).where(WorkflowExecution.workflow_id == workflow.id)
                    .order_by(WorkflowExecution.id.desc()).limit(1)
                )
                result.append(WorkflowSummary(workflow.id, workflow.name, workflow.description, workflow.trigger,
                                              workflow.status, len(workflow.nodes), last, workflow.webhook_token))
            return result

    def _apply(
        self, session: Session, data: Any, *, resolve_event: Any, field_prefix: str, allowed: set[str], replace: bool
    ) -> tuple[Workflow, bool]:
        if not isinstance(data, dict):
            raise ValidationError(field_prefix, "must be an object with name, nodes and edges.")
        unknown = set(data) - allowed
        if unknown:
            raise ValidationError(f"{field_prefix}.{sorted(unknown)[0]}", "unknown key.")
        name = data.get("name")
        name = clean_name(name, f"{field_prefix}.name")
        trigger = data.get("trigger") or "MANUAL"
        if trigger not in TRIGGERS:
            raise ValidationError(f"{field_prefix}.trigger", f"must be one of {', '.join(TRIGGERS)}, not {trigger!r}.")
        timezone = data.get("timezone")
        try:
            schedule = validate_schedule(data.get("schedule"), zone(timezone))
        except ValidationError as error:
            raise ValidationError(f"{field_prefix}.{error.field}", error.message) from error
        try:
            require_calendar(session, schedule)
        except ValidationError as error:
            raise ValidationError(f"{field_prefix}.{error.field}", error.message) from error
        if trigger == "SCHEDULE" and schedule is None:
            raise ValidationError(f"{field_prefix}.schedule", "a SCHEDULE trigger needs a cron expression or an interval.")
        misfire = data.get("misfire") or "RUN_ONCE"
        if misfire not in MISFIRES:
            raise ValidationError(f"{field_prefix}.misfire", f"must be one of {', '.join(MISFIRES)}, not {misfire!r}.")
        triggers = normalize_triggers(data, f"{field_prefix}.")
        graph = parse_graph(data, field_prefix)
        event_ids: dict[str, int] = {}
        children = resolve_children(session, graph, field_prefix)
        for index, node in enumerate(graph.nodes):
            if node.kind == "WORKFLOW":
                continue
            event_id = resolve_event(session, node.event)
            if event_id is None:
                raise ValidationError(f"{field_prefix}.nodes[{index}].event", f"no event {node.event!r}.")
            event_ids[node.id] = event_id

        workflow: Workflow | None = None
        if data.get("id") is not None:
            workflow = self.find(session, int(data["id"]))
        clash = session.scalar(select(Workflow).where(func.lower(Workflow.name) == name.lower()))
        replaced = False
        if clash is not None and (workflow is None or clash.id != workflow.id):
            if not replace:
                raise ValidationError(f"{field_prefix}.name", f"a workflow named {clash.name!r} already exists.")
            workflow, replaced = clash, True
        check_no_cycle(session, workflow.id if workflow else None, name, children, graph, field_prefix)
        workflow = workflow or Workflow()
        if workflow.id is not None:  # version history: what this save replaces is kept
            versions.keep_baseline(session, "workflow", workflow.id, lambda: self._to_dict(workflow))
        was_active = workflow.status == "ACTIVE" and workflow.id is not None
        workflow.name = name
        workflow.description = str(data.get("description") or "")
        workflow.trigger, workflow.schedule, workflow.timezone = trigger, schedule, timezone
        workflow.misfire, workflow.triggers = misfire, pack_triggers(triggers)
        workflow.status = data.get("status") or workflow.status or "ACTIVE"
        if trigger == "WEBHOOK" and not workflow.webhook_token:
            workflow.webhook_token = token_source.token_urlsafe(24)
        if workflow.status == "ACTIVE" and not was_active:
            workflow.last_fire_at = utcnow()
        if workflow.id is not None:
            # Old rows go first: the new nodes reuse their (workflow, key) pairs.
            workflow.nodes = []
            workflow.edges = []
            session.flush()
        workflow.nodes = [
            WorkflowNode(key=node.id, event_id=event_ids.get(node.id), child_workflow_id=children.get(node.id),
                         label=node.label, x=node.x, y=node.y, position=index)
            for index, node in enumerate(graph.nodes)
        ]
        workflow.edges = [WorkflowEdge(from_key=e.source, to_key=e.target, type=e.type) for e in graph.edges]
        if workflow.id is None:
            session.add(workflow)
        session.flush()
        session.expire(workflow, ["nodes"])  # the nodes' events load for the version's definition
        versions.record(session, "workflow", workflow.id, self._to_dict(workflow))
        return workflow, replaced

    @staticmethod
    def _event_by_name(session: Session, name: Any) -> int | None:
        if isinstance(name, int):
            return name if session.get(Event, name) is not None else None
        return session.scalar(select(Event.id).where(func.lower(Event.name) == str(name).lower()))

    @in_thread
    def save(self, data: dict[str, Any]) -> int:
        """Create or update (by id, else by name) a workflow; its nodes name events."""
        with self._ctx.db.write() as session:
            workflow, _ = self._apply(session, data, resolve_event=self._event_by_name, field_prefix="workflow",
                                      allowed=WORKFLOW_KEYS, replace="id" not in data or data["id"] is None)
            workflow_id = workflow.id
        self._ctx.bus.publish(WorkflowsChanged((workflow_id,)))
        return workflow_id

    @in_thread
    def delete(self, name_or_id: int | str) -> None:
        with self._ctx.db.write() as session:
            workflow = self.find(session, name_or_id)
            workflow_id = workflow.id
            parents = parents_using(session, workflow_id)
            if parents:
                raise ValidationError("workflow", f"{workflow.name!r} is run by the workflow(s) {', '.join(map(repr, parents))}; "
                                                  "remove those WORKFLOW nodes first.")
            session.delete(workflow)
            versions.forget(session, "workflow", workflow_id)
        self._ctx.bus.publish(WorkflowsChanged((workflow_id,)))

    @in_thread
    def regenerate_token(self, name_or_id: int | str) -> str:
        with self._ctx.db.write() as session:
            workflow = self.find(session, name_or_id)
            workflow.webhook_token = token_source.token_urlsafe(24)
            return workflow.webhook_token

    def find_by_token(self, token: str) -> int | None:
        with self._ctx.db.read() as session:
            return session.scalar(
                select(Workflow.id).where(Workflow.webhook_token == token, Workflow.trigger == "WEBHOOK",
                                          Workflow.status == "ACTIVE")
            )

    # -- files (called inside the importer's transaction) --------------------------------------------------

    def import_workflow(self, session: Session, data: Any, event_keys: dict[str, int], replace: bool,
                        field_prefix: str = "workflow") -> tuple[str, bool]:
        def resolve(session: Session, ref: Any) -> int | None:
            if isinstance(ref, str) and ref in event_keys:
                return event_keys[ref]
            return self._event_by_name(session, ref)

        workflow, replaced = self._apply(session, data, resolve_event=resolve, field_prefix=field_prefix,
                                         allowed=FILE_WORKFLOW_KEYS, replace=replace)
        return workflow.name, replaced

    def export_workflow(self, session: Session, name: str) -> tuple[dict[str, Any], builtins.list[int]]:
        workflow = self.find(session, name)
        data = self._to_dict(workflow, event_as="id")
        for node, row in zip(data["nodes"], workflow.nodes, strict=True):
            if row.child_workflow is not None:
                node["workflow"] = row.child_workflow.name  # a file names workflows; ids are this computer's
        document = {key: data[key] for key in ("name", "description", "trigger", "schedule", "timezone", "nodes", "edges")}
        if data["misfire"] != "RUN_ONCE":
            document["misfire"] = data["misfire"]
        document.update(non_default_triggers(data))  # only what is set: older files stay as they were
        return document, list(dict.fromkeys(node.event_id for node in workflow.nodes if node.event_id is not None))
