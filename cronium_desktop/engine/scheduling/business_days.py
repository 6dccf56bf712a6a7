"""Schedules that know the calendar: APScheduler triggers around a set of calendar days.

Pure code (no store): a calendar is anything that answers `day in calendar` (see
`engine/calendars.py`). A business day is Monday–Friday and not a calendar day.

- `CalendarPolicyTrigger` wraps any trigger and applies what to do on a calendar day: `SKIP` the
  fire, or shift it to the `NEXT_BUSINESS_DAY` / `PREVIOUS_BUSINESS_DAY` at the same wall-clock
  time. A shift never makes two runs on one day: when the target day has a run of its own, or an
  earlier calendar day already moved there, the shifted run merges into it.
- `BusinessDayOfMonthTrigger` fires on the n-th business day of each month (n < 0 counts from the
  end: -1 is the last business day).
- `preview()` lists the next runs with the days skipped or shifted marked, for the schedule builder.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger

from cronium_desktop.engine.scheduling.calendar_schedules import POLICIES
from cronium_desktop.engine.scheduling.schedules import place

# A shift looks this many days for a business day; no real calendar closes longer than that.
MAX_SHIFT_DAYS = 31
# A schedule that finds no fire within this many candidates is treated as never firing.
SCAN_LIMIT = 20_000
_TINY = timedelta(microseconds=1)


def is_business_day(day: date, days: Container[date]) -> bool:
    return day.weekday() < 5 and day not in days


def shift_target(day: date, days: Container[date], step: int) -> date | None:
    """The nearest business day after (step 1) or before (step -1) `day`."""
    candidate = day + timedelta(days=step)
    for _ in range(MAX_SHIFT_DAYS):
        if is_business_day(candidate, days):
            return candidate
        candidate += timedelta(days=step)
    return None


def business_days_of_month(year: int, month: int, days: Container[date]) -> list[date]:
    last = month_calendar.monthrange(year, month)[1]
    return [d for d in (date(year, month, n) for n in range(1, last + 1)) if is_business_day(d, days)]


class BusinessDayOfMonthTrigger(BaseTrigger):
    """The n-th business day of every month at a wall-clock time (n = -1: the last one)."""

    def __init__(self, nth: int, at: time, timezone: tzinfo, days: Container[date]) -> None:
        self.nth = nth
        self.at = at
        self.timezone = timezone
        self.days = days

    def day_in_month(self, year: int, month: int) -> date | None:
        business = business_days_of_month(year, month, self.days)
        index = self.nth - 1 if self.nth > 0 else self.nth
        return business[index] if -len(business) <= index < len(business) else None

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        threshold = now if previous_fire_time is None else max(now, previous_fire_time + _TINY)
        local = threshold.astimezone(self.timezone)
        year, month = local.year, local.month
        for _ in range(12 * 100):
            day = self.day_in_month(year, month)
            if day is not None:
                fire = place(datetime.combine(day, self.at), self.timezone)
                if fire >= threshold:
                    return fire
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None

    def __str__(self) -> str:
        which = "last" if self.nth == -1 else f"{self.nth}."
        return f"{which} business day of the month at {self.at:%H:%M}"


class CalendarPolicyTrigger(BaseTrigger):
    """`inner`'s fires, with those on calendar days skipped or shifted to a business day."""

    def __init__(self, inner: BaseTrigger, timezone: tzinfo, days: Container[date], policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown calendar policy {policy!r}")
        self.inner = inner
        self.timezone = timezone
        self.days = days
        self.policy = policy
        self.step = -1 if policy == "PREVIOUS_BUSINESS_DAY" else 1

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    def _start_of(self, day: date) -> datetime:
        return place(datetime.combine(day, time()), self.timezone)

    def first_fire_on(self, day: date) -> datetime | None:
        """The inner schedule's first fire on `day` (local), if it has one."""
        fire = self.inner.get_next_fire_time(None, self._start_of(day))
        return fire if fire is not None and self._day(fire) == day else None

    def _group(self, target: date) -> list[date]:
        """The non-business days whose fires shift onto `target`, in date order."""
        group: list[date] = []
        day = target - timedelta(days=self.step)
        while not is_business_day(day, self.days) and len(group) < MAX_SHIFT_DAYS:
            group.append(day)
            day -= timedelta(days=self.step)
        return sorted(group)

    def effective(self, fire: datetime) -> datetime | None:
        """When `fire` really runs: itself, shifted, or None (skipped, or merged into another run)."""
        day = self._day(fire)
        if day not in self.days:
            return fire
        if self.policy == "SKIP":
            return None
        target = shift_target(day, self.days, self.step)
        if target is None or self.first_fire_on(target) is not None:
            return None  # the business day runs anyway: one run on it, never two
        for other in self._group(target):
            if other in self.days and (first := self.first_fire_on(other)) is not None:
                if first != fire:
                    return None  # an earlier calendar day already moved its run here
                break
        wall = fire.astimezone(self.timezone).time().replace(tzinfo=None)
        return place(datetime.combine(target, wall), self.timezone)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        threshold = now if previous_fire_time is None else max(now, previous_fire_time + _TINY)
        best: datetime | None = None
        if self.policy == "NEXT_BUSINESS_DAY":
            # A calendar day just before `threshold` may have moved its run past it.
            first_day = self._day(threshold)
            for back in range(MAX_SHIFT_DAYS, 0, -1):
                day = first_day - timedelta(days=back)
                if day in self.days and (fire := self.first_fire_on(day)) is not None:
                    shifted = self.effective(fire)
                    if shifted is not None and shifted >= threshold and (best is None or shifted < best):
                        best = shifted
        previous: datetime | None = None
        moment = threshold
        for _ in range(SCAN_LIMIT):
            fire = self.inner.get_next_fire_time(previous, moment)
            if fire is None:
                break
            if best is not None and fire > best:
                if self.policy != "PREVIOUS_BUSINESS_DAY" or is_business_day(self._day(fire), self.days):
                    break  # nothing later can run earlier than `best`
            shifted = self.effective(fire)
            if shifted is not None and shifted >= threshold and (best is None or shifted < best):
                best = shifted
            previous, moment = fire, fire + _TINY
            day = self._day(fire)
            if day in self.days:
                # Only a calendar day's first fire can move; the rest of the day is skipped at once.
                moment = max(moment, self._start_of(day + timedelta(days=1)))
                previous = None
        return best

    def __str__(self) -> str:
        return f"{self.inner} ({self.policy} on calendar days)"


@dataclass(frozen=True)
class PreviewEntry:
    """One line of the next-runs list: a run (maybe shifted from `original`), or a skipped fire."""

    kind: str  # "RUN", "SHIFTED", "SKIPPED"
    when: datetime  # when it runs (RUN, SHIFTED) or when it would have run (SKIPPED)
    original: datetime | None = None  # SHIFTED: the fire on the calendar day
    reason: str = ""  # the calendar day's name


def preview(trigger: BaseTrigger, after: datetime, count: int = 10, name_of: object = None) -> list[PreviewEntry]:
    """The next `count` runs of `trigger`, with the calendar days it skipped or shifted in between."""
    def reason(day: date) -> str:
        return str(name_of(day)) if callable(name_of) else ""

    if not isinstance(trigger, CalendarPolicyTrigger):
        plain: list[PreviewEntry] = []
        previous = None
        while len(plain) < count and (fire := trigger.get_next_fire_time(previous, after)) is not None:
            plain.append(PreviewEntry("RUN", fire))
            previous = fire
        return plain
    entries: list[PreviewEntry] = []
    runs = 0
    previous, moment = None, after
    for _ in range(SCAN_LIMIT):
        if runs >= count:
            break
        fire = trigger.inner.get_next_fire_time(previous, moment)
        if fire is None:
            break
        previous, moment = fire, fire + _TINY
        day = trigger._day(fire)
        if day not in trigger.days:
            entries.append(PreviewEntry("RUN", fire))
            runs += 1
            continue
        shifted = trigger.effective(fire)
        if shifted is None:
            entries.append(PreviewEntry("SKIPPED", fire, reason=reason(day)))
        else:
            entries.append(PreviewEntry("SHIFTED", shifted, fire, reason(day)))
            runs += 1
        moment, previous = max(moment, trigger._start_of(day + timedelta(days=1))), None
    entries.sort(key=lambda entry: entry.when)
    return entries
