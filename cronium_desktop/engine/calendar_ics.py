"""`.ics` files (iCalendar, RFC 5545) read as calendar dates: each event becomes a date or a date range.

An all-day event's DTEND is exclusive (a two-day event on 24–25 December ends on the 26th), a timed
event covers the days it touches. Recurring events (RRULE) are not expanded: they are reported so
the user can add their days otherwise, rather than silently taken for one day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar as ICalendar

from cronium_desktop.engine.errors import ValidationError


@dataclass
class IcsDates:
    dates: list[dict[str, Any]] = field(default_factory=list)  # {"start", "end", "name"}
    recurring: list[str] = field(default_factory=list)  # summaries of events left out


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def read_ics(data: bytes | str, source: str = "file") -> IcsDates:
    try:
        parsed = ICalendar.from_ical(data)
    except ValueError as error:
        raise ValidationError(source, f"is not an iCalendar (.ics) file: {error}.") from error
    result = IcsDates()
    for index, component in enumerate(parsed.walk("VEVENT")):
        name = str(component.get("SUMMARY") or "").strip()[:200]
        if component.get("RRULE") is not None:
            result.recurring.append(name or f"event {index + 1}")
            continue
        start_prop = component.get("DTSTART")
        if start_prop is None:
            raise ValidationError(f"{source}: event {index + 1} ({name!r})", "has no DTSTART.")
        start_value = start_prop.dt
        start = _day(start_value)
        end_prop, duration = component.get("DTEND"), component.get("DURATION")
        if end_prop is not None:
            end_value = end_prop.dt
        elif duration is not None:
            end_value = start_value + duration.dt
        else:
            end_value = None
        if end_value is None:
            end = start
        elif isinstance(end_value, datetime):
            end = max(start, (end_value - timedelta(microseconds=1)).date())  # ends at midnight: not that day
        else:
            end = max(start, end_value - timedelta(days=1))  # all-day DTEND is exclusive
        result.dates.append({"start": start.isoformat(), "end": end.isoformat(), "name": name})
    return result


def read_ics_file(path: Path) -> IcsDates:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValidationError("file", f"cannot read {str(path)!r}: {error.strerror or error}.") from error
    return read_ics(data, f"file {str(path)!r}")
