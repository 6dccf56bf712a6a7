"""Version history of events and workflows: every save keeps the definition it replaced.

Each save that changes a definition stores it as a new numbered version (the newest is the
current one), with a one-line summary of what changed. Runs record the number they ran
(`executions.event_version`, `workflow_executions.workflow_version`). Restoring an old version
saves it again, so it becomes a new version and nothing is lost. Secret values are never kept:
definitions are stored as the editor sees them, secret env values empty (an empty value keeps what
is stored when the version is restored). Exported files carry only the current definition.
"""

from __future__ import annotations

import builtins
import difflib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.store.models import DefinitionVersion, Event, Workflow

if TYPE_CHECKING:
    from cronium_desktop.engine.events import EventService
    from cronium_desktop.engine.workflows.service import WorkflowService

KINDS = ("event", "workflow")
# Not part of a definition: identity, and states set by Activate/Pause rather than by an edit.
EXCLUDED = {"event": ("id", "status"), "workflow": ("id", "status", "webhook_token")}
SCRIPT_FIELD = "content"


@dataclass
class VersionInfo:
    number: int
    created_at: datetime
    summary: str
    current: bool


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class DiffRow:
    """One row of a side-by-side diff; a number is None where that side has no line."""

    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str
    tag: str  # equal, replace, delete, insert


@dataclass
class VersionDiff:
    old: int
    new: int
    fields: list[FieldChange]
    script: list[DiffRow]


def clean_definition(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in EXCLUDED[kind]}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Fields whose value differs, the script excepted (it has its own line diff)."""
    keys = [key for key in dict.fromkeys([*old, *new]) if key != SCRIPT_FIELD]
    return [FieldChange(key, _shown(old.get(key)), _shown(new.get(key))) for key in keys if old.get(key) != new.get(key)]


def script_rows(old_text: str, new_text: str) -> list[DiffRow]:
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        for offset in range(max(a2 - a1, b2 - b1)):
            a, b = a1 + offset, b1 + offset
            # a replace of unequal lengths ends in lines one side alone has: those are deletes or inserts
            row_tag = tag if (a < a2) == (b < b2) else ("delete" if a < a2 else "insert")
            rows.append(DiffRow(a + 1 if a < a2 else None, old_lines[a] if a < a2 else "",
                                b + 1 if b < b2 else None, new_lines[b] if b < b2 else "", row_tag))
    return rows


def summarize(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """What changed, in one line: 'script +3 −1 lines; schedule, timeout_seconds'."""
    if old is None:
        return "created"
    parts: list[str] = []
    old_script, new_script = str(old.get(SCRIPT_FIELD) or ""), str(new.get(SCRIPT_FIELD) or "")
    if old_script != new_script:
        added = removed = 0
        for tag, a1, a2, b1, b2 in difflib.SequenceMatcher(
            a=old_script.splitlines(), b=new_script.splitlines(), autojunk=False
        ).get_opcodes():
            if tag != "equal":
                removed += a2 - a1
                added += b2 - b1
        parts.append(f"script +{added} −{removed} lines")
    changed = [change.field for change in field_changes(old, new)]
    if changed:
        parts.append(", ".join(changed))
    return "; ".join(parts) or "no change"


# -- inside a store session (called by the event and workflow services while they save) ------------------


def _latest(session: Session, kind: str, object_id: int) -> DefinitionVersion | None:
    return session.scalar(
        select(DefinitionVersion).where(DefinitionVersion.kind == kind, DefinitionVersion.object_id == object_id)
        .order_by(DefinitionVersion.number.desc()).limit(1)
    )


def keep_baseline(session: Session, kind: str, object_id: int, definition: Callable[[], dict[str, Any]]) -> None:
    """Before the first save with history on, keep what was there (a store from before version history)."""
    if _latest(session, kind, object_id) is None:
        session.add(DefinitionVersion(kind=kind, object_id=object_id, number=1, summary="as it was",
                                      definition=clean_definition(kind, definition())))
        session.flush()


def record(session: Session, kind: str, object_id: int, definition: dict[str, Any], note: str = "") -> int:
    """Store `definition` as the newest version unless it equals the current one; returns the current number."""
    clean = clean_definition(kind, definition)
    latest = _latest(session, kind, object_id)
    if latest is not None and latest.definition == clean:
        return latest.number
    summary = summarize(latest.definition if latest else None, clean)
    number = (latest.number if latest else 0) + 1
    session.add(DefinitionVersion(kind=kind, object_id=object_id, number=number,
                                  summary=f"{note}{summary}" if note else summary, definition=clean))
    session.flush()
    return number


# Built once: every run's record reads it (a statement's building costs more than its running).
_CURRENT_NUMBERS = (select(DefinitionVersion.object_id, func.max(DefinitionVersion.number))
                    .where(DefinitionVersion.kind == bindparam("b_kind"),
                           DefinitionVersion.object_id.in_(bindparam("b_ids", expanding=True)))
                    .group_by(DefinitionVersion.object_id))


def current_numbers(session: Session, kind: str, object_ids: Iterable[int]) -> dict[int, int]:
    """The current version number of each object (those with a history)."""
    ids = builtins.list(object_ids)
    if not ids:
        return {}
    rows = session.execute(_CURRENT_NUMBERS, {"b_kind": kind, "b_ids": ids}).all()
    return {int(object_id): int(number) for object_id, number in rows}


def forget(session: Session, kind: str, object_id: int) -> None:
    """A deleted object's history goes with it (an id may be reused by the next one created)."""
    session.execute(delete(DefinitionVersion).where(DefinitionVersion.kind == kind,
                                                    DefinitionVersion.object_id == object_id))


# -- the service the window and the CLI use ---------------------------------------------------------------


class VersionService:
    def __init__(self, ctx: EngineContext, events: EventService, workflows: WorkflowService) -> None:
        self._ctx = ctx
        self._events = events
        self._workflows = workflows

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in KINDS:
            raise ValidationError("kind", f"must be 'event' or 'workflow', not {kind!r}.")

    def _object_id(self, session: Session, kind: str, id_or_name: int | str) -> int:
        if kind == "event":
            return self._events.find(session, id_or_name).id
        from cronium_desktop.engine.workflows.service import WorkflowService

        return WorkflowService.find(session, id_or_name).id

    @in_thread
    def list(self, kind: str, id_or_name: int | str) -> builtins.list[VersionInfo]:
        """Newest first."""
        self._check_kind(kind)
        with self._ctx.db.read() as session:
            object_id = self._object_id(session, kind, id_or_name)
            rows = builtins.list(session.scalars(
                select(DefinitionVersion).where(DefinitionVersion.kind == kind, DefinitionVersion.object_id == object_id)
                .order_by(DefinitionVersion.number.desc())
            ))
            return [VersionInfo(row.number, row.created_at, row.summary, index == 0) for index, row in enumerate(rows)]

    def _definition(self, session: Session, kind: str, object_id: int, number: int) -> dict[str, Any]:
        row = session.scalar(select(DefinitionVersion).where(
            DefinitionVersion.kind == kind, DefinitionVersion.object_id == object_id, DefinitionVersion.number == number))
        if row is None:
            raise NotFound(f"The {kind} has no version {number} (it may have been pruned).")
        return dict(row.definition)

    @in_thread
    def get(self, kind: str, id_or_name: int | str, number: int) -> dict[str, Any]:
        self._check_kind(kind)
        with self._ctx.db.read() as session:
            return self._definition(session, kind, self._object_id(session, kind, id_or_name), number)

    @in_thread
    def diff(self, kind: str, id_or_name: int | str, old: int, new: int) -> VersionDiff:
        """Side by side: the fields that differ, and the script line by line."""
        self._check_kind(kind)
        with self._ctx.db.read() as session:
            object_id = self._object_id(session, kind, id_or_name)
            before = self._definition(session, kind, object_id, old)
            after = self._definition(session, kind, object_id, new)
        return VersionDiff(old, new, field_changes(before, after),
                           script_rows(str(before.get(SCRIPT_FIELD) or ""), str(after.get(SCRIPT_FIELD) or "")))

    async def restore(self, kind: str, id_or_name: int | str, number: int) -> int:
        """Save version `number` again: it becomes the newest version. Returns its new number.

        The status (active, paused…) stays as it is now: restoring a definition is not activating it."""
        self._check_kind(kind)

        def load() -> tuple[int, dict[str, Any], str]:
            with self._ctx.db.read() as session:
                object_id = self._object_id(session, kind, id_or_name)
                row = session.get(Event, object_id) if kind == "event" else session.get(Workflow, object_id)
                assert row is not None
                return object_id, self._definition(session, kind, object_id, number), row.status

        object_id, definition, status = await in_thread(load)()
        data = {**definition, "id": object_id, "status": status}
        if kind == "event":
            await self._events.update(object_id, data)
        else:
            await self._workflows.save(data)

        def note() -> int:
            with self._ctx.db.write() as session:
                latest = _latest(session, kind, object_id)
                assert latest is not None
                if latest.number != number and not latest.summary.startswith("restored"):
                    latest.summary = f"restored version {number} ({latest.summary})"
                return latest.number

        return await in_thread(note)()

    @in_thread
    def prune(self, keep: int, dry_run: bool = False) -> int:
        """Keep the newest `keep` versions of each event and workflow (0 keeps all); returns how many go."""
        return prune_versions(self._ctx.db, keep, dry_run)


def prune_versions(db: Any, keep: int, dry_run: bool = False) -> int:
    """Keep the newest `keep` versions of each event and workflow (0 keeps all); how many go (went).
    Called by `versions prune` and by the run-history retention (setting `version_retention`)."""
    if keep <= 0:
        return 0
    with db.write() as session:
        ranked = select(
            DefinitionVersion.id,
            func.row_number().over(partition_by=(DefinitionVersion.kind, DefinitionVersion.object_id),
                                   order_by=DefinitionVersion.number.desc()).label("rank"),
        ).subquery()
        doomed = builtins.list(session.scalars(select(ranked.c.id).where(ranked.c.rank > keep)))
        if doomed and not dry_run:
            session.execute(delete(DefinitionVersion).where(DefinitionVersion.id.in_(doomed)))
        return len(doomed)
