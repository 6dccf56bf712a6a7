"""Schedule specs → fire times (SPEC §1): cron forms, weekday numbering, DST, intervals, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.scheduling.schedules import (
    build_trigger,
    find_misfire,
    missed_fires,
    next_runs,
    validate_schedule,
    zone,
)

BERLIN = zone("Europe/Berlin")


def at(*parts: int, tz=UTC) -> datetime:  # type: ignore[no-untyped-def]
    return datetime(*parts, tzinfo=tz)


def test_five_field_cron_in_the_event_timezone() -> None:
    runs = next_runs(
        {"cron": "0 9 * * 1-5"}, "Europe/Berlin", 3, after=at(2026, 11, 20, 10, tz=BERLIN)
    )  # a Friday
    assert [r.isoformat() for r in runs] == [
        "2026-11-23T09:00:00+01:00",
        "2026-11-24T09:00:00+01:00",
        "2026-11-25T09:00:00+01:00",
    ]


def test_six_field_cron_has_leading_seconds() -> None:
    runs = next_runs({"cron": "*/15 * * * * *"}, "UTC", 3, after=at(2026, 1, 1, 0, 0, 1))
    assert [r.second for r in runs] == [15, 30, 45]


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("@hourly", "2026-01-01T01:00:00+00:00"),
        ("@daily", "2026-01-02T00:00:00+00:00"),
        ("@weekly", "2026-01-04T00:00:00+00:00"),
        ("@monthly", "2026-02-01T00:00:00+00:00"),
        ("@yearly", "2027-01-01T00:00:00+00:00"),
    ],
)
def test_aliases(alias: str, expected: str) -> None:
    assert next_runs({"cron": alias}, "UTC", 1, after=at(2026, 1, 1, 0, 30))[0].isoformat() == expected


def test_weekday_numbers_follow_crontab_with_sunday_as_zero_and_seven() -> None:
    after = at(2026, 11, 22, 12)  # a Sunday
    assert next_runs({"cron": "0 9 * * 0"}, "UTC", 1, after=after)[0].strftime("%a") == "Sun"
    assert next_runs({"cron": "0 9 * * 7"}, "UTC", 1, after=after)[0].strftime("%a") == "Sun"
    assert next_runs({"cron": "0 9 * * 1"}, "UTC", 1, after=after)[0].strftime("%a") == "Mon"
    assert [r.strftime("%a") for r in next_runs({"cron": "0 9 * * 5-7"}, "UTC", 3, after=after)] == [
        "Fri",
        "Sat",
        "Sun",
    ]


def test_daily_job_at_0230_runs_once_on_spring_forward_day() -> None:
    runs = next_runs({"cron": "30 2 * * *"}, "Europe/Berlin", 3, after=at(2027, 3, 27, 12, tz=BERLIN))
    utc = [r.astimezone(UTC).isoformat() for r in runs]
    assert utc == ["2027-03-28T01:30:00+00:00", "2027-03-29T00:30:00+00:00", "2027-03-30T00:30:00+00:00"]


def test_daily_job_at_0230_runs_once_on_fall_back_day() -> None:
    runs = next_runs({"cron": "30 2 * * *"}, "Europe/Berlin", 3, after=at(2027, 10, 30, 12, tz=BERLIN))
    utc = [r.astimezone(UTC).isoformat() for r in runs]
    assert utc == ["2027-10-31T00:30:00+00:00", "2027-11-01T01:30:00+00:00", "2027-11-02T01:30:00+00:00"]


def test_frequent_job_never_steps_backwards_through_the_repeated_hour() -> None:
    runs = next_runs({"cron": "*/30 * * * *"}, "Europe/Berlin", 6, after=at(2027, 10, 31, 1, 50, tz=BERLIN))
    instants = [r.astimezone(UTC) for r in runs]
    assert instants == sorted(instants) and len(set(instants)) == 6


def test_interval_in_months_keeps_the_day_and_clamps_short_months() -> None:
    runs = next_runs({"every": 1, "unit": "MONTHS"}, "UTC", 3, anchor=at(2026, 1, 31), after=at(2026, 2, 1))
    assert [r.date().isoformat() for r in runs] == ["2026-02-28", "2026-03-31", "2026-04-30"]


def test_interval_anchored_at_start_time() -> None:
    runs = next_runs(
        {"every": 15, "unit": "MINUTES"}, "UTC", 3, start_time=at(2026, 1, 1, 10, 5), after=at(2026, 1, 1)
    )
    assert [r.strftime("%H:%M") for r in runs] == ["10:05", "10:20", "10:35"]


def test_start_and_end_window_bound_the_runs() -> None:
    runs = next_runs(
        {"cron": "0 9 * * *"},
        "UTC",
        10,
        after=at(2026, 1, 1),
        start_time=at(2026, 1, 5),
        end_time=at(2026, 1, 7, 10),
    )
    assert [r.day for r in runs] == [5, 6, 7]


def test_unknown_spec_shapes_are_refused() -> None:
    with pytest.raises(ValidationError, match="unexpected keys"):
        validate_schedule({"cron": "* * * * *", "every": 1}, UTC)


def test_daily_interval_keeps_its_wall_clock_time_across_dst() -> None:
    anchor = at(2027, 3, 26, 9, tz=BERLIN)
    runs = next_runs({"every": 1, "unit": "DAYS"}, "Europe/Berlin", 4, anchor=anchor, after=anchor)
    assert [r.strftime("%d %H:%M") for r in runs] == ["26 09:00", "27 09:00", "28 09:00", "29 09:00"]
    assert runs[3].astimezone(UTC) - runs[1].astimezone(UTC) == timedelta(
        hours=47
    )  # the spring-forward day has 23


def test_hourly_interval_counts_elapsed_time_across_dst() -> None:
    anchor = at(2027, 3, 28, 0, 30, tz=BERLIN)
    runs = next_runs({"every": 1, "unit": "HOURS"}, "Europe/Berlin", 4, anchor=anchor, after=anchor)
    instants = [r.astimezone(UTC) for r in runs]
    assert all(b - a == timedelta(hours=1) for a, b in zip(instants, instants[1:], strict=False))
    assert [r.strftime("%H:%M") for r in runs] == ["00:30", "01:30", "03:30", "04:30"]


def test_daily_interval_at_0230_runs_once_on_spring_forward_and_fall_back_days() -> None:
    anchor = at(2027, 3, 27, 2, 30, tz=BERLIN)
    spring = next_runs({"every": 1, "unit": "DAYS"}, "Europe/Berlin", 3, anchor=anchor, after=anchor)
    assert [r.astimezone(UTC).strftime("%d %H:%M") for r in spring] == ["27 01:30", "28 01:30", "29 00:30"]
    anchor = at(2027, 10, 30, 2, 30, tz=BERLIN)
    autumn = next_runs({"every": 1, "unit": "DAYS"}, "Europe/Berlin", 3, anchor=anchor, after=anchor)
    assert [r.astimezone(UTC).strftime("%d %H:%M") for r in autumn] == ["30 00:30", "31 00:30", "01 01:30"]


def test_weekly_interval_steps_by_seven_days() -> None:
    runs = next_runs({"every": 2, "unit": "WEEKS"}, "UTC", 3, anchor=at(2026, 1, 31), after=at(2026, 5, 1))
    assert [r.date().isoformat() for r in runs] == ["2026-05-09", "2026-05-23", "2026-06-06"]


def test_missed_fires_over_a_spring_forward_downtime_count_the_0230_job_once_a_day() -> None:
    trigger = build_trigger({"cron": "30 2 * * *"}, "Europe/Berlin")
    missed = missed_fires(trigger, since=at(2027, 3, 27, 12, tz=BERLIN), until=at(2027, 3, 29, 12, tz=BERLIN))
    assert [m.astimezone(UTC).isoformat() for m in missed] == [
        "2027-03-28T01:30:00+00:00",
        "2027-03-29T00:30:00+00:00",
    ]


def test_bad_cron_expressions_name_the_problem() -> None:
    with pytest.raises(ValidationError, match="has 4 fields"):
        validate_schedule({"cron": "* * * *"}, UTC)
    with pytest.raises(ValidationError, match="day of week '8'"):
        validate_schedule({"cron": "0 9 * * 8"}, UTC)
    with pytest.raises(ValidationError, match="does not parse"):
        validate_schedule({"cron": "61 * * * *"}, UTC)
    with pytest.raises(ValidationError, match="unknown timezone"):
        zone("Mars/Olympus")


def test_a_long_downtime_is_counted_up_to_a_limit_and_catches_up_to_the_latest_fire() -> None:
    trigger = build_trigger({"every": 1, "unit": "SECONDS"}, "UTC", anchor=at(2026, 1, 1))
    misfire = find_misfire(
        trigger, since=at(2026, 1, 1), until=at(2026, 1, 8, 0, 0, 0, 500_000)
    )  # a week of seconds
    assert misfire is not None and misfire.describe() == "100 or more runs"
    assert misfire.last == at(2026, 1, 8)
    assert find_misfire(trigger, since=at(2026, 1, 1, 0, 0, 5), until=at(2026, 1, 1, 0, 0, 5, 900)) is None
