"""What every import source produces: jobs to become events, and what could not be carried over."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

SAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class ParsedJob:
    """One schedule of a source, ready to become a BASH event."""

    source: str  # where it came from, for people: "crontab line 7", "backup.timer (OnCalendar 1)"
    text: str  # the source line or entry as written
    name: str  # suggested name; made unique when planned
    schedule: dict[str, Any]
    content: str
    timezone: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    status: str = "ACTIVE"
    misfire: str = "SKIP"
    start_time: str | None = None
    end_time: str | None = None
    timeout_seconds: float | None = None
    tags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # parts of the job not carried over, and why
    mail_to: str | None = None  # cron's MAILTO: a failure notification if an email tool exists


@dataclass
class Unconverted:
    """A line or entry that does not become an event, with the reason.

    `invalid` items (a line that does not parse) refuse the whole import unless it is asked to skip
    them; the others (a job needing a trigger this version lacks) are listed as not carried over.
    """

    source: str
    text: str
    reason: str
    invalid: bool = False


@dataclass
class ParsedSource:
    kind: str  # "cron", "systemd", "launchd", "schtasks"
    jobs: list[ParsedJob] = field(default_factory=list)
    unconverted: list[Unconverted] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)  # e.g. how to comment the crontab's jobs out

    def extend(self, other: ParsedSource) -> None:
        self.jobs += other.jobs
        self.unconverted += other.unconverted
        self.advice += other.advice


def name_from_command(command: str, limit: int = 60) -> str:
    """A readable name from a command: the program's base name and its first arguments."""
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    if not words:
        return "job"
    words[0] = words[0].replace("\\", "/").rsplit("/", 1)[-1] or words[0]
    name = " ".join(words[:3])
    return clean_name(name[:limit]) or "job"


def clean_name(name: str) -> str:
    return " ".join(SAFE_NAME.sub(" ", name).split())[:190]


def working_directory_prefix(directory: str | None) -> str:
    """Script lines that enter the job's working directory, or stop with a clear message."""
    if not directory:
        return ""
    if directory.startswith("~"):
        target = '"$HOME"' + shlex.quote(directory[1:]) if len(directory) > 1 else '"$HOME"'
    else:
        target = shlex.quote(directory)
    return f"cd {target} || exit 1\n"


def interval_of(seconds: int) -> dict[str, Any]:
    """Whole seconds → the largest unit that divides them exactly.

    Hours at most: seconds, minutes and hours count elapsed time, as the sources do, where days
    and weeks follow the wall clock across DST changes.
    """
    for unit, size in (("HOURS", 3600), ("MINUTES", 60)):
        if seconds % size == 0:
            return {"every": seconds // size, "unit": unit}
    return {"every": seconds, "unit": "SECONDS"}


def number_names(jobs: list[ParsedJob], base: str) -> None:
    """Several jobs from one entry are `base (1)`, `base (2)`…; a single one is just `base`."""
    for index, job in enumerate(jobs, start=1):
        job.name = base if len(jobs) == 1 else f"{base} ({index})"
