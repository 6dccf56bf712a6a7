"""The parts of `.cronium.json` files (SPEC §8) that calendars and sub-workflows add.

- `"calendars"`: the calendars the file's schedules name, `{"name", "description", "country",
  "subdivision", "dates"}`. On import a calendar that exists here is used as it is (its days are
  this computer's business), unless `--replace` overwrites it.
- `"workflows"`: the child workflows the file's WORKFLOW nodes run (and their children), in the
  format of `"workflow"`, leaves first. Import resolves a WORKFLOW node's `"workflow"` by name: a
  workflow of the file, else one that exists here, as events are resolved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine import calendars
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.store.models import Calendar, Workflow


def check_calendar_list(items: Any) -> list[dict[str, Any]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError("calendars", 'must be a list like [{"name": "Germany", "country": "DE", "dates": []}].')
    names: set[str] = set()
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        place = f"calendars[{index}]" + (f" ({name!r})" if isinstance(name, str) else "")
        if not isinstance(item, dict):
            raise ValidationError(place, "must be an object with name, country, subdivision and dates.")
        if isinstance(name, str) and name.strip().lower() in names:
            raise ValidationError(f"{place}.name", f"{name!r} appears twice in this file.")
        names.add(str(name).strip().lower())
    return items


def import_calendars(session: Session, items: list[dict[str, Any]], replace: bool) -> tuple[list[str], list[str]]:
    """Create the file's calendars (or replace them with --replace); returns (created, kept as they were)."""
    created, kept = [], []
    for index, item in enumerate(items):
        place = f"calendars[{index}] ({item.get('name')!r})"
        existing = session.scalar(select(Calendar).where(func.lower(Calendar.name) == str(item.get("name", "")).strip().lower()))
        if existing is not None and not replace:
            kept.append(existing.name)
            continue
        try:
            row, _ = calendars.apply(session, item, field=place, current=existing.name if existing else None)
        except ValidationError as error:
            raise ValidationError(error.field, error.message) from error
        if existing is None:
            created.append(row.name)
    return created, kept


def calendars_for_file(session: Session, schedules: list[Any]) -> list[dict[str, Any]]:
    """The calendars named by these schedules, as the file writes them."""
    wanted = sorted({s["calendar"].lower(): s["calendar"] for s in schedules
                     if isinstance(s, dict) and isinstance(s.get("calendar"), str)}.values(), key=str.lower)
    result = []
    for name in wanted:
        row = session.scalar(select(Calendar).where(func.lower(Calendar.name) == name.lower()))
        if row is not None:
            result.append(calendars.to_dict(row))
    return result


def child_workflow_names(session: Session, workflow: Workflow) -> list[str]:
    """Every workflow `workflow` runs through WORKFLOW nodes, children before their parents (leaves first)."""
    ordered: list[str] = []

    def visit(current: Workflow, seen: tuple[int, ...]) -> None:
        for node in current.nodes:
            child = node.child_workflow
            if child is None or child.id in seen:
                continue
            visit(child, (*seen, child.id))
            if child.name not in ordered:
                ordered.append(child.name)

    visit(workflow, (workflow.id,))
    return ordered


def import_order(items: Any) -> list[tuple[int, dict[str, Any]]]:
    """The file's child workflows with those they run first (index kept for error messages)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError("workflows", "must be a list of workflows in the format of \"workflow\".")
    by_name: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValidationError(f"workflows[{index}].name", "is required.")
        if item["name"].strip().lower() in by_name:
            raise ValidationError(f"workflows[{index}].name", f"{item['name']!r} appears twice in this file.")
        by_name[item["name"].strip().lower()] = (index, item)
    ordered: list[tuple[int, dict[str, Any]]] = []
    done: set[str] = set()

    def visit(key: str, path: tuple[str, ...]) -> None:
        if key in done or key in path:
            return  # a cycle in the file is named by the workflows' own check when saved
        index, item = by_name[key]
        for node in item.get("nodes") or []:
            ref = node.get("workflow") if isinstance(node, dict) else None
            if isinstance(ref, str) and ref.strip().lower() in by_name:
                visit(ref.strip().lower(), (*path, key))
        done.add(key)
        ordered.append((index, item))

    for key in by_name:
        visit(key, ())
    return ordered
