"""Schedules that know the calendar (issue: calendars): Germany's national holidays in 2027.

The holiday list comes from the `holidays` package; the expected dates are computed here from that
list independently of the triggers under test.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from cronium_desktop.engine.calendars import CalendarDays
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.scheduling.business_days import CalendarPolicyTrigger
from cronium_desktop.engine.scheduling.calendar_schedules import preview_runs
from cronium_desktop.engine.scheduling.schedules import build_trigger, next_runs, validate_schedule

BERLIN = ZoneInfo("Europe/Berlin")
GERMANY_2027 = holidays.country_holidays("DE", years=2027)
EASTER_MONDAY = next(day for day, name in GERMANY_2027.items() if name == "Easter Monday")


def germany(_name: str) -> CalendarDays:
    return CalendarDays("DE", None, [])


def runs_in_2027(schedule: dict, count: int = 400) -> list[datetime]:
    spec = validate_schedule(schedule, BERLIN)
    assert spec is not None
    runs = next_runs(spec, "Europe/Berlin", count, after=datetime(2027, 1, 1, tzinfo=BERLIN), calendars=germany)
    return [run for run in runs if run.year == 2027]


def test_weekday_schedule_set_to_skip_does_not_run_on_new_year_or_easter_monday() -> None:
    runs = runs_in_2027({"cron": "0 9 * * 1-5", "calendar": "Germany", "on_calendar_day": "SKIP"})
    days = [run.date() for run in runs]
    assert date(2027, 1, 1) not in days and EASTER_MONDAY not in days
    expected = [d for d in (date(2027, 1, 1) + timedelta(n) for n in range(365)) if d.weekday() < 5 and d not in GERMANY_2027]
    assert days == expected
    assert all((run.hour, run.minute) == (9, 0) for run in runs)


def test_next_business_day_runs_once_on_the_following_business_day() -> None:
    weekday = runs_in_2027({"cron": "0 9 * * 1-5", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"})
    day_after = EASTER_MONDAY + timedelta(days=1)
    assert [run.date() for run in weekday].count(day_after) == 1  # never two runs on one day
    assert EASTER_MONDAY not in [run.date() for run in weekday]
    # A run that only a holiday would have had moves: the 1st of the month at 09:00.
    monthly = runs_in_2027({"cron": "0 9 1 * *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"}, 12)
    assert monthly[0] == datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)  # 1 Jan is a Friday: Monday the 4th
    assert monthly[4] == datetime(2027, 5, 3, 9, 0, tzinfo=BERLIN)  # 1 May (Labour Day) is a Saturday holiday
    assert len({run.date() for run in monthly}) == len(monthly) == 12


def test_previous_business_day_moves_the_run_back() -> None:
    spec = validate_schedule({"cron": "0 9 1 * *", "calendar": "Germany", "on_calendar_day": "PREVIOUS_BUSINESS_DAY"}, BERLIN)
    runs = next_runs(spec, "Europe/Berlin", 2, after=datetime(2026, 12, 20, tzinfo=BERLIN), calendars=germany)
    assert runs[0] == datetime(2026, 12, 31, 9, 0, tzinfo=BERLIN)


def test_last_business_day_of_every_month_of_2027_matches_the_holiday_list() -> None:
    runs = runs_in_2027({"business_day": -1, "at": "17:30", "calendar": "Germany"}, 12)
    expected = []
    for month in range(1, 13):
        day = date(2027, month, calendar.monthrange(2027, month)[1])
        while day.weekday() >= 5 or day in GERMANY_2027:
            day -= timedelta(days=1)
        expected.append(day)
    assert [run.date() for run in runs] == expected
    assert all((run.hour, run.minute) == (17, 30) for run in runs)


def test_third_business_day_skips_holidays_and_weekends() -> None:
    runs = runs_in_2027({"business_day": 3, "at": "08:00", "calendar": "Germany"}, 12)
    assert runs[0].date() == date(2027, 1, 6)  # Fri 1 Jan holiday: Mon 4, Tue 5, Wed 6
    assert runs[4].date() == date(2027, 5, 5)  # 1 May is a Saturday: Mon 3, Tue 4, Wed 5


def test_preview_marks_skipped_and_shifted_days_with_the_holiday_name() -> None:
    spec = validate_schedule({"cron": "0 9 1 * *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"}, BERLIN)
    trigger = build_trigger(spec, "Europe/Berlin", calendars=germany)
    assert isinstance(trigger, CalendarPolicyTrigger)
    entries = preview_runs(trigger, datetime(2026, 12, 20, tzinfo=BERLIN), 3, trigger.days)
    first = entries[0]
    assert first.kind == "SHIFTED" and first.original is not None and first.original.date() == date(2027, 1, 1)
    assert first.when.date() == date(2027, 1, 4) and first.reason == "New Year's Day"
    skipping = build_trigger({**spec, "on_calendar_day": "SKIP"}, "Europe/Berlin", calendars=germany)
    entries = preview_runs(skipping, datetime(2026, 12, 20, tzinfo=BERLIN), 3, germany(""))
    assert [e.kind for e in entries] == ["SKIPPED", "RUN", "RUN", "RUN"]


def test_explicit_ranges_are_calendar_days() -> None:
    days = CalendarDays(None, None, [{"start": "2027-12-24", "end": "2028-01-01", "name": "Freeze"}])
    spec = validate_schedule({"every": 1, "unit": "DAYS", "calendar": "Freeze", "on_calendar_day": "SKIP"}, BERLIN)
    runs = next_runs(spec, "Europe/Berlin", 3, after=datetime(2027, 12, 23, 8, tzinfo=BERLIN),
                     anchor=datetime(2027, 1, 1, 9, tzinfo=BERLIN), calendars=lambda _n: days)
    assert [run.date() for run in runs] == [date(2027, 12, 23), date(2028, 1, 2), date(2028, 1, 3)]


@pytest.mark.parametrize(("schedule", "field"), [
    ({"cron": "0 9 * * *", "calendar": "X", "on_calendar_day": "LATER"}, "schedule.on_calendar_day"),
    ({"cron": "0 9 * * *", "on_calendar_day": "SKIP"}, "schedule.on_calendar_day"),
    ({"business_day": 0, "at": "09:00"}, "schedule.business_day"),
    ({"business_day": 2, "at": "25:00"}, "schedule.at"),
    ({"business_day": 2, "at": "09:00", "cron": "* * * * *"}, "schedule.cron"),
    ({"cron": "0 9 * * *", "calendar": ""}, "schedule.calendar"),
])
def test_bad_calendar_fields_name_the_field(schedule: dict, field: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_schedule(schedule, BERLIN)
    assert error.value.field == field
