"""The list of events (Events page, `list events`): each event's summary, next run and last result.

Read with SQLAlchemy Core over the few columns it needs, so that `cronium-desktop list events` loads
neither the ORM nor the mapped models (`cli/reads.py`); the Events page reads it the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from cronium_desktop.engine.calendar_days import CalendarDays, calendars_in
from cronium_desktop.engine.errors import NotFound, ValidationError
from cronium_desktop.engine.scheduling.schedules import next_runs
from cronium_desktop.engine.states import FINAL_STATES
from cronium_desktop.engine.store.tables import EVENTS, EXECUTIONS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session


@dataclass
class EventSummary:
    id: int
    name: str
    type: str
    status: str
    trigger: str
    tags: list[str]
    next_run: datetime | None  # aware
    last_status: str | None
    last_run_at: datetime | None
    execution_count: int
    run_location: str
    description: str


def name_key(name: str) -> str:
    """An event name as lookups compare it with `lower(name)`: names are stored NFC, compared in any case."""
    return unicodedata.normalize("NFC", str(name)).lower()


def event_id_of(reader: Session | Connection, id_or_name: int | str) -> int:
    """The id of the event with this id, or this name (any case); NotFound names what was asked."""
    if isinstance(id_or_name, int):
        found = reader.execute(select(EVENTS.c.id).where(EVENTS.c.id == id_or_name)).scalar()
    else:
        found = reader.execute(select(EVENTS.c.id).where(func.lower(EVENTS.c.name) == name_key(id_or_name))).scalar()
    if found is None:
        raise no_event(id_or_name)
    return int(found)


def no_event(id_or_name: int | str) -> NotFound:
    return NotFound(f"No event named {id_or_name!r}." if isinstance(id_or_name, str) else f"No event with id {id_or_name}.")


def next_run(event: Any, calendars: Callable[[str], CalendarDays], after: datetime | None = None) -> datetime | None:
    """When the scheduler will next fire `event` (an Event, or a row of its schedule columns), or None."""
    if event.status != "ACTIVE" or event.trigger != "SCHEDULE" or not event.schedule:
        return None
    start = event.start_time.replace(tzinfo=UTC) if event.start_time else None
    end = event.end_time.replace(tzinfo=UTC) if event.end_time else None
    anchor = start or (event.activated_at.replace(tzinfo=UTC) if event.activated_at else None)
    try:
        runs = next_runs(event.schedule, event.timezone, 1, after=after, anchor=anchor, start_time=start, end_time=end,
                         calendars=calendars)
    except ValidationError:
        return None
    return runs[0] if runs else None


def read_event_list(reader: Session | Connection) -> list[EventSummary]:
    """Every event's summary, by name."""
    # Each event's newest finished run, found through the (event_id, id) index: a grouped maximum
    # over all runs would read every run of the history.
    newest = EXECUTIONS.alias("newest")
    last_id = (
        select(newest.c.id)
        .where(newest.c.event_id == EVENTS.c.id, newest.c.status.in_(FINAL_STATES))
        .order_by(newest.c.id.desc()).limit(1)
        .correlate(EVENTS).scalar_subquery()
    )
    rows = reader.execute(
        select(EVENTS, EXECUTIONS.c.status.label("last_status"), EXECUTIONS.c.finished_at)
        .select_from(EVENTS.outerjoin(EXECUTIONS, EXECUTIONS.c.id == last_id))
        .order_by(func.lower(EVENTS.c.name))
    ).all()
    calendars = calendars_in(reader)
    return [
        EventSummary(
            id=row.id,
            name=row.name,
            type=row.type,
            status=row.status,
            trigger=row.trigger,
            tags=list(row.tags or []),
            next_run=next_run(row, calendars),
            last_status=row.last_status,
            last_run_at=row.finished_at,
            execution_count=row.execution_count,
            run_location=row.run_location,
            description=row.description,
        )
        for row in rows
    ]
