"""systemd timers → jobs: `OnCalendar` with an exact cron equivalent, `OnUnitActiveSec` as an interval.

A calendar is translated only when cron means exactly the same times (weekday with a restricted
day of month is AND in systemd and OR in cron; years, `~` last days and fractional seconds have no
cron form): anything else is listed, never approximated. The service's `ExecStart` lines become
the script, with `Environment=` and `WorkingDirectory=`; `Persistent=true` is misfire RUN_ONCE.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.imports.jobs import (
    ParsedJob,
    ParsedSource,
    Unconverted,
    clean_name,
    interval_of,
    number_names,
    working_directory_prefix,
)
from cronium_desktop.engine.scheduling.schedules import validate_schedule, zone

SHORTHANDS = {
    "minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
    "monthly": "*-*-01 00:00:00", "weekly": "Mon *-*-* 00:00:00", "yearly": "*-01-01 00:00:00",
    "annually": "*-01-01 00:00:00", "quarterly": "*-01,04,07,10-01 00:00:00",
    "semiannually": "*-01,07-01 00:00:00",
}  # fmt: skip
DAYS = {"mon": "mon", "tue": "tue", "wed": "wed", "thu": "thu", "fri": "fri", "sat": "sat", "sun": "sun"}
SPAN_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
              "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "d": 86400,
              "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
SPECIFIERS = {"%h": '"$HOME"', "%u": '"$USER"', "%%": "%"}


class NoExactCron(Exception):
    """The calendar has no cron expression meaning exactly the same times."""


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections → (key, value) in order; keys repeat (OnCalendar, Environment, ExecStart)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif "=" in line:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    out: list[str] = []
    for name, value in section:
        if name == key:
            out = [] if value == "" else [*out, value]  # an empty assignment resets the list
    return out


def _component(text: str, low: int, high: int, what: str) -> str:
    """One systemd calendar component (`*`, `5`, `1,15`, `8..17`, `0/15`) → the cron field."""
    parts = []
    for item in text.split(","):
        match = re.fullmatch(r"(\*|\d+)(?:\.\.(\d+))?(?:/(\d+))?", item)
        if match is None:
            raise NoExactCron(f"the {what} {item!r} has no cron form")
        first, last, step = match.groups()
        if first == "*":
            parts.append("*" if step is None else f"*/{step}")
            continue
        if not low <= int(first) <= high or (last is not None and not low <= int(last) <= high):
            raise NoExactCron(f"the {what} {item!r} is out of range")
        if step is not None and last is None:
            parts.append(f"*/{step}" if int(first) == low else f"{int(first)}-{high}/{step}")
        else:
            parts.append(str(int(first)) + (f"-{int(last)}" if last else "") + (f"/{step}" if step else ""))
    return ",".join(parts)


def calendar_to_cron(expression: str) -> tuple[str, str | None]:
    """A systemd OnCalendar expression → (cron expression, timezone or None), or NoExactCron."""
    words = expression.split()
    timezone = None
    if words and (re.fullmatch(r"[A-Za-z_]+/[A-Za-z_/+-]+", words[-1]) or words[-1] == "UTC"):
        timezone = words.pop()
    text = " ".join(words)
    text = SHORTHANDS.get(text.lower(), text)
    words = text.split()
    weekday = "*"
    if words and re.match(r"^[A-Za-z]", words[0]):
        days = []
        for item in words.pop(0).split(","):
            ends = [d[:3].lower() for d in item.split("..")]
            if any(d not in DAYS for d in ends):
                raise NoExactCron(f"the weekday {item!r} is not one of Mon..Sun")
            days.append("-".join(ends))
        weekday = ",".join(days)
    date, time = "*-*-*", "00:00:00"
    for word in words:
        if ":" in word:
            time = word
        elif "-" in word:
            date = word
        else:
            raise NoExactCron(f"{word!r} is neither a date nor a time")
    date_parts = date.split("-")
    if len(date_parts) == 2:
        date_parts = ["*", *date_parts]
    if len(date_parts) != 3 or "~" in date:
        raise NoExactCron(f"the date {date!r} has no cron form ('~', last days of the month, has none)")
    year, month, day = date_parts
    if year != "*":
        raise NoExactCron("cron has no year")
    time_parts = time.split(":")
    if len(time_parts) == 2:
        time_parts.append("00")
    hour, minute, second = time_parts
    if "." in second:
        raise NoExactCron("cron has no fractions of a second")
    day_field = _component(day, 1, 31, "day")
    if weekday != "*" and day_field != "*":
        raise NoExactCron("a weekday and a day of the month together mean both in systemd, either in cron")
    fields = [_component(minute, 0, 59, "minute"), _component(hour, 0, 23, "hour"), day_field,
              _component(month, 1, 12, "month"), weekday]
    seconds = _component(second, 0, 59, "second")
    cron = " ".join(fields if seconds == "0" else [seconds, *fields])
    return cron, timezone


def parse_span(text: str) -> float:
    """A systemd time span ("15min", "1h 30min", "90") → seconds."""
    total, rest = 0.0, text.replace(" ", "")
    if rest.isdigit():
        return float(rest)
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)([a-z]+)", rest):
        if unit not in SPAN_UNITS:
            raise ValueError(f"unknown unit {unit!r}")
        total += float(number) * SPAN_UNITS[unit]
    if not total:
        raise ValueError(f"{text!r} is not a time span")
    return total


def user_timers() -> list[Path]:
    folder = Path.home() / ".config" / "systemd" / "user"
    return sorted(folder.glob("*.timer"))


def _script(service: list[tuple[str, str]], unit: str) -> str:
    lines = []
    for command in values(service, "ExecStart"):
        command = command.lstrip("-@:+!")
        for specifier, replacement in SPECIFIERS.items():
            command = command.replace(specifier, replacement)
        if re.search(r"%[a-zA-Z]", command):
            raise ValidationError(unit, f"ExecStart {command!r} uses a systemd specifier (%…) that has no shell form.")
        lines.append(command)
    if not lines:
        raise ValidationError(unit, "the service has no ExecStart= line.")
    directory = dict(service).get("WorkingDirectory", "").lstrip("-")
    directory = "~" + directory[2:] if directory.startswith("%h") else directory
    return working_directory_prefix(directory or None) + "\n".join(lines) + "\n"


def parse_timers(paths: list[Path]) -> ParsedSource:
    parsed = ParsedSource("systemd")
    for path in paths:
        try:
            timer = read_unit(path).get("Timer", [])
        except (OSError, UnicodeDecodeError) as error:
            parsed.unconverted.append(Unconverted(str(path), path.name, f"cannot be read ({error}).", invalid=True))
            continue
        unit_name = dict(timer).get("Unit") or path.name[: -len(".timer")] + ".service"
        service_path = path.with_name(unit_name)
        try:
            service = read_unit(service_path).get("Service", [])
            script = _script(service, path.name)
        except (OSError, UnicodeDecodeError) as error:
            parsed.unconverted.append(Unconverted(path.name, str(path), f"its service {unit_name} cannot be read "
                                                  f"({getattr(error, 'strerror', None) or error}).", invalid=True))
            continue
        except ValidationError as error:
            parsed.unconverted.append(Unconverted(path.name, str(path), error.message, invalid=True))
            continue
        env: dict[str, str] = {}
        for assignment in values(service, "Environment"):
            for word in shlex.split(assignment):
                name, _, value = word.partition("=")
                env[name] = value
        persistent = dict(timer).get("Persistent", "false").lower() in ("true", "yes", "1", "on")
        notes = [f"{key}= not carried over" for key in ("RandomizedDelaySec", "EnvironmentFile", "User")
                 if dict(timer).get(key) or dict(service).get(key)]
        base = clean_name(dict(read_unit(service_path).get("Unit", [])).get("Description") or path.stem)
        calendars = values(timer, "OnCalendar")
        first_job = len(parsed.jobs)
        for calendar in calendars:
            place = f"{path.name} (OnCalendar={calendar})"
            try:
                cron, timezone = calendar_to_cron(calendar)
                schedule = validate_schedule({"cron": cron}, zone(timezone or "UTC"))
            except NoExactCron as error:
                parsed.unconverted.append(Unconverted(place, f"OnCalendar={calendar}", f"no exact cron equivalent: {error}."))
                continue
            except ValidationError as error:
                parsed.unconverted.append(Unconverted(place, f"OnCalendar={calendar}", error.message))
                continue
            assert schedule is not None
            fields = cron.split()[-5:]
            dst = ["on the day clocks go back it runs through the repeated hour, as cron does (systemd skips "
                   "that hour)"] if fields[0].startswith("*") or fields[1].startswith("*") else []
            parsed.jobs.append(ParsedJob(place, f"OnCalendar={calendar}", base, schedule, script, timezone, dict(env),
                                         misfire="RUN_ONCE" if persistent else "SKIP", tags=[path.stem],
                                         notes=notes + dst))
        active = values(timer, "OnUnitActiveSec")
        if active:
            place = f"{path.name} (OnUnitActiveSec={active[-1]})"
            try:
                seconds = parse_span(active[-1])
            except ValueError as error:
                parsed.unconverted.append(Unconverted(place, f"OnUnitActiveSec={active[-1]}", f"{error}.", invalid=True))
            else:
                if seconds != int(seconds) or seconds < 1:
                    parsed.unconverted.append(Unconverted(place, f"OnUnitActiveSec={active[-1]}",
                                                          "intervals are whole seconds here."))
                else:
                    extra = ["OnBootSec= (the first run after boot) not carried over: the interval starts when the "
                             "event is activated"] if values(timer, "OnBootSec") else []
                    parsed.jobs.append(ParsedJob(place, f"OnUnitActiveSec={active[-1]}", base, interval_of(int(seconds)),
                                                 script, None, dict(env), misfire="RUN_ONCE" if persistent else "SKIP",
                                                 tags=[path.stem], notes=notes + extra))
        elif values(timer, "OnBootSec") or values(timer, "OnStartupSec"):
            parsed.unconverted.append(Unconverted(path.name, "OnBootSec/OnStartupSec", "runs once after boot or "
                                                  "login: needs a login trigger, which this version does not have yet."))
        number_names(parsed.jobs[first_job:], base)
        for key in ("OnActiveSec", "OnUnitInactiveSec"):
            for value in values(timer, key):
                parsed.unconverted.append(Unconverted(path.name, f"{key}={value}", "has no schedule equivalent here."))
    return parsed
