"""Windows Task Scheduler tasks (the XML `schtasks /query /xml` writes) → jobs, parsed safely with defusedxml.

Calendar triggers become cron (daily, weekly, monthly by day) or a calendar interval (every N days
or weeks from the start); a time trigger repeating every PT… becomes an interval from its start;
a one-time trigger runs once in a one-second window. Triggers with no exact equivalent (a day of
the week within a month, "last day", a repetition window shorter than the day) are listed, as are
logon and boot triggers (no login trigger yet). `StartWhenAvailable` is misfire RUN_ONCE;
`Enabled=false` makes the event PAUSED; `ExecutionTimeLimit` its timeout.
"""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from cronium_desktop.engine.imports.jobs import (
    ParsedJob,
    ParsedSource,
    Unconverted,
    clean_name,
    interval_of,
    number_names,
    working_directory_prefix,
)
from cronium_desktop.engine.validation import MAX_TIMEOUT_SECONDS

NS = "{http://schemas.microsoft.com/windows/2004/02/mit/task}"
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


class NoExactSchedule(Exception):
    pass


def duration_seconds(text: str) -> int:
    """An XML duration (PT15M, P1D, PT1H30M) → seconds; months and years have no fixed length."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", text.strip())
    if match is None or not any(match.groups()):
        raise NoExactSchedule(f"the duration {text!r} is not in days, hours, minutes and seconds")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _child(node: Any, path: str) -> Any:
    return node.find("/".join(NS + part for part in path.split("/")))


def _text(node: Any, path: str, default: str = "") -> str:
    found = _child(node, path)
    return (found.text or "").strip() if found is not None else default


def _names(node: Any, path: str) -> list[str]:
    found = _child(node, path)
    return [child.tag.replace(NS, "") for child in found] if found is not None else []


def trigger_schedule(trigger: Any) -> tuple[dict[str, Any], str | None, str | None]:
    """(schedule, start_time, end_time) of a TimeTrigger or CalendarTrigger, or NoExactSchedule."""
    kind = trigger.tag.replace(NS, "")
    boundary = _text(trigger, "StartBoundary")
    if not boundary:
        raise NoExactSchedule("it has no StartBoundary")
    start = datetime.fromisoformat(boundary)
    end = _text(trigger, "EndBoundary") or None
    repeat = _text(trigger, "Repetition/Interval")
    window = _text(trigger, "Repetition/Duration")
    seconds_field = "" if start.second == 0 else f"{start.second} "
    at = f"{seconds_field}{start.minute} {start.hour}"
    if repeat:
        # Repeating forever, or through a whole day of a daily trigger, is a plain interval from the start.
        daily = kind == "CalendarTrigger" and _text(trigger, "ScheduleByDay/DaysInterval") == "1"
        if window and not (daily and duration_seconds(window) >= 86400):
            raise NoExactSchedule(f"it repeats every {repeat} only within {window} of each start")
        return interval_of(duration_seconds(repeat)), boundary, end
    if kind == "TimeTrigger":
        once = start.replace(microsecond=0)
        if once < datetime.now(once.tzinfo):
            raise NoExactSchedule(f"it runs once, at {boundary}, which has passed")
        return {"cron": f"{start.second} {start.minute} {start.hour} {start.day} {start.month} *"}, boundary, \
            end or (once + timedelta(seconds=1)).isoformat()
    by_day, by_week, by_month = (_child(trigger, name) for name in ("ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth"))
    if by_day is not None:
        interval = int(_text(trigger, "ScheduleByDay/DaysInterval", "1"))
        if interval == 1:
            return {"cron": f"{at} * * *"}, boundary, end
        return {"every": interval, "unit": "DAYS"}, boundary, end
    if by_week is not None:
        days = [WEEKDAYS.index(d) for d in _names(trigger, "ScheduleByWeek/DaysOfWeek") if d in WEEKDAYS]
        interval = int(_text(trigger, "ScheduleByWeek/WeeksInterval", "1"))
        if not days:
            raise NoExactSchedule("it names no day of the week")
        if interval == 1:
            return {"cron": f"{at} * * {','.join(map(str, sorted(days)))}"}, boundary, end
        if days == [(start.weekday() + 1) % 7]:
            return {"every": interval, "unit": "WEEKS"}, boundary, end
        raise NoExactSchedule(f"every {interval} weeks on several days has no cron or interval form")
    if by_month is not None:
        days_of_month = [d.text.strip() for d in _child(trigger, "ScheduleByMonth/DaysOfMonth") or []]
        if any(not d.isdigit() for d in days_of_month) or not days_of_month:
            raise NoExactSchedule("'Last' day of the month has no cron form")
        months = [str(MONTHS.index(m) + 1) for m in _names(trigger, "ScheduleByMonth/Months") if m in MONTHS] or ["*"]
        return {"cron": f"{at} {','.join(days_of_month)} {','.join(months)} *"}, boundary, end
    raise NoExactSchedule("a day of the week within a month (e.g. the second Tuesday) has no cron form")


def parse_task(path: Path) -> ParsedSource:
    parsed = ParsedSource("schtasks")
    try:
        root = ElementTree.parse(str(path)).getroot()
    except (OSError, ElementTree.ParseError, DefusedXmlException) as error:
        parsed.unconverted.append(Unconverted(path.name, str(path), f"is not a readable task XML file ({error}).", invalid=True))
        return parsed
    uri = _text(root, "RegistrationInfo/URI") or path.stem
    name = clean_name(uri.strip("\\").replace("\\", " / ")) or path.stem
    execs = root.findall(f"{NS}Actions/{NS}Exec")
    if not execs:
        parsed.unconverted.append(Unconverted(path.name, name, "has no Exec action (e-mail and message actions are "
                                              "not carried over).", invalid=True))
        return parsed
    lines = []
    for action in execs:
        command = _text(action, "Command")
        arguments = _text(action, "Arguments")
        lines.append(working_directory_prefix(_text(action, "WorkingDirectory") or None)
                     + shlex.quote(command) + (f" {arguments}" if arguments else ""))
    script = "\n".join(lines) + "\n"
    enabled = _text(root, "Settings/Enabled", "true").lower() != "false"
    misfire = "RUN_ONCE" if _text(root, "Settings/StartWhenAvailable", "false").lower() == "true" else "SKIP"
    limit = _text(root, "Settings/ExecutionTimeLimit")
    timeout: float | None = None
    if limit and limit != "PT0S":
        try:
            timeout = float(min(duration_seconds(limit), MAX_TIMEOUT_SECONDS))
        except NoExactSchedule:
            timeout = None
    triggers = list(_child(root, "Triggers") or [])
    first_job = len(parsed.jobs)
    for index, trigger in enumerate(triggers, start=1):
        kind = trigger.tag.replace(NS, "")
        place = f"{path.name} ({kind} {index})"
        if _text(trigger, "Enabled", "true").lower() == "false":
            parsed.unconverted.append(Unconverted(place, kind, "this trigger is disabled in Task Scheduler."))
            continue
        if kind in ("LogonTrigger", "BootTrigger"):
            parsed.unconverted.append(Unconverted(place, kind, "needs a login trigger, which this version of Cronium "
                                                  "Desktop does not have yet."))
            continue
        if kind not in ("TimeTrigger", "CalendarTrigger"):
            parsed.unconverted.append(Unconverted(place, kind, "has no schedule equivalent here."))
            continue
        try:
            schedule, start, end = trigger_schedule(trigger)
        except (NoExactSchedule, ValueError) as error:
            parsed.unconverted.append(Unconverted(place, kind, f"no exact equivalent: {error}."))
            continue
        notes = ["RandomDelay not carried over"] if _text(trigger, "RandomDelay") else []
        parsed.jobs.append(ParsedJob(place, f"{kind} from {start}", name if len(triggers) == 1 else f"{name} ({index})",
                                     schedule, script, None, {}, status="ACTIVE" if enabled else "PAUSED",
                                     misfire=misfire, start_time=start, end_time=end, timeout_seconds=timeout,
                                     tags=[name[:50]], notes=notes))
    number_names(parsed.jobs[first_job:], name)
    if not triggers:
        parsed.unconverted.append(Unconverted(path.name, name, "has no trigger: nothing to schedule."))
    return parsed
