"""systemd timers, launchd plists and Task Scheduler XML (written after public documentation
examples, see tests/data/imports/README.md) import to the expected events; MAILTO and ticking."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.imports.cron import parse_crontab
from cronium_desktop.engine.imports.launchd import parse_plist
from cronium_desktop.engine.imports.schtasks import parse_task
from cronium_desktop.engine.imports.systemd import parse_timers
from cronium_desktop.engine.scheduling.schedules import next_runs
from tests.conftest import Cli

DATA = Path(__file__).parent.parent / "data" / "imports"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


async def import_all(engine: Engine, parsed: object) -> object:
    plan = await engine.imports.plan(parsed)
    await engine.imports.apply(plan)
    return plan


def systemd_next_times(calendar: str, base: str) -> list[str]:
    """systemd's own next ten elapse times of `calendar` after `base` (Europe/Berlin), in UTC."""
    done = subprocess.run([SYSTEMD_ANALYZE, "calendar", "--iterations=10", f"--base-time={base}", calendar],
                          capture_output=True, text=True, check=True, env={**os.environ, "TZ": "Europe/Berlin"})
    return re.findall(r"\(in UTC\): \w+ (\S+ \S+) UTC", done.stdout)


@pytest.mark.skipif(not Path(SYSTEMD_ANALYZE).exists(), reason="needs systemd-analyze (Debian package systemd)")
@pytest.mark.parametrize("base", ["2026-12-01 10:00:30", "2026-03-29 01:50:30"])  # an ordinary day; spring forward
async def test_systemd_calendars_fire_at_the_times_systemd_analyze_gives(engine: Engine, base: str) -> None:
    plan = await import_all(engine, parse_timers([DATA / "backup.timer"]))
    for calendar in ("Mon..Fri *-*-* 09:00:00", "*:0/15"):
        item = next(e for e in plan.events if e.job.text == f"OnCalendar={calendar}")  # type: ignore[attr-defined]
        event = await engine.events.get(item.name)
        after = datetime.fromisoformat(base).replace(tzinfo=ZoneInfo("Europe/Berlin"))
        ours = [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
                for t in next_runs(event["schedule"], "Europe/Berlin", 10, after=after)]
        assert ours == systemd_next_times(calendar, base), calendar


async def test_a_systemd_timer_and_its_service_become_events_and_inexact_calendars_are_listed(engine: Engine) -> None:
    plan = await import_all(engine, parse_timers([DATA / "backup.timer"]))
    names = sorted(e.name for e in await engine.events.list())
    assert names == ["Back up the documents (1)", "Back up the documents (2)", "Back up the documents (3)"]
    weekdays = await engine.events.get("Back up the documents (1)")
    assert weekdays["schedule"] == {"cron": "0 9 * * mon-fri"} and weekdays["timezone"] is None
    assert weekdays["env"] == {"TARGET": "/srv/backup", "MODE": "fast"}
    assert weekdays["content"] == 'cd "$HOME"/Documents || exit 1\n/usr/bin/rsync -a --delete . ${TARGET}/documents\n'
    assert weekdays["misfire"] == "RUN_ONCE" and weekdays["status"] == "ACTIVE"  # Persistent=true
    assert "systemd" in weekdays["tags"]
    berlin = await engine.events.get("Back up the documents (3)")
    assert berlin["schedule"] == {"cron": "0 3 * * *"} and berlin["timezone"] == "Europe/Berlin"
    listed = {u.text: u.reason for u in plan.not_carried_over}  # type: ignore[attr-defined]
    assert "both in systemd, either in cron" in listed["OnCalendar=Mon *-*-1..7 12:00"]
    assert "no exact cron equivalent" in listed["OnCalendar=*-02~01 00:00"]


async def test_launchd_plists_import_one_event_per_calendar_entry_and_list_what_needs_other_triggers(engine: Engine) -> None:
    source = parse_plist(DATA / "com.example.backup.plist")
    source.extend(parse_plist(DATA / "com.example.watch.plist"))
    plan = await import_all(engine, source)
    nightly = await engine.events.get("com.example.backup (1)")
    assert nightly["schedule"] == {"cron": "15 3 * * *"} and nightly["misfire"] == "RUN_ONCE"
    assert nightly["content"] == "cd /Users/me || exit 1\n/usr/local/bin/backup --verbose 'my documents'\n"
    assert nightly["env"] == {"TARGET": "/Volumes/Backup"}
    sunday = await engine.events.get("com.example.backup (2)")
    assert sunday["schedule"] == {"cron": "0 12 * * 7"}
    assert set(nightly["tags"]) == set(sunday["tags"]) == {"launchd", "com.example.backup"}  # grouped by tag
    watch = await engine.events.get("com.example.watch")
    assert watch["schedule"] == {"every": 5, "unit": "MINUTES"} and watch["status"] == "PAUSED"  # Disabled
    reasons = {u.source: u.reason for u in plan.not_carried_over}  # type: ignore[attr-defined]
    assert "login trigger" in reasons["com.example.watch.plist (RunAtLoad)"]
    assert "file trigger" in reasons["com.example.watch.plist (WatchPaths)"]


async def test_task_scheduler_xml_imports_its_calendar_triggers_and_lists_logon_and_windowed_ones(engine: Engine) -> None:
    source = parse_task(DATA / "weekly-task.xml")
    source.extend(parse_task(DATA / "daily-task.xml"))
    plan = await import_all(engine, source)
    weekly = await engine.events.get("Weekly Notepad")
    assert weekly["schedule"] == {"cron": "0 8 * * 1,4"} and weekly["misfire"] == "RUN_ONCE"
    assert weekly["timeout_seconds"] == 7200 and weekly["status"] == "ACTIVE"
    assert weekly["content"] == "cd 'C:\\Users\\me' || exit 1\n'C:\\Windows\\System32\\notepad.exe' report.txt\n"
    assert weekly["end_time"].startswith("2035-01-01")
    hourly = await engine.events.get("Reports / Hourly export (1)")
    assert hourly["schedule"] == {"every": 1, "unit": "HOURS"} and hourly["status"] == "PAUSED"
    every_other_day = await engine.events.get("Reports / Hourly export (2)")
    assert every_other_day["schedule"] == {"every": 2, "unit": "DAYS"} and every_other_day["misfire"] == "SKIP"
    reasons = {u.source: u.reason for u in plan.not_carried_over}  # type: ignore[attr-defined]
    assert "login trigger" in reasons["weekly-task.xml (LogonTrigger 2)"]
    assert "only within PT1H" in reasons["daily-task.xml (TimeTrigger 2)"]


async def test_mailto_becomes_a_failure_email_through_the_configured_email_tool(engine: Engine) -> None:
    crontab = "MAILTO=me@example.com\n0 1 * * * /usr/local/bin/backup\n"
    plan = await engine.imports.plan(parse_crontab(crontab))
    assert "no email tool is set up" in plan.events[0].notes[0]
    await engine.tools.add("ops-mail", "email", {"host": "smtp.example.com", "port": 587, "from": "a@example.com",
                                                 "to": "me@example.com"})
    plan = await engine.imports.plan(parse_crontab(crontab))
    await engine.imports.apply(plan)
    actions = (await engine.events.get("backup"))["conditional_actions"]
    assert [(a["on"], a["action"], a["tool"]) for a in actions] == [("ON_FAILURE", "SEND_MESSAGE", "ops-mail")]


async def test_only_the_chosen_jobs_are_imported_and_a_second_import_recognises_them(engine: Engine) -> None:
    crontab = "# First\n0 1 * * * one\n# Second\n0 2 * * * two\n"
    plan = await engine.imports.plan(parse_crontab(crontab))
    outcome = await engine.imports.apply(plan, chosen={1})
    assert outcome.created == ["Second"] and [e.name for e in await engine.events.list()] == ["Second"]
    again = await engine.imports.plan(parse_crontab(crontab))
    assert [e.existing for e in again.events] == [None, "Second"]
    outcome = await engine.imports.apply(again)
    assert outcome.created == ["First"] and outcome.already == ["Second"]


def test_the_import_commands_for_timers_plists_and_tasks_create_the_events_and_list_the_rest(cli: Cli) -> None:
    result = cli("import-launchd", str(DATA / "com.example.backup.plist"), str(DATA / "com.example.watch.plist"))
    assert result.code == 0, result.stderr
    assert "Created event 'com.example.backup (1)'." in result.stdout
    assert "Not carried over: com.example.watch.plist (WatchPaths)" in result.stdout
    result = cli("import-schtasks", str(DATA / "weekly-task.xml"), "--dry-run", "--tag", "windows")
    assert result.code == 0, result.stderr
    assert "Weekly Notepad" in result.stdout and "Dry run: nothing was changed." in result.stdout
    result = cli("import-systemd", str(DATA / "backup.timer"))
    assert result.code == 0, result.stderr
    assert "Created event 'Back up the documents (2)'." in result.stdout
    assert len(cli("list", "events", "--json").json()) == 6  # type: ignore[arg-type]
