"""Calendars in the store: created, imported from .ics, named by schedules the scheduler plans with."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import ValidationError
from tests.conftest import TEST_PASSPHRASE, Cli

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//Ops//EN
BEGIN:VEVENT
UID:freeze-2027@example.com
DTSTAMP:20261201T000000Z
DTSTART;VALUE=DATE:20271224
DTEND;VALUE=DATE:20280102
SUMMARY:Year-end change freeze
END:VEVENT
BEGIN:VEVENT
UID:audit@example.com
DTSTAMP:20261201T000000Z
DTSTART:20270310T090000Z
DTEND:20270310T110000Z
SUMMARY:Audit
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
async def scheduled(data_dir: Path) -> AsyncIterator[Engine]:
    engine = Engine(data_dir, passphrase=TEST_PASSPHRASE)
    await engine.start(scheduler=True)
    try:
        yield engine
    finally:
        await engine.stop(grace_seconds=1)


async def test_ics_multi_day_event_imports_as_one_date_range(engine: Engine, tmp_path: Path) -> None:
    from cronium_desktop.engine.calendar_ics import read_ics_file

    path = tmp_path / "ops.ics"
    path.write_text(ICS)
    await engine.calendars.save({"name": "Ops", "country": None})
    read = read_ics_file(path)
    await engine.calendars.add_dates("Ops", read.dates)
    dates = (await engine.calendars.get("Ops"))["dates"]
    assert {"start": "2027-12-24", "end": "2028-01-01", "name": "Year-end change freeze"} in dates
    assert {"start": "2027-03-10", "end": "2027-03-10", "name": "Audit"} in dates
    days = await engine.calendars.days("Ops")
    assert datetime(2027, 12, 31).date() in days and datetime(2028, 1, 2).date() not in days


async def test_schedule_naming_a_calendar_is_planned_around_its_holidays(scheduled: Engine) -> None:
    await scheduled.calendars.save({"name": "Germany", "country": "de"})
    event_id = await scheduled.events.create({
        "name": "New year report", "type": "BASH", "content": "true", "status": "ACTIVE", "trigger": "SCHEDULE",
        "timezone": "Europe/Berlin",
        "schedule": {"cron": "0 9 1 1 *", "calendar": "Germany", "on_calendar_day": "NEXT_BUSINESS_DAY"},
    })
    await scheduled.scheduler.settled()  # type: ignore[union-attr]
    next_run = scheduled.scheduler.next_run(event_id)  # type: ignore[union-attr]
    assert next_run is not None and next_run.astimezone(UTC) == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


async def test_unknown_calendar_and_deleting_one_in_use_are_refused(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="no calendar named 'Nowhere'") as error:
        await engine.events.create({"name": "E", "type": "BASH", "content": "true", "trigger": "SCHEDULE",
                                    "schedule": {"cron": "0 9 * * *", "calendar": "Nowhere"}})
    assert error.value.field == "schedule.calendar"
    await engine.calendars.save({"name": "Bavaria", "country": "DE", "subdivision": "by"})
    await engine.events.create({"name": "E", "type": "BASH", "content": "true", "trigger": "SCHEDULE",
                                "schedule": {"business_day": -1, "at": "18:00", "calendar": "Bavaria"}})
    with pytest.raises(ValidationError, match="used by event 'E'"):
        await engine.calendars.delete("Bavaria")
    await engine.calendars.save({"name": "Bayern", "country": "DE", "subdivision": "BY"}, current="Bavaria")
    event = await engine.events.get("E")
    assert event["schedule"]["calendar"] == "Bayern"  # renaming follows into the schedules


async def test_bad_calendars_are_refused_naming_the_field(engine: Engine) -> None:
    for data, field in [({"name": "X", "country": "ZZ"}, "calendar.country"),
                        ({"name": "X", "country": "DE", "subdivision": "QQ"}, "calendar.subdivision"),
                        ({"name": "X", "dates": [{"start": "2027-02-30"}]}, "calendar.dates[0].start"),
                        ({"name": "X", "dates": [{"start": "2027-03-02", "end": "2027-03-01"}]}, "calendar.dates[0].end")]:
        with pytest.raises(ValidationError) as error:
            await engine.calendars.save(data)
        assert error.value.field == field
    assert await engine.calendars.list() == []


def test_calendar_command_imports_an_ics_file_and_shows_the_next_runs(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "ops.ics"
    path.write_text(ICS)
    assert cli("calendar", "add", "Ops", "--country", "DE").code == 0
    added = cli("calendar", "dates", "Ops", "--ics", str(path))
    assert added.code == 0, added.stderr
    shown = cli("calendar", "show", "Ops", "--year", "2027", "--json")
    days = {d["date"]: d["name"] for d in json.loads(shown.stdout)["days"]}
    assert days["2027-12-27"] == "Year-end change freeze" and days["2027-03-29"] == "Easter Monday"
    upcoming = cli("calendar", "next", '{"cron": "0 9 * * 1-5", "calendar": "Ops", "on_calendar_day": "SKIP"}',
                   "--timezone", "Europe/Berlin", "--count", "30", "--from", "2027-03-01",
                   timeout=120)
    assert upcoming.code == 0, upcoming.stderr
    assert "skipped Mon 2027-03-29 09:00 (Easter Monday)" in upcoming.stdout
    bad = cli("calendar", "add", "Nowhere", "--country", "ZZ")
    assert bad.code == 2 and bad.stderr.startswith("error: calendar.country:")


async def test_a_file_with_a_bad_calendar_is_refused_whole(engine: Engine) -> None:
    data = {"format": "cronium-desktop", "version": 1,
            "calendars": [{"name": "Ops", "country": "DE", "holidays": []}],
            "events": [{"key": "e", "name": "E", "type": "BASH", "content": "true", "trigger": "SCHEDULE",
                        "schedule": {"cron": "0 9 * * *", "calendar": "Ops", "on_calendar_day": "SKIP"}}]}
    with pytest.raises(ValidationError) as error:
        await engine.files.import_data(data)
    assert error.value.field == "calendars[0] ('Ops').holidays"
    assert await engine.events.list() == [] and await engine.calendars.list() == []
    data["calendars"] = [{"name": "Ops", "country": "DE"}]
    report = await engine.files.import_data(data)
    assert "Created calendar 'Ops'." in report.lines()
