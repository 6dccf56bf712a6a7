"""launchd agents and daemons (.plist) → jobs, read with plistlib on every OS.

`StartCalendarInterval` (one dict or an array: one event per entry, tagged with the label),
`StartInterval` as an interval, `ProgramArguments`/`Program`, `EnvironmentVariables`,
`WorkingDirectory`, `Disabled` → PAUSED. `RunAtLoad` and `WatchPaths` need the login and file
triggers, which this version lacks: listed as not carried over. launchd runs a calendar job missed
while asleep once on wake: misfire RUN_ONCE.
"""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path
from typing import Any

from cronium_desktop.engine.imports.jobs import (
    ParsedJob,
    ParsedSource,
    Unconverted,
    clean_name,
    interval_of,
    working_directory_prefix,
)

CALENDAR_KEYS = ("Minute", "Hour", "Day", "Month", "Weekday")


def calendar_entry_to_cron(entry: Any) -> str:
    """One StartCalendarInterval dict → cron; a missing key is a wildcard, as launchd.plist(5) says."""
    if not isinstance(entry, dict):
        raise ValueError("a StartCalendarInterval entry must be a dictionary")
    unknown = set(entry) - set(CALENDAR_KEYS)
    if unknown:
        raise ValueError(f"unknown StartCalendarInterval key {sorted(unknown)[0]!r}")
    fields = []
    for key in CALENDAR_KEYS:
        value = entry.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{key} must be a whole number, not {value!r}")
        fields.append("*" if value is None else str(value))
    return " ".join(fields)


def parse_plist(path: Path) -> ParsedSource:
    parsed = ParsedSource("launchd")
    try:
        with path.open("rb") as handle:
            data = plistlib.load(handle)
    except (OSError, plistlib.InvalidFileException, ValueError) as error:
        parsed.unconverted.append(Unconverted(path.name, str(path), f"is not a readable property list ({error}).", invalid=True))
        return parsed
    if not isinstance(data, dict):
        parsed.unconverted.append(Unconverted(path.name, str(path), "does not hold a launchd job dictionary.", invalid=True))
        return parsed
    label = str(data.get("Label") or path.stem)
    arguments = data.get("ProgramArguments") or []
    program = data.get("Program")
    if program and arguments:
        command = shlex.join([program, *map(str, arguments[1:])])  # Program runs; ProgramArguments[0] is argv[0]
    elif arguments:
        command = shlex.join(map(str, arguments))
    elif program:
        command = shlex.quote(str(program))
    else:
        parsed.unconverted.append(Unconverted(path.name, label, "has neither ProgramArguments nor Program.", invalid=True))
        return parsed
    script = working_directory_prefix(data.get("WorkingDirectory")) + command + "\n"
    env = {str(k): str(v) for k, v in (data.get("EnvironmentVariables") or {}).items()}
    status = "PAUSED" if data.get("Disabled") is True else "ACTIVE"
    notes = [f"{key} not carried over (Cronium keeps each run's log)" for key in ("StandardOutPath", "StandardErrorPath")
             if key in data]
    notes += [f"{key} not carried over" for key in ("UserName", "KeepAlive", "StartOnMount") if key in data]
    for key, trigger in (("RunAtLoad", "login"), ("WatchPaths", "file"), ("QueueDirectories", "file")):
        if data.get(key):
            parsed.unconverted.append(Unconverted(f"{path.name} ({key})", f"{key} of {label}", f"needs a {trigger} trigger, "
                                                  "which this version of Cronium Desktop does not have yet."))
    name = clean_name(label)
    calendar = data.get("StartCalendarInterval")
    entries = calendar if isinstance(calendar, list) else [calendar] if calendar is not None else []
    for index, entry in enumerate(entries, start=1):
        place = f"{path.name} (StartCalendarInterval {index})" if len(entries) > 1 else f"{path.name} (StartCalendarInterval)"
        try:
            cron = calendar_entry_to_cron(entry)
        except ValueError as error:
            parsed.unconverted.append(Unconverted(place, repr(entry), f"{error}.", invalid=True))
            continue
        parsed.jobs.append(ParsedJob(place, f"StartCalendarInterval {entry}", name if len(entries) == 1 else f"{name} ({index})",
                                     {"cron": cron}, script, None, dict(env), status=status, misfire="RUN_ONCE",
                                     tags=[label[:50]], notes=list(notes)))
    interval = data.get("StartInterval")
    if interval is not None:
        place = f"{path.name} (StartInterval)"
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            parsed.unconverted.append(Unconverted(place, f"StartInterval {interval!r}", "must be a whole number of seconds.",
                                                  invalid=True))
        else:
            parsed.jobs.append(ParsedJob(place, f"StartInterval {interval}", name, interval_of(interval), script, None,
                                         dict(env), status=status, misfire="RUN_ONCE", tags=[label[:50]], notes=list(notes)))
    if not entries and interval is None and not any(data.get(k) for k in ("RunAtLoad", "WatchPaths", "QueueDirectories")):
        parsed.unconverted.append(Unconverted(path.name, label, "has no StartCalendarInterval or StartInterval: "
                                              "nothing to schedule."))
    return parsed
