"""Events: create, edit, clone, delete, activate and pause them (SPEC §1).

Field rules live in `validation.py`; this module adds what needs the store: unique names, servers
and target events that must exist, secret env values sealed by `secrets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from cronium_desktop.engine import versions
from cronium_desktop.engine.calendar_days import calendars_in
from cronium_desktop.engine.calendars import require_calendar
from cronium_desktop.engine.clock import utcnow
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.event_fields import FACADE_FIELDS
from cronium_desktop.engine.event_list import EventSummary, name_key, next_run, no_event, read_event_list
from cronium_desktop.engine.notices import EventsChanged
from cronium_desktop.engine.store.models import (
    ConditionalAction,
    Event,
    EventServer,
    Server,
    Tool,
    WorkflowNode,
)
from cronium_desktop.engine.triggers.spec import pack as pack_triggers
from cronium_desktop.engine.triggers.spec import unpack as unpack_triggers
from cronium_desktop.engine.validation import normalize_event


def secret_env_owner(event_id: int, name: str) -> str:
    return f"event:{event_id}:env:{name}"


def copy_name(name: str, n: int) -> str:
    """'Backup (copy)', 'Backup (copy) 2', …: the original shortened so the name stays within 200."""
    suffix = " (copy)" if n == 1 else f" (copy) {n}"
    return name[: 200 - len(suffix)].rstrip() + suffix


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=UTC).isoformat()


def next_run_of(event: Event, after: datetime | None = None) -> datetime | None:
    """When the scheduler will next fire this event (aware), or None."""
    return next_run(event, calendars_in(object_session(event)), after)


class EventService:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    # -- reading ---------------------------------------------------------------------------------------

    @staticmethod
    def find(session: Session, id_or_name: int | str) -> Event:
        # ORM queries, not `event_id_of`: they flush first, so an event added in this transaction is found.
        if isinstance(id_or_name, int):
            event = session.get(Event, id_or_name)
        else:
            event = session.scalar(select(Event).where(func.lower(Event.name) == name_key(id_or_name)))
        if event is None:
            raise no_event(id_or_name)
        return event

    def to_dict(self, session: Session, event: Event, reveal_secrets: bool = False) -> dict[str, Any]:
        env = dict(event.env)
        for name in event.secret_env:
            env[name] = (self._ctx.secrets.get(session, secret_env_owner(event.id, name)) or "") if reveal_secrets else ""
        actions: list[dict[str, Any]] = []
        for action in event.actions:
            if action.action == "RUN_EVENT":
                target = action.target_event.name if action.target_event else ""
                actions.append({"on": action.on, "action": "RUN_EVENT", "event": target})
            elif action.action == "SET_VARIABLE":  # the key is kept in `subject`, the value template in `body`
                actions.append({"on": action.on, "action": "SET_VARIABLE", "key": action.subject, "value": action.body})
            else:
                tool = action.tool.name if action.tool else ""
                actions.append(
                    {"on": action.on, "action": "SEND_MESSAGE", "tool": tool, "subject": action.subject, "body": action.body}
                )
        computed = {  # the fields not stored as they are shown; the others are columns of the same name
            "tags": list(event.tags),
            "start_time": _iso(event.start_time),
            "end_time": _iso(event.end_time),
            "servers": [link.server.name for link in event.servers],
            "timeout_seconds": _whole(event.timeout_seconds),
            "retry_backoff_seconds": _whole(event.retry_backoff_seconds),
            "env": env,
            "secret_env": list(event.secret_env),
            "conditional_actions": actions,
        }
        fields = {field.name: computed[field.name] if field.name in computed else getattr(event, field.name)
                  for field in FACADE_FIELDS}
        return {**fields, **unpack_triggers(event.triggers)}

    @in_thread
    def get(self, id_or_name: int | str, reveal_secrets: bool = False) -> dict[str, Any]:
        with self._ctx.db.read() as session:
            return self.to_dict(session, self.find(session, id_or_name), reveal_secrets)

    @in_thread
    def list(self) -> list[EventSummary]:
        with self._ctx.db.read() as session:
            return read_event_list(session)

    # -- writing ---------------------------------------------------------------------------------------

    def validate(self, data: dict[str, Any]) -> None:
        """Pure field rules (no store): for inline messages in the editor."""
        normalize_event(data)

    def _check_name_free(self, session: Session, name: str, own_id: int | None) -> None:
        clash = session.scalar(select(Event).where(func.lower(Event.name) == name.lower()))
        if clash is not None and clash.id != own_id:
            raise ValidationError("name", f"an event named {clash.name!r} already exists; choose another name.")

    @staticmethod
    def columns(spec: dict[str, Any]) -> dict[str, Any]:
        """The event row's columns a normalised spec sets (servers, actions and secrets are rows of their own)."""
        values = {field: spec[field] for field in (
            "name", "description", "tags", "type", "content", "status", "trigger", "schedule", "timezone",
            "start_time", "end_time", "max_executions", "reset_counter_on_activate", "run_location",
            "timeout_seconds", "retries", "retry_backoff_seconds", "overlap", "misfire", "priority",
            "http", "tool_action", "container", "limit_memory_mb", "limit_cpu_seconds",
        )}  # fmt: skip
        values["triggers"] = pack_triggers(spec)
        values["secret_env"] = list(spec["secret_env"])
        values["env"] = {k: v for k, v in spec["env"].items() if k not in spec["secret_env"]}
        return values

    @staticmethod
    def columns_only(spec: dict[str, Any]) -> bool:
        """Whether a new event of this spec is its columns alone: no servers, secret env or tool action
        (its actions can follow, `set_actions`)."""
        return not spec["servers"] and not spec["secret_env"] and spec["tool_action"] is None

    @classmethod
    def new_row(cls, session: Session, spec: dict[str, Any]) -> dict[str, Any]:
        """What `apply` writes on a new event that is `columns_only`, as one row for a Core insert."""
        require_calendar(session, spec["schedule"])
        row = cls.columns(spec)
        if spec["status"] == "ACTIVE":
            row["activated_at"] = utcnow()  # as `_activated` on a new event (it has run 0 times)
        return row

    def apply(self, session: Session, event: Event, spec: dict[str, Any], *, event_keys: dict[str, int] | None = None,
              name_checked: bool = False, flush: bool = True) -> None:
        """Write a normalised spec onto an event row (new or existing) inside `session`.

        `event_keys` maps file keys to event ids during an import, so actions can point at events
        of the same file; `name_checked`: the caller (an import, for all its names at once) has
        checked the name is free. `flush=False` leaves a new row without secrets to the caller's
        one flush for many (an import inserts them together).
        """
        if not name_checked:
            self._check_name_free(session, spec["name"], event.id)
        require_calendar(session, spec["schedule"])
        is_new = event.id is None
        if event.id is not None:  # version history: what this save replaces is kept
            versions.keep_baseline(session, "event", event.id, lambda: self.to_dict(session, event))
        was_active = event.status == "ACTIVE"
        for field, value in self.columns(spec).items():
            setattr(event, field, value)
        if event.status == "ACTIVE" and not was_active:
            self._activated(event)
        if event.id is None:
            event.servers, event.actions = [], []  # a new row's lists are known empty: no query for them
            session.add(event)
            if flush or spec["secret_env"]:
                session.flush()

        servers: list[EventServer] = []
        for position, server_name in enumerate(spec["servers"]):
            server = session.scalar(select(Server).where(func.lower(Server.name) == server_name.lower()))
            if server is None:
                raise ValidationError("servers", f"no server named {server_name!r}; add it in Servers first.")
            servers.append(EventServer(server_id=server.id, position=position))
        event.servers = servers

        self.set_actions(session, event, spec["conditional_actions"], event_keys)

        if spec["tool_action"] is not None:
            spec["tool_action"]["params"] = self._check_tool_action(session, spec["tool_action"])
            event.tool_action = spec["tool_action"]

        if event.id is None:
            return  # no secrets to store (see `flush`)
        secrets = self._ctx.secrets
        stored = set() if is_new else set(secrets.owners(session, f"event:{event.id}:env:"))
        wanted = {secret_env_owner(event.id, name) for name in spec["secret_env"]}
        for owner in stored - wanted:
            secrets.delete(session, owner)
        for name in spec["secret_env"]:
            value = spec["env"].get(name, "")
            if value:  # an empty value keeps what is stored (the editor never sees secrets)
                secrets.put(session, secret_env_owner(event.id, name), value)
        session.flush()
        versions.record(session, "event", event.id, self.to_dict(session, event))

    @staticmethod
    def set_actions(session: Session, event: Event, items: Sequence[dict[str, Any]],
                    event_keys: dict[str, int] | None = None) -> None:
        """The event's conditional actions from their normalised specs (targets named by file key or name)."""
        actions: list[ConditionalAction] = []
        for position, item in enumerate(items):
            field = f"conditional_actions[{position}]"
            action = ConditionalAction(position=position, on=item["on"], action=item["action"])
            if item["action"] == "RUN_EVENT":
                target_id = (event_keys or {}).get(item["event"])
                if target_id is None:
                    target = session.scalar(select(Event).where(func.lower(Event.name) == item["event"].lower()))
                    if target is None:
                        raise ValidationError(f"{field}.event", f"no event named {item['event']!r}.")
                    target_id = target.id
                action.target_event_id = target_id
            elif item["action"] == "SET_VARIABLE":
                action.subject, action.body = item["key"], item["value"]
            else:
                tool = session.scalar(select(Tool).where(func.lower(Tool.name) == item["tool"].lower()))
                if tool is None:
                    raise ValidationError(f"{field}.tool", f"no tool credential named {item['tool']!r}; add it in Tools first.")
                action.tool_id = tool.id
                action.subject, action.body = item["subject"], item["body"]
            actions.append(action)
        event.actions = actions

    @staticmethod
    def _check_tool_action(session: Session, action: dict[str, Any]) -> dict[str, Any]:
        """The tool exists, offers the action, and the parameters fit its declaration."""
        from cronium_desktop.engine.tools.base import validate_params
        from cronium_desktop.engine.tools.registry import find_action

        tool = session.scalar(select(Tool).where(func.lower(Tool.name) == action["tool"].lower()))
        if tool is None:
            raise ValidationError("tool_action.tool", f"no tool credential named {action['tool']!r}; add it in Tools first.")
        declared = find_action(tool.type, action["action"], "tool_action.action")
        return validate_params(declared, action["params"], "tool_action.params")

    @staticmethod
    def _activated(event: Event) -> None:
        event.activated_at = utcnow()
        if event.reset_counter_on_activate:
            event.execution_count = 0
        elif event.max_executions and (event.execution_count or 0) >= event.max_executions:
            raise ValidationError(
                "status",
                f"event {event.name!r} has already run {event.execution_count} times, its max_executions; "
                "raise max_executions or turn on reset_counter_on_activate to activate it again.",
            )

    def _changed(self, *event_ids: int) -> None:
        self._ctx.bus.publish(EventsChanged(tuple(event_ids)))

    @in_thread
    def create(self, data: dict[str, Any]) -> int:
        spec = normalize_event(data)
        with self._ctx.db.write() as session:
            event = Event()
            self.apply(session, event, spec)
            event_id = event.id
        self._changed(event_id)
        return event_id

    @in_thread
    def update(self, event_id: int, data: dict[str, Any]) -> None:
        spec = normalize_event(data)
        with self._ctx.db.write() as session:
            self.apply(session, self.find(session, event_id), spec)
        self._changed(event_id)

    @staticmethod
    def _delete_blocker(session: Session, event: Event) -> str | None:
        node = session.scalar(select(WorkflowNode).where(WorkflowNode.event_id == event.id))
        if node is not None:
            return f"{event.name!r} is used by workflow {node.workflow.name!r}; remove its node there first."
        caller = session.scalar(
            select(ConditionalAction).where(
                ConditionalAction.target_event_id == event.id, ConditionalAction.event_id != event.id
            )
        )
        if caller is not None:
            return (f"{event.name!r} is run by a conditional action of event {caller.event.name!r}; "
                    "remove that action first.")
        return None

    @in_thread
    def delete_blocker(self, event_id: int) -> str | None:
        """Why the event cannot be deleted now, or None: asked before a window offers to delete it."""
        with self._ctx.db.read() as session:
            return self._delete_blocker(session, self.find(session, event_id))

    @in_thread
    def delete(self, event_id: int) -> None:
        with self._ctx.db.write() as session:
            event = self.find(session, event_id)
            blocker = self._delete_blocker(session, event)
            if blocker is not None:
                raise ValidationError("event", blocker)
            self._ctx.secrets.delete_prefix(session, f"event:{event.id}:")
            session.delete(event)
            versions.forget(session, "event", event_id)
        self._changed(event_id)

    @in_thread
    def clone(self, event_id: int) -> int:
        with self._ctx.db.write() as session:
            source = self.find(session, event_id)
            spec = normalize_event(
                {k: v for k, v in self.to_dict(session, source, reveal_secrets=True).items() if k != "id"}
            )
            name, n = copy_name(source.name, 1), 2
            while session.scalar(select(Event.id).where(func.lower(Event.name) == name.lower())) is not None:
                name, n = copy_name(source.name, n), n + 1
            spec.update(name=name, status="DRAFT")
            clone = Event()
            self.apply(session, clone, spec)
            clone_id = clone.id
        self._changed(clone_id)
        return clone_id

    @in_thread
    def set_status(self, event_id: int, status: str) -> None:
        if status not in ("ACTIVE", "PAUSED", "DRAFT", "ARCHIVED"):
            raise ValidationError("status", f"must be ACTIVE, PAUSED, DRAFT or ARCHIVED, not {status!r}.")
        with self._ctx.db.write() as session:
            event = self.find(session, event_id)
            if status == "ACTIVE" and event.status != "ACTIVE":
                self._activated(event)
            event.status = status
        self._changed(event_id)
