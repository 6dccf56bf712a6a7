"""`.cronium.json` import and export (SPEC §8).

Import is all or nothing: the whole file is validated and written in one transaction, and the
first bad item refuses the file with its place and field named. Export never writes a secret:
secret env values and the settings of the tool credentials the events use are left empty, and
the import report on the other side names each one still to be filled in.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.event_fields import EXPORT_KEYS, EXPORTED_WHEN_SET, FILE_KEYS
from cronium_desktop.engine.event_webhooks import new_token
from cronium_desktop.engine.events import EventService, secret_env_owner
from cronium_desktop.engine.files_compose import (
    calendars_for_file,
    check_calendar_list,
    child_workflow_names,
    import_calendars,
    import_order,
)
from cronium_desktop.engine.notices import EventsChanged, ToolsChanged, WorkflowsChanged
from cronium_desktop.engine.store.models import Event, Tool, Workflow
from cronium_desktop.engine.tools.registry import TOOL_TYPES, tool_kind
from cronium_desktop.engine.tools.service import MAX_NAME_LENGTH, config_owner
from cronium_desktop.engine.triggers.spec import non_default as non_default_triggers
from cronium_desktop.engine.validation import (
    MAX_JSON_DEPTH,
    clean_name,
    json_depth_exceeds,
    normalize_event,
)

FORMAT = "cronium-desktop"
VERSION = 1
TOP_LEVEL_KEYS = ("format", "version", "tools", "calendars", "events", "workflows", "workflow")
TOOL_KEYS = ("name", "type", "config")
TOOL_EXAMPLE = '{"name": "ops-slack", "type": "slack", "config": {}}'
# `"webhook": true` says the event has a webhook; its token is a credential and never leaves the
# store (as for workflow webhooks): an import makes a new one, or keeps the replaced event's.
WEBHOOK_KEY = "webhook"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    workflow: str | None = None
    workflow_replaced: bool = False
    missing_secrets: list[str] = field(default_factory=list)  # "event 'X': env TOKEN", "tool 'Y': settings"
    secret_env_without_value: list[tuple[str, str]] = field(default_factory=list)  # (event, env name)
    created_tools: list[str] = field(default_factory=list)
    replaced_tools: list[str] = field(default_factory=list)
    tools_without_settings: list[tuple[str, str]] = field(default_factory=list)  # (name, type)
    created_calendars: list[str] = field(default_factory=list)
    kept_calendars: list[str] = field(default_factory=list)  # existed here: used as they are
    child_workflows: list[tuple[str, bool]] = field(default_factory=list)  # (name, replaced)

    def lines(self) -> list[str]:
        out = [f"Created tool credential {name!r}." for name in self.created_tools]
        out += [f"Replaced the settings of tool credential {name!r}." for name in self.replaced_tools]
        out += [f"Created calendar {name!r}." for name in self.created_calendars]
        out += [f"Calendar {name!r} exists here and is used as it is (--replace overwrites it)." for name in self.kept_calendars]
        out += [f"Created event {name!r}." for name in self.created]
        out += [f"Replaced event {name!r}." for name in self.replaced]
        out += [f"{'Replaced' if again else 'Created'} workflow {name!r}." for name, again in self.child_workflows]
        if self.workflow:
            out.append(f"{'Replaced' if self.workflow_replaced else 'Created'} workflow {self.workflow!r}.")
        out += [
            f"Event {event!r}: secret env {name} has no value (secrets are never exported); set it in the event "
            "before it runs."
            for event, name in self.secret_env_without_value
        ]
        out += [
            f"Tool credential {name!r} ({kind}) has no settings (they are never exported): enter them in Tools, "
            f"or with 'cronium-desktop tool add {name} --type {kind} --config JSON', before its events run."
            for name, kind in self.tools_without_settings
        ]
        return out


@dataclass
class _ToolSpec:
    place: str  # "tools[0] ('ops-slack')"
    name: str
    type: str
    config: dict[str, Any] | None  # None: left empty in the file


class WorkflowFiles(Protocol):
    """What the workflows service provides to the importer and exporter."""

    def import_workflow(
        self, session: Session, data: Any, event_keys: dict[str, int], replace: bool, field_prefix: str = "workflow"
    ) -> tuple[str, bool]: ...

    def export_workflow(self, session: Session, name: str) -> tuple[dict[str, Any], list[int]]: ...


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "event"


def unknown_key(key: str, allowed: Iterable[str], where: str = "") -> str:
    """The message for a key the format does not have, with the one likely meant."""
    allowed = list(allowed)
    # "timeout" means timeout_seconds (difflib alone would say timezone).
    close = [name for name in allowed if name.startswith(key.lower())]
    close = close or difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the keys allowed here are {', '.join(allowed)}."
    return f"unknown key{where}; {hint}"


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _DuplicateKey(Exception):
    """A JSON object names one key twice: json.loads would keep the last one without a word."""


def _read_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class FileService:
    def __init__(self, ctx: EngineContext, events: EventService, workflows: WorkflowFiles) -> None:
        self._ctx = ctx
        self._events = events
        self.workflows = workflows

    # -- import ---------------------------------------------------------------------------------

    @staticmethod
    def read(path: Path) -> Any:
        try:
            # utf-8-sig: a file saved by an editor that writes a byte-order mark reads the same.
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as error:
            raise ValidationError("file", f"cannot read {str(path)!r}: {error.strerror or error}.") from error
        except UnicodeDecodeError as error:
            raise ValidationError("file", f"{str(path)!r} is not UTF-8 text ({error.reason}).") from error
        too_deep = ValidationError(
            "file", f"{str(path)!r} nests lists or objects more than {MAX_JSON_DEPTH} levels deep; no Cronium file does.")
        try:
            data = json.loads(text, object_pairs_hook=_read_object)
        except RecursionError:
            raise too_deep from None
        except _DuplicateKey as error:
            raise ValidationError(
                "file", f"{str(path)!r} has the key {error.args[0]!r} twice in one object; keep only one."
            ) from error
        except ValueError as error:
            raise ValidationError("file", f"{str(path)!r} is not valid JSON ({error}).") from error
        if json_depth_exceeds(data):
            raise too_deep
        return data

    @in_thread
    def import_file(self, path: Path, replace: bool = False) -> ImportReport:
        return self.import_data.__wrapped__(self, self.read(path), replace)  # type: ignore[attr-defined]

    @in_thread
    def import_data(self, data: Any, replace: bool = False) -> ImportReport:
        self._webhooks_wanted: dict[str, bool] = {}
        specs = self._check_document(data)
        tools = self._check_tools(data.get("tools"))
        calendar_items = check_calendar_list(data.get("calendars"))
        children = import_order(data.get("workflows"))
        report = ImportReport()
        with self._ctx.db.write() as session:
            tool_ids = self._import_tools(session, tools, replace, report)
            report.created_calendars, report.kept_calendars = import_calendars(session, calendar_items, replace)
            event_keys: dict[str, int] = {}
            rows: list[tuple[str, Event | None, dict[str, Any]]] = []
            plain: list[tuple[str, dict[str, Any]]] = []  # new events of columns only, not inserted yet

            def insert_plain() -> None:
                """One Core insert for the waiting new events: no ORM bookkeeping per row."""
                if plain:
                    ids = session.scalars(insert(Event).returning(Event.id, sort_by_parameter_order=True),
                                          [columns for _, columns in plain]).all()
                    event_keys.update((key, event_id) for (key, _), event_id in zip(plain, ids, strict=True))
                    plain.clear()

            # Every name of the file looked up in one query: one per event compared every stored name
            # each time, and the import grew with the square of the file.
            wanted = {spec["name"].lower() for _, spec in specs}
            found = {event.name.lower(): event for event in session.scalars(
                select(Event).options(selectinload(Event.servers), selectinload(Event.actions)))
                if event.name.lower() in wanted}
            # Pass 1: every event exists (so actions may point forward); pass 2: full fields.
            for index, (key, spec) in enumerate(specs):
                place = f"events[{index}] ({key!r})"
                existing = found.get(spec["name"].lower())
                if existing is not None and not replace:
                    raise ValidationError(
                        f"{place}.name",
                        f"an event named {existing.name!r} already exists; import with --replace to overwrite it.",
                    )
                event = None if existing is None and EventService.columns_only(spec) else existing or Event()
                try:
                    if event is None:
                        columns = EventService.new_row(session, spec)
                        columns["webhook_token"] = new_token() if self._webhooks_wanted.get(key) else None
                        plain.append((key, columns))
                    else:
                        if existing is None:
                            insert_plain()  # the new events get their ids in the file's order
                        self._events.apply(session, event, {**spec, "conditional_actions": []}, name_checked=True,
                                           flush=False)
                        if existing is None:
                            session.flush()
                except ValidationError as error:
                    raise ValidationError(f"{place}.{error.field}", error.message) from error
                (report.replaced if existing is not None else report.created).append(spec["name"])
                rows.append((key, event, spec))
            insert_plain()
            session.flush()
            event_keys.update((key, event.id) for key, event, _ in rows if event is not None)
            with_actions = [event_keys[key] for key, event, spec in rows if event is None and spec["conditional_actions"]]
            loaded = {event.id: event for event in session.scalars(
                select(Event).where(Event.id.in_(with_actions)).options(selectinload(Event.actions)))}
            rows = [(key, loaded.get(event_keys[key]) if event is None else event, spec) for key, event, spec in rows]
            created = set(report.created)
            for index, (key, event, spec) in enumerate(rows):
                if event is None:
                    continue  # inserted whole: columns only, its webhook key set
                if spec["conditional_actions"]:  # pass 1 wrote everything else
                    try:
                        if spec["name"] in created:  # a new event: only its actions are left to write
                            self._events.set_actions(session, event, spec["conditional_actions"], event_keys)
                        else:  # a replaced one: saved whole again, so its history shows the actions
                            self._events.apply(session, event, spec, event_keys=event_keys, name_checked=True)
                    except ValidationError as error:
                        raise ValidationError(f"events[{index}] ({key!r}).{error.field}", error.message) from error
                if not self._webhooks_wanted.get(key):
                    event.webhook_token = None
                elif not event.webhook_token:
                    event.webhook_token = new_token()
                for name in spec["secret_env"]:
                    if not self._has_secret(session, secret_env_owner(event.id, name)):
                        report.missing_secrets.append(f"event {spec['name']!r}: env {name}")
                        report.secret_env_without_value.append((spec["name"], name))
            for index, child in children:
                self._check_workflow_name_free(session, child, replace, f"workflows[{index}]")
                report.child_workflows.append(
                    self.workflows.import_workflow(session, child, event_keys, replace, f"workflows[{index}]"))
            workflow = data.get("workflow")
            if workflow is not None:
                self._check_workflow_name_free(session, workflow, replace)
                report.workflow, report.workflow_replaced = self.workflows.import_workflow(
                    session, workflow, event_keys, replace
                )
        if tool_ids:
            self._ctx.bus.publish(ToolsChanged(tuple(tool_ids)))
        self._ctx.bus.publish(EventsChanged(tuple(event_keys.values())))
        if report.workflow or report.child_workflows:
            self._ctx.bus.publish(WorkflowsChanged())
        return report

    def _has_secret(self, session: Session, owner: str) -> bool:
        return owner in self._ctx.secrets.owners(session, owner)

    @staticmethod
    def _check_workflow_name_free(session: Session, workflow: Any, replace: bool, place: str = "workflow") -> None:
        name = workflow.get("name") if isinstance(workflow, dict) else None
        if replace or not isinstance(name, str) or not name.strip():
            return  # the workflow's own checks name a missing or bad name
        clash = session.scalar(select(Workflow).where(func.lower(Workflow.name) == name.strip().lower()))
        if clash is not None:
            raise ValidationError(
                f"{place}.name", f"a workflow named {clash.name!r} already exists; import with --replace to overwrite it."
            )

    def _check_document(self, data: Any) -> list[tuple[str, dict[str, Any]]]:
        if not isinstance(data, dict):
            raise ValidationError("file", "must hold a JSON object with format, version and events.")
        unknown = sorted(set(data) - set(TOP_LEVEL_KEYS))
        if unknown:
            raise ValidationError(unknown[0], unknown_key(unknown[0], TOP_LEVEL_KEYS, " at the top of the file"))
        if data.get("format") != FORMAT:
            raise ValidationError("format", f"must be {FORMAT!r}, not {data.get('format')!r}: this is not a Cronium Desktop file.")
        version = data.get("version")
        if version is None:
            raise ValidationError(
                "version", f'is missing: a Cronium Desktop file says which format it uses, e.g. "version": {VERSION}.'
            )
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
            if not isinstance(item, dict):
                raise ValidationError(label, f"must be an object (an event), not {item!r}.")
            for mark in ("key", "name"):
                if isinstance(item.get(mark), str) and item[mark].strip():
                    label = f"events[{index}] ({item[mark]!r})"
                    break
            unknown = sorted(set(item) - FILE_KEYS - {WEBHOOK_KEY})
            if unknown:
                raise ValidationError(f"{label}.{unknown[0]}",
                                      unknown_key(unknown[0], sorted(FILE_KEYS | {WEBHOOK_KEY})))
            webhook = item.get(WEBHOOK_KEY, False)
            if not isinstance(webhook, bool):
                raise ValidationError(f"{label}.{WEBHOOK_KEY}", f"must be true or false, not {webhook!r}.")
            item = {name: value for name, value in item.items() if name != WEBHOOK_KEY}
            try:
                spec = normalize_event(item, allowed_keys=FILE_KEYS)
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
            self._webhooks_wanted[key] = webhook
            specs.append((key, spec))
        return specs

    @staticmethod
    def _check_tools(tools: Any) -> list[_ToolSpec]:
        """The `tools` list: the tool credentials the file's events use, settings usually left empty."""
        if tools is None:
            return []
        if not isinstance(tools, list):
            raise ValidationError("tools", f"must be a list of tool credentials like [{TOOL_EXAMPLE}].")
        specs: list[_ToolSpec] = []
        for index, item in enumerate(tools):
            place = f"tools[{index}]"
            if not isinstance(item, dict):
                raise ValidationError(place, f"must be an object like {TOOL_EXAMPLE}, not {item!r}.")
            name = item.get("name")
            if isinstance(name, str) and name.strip():
                place = f"tools[{index}] ({name.strip()!r})"
            unknown = sorted(set(item) - set(TOOL_KEYS))
            if unknown:
                raise ValidationError(f"{place}.{unknown[0]}", unknown_key(unknown[0], TOOL_KEYS))
            if not isinstance(name, str) or not name.strip():
                raise ValidationError(f"{place}.name", "is required: the name the events use for this tool credential.")
            name = clean_name(name, f"{place}.name", MAX_NAME_LENGTH)
            if not isinstance(item.get("type"), str):
                raise ValidationError(f"{place}.type", f"is required: one of {', '.join(TOOL_TYPES)}.")
            kind = tool_kind(item["type"], f"{place}.type")
            config = item.get("config") or None
            if config is not None:
                if not isinstance(config, dict):
                    raise ValidationError(f"{place}.config", "must be an object of settings, or {} to enter them later.")
                try:
                    config = kind.validate_config(config)
                except ValidationError as error:
                    raise ValidationError(f"{place}.{error.field}", error.message) from error
            if any(spec.name.lower() == name.strip().lower() for spec in specs):
                raise ValidationError(f"{place}.name", f"{name.strip()!r} appears twice in this file.")
            specs.append(_ToolSpec(place, name.strip(), kind.id, config))
        return specs

    def _import_tools(
        self, session: Session, tools: list[_ToolSpec], replace: bool, report: ImportReport
    ) -> list[int]:
        """Create the file's tool credentials that do not exist here; their settings stay empty unless given."""
        secrets, ids = self._ctx.secrets, []
        for spec in tools:
            tool = session.scalar(select(Tool).where(func.lower(Tool.name) == spec.name.lower()))
            if tool is not None and tool.type != spec.type:
                raise ValidationError(
                    f"{spec.place}.type",
                    f"the tool credential {tool.name!r} here is a {tool.type} tool, not {spec.type}; rename one of them.",
                )
            if tool is not None and spec.config is not None and not replace:
                raise ValidationError(
                    f"{spec.place}.name",
                    f"a tool credential named {tool.name!r} already exists; import with --replace to overwrite its settings.",
                )
            if tool is None:
                tool = Tool(name=spec.name, type=spec.type)
                session.add(tool)
                session.flush()
                report.created_tools.append(tool.name)
            elif spec.config is not None:
                report.replaced_tools.append(tool.name)
            else:
                continue  # the tool is set up here: its settings are used as they are
            if spec.config is not None:
                secrets.put(session, config_owner(tool.id), json.dumps(spec.config))
            ids.append(tool.id)
        for spec in tools:
            tool = session.scalar(select(Tool).where(func.lower(Tool.name) == spec.name.lower()))
            if tool is not None and not self._has_secret(session, config_owner(tool.id)):
                report.tools_without_settings.append((tool.name, tool.type))
                report.missing_secrets.append(f"tool {tool.name!r}: settings")
        return ids

    # -- export ---------------------------------------------------------------------------------

    def event_for_file(self, session: Session, event: Event, key: str, keys_by_id: dict[int, str]) -> dict[str, Any]:
        data = self._events.to_dict(session, event, reveal_secrets=False)
        data["key"] = key
        for action in data["conditional_actions"]:
            if action["action"] == "RUN_EVENT":
                target = next((a for a in event.actions if a.target_event and a.target_event.name == action["event"]), None)
                if target is not None and target.target_event_id in keys_by_id:
                    action["event"] = keys_by_id[target.target_event_id]
        document = {name: data[name] for name in EXPORT_KEYS if data[name] is not None or name not in EXPORTED_WHEN_SET}
        if event.webhook_token:
            document[WEBHOOK_KEY] = True
        return {**document, **non_default_triggers(data)}  # only what is set: older files stay as they were

    @staticmethod
    def _with_action_targets(events: list[Event]) -> list[Event]:
        """`events` (each once) and every event their RUN_EVENT actions run, so the file stands alone."""
        result: list[Event] = []
        for event in events:
            if all(event.id != seen.id for seen in result):
                result.append(event)
        for event in result:  # grows while it is walked: targets of targets come along too
            for action in event.actions:
                target = action.target_event if action.action == "RUN_EVENT" else None
                if target is not None and all(target.id != seen.id for seen in result):
                    result.append(target)
        return result

    @staticmethod
    def _tools_for_file(session: Session, events: list[Event]) -> list[dict[str, Any]]:
        """The tool credentials the events use, by name and type; their settings are never written."""
        names: dict[str, str] = {}
        for event in events:
            if event.tool_action and isinstance(event.tool_action.get("tool"), str):
                names.setdefault(event.tool_action["tool"].lower(), event.tool_action["tool"])
            for action in event.actions:
                if action.action == "SEND_MESSAGE" and action.tool is not None:
                    names.setdefault(action.tool.name.lower(), action.tool.name)
        known = {tool.name.lower(): tool for tool in session.scalars(select(Tool))}
        used = sorted((known[name] for name in names if name in known), key=lambda tool: tool.name.lower())
        return [{"name": tool.name, "type": tool.type, "config": {}} for tool in used]

    def _document(self, session: Session, events: list[Event], workflow: dict[str, Any] | None,
                  children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        events = self._with_action_targets(events)
        keys_by_id: dict[int, str] = {}
        used: set[str] = set()
        for event in events:
            key, n = slug(event.name), 2
            while key in used:
                key, n = f"{slug(event.name)}-{n}", n + 1
            used.add(key)
            keys_by_id[event.id] = key
        document: dict[str, Any] = {"format": FORMAT, "version": VERSION}
        tools = self._tools_for_file(session, events)
        if tools:
            document["tools"] = tools
        schedules = [e.schedule for e in events] + [w.get("schedule") for w in [*(children or []), workflow] if w]
        calendar_docs = calendars_for_file(session, schedules)
        if calendar_docs:
            document["calendars"] = calendar_docs
        document["events"] = [self.event_for_file(session, e, keys_by_id[e.id], keys_by_id) for e in events]

        def for_file(graph: dict[str, Any]) -> dict[str, Any]:
            graph = dict(graph)
            graph["nodes"] = [
                {**node, "x": _whole(node["x"]), "y": _whole(node["y"])}
                | ({"event": keys_by_id.get(node["event"], node["event"])} if isinstance(node.get("event"), int) else {})
                for node in graph["nodes"]
            ]
            return graph

        if children:
            document["workflows"] = [for_file(child) for child in children]
        if workflow is not None:
            document["workflow"] = for_file(workflow)
        return document

    @staticmethod
    def write(document: dict[str, Any], path: Path) -> None:
        path = Path(path)
        if path.is_dir():
            raise ValidationError("file", f"cannot write {str(path)!r}: it is a folder; name a file in it, such as "
                                          f"{str(path / 'export.cronium.json')!r}.")
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            tmp.replace(path)
        except OSError as error:
            tmp.unlink(missing_ok=True)
            raise ValidationError("file", f"cannot write {str(path)!r}: {error.strerror or error}.") from error

    @staticmethod
    def _workflow_row(session: Session, name: str) -> Workflow:
        row = session.scalar(select(Workflow).where(func.lower(Workflow.name) == name.strip().lower()))
        if row is None:
            raise ValidationError("workflow", f"no workflow named {name!r}.")
        return row

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
        with self._ctx.db.read() as session:
            workflow, event_ids = self.workflows.export_workflow(session, name)
            children = []
            for child_name in child_workflow_names(session, self._workflow_row(session, name)):
                child, child_events = self.workflows.export_workflow(session, child_name)
                children.append(child)
                event_ids = [*child_events, *event_ids]
            events = [session.get(Event, event_id) for event_id in dict.fromkeys(event_ids)]
            document = self._document(session, [e for e in events if e is not None], workflow, children)
        if path is not None:
            self.write(document, path)
        return document
