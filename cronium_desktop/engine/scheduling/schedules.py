"""Schedule specs (SPEC §1) → APScheduler triggers, and the next-run preview.

A schedule is ``{"cron": "*/5 * * * *"}`` (5 fields, 6 with leading seconds, or an @alias) or
``{"every": 15, "unit": "MINUTES"}``; calendar fields and business-day forms are in
`calendar_schedules.py`. Cron day-of-week numbers follow crontab (0 and 7 = Sunday),
not APScheduler's Monday-first numbering, so they are translated to day names here.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.scheduling.calendar_schedules import (
    CalendarLookup,
    build_calendar_trigger,
    uses_calendar_fields,
    validate_calendar_schedule,
)
from cronium_desktop.engine.scheduling.cron_fields import expand_steps

UNITS = ("SECONDS", "MINUTES", "HOURS", "DAYS", "WEEKS", "MONTHS")
# The longest interval of each unit (100 years): beyond it fire times leave the calendar's range.
MAX_EVERY = {
    "SECONDS": 100 * 366 * 86400,
    "MINUTES": 100 * 366 * 1440,
    "HOURS": 100 * 366 * 24,
    "DAYS": 100 * 366,
    "WEEKS": 100 * 53,
    "MONTHS": 100 * 12,
}
ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_NAME_TO_CRON_DAY = {name: i for i, name in enumerate(_DAY_NAMES)}


def local_zone_name() -> str:
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:  # no zone configured on this machine
        return "UTC"


def zone(name: str | None, field: str = "timezone") -> tzinfo:
    try:
        return ZoneInfo(name or local_zone_name())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            field, f"unknown timezone {name!r}; use an IANA name such as 'Europe/Berlin'."
        ) from error


def _cron_day(token: str, expression: str) -> int:
    token = token.strip().lower()
    if token in _NAME_TO_CRON_DAY:
        return _NAME_TO_CRON_DAY[token]
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ValidationError("schedule.cron", f"{expression!r}: day of week {token!r} is not 0-7 or sun-sat.")


def _translate_day_of_week(field_text: str, expression: str) -> str:
    """Crontab day-of-week → an explicit APScheduler list of day names."""
    if field_text in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field_text.split(","):
        step, stepped = 1, "/" in item
        if stepped:
            item, step_text = item.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValidationError(
                    "schedule.cron", f"{expression!r}: bad step {step_text!r} in day of week."
                )
            step = int(step_text)
        if item == "*":
            start, end = 0, 6
        elif "-" in item:
            first, last = item.split("-", 1)
            start, end = _cron_day(first, expression), _cron_day(last, expression)
            if last.strip() == "7":
                end = 7
                if first.strip() == "7":
                    start = 7  # "7-7" is Sunday alone, not 0-7
            if end < start:
                raise ValidationError(
                    "schedule.cron", f"{expression!r}: day-of-week range {item!r} runs backwards."
                )
        else:
            start = end = 7 if item.strip() == "7" else _cron_day(item, expression)
            if stepped and start != 7:  # "1/2" is "1-6/2", as in cronie and croniter ("1/1" too: every day from Monday)
                end = 6
        days.update(d % 7 for d in range(start, end + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


class WallClockCronTrigger(BaseTrigger):
    """A cron schedule read on the wall clock of `timezone`, correct across DST changes.

    APScheduler 3's CronTrigger with zoneinfo zones fires a fixed time twice on the day clocks go
    back and can step backwards in the repeated hour. Here the cron fields are matched against
    naive wall-clock times (as if the zone had no DST) and each match is then placed in the zone:
    a time that does not exist (spring forward) runs once, shifted past the gap (02:30 → 03:30).
    For the hour that happens twice (fall back) this follows cronie: a fixed-time job (minute and
    hour fields without `*`) runs once, at the first pass; a wildcard job (`*` or `*/N` in the
    minute or hour field) keeps its rhythm through both passes. Fire times only move forward.
    """

    def __init__(self, expression: str, timezone: tzinfo) -> None:
        self.expression = expression
        self.timezone = timezone
        self._wall = cron_trigger(expression, UTC)  # UTC has no DST: a plain wall-clock calendar
        fields = ALIASES.get(" ".join(expression.split()).lower(), expression).split()
        minute, hour = fields[-5], fields[-4]
        self.wildcard = minute.startswith("*") or hour.startswith("*")  # Vixie cron's MIN_STAR | HR_STAR

    def _wall_time(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone).replace(tzinfo=UTC)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        search = self._wall_time(now)
        if previous_fire_time is not None:
            search = max(search, self._wall_time(previous_fire_time) + timedelta(microseconds=1))
        threshold = now.astimezone(UTC)
        if previous_fire_time is not None:
            threshold = max(threshold, previous_fire_time.astimezone(UTC) + timedelta(microseconds=1))
        first = self._first_pass_fire(search, threshold)
        if not self.wildcard:
            return first
        second = self._second_pass_fire(threshold, first)
        return second if second is not None and (first is None or second < first) else first

    def _first_pass_fire(self, search: datetime, threshold: datetime) -> datetime | None:
        for _ in range(1000):
            wall = self._wall.get_next_fire_time(None, search)
            if wall is None:
                return None
            naive = wall.replace(tzinfo=None)
            for fold in (0, 1):
                fire = naive.replace(tzinfo=self.timezone, fold=fold)
                if fire.astimezone(UTC) >= threshold:
                    return fire
            search = wall + timedelta(microseconds=1)
        return None

    def _second_pass_fire(self, threshold: datetime, before: datetime | None) -> datetime | None:
        """The earliest fire at or after `threshold` in the second pass of a repeated hour, if any comes first."""
        from cronium_desktop.engine.scheduling.clock_changes import fall_backs

        end = before if before is not None else threshold + timedelta(days=366)
        for moment, repeated in fall_backs(self.timezone, threshold - timedelta(hours=3), end):
            start_wall = moment.astimezone(self.timezone).replace(tzinfo=UTC)
            search = max(start_wall, self._wall_time(threshold)) if threshold >= moment else start_wall
            wall = self._wall.get_next_fire_time(None, search)
            if wall is None or wall >= start_wall + repeated:
                continue
            fire = (moment + (wall - start_wall)).astimezone(self.timezone)
            if fire.astimezone(UTC) >= threshold:
                return fire
        return None

    def __str__(self) -> str:
        return f"cron[{self.expression}] in {self.timezone}"


class WindowTrigger(BaseTrigger):
    """No fire before `start` or after `end` (SPEC §1 start_time / end_time)."""

    def __init__(self, inner: BaseTrigger, start: datetime | None, end: datetime | None) -> None:
        self.inner = inner
        self.start = start
        self.end = end

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        if self.start is not None and now < self.start:
            now = self.start
        fire = self.inner.get_next_fire_time(previous_fire_time, now)
        if fire is None or (self.end is not None and fire > self.end):
            return None
        return fire

    def __str__(self) -> str:
        return f"{self.inner} between {self.start} and {self.end}"


@functools.lru_cache(maxsize=4096)  # triggers are immutable; listing events computes thousands of next runs
def cron_trigger(expression: str, timezone: tzinfo) -> BaseTrigger:
    """Parse a cron expression (5 or 6 fields, or an @alias) into a trigger in `timezone`."""
    text = " ".join(expression.split())
    if not text:
        raise ValidationError("schedule.cron", "the cron expression is empty.")
    text = ALIASES.get(text.lower(), text)
    fields = text.split(" ")
    if len(fields) == 5:
        second, (minute, hour, day, month, dow) = "0", fields
    elif len(fields) == 6:
        second, minute, hour, day, month, dow = fields
    else:
        raise ValidationError(
            "schedule.cron",
            f"{expression!r} has {len(fields)} fields; use 5 (minute hour day month weekday), "
            "6 with leading seconds, or @hourly/@daily/@weekly/@monthly/@yearly.",
        )
    day_of_week = _translate_day_of_week(dow, expression)
    # As in Vixie cron and cronie, a day field starting with "*" (also "*/2") is unrestricted for the OR rule.
    both_days_restricted = not day.startswith(("*", "?")) and not dow.startswith(("*", "?"))
    second, minute, hour = (expand_steps(f, name, expression) for f, name in
                            ((second, "second"), (minute, "minute"), (hour, "hour")))
    day, month = expand_steps(day, "day", expression), expand_steps(month, "month", expression)

    def trigger(day: str, day_of_week: str) -> CronTrigger:
        return CronTrigger(
            second=second, minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=timezone
        )

    try:
        if both_days_restricted:
            # As in crontab: with both day fields restricted, a day that matches either one runs
            # ("0 9 1 * 1" is 09:00 on the 1st and on every Monday, not on Mondays that are the 1st).
            return OrTrigger([trigger(day, "*"), trigger("*", day_of_week)])
        return trigger(day, day_of_week)
    except ValueError as error:
        raise ValidationError("schedule.cron", f"{expression!r} does not parse: {error}.") from error


def place(wall: datetime, timezone: tzinfo) -> datetime:
    """A naive wall-clock time placed in `timezone`, once and only once whatever DST does.

    A time that does not exist (clocks spring forward over it) lands as far after the gap as it was
    into it — 02:30 on a 02:00→03:00 day becomes 03:30; a time that exists twice (clocks fall back)
    is its first occurrence.
    """
    return wall.replace(tzinfo=timezone, fold=0).astimezone(UTC).astimezone(timezone)


class CalendarIntervalTrigger(BaseTrigger):
    """Every N days, weeks or months from an anchor, at the anchor's wall-clock time in `timezone`.

    A daily job set for 09:00 stays at 09:00 across DST changes (APScheduler's IntervalTrigger counts
    elapsed seconds and would drift by an hour). Months keep the anchor's day, clamped to short months.
    """

    def __init__(self, anchor: datetime, timezone: tzinfo, days: int = 0, months: int = 0) -> None:
        if (days > 0) == (months > 0):
            raise ValueError("give either days or months")
        self.timezone = timezone
        self.anchor = anchor.astimezone(timezone)
        self.days = days
        self.months = months
        self._wall = self.anchor.replace(tzinfo=None)

    def nth(self, n: int) -> datetime:
        """The n-th fire time (n = 0 is the anchor)."""
        if self.days:
            return place(self._wall + timedelta(days=n * self.days), self.timezone)
        month_index = self._wall.month - 1 + n * self.months
        year, month = self._wall.year + month_index // 12, month_index % 12 + 1
        day = min(self._wall.day, calendar.monthrange(year, month)[1])
        return place(self._wall.replace(year=year, month=month, day=day), self.timezone)

    def _first_at_or_after(self, moment: datetime) -> int:
        if moment <= self.anchor:
            return 0
        if self.days:
            guess = int((moment - self.anchor).total_seconds() // (self.days * 86400))
        else:
            wall = moment.astimezone(self.timezone)
            guess = ((wall.year - self._wall.year) * 12 + wall.month - self._wall.month) // self.months
        n = max(0, guess - 1)  # DST shifts are under a day: start one step early and walk
        while self.nth(n) < moment:
            n += 1
        return n

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        n = self._first_at_or_after(now)
        if previous_fire_time is not None:
            n = max(n, self._first_at_or_after(previous_fire_time + timedelta(microseconds=1)))
        return self.nth(n)

    def __str__(self) -> str:
        unit = f"{self.days} days" if self.days else f"{self.months} months"
        return f"every {unit} from {self.anchor.isoformat()}"


def interval_trigger(every: int, unit: str, timezone: tzinfo, anchor: datetime | None) -> BaseTrigger:
    """Seconds, minutes and hours count elapsed time; days, weeks and months follow the calendar."""
    anchor = anchor or datetime.now(timezone)
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=timezone)
    if unit == "MONTHS":
        return CalendarIntervalTrigger(anchor, timezone, months=every)
    if unit in ("DAYS", "WEEKS"):
        return CalendarIntervalTrigger(anchor, timezone, days=every * (7 if unit == "WEEKS" else 1))
    seconds = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600}[unit]
    return IntervalTrigger(seconds=every * seconds, start_date=anchor, timezone=timezone)


def validate_schedule(schedule: Any, timezone: tzinfo) -> dict[str, Any] | None:
    """Check a schedule spec and return its normal form."""
    if schedule is None:
        return None
    if uses_calendar_fields(schedule):
        return validate_calendar_schedule(schedule, validate_schedule, timezone)
    if not isinstance(schedule, dict):
        raise ValidationError("schedule", 'must be null, {"cron": "..."} or {"every": N, "unit": "MINUTES"}.')
    keys = set(schedule)
    if keys == {"cron"}:
        if not isinstance(schedule["cron"], str):
            raise ValidationError("schedule.cron", "must be a string such as '*/5 * * * *'.")
        trigger = cron_trigger(schedule["cron"], timezone)
        if trigger.get_next_fire_time(None, datetime.now(timezone)) is None:
            raise ValidationError(
                "schedule.cron", f"{schedule['cron']!r} never fires: no date matches it (such as 30 February)."
            )
        return {"cron": " ".join(schedule["cron"].split())}
    if keys == {"every", "unit"}:
        every, unit = schedule["every"], schedule["unit"]
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValidationError("schedule.every", f"must be a whole number of at least 1, not {every!r}.")
        if unit not in UNITS:
            raise ValidationError("schedule.unit", f"must be one of {', '.join(UNITS)}, not {unit!r}.")
        if every > MAX_EVERY[unit]:
            raise ValidationError(
                "schedule.every", f"must be at most {MAX_EVERY[unit]} {unit} (100 years), not {every}."
            )
        return {"every": every, "unit": unit}
    raise ValidationError(
        "schedule", f'unexpected keys {sorted(keys)}; use {{"cron": ...}} or {{"every": N, "unit": ...}}.'
    )


def build_trigger(
    schedule: dict[str, Any],
    timezone_name: str | None,
    anchor: datetime | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    calendars: CalendarLookup | None = None,
) -> BaseTrigger:
    """The trigger for a schedule spec: aware `anchor`, `start_time` and `end_time` (or None).

    `calendars` resolves the calendar a schedule names (engine/scheduling/calendar_schedules.py); without it
    a named calendar has no days."""
    timezone = zone(timezone_name)
    inner: BaseTrigger
    if uses_calendar_fields(schedule):
        inner = build_calendar_trigger(
            schedule, timezone, lambda base: build_trigger(base, timezone_name, anchor), calendars
        )
    elif "cron" in schedule:
        inner = WallClockCronTrigger(schedule["cron"], timezone)
    else:
        inner = interval_trigger(schedule["every"], schedule["unit"], timezone, anchor or start_time)
    if start_time is None and end_time is None:
        return inner
    return WindowTrigger(inner, start_time, end_time)


def next_runs(
    schedule: dict[str, Any],
    timezone_name: str | None,
    count: int = 5,
    after: datetime | None = None,
    anchor: datetime | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    calendars: CalendarLookup | None = None,
) -> list[datetime]:
    """The next `count` fire times (aware, in the schedule's zone), honouring start/end."""
    timezone = zone(timezone_name)
    trigger = build_trigger(schedule, timezone_name, anchor, start_time, end_time, calendars)
    now = (after or datetime.now(timezone)).astimezone(timezone)
    result: list[datetime] = []
    previous: datetime | None = None
    while len(result) < count:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        result.append(fire)
        previous = fire
        now = fire + timedelta(microseconds=1)
    return result


# Counting misfires one by one is bounded: a 1-second schedule closed for a week has 604,800 of them.
MISSED_COUNT_LIMIT = 100


@dataclass(frozen=True)
class Misfire:
    """Fires a schedule passed while nothing ran it: how many (counted up to a limit) and the latest."""

    count: int
    last: datetime

    def describe(self) -> str:
        if self.count >= MISSED_COUNT_LIMIT:
            return f"{MISSED_COUNT_LIMIT} or more runs"
        return "1 run" if self.count == 1 else f"{self.count} runs"


def missed_fires(
    trigger: BaseTrigger, since: datetime, until: datetime, limit: int = MISSED_COUNT_LIMIT
) -> list[datetime]:
    """Due times of `trigger` after `since` and before `until` (aware), at most `limit` of them."""
    missed: list[datetime] = []
    previous: datetime | None = since
    moment = since + timedelta(microseconds=1)
    while len(missed) < limit:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None or fire >= until:
            break
        missed.append(fire)
        previous, moment = fire, fire + timedelta(microseconds=1)
    return missed


def _last_fire_before(trigger: BaseTrigger, known: datetime, until: datetime) -> datetime:
    """The latest due time before `until`, `known` being one: look back from `until` in growing steps."""
    step = timedelta(seconds=1)
    while True:
        start = max(known + timedelta(microseconds=1), until - step)
        fire = trigger.get_next_fire_time(None, start)
        if fire is not None and fire < until:
            later = missed_fires(trigger, fire, until, limit=10_000)
            return later[-1] if later else fire
        if start <= known + timedelta(microseconds=1):
            return known
        step *= 4


def find_misfire(trigger: BaseTrigger, since: datetime, until: datetime) -> Misfire | None:
    """The fires `trigger` passed after `since` and before `until`, or None if it passed none."""
    missed = missed_fires(trigger, since, until)
    if not missed:
        return None
    if len(missed) < MISSED_COUNT_LIMIT:
        return Misfire(len(missed), missed[-1])
    return Misfire(len(missed), _last_fire_before(trigger, missed[-1], until))
