"""Imported jobs → events: plan (names, next runs, what is already here), then create in one transaction.

A job already imported is recognised by its fingerprint — a hash of what it does (source kind,
schedule, zone, script, env), not of its line number or name — kept on the event's last description
line as `import-id: KIND:HEX`. An event whose description was edited is still recognised when its
script, schedule and zone are the same as the job's. Importing the same file twice adds nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cronium_desktop.engine.clock import from_store
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.events import EventService
from cronium_desktop.engine.imports.jobs import ParsedJob, ParsedSource, Unconverted
from cronium_desktop.engine.notices import EventsChanged
from cronium_desktop.engine.scheduling.schedules import ALIASES, next_runs
from cronium_desktop.engine.store.models import Event, Tool
from cronium_desktop.engine.validation import MAX_TIMEOUT_SECONDS, normalize_event

MARK = "import-id: "
SOURCE_TAGS = {"cron": "cron", "systemd": "systemd", "launchd": "launchd", "schtasks": "schtasks"}
FAILURE_SUBJECT = "{{ event.name }} failed ({{ execution.status }})"
FAILURE_BODY = "Exit code {{ execution.exit_code }}.\n\n{{ execution.log_tail }}"


def fingerprint(kind: str, job: ParsedJob) -> str:
    what = {"kind": kind, "schedule": job.schedule, "timezone": job.timezone, "content": job.content,
            "env": sorted(job.env.items())}
    return f"{kind}:{hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]}"


def describe_schedule(schedule: dict[str, Any]) -> str:
    if "cron" in schedule:
        try:
            from cron_descriptor import ExpressionDescriptor

            expression = ALIASES.get(schedule["cron"].lower(), schedule["cron"])
            return str(ExpressionDescriptor(expression, use_24hour_time_format=True))
        except Exception:  # a valid expression cron-descriptor cannot word (e.g. steps past a range)
            return schedule["cron"]
    unit = schedule["unit"].lower()
    return f"every {schedule['every']} {unit if schedule['every'] != 1 else unit[:-1]}"


@dataclass
class PlannedEvent:
    job: ParsedJob
    name: str
    spec: dict[str, Any]
    fingerprint: str
    existing: str | None  # the event that already holds this job
    next_runs: list[datetime]
    schedule_words: str
    notes: list[str]

    @property
    def creates(self) -> str:
        if self.existing is not None:
            return f"nothing: already imported as {self.existing!r}"
        extra = " + failure email" if self.spec["conditional_actions"] else ""
        return f"{self.spec['type']} event, {self.spec['status']}{extra}"


@dataclass
class ImportPlan:
    kind: str
    events: list[PlannedEvent]
    invalid: list[Unconverted]
    not_carried_over: list[Unconverted]
    advice: list[str] = field(default_factory=list)


@dataclass
class ImportOutcome:
    created: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped_invalid: list[Unconverted] = field(default_factory=list)


class ScheduleImports:
    def __init__(self, ctx: EngineContext, events: EventService) -> None:
        self._ctx = ctx
        self._events = events

    @in_thread
    def plan(self, parsed: ParsedSource, extra_tags: list[str] | None = None) -> ImportPlan:
        with self._ctx.db.read() as session:
            return self._plan(session, parsed, extra_tags or [])

    def _plan(self, session: Session, parsed: ParsedSource, extra_tags: list[str]) -> ImportPlan:
        existing = list(session.scalars(select(Event)))
        by_mark = {line[len(MARK):].strip(): e.name for e in existing
                   for line in e.description.splitlines() if line.startswith(MARK)}
        by_work = {(e.content, json.dumps(e.schedule, sort_keys=True), e.timezone): e.name for e in existing}
        taken = {e.name.lower() for e in existing}
        email_tool = session.scalar(select(Tool.name).where(Tool.type == "email").order_by(Tool.name))
        planned: list[PlannedEvent] = []
        invalid = [u for u in parsed.unconverted if u.invalid]
        for job in parsed.jobs:
            mark = fingerprint(parsed.kind, job)
            already = by_mark.get(mark) or by_work.get((job.content, json.dumps(job.schedule, sort_keys=True), job.timezone))
            name = job.name if already else self._unique(job.name, taken)
            notes = list(job.notes)
            actions: list[dict[str, Any]] = []
            if job.mail_to:
                if email_tool:
                    actions.append({"on": "ON_FAILURE", "action": "SEND_MESSAGE", "tool": email_tool,
                                    "subject": FAILURE_SUBJECT, "body": FAILURE_BODY})
                    notes.append(f"MAILTO={job.mail_to}: failures are mailed through email tool {email_tool!r} to its "
                                 "own recipients (cron mailed any output)")
                else:
                    notes.append(f"MAILTO={job.mail_to} not carried over: no email tool is set up "
                                 "(add one in Tools, then import again or add an ON_FAILURE action)")
            spec: dict[str, Any] = {
                "name": name, "type": "BASH", "content": job.content, "status": job.status,
                "trigger": "SCHEDULE", "schedule": job.schedule, "timezone": job.timezone, "env": job.env,
                "tags": list(dict.fromkeys([SOURCE_TAGS[parsed.kind], *job.tags, *extra_tags])),
                "misfire": job.misfire, "start_time": job.start_time, "end_time": job.end_time,
                # Cron, timers and agents put no limit on a job's time: the longest Cronium allows.
                "timeout_seconds": job.timeout_seconds or MAX_TIMEOUT_SECONDS,
                "description": f"Imported from {job.source}: {job.text.strip()[:300]}\n{MARK}{mark}",
                "conditional_actions": actions,
            }
            try:
                spec = normalize_event(spec)
            except ValidationError as error:
                invalid.append(Unconverted(job.source, job.text, f"{error.field}: {error.message}", invalid=True))
                continue
            try:
                runs = next_runs(spec["schedule"], spec["timezone"], 3, start_time=from_store(spec["start_time"]),
                                 end_time=from_store(spec["end_time"]))
            except ValidationError:
                runs = []
            planned.append(PlannedEvent(job, name, spec, mark, already, runs, describe_schedule(job.schedule), notes))
        not_carried = [u for u in parsed.unconverted if not u.invalid]
        return ImportPlan(parsed.kind, planned, invalid, not_carried, list(parsed.advice))

    @staticmethod
    def _unique(name: str, taken: set[str]) -> str:
        candidate, n = name, 2
        while candidate.lower() in taken:
            suffix = f" {n}"
            candidate, n = name[: 200 - len(suffix)] + suffix, n + 1
        taken.add(candidate.lower())
        return candidate

    @in_thread
    def apply(self, plan: ImportPlan, chosen: set[int] | None = None, skip_invalid: bool = False) -> ImportOutcome:
        """Create the events of `plan` (only the indexes in `chosen`, if given) in one transaction."""
        if plan.invalid and not skip_invalid:
            first = plan.invalid[0]
            more = f" (and {len(plan.invalid) - 1} more)" if len(plan.invalid) > 1 else ""
            raise ValidationError(first.source, f"{first.text.strip()!r}: {first.reason}{more} Nothing was imported; "
                                                "fix the line, or import with --skip-invalid to leave it out.")
        outcome = ImportOutcome(skipped_invalid=list(plan.invalid))
        created_ids: list[int] = []
        with self._ctx.db.write() as session:
            marks = {line[len(MARK):].strip() for (description,) in session.execute(select(Event.description))
                     for line in description.splitlines() if line.startswith(MARK)}
            for index, item in enumerate(plan.events):
                if chosen is not None and index not in chosen:
                    continue
                if item.existing is not None or item.fingerprint in marks:
                    outcome.already.append(item.existing or item.name)
                    continue
                event = Event()
                try:
                    self._events.apply(session, event, dict(item.spec))
                except ValidationError as error:
                    raise ValidationError(f"{item.job.source}.{error.field}", f"{error.message} Nothing was imported.") from error
                marks.add(item.fingerprint)
                created_ids.append(event.id)
                outcome.created.append(item.name)
        if created_ids:
            self._ctx.bus.publish(EventsChanged(tuple(created_ids)))
        return outcome


