"""Calendars: named sets of days that schedules skip or shift around (Settings → Calendars, `calendar` CLI).

A calendar holds a country's (and optionally a region's) public holidays, computed offline by the
`holidays` package for any year asked, plus explicit dates and date ranges the user adds or imports
from an `.ics` file (`engine/calendar_ics.py`). Schedules name a calendar in their spec
(`{"cron": ..., "calendar": NAME, "on_calendar_day": "SKIP"}`); `engine/scheduling/calendar_schedules.py`
turns that into a trigger. A calendar in use cannot be deleted; renaming it renames it in the
schedules that use it.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cronium_desktop.engine.calendar_days import CalendarDays, days_of
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.notices import EventsChanged, WorkflowsChanged
from cronium_desktop.engine.store.models import Calendar, Event, Workflow
from cronium_desktop.engine.validation import clean_name

CALENDAR_KEYS = ("name", "description", "country", "subdivision", "dates")
DATE_KEYS = ("start", "end", "name")
# A single range longer than this is almost certainly a typo in a year.
MAX_RANGE_DAYS = 3660
MAX_DATES = 10_000


def require_calendar(session: Session, schedule: Any, field: str = "schedule.calendar") -> None:
    """A schedule may only name a calendar that exists (checked on save and import)."""
    name = schedule.get("calendar") if isinstance(schedule, dict) else None
    if name and session.scalar(select(Calendar.id).where(func.lower(Calendar.name) == str(name).lower())) is None:
        raise ValidationError(field, f"no calendar named {name!r}; create it in Settings → Calendars or with "
                                     f"'cronium-desktop calendar add {name} --country CODE'.")


def check_country(country: Any, subdivision: Any, field: str = "calendar") -> tuple[str | None, str | None]:
    if country in (None, ""):
        if subdivision not in (None, ""):
            raise ValidationError(f"{field}.subdivision", "needs a country: a region belongs to a country.")
        return None, None
    import holidays

    supported = holidays.list_supported_countries()
    code = str(country).strip().upper()
    if code not in supported:
        raise ValidationError(f"{field}.country", f"{country!r} is not a country the holidays package knows; "
                                                  "use an ISO 3166 code such as 'DE', 'US' or 'GB'.")
    if subdivision in (None, ""):
        return code, None
    regions = {str(r).upper(): str(r) for r in supported[code]}
    region = regions.get(str(subdivision).strip().upper())
    if region is None:
        raise ValidationError(f"{field}.subdivision", f"{subdivision!r} is not a region of {code}; "
                                                      f"known: {', '.join(sorted(regions.values()))}.")
    return code, region


def check_dates(items: Any, field: str = "calendar.dates") -> builtins.list[dict[str, Any]]:
    """Explicit dates and ranges: [{"start": "2027-12-24", "end": "2028-01-01", "name": "..."}], end optional."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError(field, 'must be a list like [{"start": "2027-12-24", "end": "2027-12-31", "name": "Break"}].')
    if len(items) > MAX_DATES:
        raise ValidationError(field, f"holds {len(items)} items; at most {MAX_DATES}.")
    result = []
    for index, item in enumerate(items):
        place = f"{field}[{index}]"
        if isinstance(item, str):
            item = {"start": item}
        if not isinstance(item, dict):
            raise ValidationError(place, 'must be a date "2027-12-24" or an object with start, end and name.')
        unknown = sorted(set(item) - set(DATE_KEYS))
        if unknown:
            raise ValidationError(f"{place}.{unknown[0]}", f"unknown key; the keys allowed are {', '.join(DATE_KEYS)}.")
        parsed: dict[str, date] = {}
        for key in ("start", "end"):
            value = item.get(key, item.get("start") if key == "end" else None)
            try:
                parsed[key] = date.fromisoformat(value if isinstance(value, str) else "")
            except ValueError as error:
                raise ValidationError(f"{place}.{key}", f"must be a date as YYYY-MM-DD, not {value!r}.") from error
        if parsed["end"] < parsed["start"]:
            raise ValidationError(f"{place}.end", f"{parsed['end']} is before the start {parsed['start']}.")
        if (parsed["end"] - parsed["start"]).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"{place}.end", f"the range is longer than {MAX_RANGE_DAYS} days; check the year.")
        name = item.get("name") or ""
        if not isinstance(name, str) or len(name) > 200:
            raise ValidationError(f"{place}.name", "must be text of at most 200 characters.")
        result.append({"start": parsed["start"].isoformat(), "end": parsed["end"].isoformat(), "name": name.strip()})
    return sorted(result, key=lambda entry: (entry["start"], entry["end"]))


def to_dict(row: Calendar) -> dict[str, Any]:
    return {"name": row.name, "description": row.description, "country": row.country,
            "subdivision": row.subdivision, "dates": list(row.entries or [])}


def find(session: Session, name: str) -> Calendar:
    row = session.scalar(select(Calendar).where(func.lower(Calendar.name) == str(name).strip().lower()))
    if row is None:
        raise NotFound(f"No calendar named {name!r}. Create it in Settings → Calendars or with 'calendar add'.")
    return row


def users(session: Session, name: str) -> builtins.list[tuple[str, int, str]]:
    """("event" or "workflow", id, name) of every schedule that names the calendar."""
    found: builtins.list[tuple[str, int, str]] = []
    rows: builtins.list[Event | Workflow] = [*session.scalars(select(Event).where(Event.schedule.is_not(None))),
                                             *session.scalars(select(Workflow).where(Workflow.schedule.is_not(None)))]
    for row in rows:
        named = (row.schedule or {}).get("calendar")
        if isinstance(named, str) and named.lower() == name.lower():
            found.append(("event" if isinstance(row, Event) else "workflow", row.id, row.name))
    return found


def apply(session: Session, data: Any, *, field: str = "calendar", replace: bool = True,
          current: str | None = None) -> tuple[Calendar, bool]:
    """Create or update a calendar from `data` (CALENDAR_KEYS); `current` names the one being edited."""
    if not isinstance(data, dict):
        raise ValidationError(field, "must be an object with name, country, subdivision and dates.")
    unknown = sorted(set(data) - set(CALENDAR_KEYS))
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", f"unknown key; the keys allowed are {', '.join(CALENDAR_KEYS)}.")
    name = clean_name(data.get("name"), f"{field}.name")
    country, subdivision = check_country(data.get("country"), data.get("subdivision"), field)
    dates = check_dates(data.get("dates"), f"{field}.dates")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise ValidationError(f"{field}.description", "must be text.")
    row = find(session, current) if current else None
    clash = session.scalar(select(Calendar).where(func.lower(Calendar.name) == name.lower()))
    existed = False
    if clash is not None and (row is None or clash.id != row.id):
        if not replace or row is not None:
            raise ValidationError(f"{field}.name", f"a calendar named {clash.name!r} already exists.")
        row, existed = clash, True
    if row is None:
        row = Calendar(name=name)
        session.add(row)
    else:
        existed = True
        if row.name.lower() != name.lower():
            _rename_in_schedules(session, row.name, name)
    row.name, row.description, row.country, row.subdivision, row.entries = name, description, country, subdivision, dates
    session.flush()
    return row, existed


def _rename_in_schedules(session: Session, old: str, new: str) -> None:
    for kind, item_id, _ in users(session, old):
        row: Event | Workflow | None = session.get(Event, item_id) if kind == "event" else session.get(Workflow, item_id)
        if row is not None:
            row.schedule = {**(row.schedule or {}), "calendar": new}


@dataclass
class CalendarSummary:
    name: str
    country: str | None
    subdivision: str | None
    dates: int
    used_by: builtins.list[str]


class CalendarService:
    """Calendars for the window and the CLI; every change re-plans the schedules that name the calendar."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    @in_thread
    def list(self) -> builtins.list[CalendarSummary]:
        with self._ctx.db.read() as session:
            rows = session.scalars(select(Calendar).order_by(func.lower(Calendar.name)))
            return [CalendarSummary(r.name, r.country, r.subdivision, len(r.entries or []),
                                    [f"{kind} {name!r}" for kind, _, name in users(session, r.name)]) for r in rows]

    @in_thread
    def get(self, name: str) -> dict[str, Any]:
        with self._ctx.db.read() as session:
            return to_dict(find(session, name))

    @in_thread
    def days(self, name: str) -> CalendarDays:
        with self._ctx.db.read() as session:
            return days_of(find(session, name))

    @in_thread
    def all_days(self) -> dict[str, CalendarDays]:
        """Every calendar by name (for previews drawn without reaching the store again)."""
        with self._ctx.db.read() as session:
            return {row.name: days_of(row) for row in session.scalars(select(Calendar))}

    @in_thread
    def save(self, data: dict[str, Any], current: str | None = None) -> str:
        """Create a calendar, or change the one named `current` (its name too)."""
        with self._ctx.db.write() as session:
            row, _ = apply(session, data, replace=False, current=current)
            name = row.name
            affected = users(session, name)
        self._replan(affected)
        return name

    @in_thread
    def add_dates(self, name: str, dates: builtins.list[dict[str, Any]]) -> int:
        """Add explicit dates or ranges to a calendar; returns how many it holds now."""
        with self._ctx.db.write() as session:
            row = find(session, name)
            merged = check_dates(list(row.entries or []) + list(dates), "dates")
            unique = list({(d["start"], d["end"], d["name"]): d for d in merged}.values())
            row.entries = unique
            affected = users(session, row.name)
        self._replan(affected)
        return len(unique)

    @in_thread
    def delete(self, name: str) -> None:
        with self._ctx.db.write() as session:
            row = find(session, name)
            used = users(session, row.name)
            if used:
                names = ", ".join(f"{kind} {item!r}" for kind, _, item in used)
                raise ValidationError("calendar", f"{row.name!r} is used by {names}; change their schedules first.")
            session.delete(row)

    def _replan(self, affected: builtins.list[tuple[str, int, str]]) -> None:
        events = tuple(item_id for kind, item_id, _ in affected if kind == "event")
        workflows = tuple(item_id for kind, item_id, _ in affected if kind == "workflow")
        if events:
            self._ctx.bus.publish(EventsChanged(events))
        if workflows:
            self._ctx.bus.publish(WorkflowsChanged(workflows))
