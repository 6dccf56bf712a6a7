"""A calendar's days, and calendars looked up by name as schedules ask for them (SPEC §1a).

Kept apart from `calendars.py` (the calendars' service, on the mapped models) so that reading the
list of events computes next runs on calendars without loading the ORM (`event_list.py`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from cronium_desktop.engine.store.tables import CALENDARS

if TYPE_CHECKING:
    from holidays import HolidayBase
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session


class CalendarDays:
    """Answers `day in calendar` and names the day: holidays of a country/region plus explicit dates."""

    def __init__(self, country: str | None, subdivision: str | None, dates: builtins.list[dict[str, Any]]) -> None:
        self._holidays: HolidayBase | None = None
        if country:
            import holidays  # loaded on first use: the package takes a while to import

            self._holidays = holidays.country_holidays(country, subdiv=subdivision)
        self._explicit: dict[date, str] = {}
        for item in dates:
            start, end = date.fromisoformat(item["start"]), date.fromisoformat(item["end"])
            for n in range((end - start).days + 1):
                self._explicit.setdefault(start + timedelta(days=n), item.get("name") or "calendar day")

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return day in self._explicit or (self._holidays is not None and day in self._holidays)

    def name_of(self, day: date) -> str | None:
        if self._holidays is not None and day in self._holidays:
            return str(self._holidays.get(day))
        return self._explicit.get(day)

    def between(self, first: date, last: date) -> builtins.list[tuple[date, str]]:
        """Every calendar day from `first` to `last` with its name."""
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [(day, self.name_of(day) or "") for day in days if day in self]


EMPTY = CalendarDays(None, None, [])


def days_of(row: Any) -> CalendarDays:
    """The days of a calendar row (a mapped `Calendar` or a row of its columns)."""
    return CalendarDays(row.country, row.subdivision, list(row.entries or []))


def calendars_in(reader: Session | Connection | None) -> Callable[[str], CalendarDays]:
    """A lookup of calendars by name through `reader` (an unknown name, or no reader, is an empty calendar)."""
    cache: dict[str, CalendarDays] = {}

    def lookup(name: str) -> CalendarDays:
        if reader is None:
            return EMPTY
        if name.lower() not in cache:
            row = reader.execute(select(CALENDARS).where(func.lower(CALENDARS.c.name) == name.lower())).first()
            cache[name.lower()] = EMPTY if row is None else days_of(row)
        return cache[name.lower()]

    return lookup
