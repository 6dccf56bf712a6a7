"""Schedule specs that name a calendar, and the business-day forms (SPEC §1/§8 schedule, calendar fields).

Two additions to the schedule spec of `engine/scheduling/schedules.py`:

- any cron or interval schedule may add `"calendar": NAME` and `"on_calendar_day"`: `SKIP`
  (default), `NEXT_BUSINESS_DAY` or `PREVIOUS_BUSINESS_DAY`;
- `{"business_day": N, "at": "HH:MM"}` fires on the N-th business day of each month (N = 1–23), or
  counting from the month's end with N < 0 (-1 = the last business day); `"calendar"` optional.

Calendar names are resolved when the trigger is built, through a lookup the caller gives (the
scheduler reads them from the store); the spec itself is checked without I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger

from cronium_desktop.engine.errors import ValidationError

if TYPE_CHECKING:
    from cronium_desktop.engine.scheduling.business_days import PreviewEntry

# business_days builds on scheduling, which builds on this module: it is imported where used.
POLICIES = ("SKIP", "NEXT_BUSINESS_DAY", "PREVIOUS_BUSINESS_DAY")

CALENDAR_FIELDS = frozenset({"calendar", "on_calendar_day"})
BUSINESS_DAY_FIELDS = frozenset({"business_day", "at"})
EXTRA_FIELDS = CALENDAR_FIELDS | BUSINESS_DAY_FIELDS

CalendarLookup = Callable[[str], Container[date]]


def uses_calendar_fields(schedule: Any) -> bool:
    return isinstance(schedule, dict) and bool(set(schedule) & EXTRA_FIELDS)


def parse_at(value: Any, field: str = "schedule.at") -> time:
    if not isinstance(value, str):
        raise ValidationError(field, f'must be a time of day as "HH:MM", not {value!r}.')
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError as error:
        raise ValidationError(field, f'must be a time of day as "HH:MM", not {value!r}.') from error
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def validate_calendar_schedule(schedule: dict[str, Any], base_validator: Callable[[Any, Any], Any],
                               timezone: Any) -> dict[str, Any]:
    """The normal form of a schedule with calendar fields; the rest is checked by `base_validator`."""
    calendar = schedule.get("calendar")
    normal: dict[str, Any] = {}
    if "business_day" in schedule or "at" in schedule:
        unexpected = sorted(set(schedule) - BUSINESS_DAY_FIELDS - {"calendar"})
        if unexpected:
            raise ValidationError(f"schedule.{unexpected[0]}", "does not go with business_day; a business-day "
                                  'schedule is {"business_day": N, "at": "HH:MM", "calendar": NAME}.')
        nth = schedule.get("business_day")
        if isinstance(nth, bool) or not isinstance(nth, int) or nth == 0 or not -23 <= nth <= 23:
            raise ValidationError("schedule.business_day", f"must be 1–23 (the n-th business day of the month) or "
                                  f"-1 to -23 (counted from the month's end; -1 is the last), not {nth!r}.")
        at = parse_at(schedule.get("at"))
        normal = {"business_day": nth, "at": f"{at:%H:%M}"}
    else:
        base = base_validator({k: v for k, v in schedule.items() if k not in CALENDAR_FIELDS}, timezone)
        if base is None:
            raise ValidationError("schedule.calendar", "needs a cron expression or an interval to apply to.")
        normal = dict(base)
        if calendar is None:
            raise ValidationError("schedule.on_calendar_day", "needs a calendar: name one in schedule.calendar.")
        policy = schedule.get("on_calendar_day", "SKIP")
        if policy not in POLICIES:
            raise ValidationError("schedule.on_calendar_day", f"must be one of {', '.join(POLICIES)}, not {policy!r}.")
        normal["on_calendar_day"] = policy
    if calendar is not None:
        if not isinstance(calendar, str) or not calendar.strip() or len(calendar) > 200:
            raise ValidationError("schedule.calendar", "must be the name of a calendar.")
        normal["calendar"] = calendar.strip()
    return normal


def calendar_of(schedule: dict[str, Any], calendars: CalendarLookup | None) -> Container[date]:
    name = schedule.get("calendar")
    if not name or calendars is None:
        return frozenset()
    return calendars(name)


def build_calendar_trigger(schedule: dict[str, Any], timezone: Any, base: Callable[[dict[str, Any]], BaseTrigger],
                           calendars: CalendarLookup | None) -> BaseTrigger:
    """The trigger of a schedule with calendar fields; `base` builds the plain cron/interval part."""
    from cronium_desktop.engine.scheduling.business_days import (
        BusinessDayOfMonthTrigger,
        CalendarPolicyTrigger,
    )

    days = calendar_of(schedule, calendars)
    if "business_day" in schedule:
        return BusinessDayOfMonthTrigger(schedule["business_day"], parse_at(schedule["at"]), timezone, days)
    inner = base({k: v for k, v in schedule.items() if k not in CALENDAR_FIELDS})
    return CalendarPolicyTrigger(inner, timezone, days, schedule.get("on_calendar_day", "SKIP"))


def describe(schedule: dict[str, Any]) -> str:
    """A schedule's calendar part in words, for lists and the schedule builder."""
    if "business_day" in schedule:
        nth = schedule["business_day"]
        which = "last" if nth == -1 else (f"{-nth}. last" if nth < 0 else f"{nth}.")
        text = f"{which} business day of the month at {schedule['at']}"
    else:
        text = ""
    if schedule.get("calendar"):
        policy = schedule.get("on_calendar_day")
        rule = {"SKIP": "skips", "NEXT_BUSINESS_DAY": "moves to the next business day on",
                "PREVIOUS_BUSINESS_DAY": "moves to the previous business day on"}.get(policy or "", "avoids")
        text = f"{text}; " if text else ""
        text += f"{rule} days of calendar {schedule['calendar']!r}"
    return text


def preview_runs(trigger: BaseTrigger, after: datetime, count: int, days: Container[date]) -> list[PreviewEntry]:
    """The next runs with skipped and shifted calendar days marked (see business_days.preview)."""
    from cronium_desktop.engine.scheduling.business_days import preview

    name_of = getattr(days, "name_of", None)
    return preview(trigger, after, count, name_of)
