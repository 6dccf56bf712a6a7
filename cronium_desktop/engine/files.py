"""`.cronium.json` import and export (SPEC §8).

Import is all or nothing: the whole file is validated and written in one transaction, and the
first bad item refuses the file with its place and field named. Export never writes a secret:
secret env values are left empty and named in the import report on the other side.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.events import EventService, secret_env_owner
from cronium_desktop.engine.notices import EventsChanged, WorkflowsChanged
from cronium_desktop.engine.store.models import Event
from cronium_desktop.engine.validation import FILE_EVENT_KEYS, normalize_event

FORMAT = "cronium-desktop"
VERSION = 1
TOP_LEVEL_KEYS = {"format", "version", "events", "workflow"}
# Export order of event keys, as the SPEC shows them.
EXPORT_KEYS = (
    "key", "name", "description", "type", "content", "status", "trigger", "schedule", "timezone",
    "start_time", "end_time", "max_executions", "run_location", "servers", "timeout_seconds", "retries",
    "retry_backoff_seconds", "overlap", "misfire", "priority", "env", "secret_env", "tags", "http",
    "tool_action", "conditional_actions",
)  # fmt: skip


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    workflow: str | None = None
    workflow_replaced: bool = False
    missing_secrets: list[str] = field(default_factory=list)  # "Event 'X': env TOKEN"

    def lines(self) -> list[str]:
        out = [f"Created event {name!r}." for name in self.created]
        out += [f"Replaced event {name!r}." for name in self.replaced]
        if self.workflow:
            out.append(f"{'Replaced' if self.workflow_replaced else 'Created'} workflow {self.workflow!r}.")
        out += [f"No value for secret {item}: set it before running." for item in self.missing_secrets]
        return out


class WorkflowFiles(Protocol):
    """What the workflows service provides to the importer and exporter."""

    def import_workflow(
        self, session: Session, data: Any, event_keys: dict[str, int], replace: bool
    ) -> tuple[str, bool]: ...

    def export_workflow(self, session: Session, name: str) -> tuple[dict[str, Any], list[int]]: ...


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "event"


class FileService:
    def __init__(self, ctx: EngineContext, events: EventService) -> None:
        self._ctx = ctx
        self._events = events
        self.workflows: WorkflowFiles | None = None

    # -- import ---------------------------------------------------------------------------------

    @staticmethod
    def read(path: Path) -> Any:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ValidationError("file", f"cannot read {str(path)!r}: {error.strerror or error}.") from error
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationError("file", f"{str(path)!r} is not valid JSON ({error}).") from error

    @in_thread
    def import_file(self, path: Path, replace: bool = False) -> ImportReport:
        return self.import_data.__wrapped__(self, self.read(path), replace)  # type: ignore[attr-defined]

    @in_thread
    def import_data(self, data: Any, replace: bool = False) -> ImportReport:
        specs = self._check_document(data)
        report = ImportReport()
        with self._ctx.db.write() as session:
            event_keys: dict[str, int] = {}
            rows: list[tuple[str, Event, dict[str, Any]]] = []
            # Pass 1: every event exists (so actions may point forward); pass 2: full fields.
            for index, (key, spec) in enumerate(specs):
                place = f"events[{index}] ({key!r})"
                existing = session.scalar(select(Event).where(func.lower(Event.name) == spec["name"].lower()))
                if existing is not None and not replace:
                    raise ValidationError(
                        f"{place}.name",
                        f"an event named {existing.name!r} already exists; import with --replace to overwrite it.",
                    )
                event = existing or Event()
                try:
                    self._events.apply(session, event, {**spec, "conditional_actions": []})
                except ValidationError as error:
                    raise ValidationError(f"{place}.{error.field}", error.message) from error
                (report.replaced if existing is not None else report.created).append(spec["name"])
                event_keys[key] = event.id
                rows.append((key, event, spec))
            for index, (key, event, spec) in enumerate(rows):
                try:
                    self._events.apply(session, event, spec, event_keys=event_keys)
                except ValidationError as error:
                    raise ValidationError(f"events[{index}] ({key!r}).{error.field}", error.message) from error
                for name in spec["secret_env"]:
                    if not self._has_secret(session, event.id, name):
                        report.missing_secrets.append(f"event {spec['name']!r}: env {name}")
            if data.get("workflow") is not None:
                if self.workflows is None:
                    raise ValidationError("workflow", "workflows are not available in this version.")
                report.workflow, report.workflow_replaced = self.workflows.import_workflow(
                    session, data["workflow"], event_keys, replace
                )
        self._ctx.bus.publish(EventsChanged(tuple(event_keys.values())))
        if report.workflow:
            self._ctx.bus.publish(WorkflowsChanged())
        return report

    def _has_secret(self, session: Session, event_id: int, name: str) -> bool:
        owner = secret_env_owner(event_id, name)
        return owner in self._ctx.secrets.owners(session, owner)

    def _check_document(self, data: Any) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(data, dict):
            raise ValidationError("file", "must hold a JSON object with format, version and events.")
        unknown = set(data) - TOP_LEVEL_KEYS
        if unknown:
            raise ValidationError(sorted(unknown)[0], "unknown key at the top of the file.")
        if data.get("format") != FORMAT:
            raise ValidationError("format", f"must be {FORMAT!r}, not {data.get('format')!r}: this is not a Cronium Desktop file.")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValidationError("version", f"must be a whole number, not {version!r}.")
        if version > VERSION:
            raise ValidationError(
                "version",
                f"this file is version {version}, written by a newer Cronium Desktop; this one reads version "
                f"{VERSION}. Update Cronium Desktop to import it.",
            )
        events = data.get("events", [])
        if not isinstance(events, list):
            raise ValidationError("events", "must be a list of events.")
        specs: list[tuple[str, dict[str, Any]]] = []
        keys: set[str] = set()
        names: set[str] = set()
        for index, item in enumerate(events):
            label = f"events[{index}]"
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                label = f"events[{index}] ({item['key']!r})"
            try:
                spec = normalize_event(item, allowed_keys=FILE_EVENT_KEYS)
            except ValidationError as error:
                raise ValidationError(f"{label}.{error.field}", error.message) from error
            key = item.get("key") or spec["name"]
            if not isinstance(key, str) or not key.strip():
                raise ValidationError(f"{label}.key", "must be a non-empty string.")
            if key in keys:
                raise ValidationError(f"{label}.key", f"{key!r} is used by two events in this file.")
            if spec["name"].lower() in names:
                raise ValidationError(f"{label}.name", f"{spec['name']!r} appears twice in this file.")
            keys.add(key)
            names.add(spec["name"].lower())
            spec.pop("key", None)
            specs.append((key, spec))
        return specs

    # -- export ---------------------------------------------------------------------------------

    def event_for_file(self, session: Session, event: Event, key: str, keys_by_id: dict[int, str]) -> dict[str, Any]:
        data = self._events.to_dict(session, event, reveal_secrets=False)
        data["key"] = key
        for action in data["conditional_actions"]:
            if action["action"] == "RUN_EVENT":
                target = next((a for a in event.actions if a.target_event and a.target_event.name == action["event"]), None)
                if target is not None and target.target_event_id in keys_by_id:
                    action["event"] = keys_by_id[target.target_event_id]
        return {name: data[name] for name in EXPORT_KEYS}

    def _document(self, session: Session, events: list[Event], workflow: dict[str, Any] | None) -> dict[str, Any]:
        keys_by_id: dict[int, str] = {}
        used: set[str] = set()
        for event in events:
            key, n = slug(event.name), 2
            while key in used:
                key, n = f"{slug(event.name)}-{n}", n + 1
            used.add(key)
            keys_by_id[event.id] = key
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "events": [self.event_for_file(session, e, keys_by_id[e.id], keys_by_id) for e in events],
        }
        if workflow is not None:
            workflow = dict(workflow)
            workflow["nodes"] = [
                {**node, "event": keys_by_id.get(node["event"], node["event"]) if isinstance(node["event"], int) else node["event"]}
                for node in workflow["nodes"]
            ]
            document["workflow"] = workflow
        return document

    @staticmethod
    def write(document: dict[str, Any], path: Path) -> None:
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)

    @in_thread
    def export_events(self, names: list[str], path: Path | None = None) -> dict[str, Any]:
        with self._ctx.db.read() as session:
            events = [EventService.find(session, name) for name in names]
            document = self._document(session, events, None)
        if path is not None:
            self.write(document, path)
        return document

    @in_thread
    def export_workflow(self, name: str, path: Path | None = None) -> dict[str, Any]:
        if self.workflows is None:
            raise ValidationError("workflow", "workflows are not available in this version.")
        with self._ctx.db.read() as session:
            workflow, event_ids = self.workflows.export_workflow(session, name)
            events = [session.get(Event, event_id) for event_id in event_ids]
            document = self._document(session, [e for e in events if e is not None], workflow)
        if path is not None:
            self.write(document, path)
        return document
