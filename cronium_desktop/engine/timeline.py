"""What runs when: the fire times of every active schedule in a window, the runs already in it,
and the clock changes (DST) of the zones the schedules use — the Timeline page's data, with no Qt.

Fire times come from the same triggers the scheduler uses (`scheduling.build_trigger`), so a
schedule read in Europe/Berlin fires on the timeline exactly when it will fire: the skipped hour
of spring has no 02:30, the repeated hour of autumn has one (cron's rule).
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select

from cronium_desktop.engine.calendar_days import calendars_in
from cronium_desktop.engine.clock import from_store, to_store
from cronium_desktop.engine.context import EngineContext, in_thread
from cronium_desktop.engine.errors import ValidationError
from cronium_desktop.engine.scheduling.calendar_schedules import uses_calendar_fields
from cronium_desktop.engine.scheduling.schedules import build_trigger, local_zone_name, zone
from cronium_desktop.engine.store.models import Event, Execution, Workflow, WorkflowExecution

MAX_TICKS_PER_LANE = 2000  # a 1-second schedule over a week is drawn as a dense band, not 604,800 ticks
CLOCK_SCAN_STEP = timedelta(hours=1)


@dataclass
class Lane:
    """One row of the timeline: an event or a workflow, and its coming fire times (aware, UTC)."""

    kind: str  # event, workflow
    id: int
    name: str
    zone: str
    ticks: list[datetime] = field(default_factory=list)
    truncated: bool = False  # more fires than MAX_TICKS_PER_LANE in the window
    # Its schedule's calendar (engine/calendars.py): the calendar days in the window, (start, end, name)
    # aware UTC in the lane's zone, and the ticks the calendar moved off such a day.
    calendar_days: list[tuple[datetime, datetime, str]] = field(default_factory=list)
    shifted: list[datetime] = field(default_factory=list)


@dataclass
class PastRun:
    kind: str  # event (an execution) or workflow (a workflow run)
    lane_id: int
    run_id: int
    status: str
    start: datetime  # aware UTC
    end: datetime | None  # None while it is still going


@dataclass
class ClockChange:
    at: datetime  # aware UTC: the instant the offset changes
    zone: str
    before: timedelta
    after: timedelta

    @property
    def label(self) -> str:
        shift = (self.after - self.before).total_seconds() / 3600
        kind = "summer time starts" if shift > 0 else "summer time ends"
        return f"{self.zone}: {kind} ({shift:+g} h)"


@dataclass
class TimelineWindow:
    start: datetime
    end: datetime
    now: datetime
    lanes: list[Lane]
    runs: list[PastRun]
    clock_changes: list[ClockChange]


ELAPSED_UNITS = {"SECONDS": 1, "MINUTES": 60, "HOURS": 3600}


def _elapsed_fires(step: float, anchor: datetime, start: datetime, end: datetime, end_time: datetime | None,
                   limit: int) -> tuple[list[datetime], bool]:
    """Every `step` seconds from `anchor` (elapsed time, as the scheduler's IntervalTrigger): plain arithmetic."""
    skipped = max(0, math.ceil((start - anchor).total_seconds() / step))
    result: list[datetime] = []
    fire = anchor + timedelta(seconds=skipped * step)
    while fire < end and (end_time is None or fire <= end_time):
        if len(result) >= limit:
            return result, True
        result.append(fire.astimezone(UTC))
        fire += timedelta(seconds=step)
    return result, False


def fire_times(
    schedule: dict[str, Any], zone_name: str | None, start: datetime, end: datetime, *,
    anchor: datetime | None = None, start_time: datetime | None = None, end_time: datetime | None = None,
    limit: int = MAX_TICKS_PER_LANE, calendars: Any = None,
) -> tuple[list[datetime], bool]:
    """Fire times in [start, end) (aware UTC) and whether there were more than `limit`."""
    origin = anchor or start_time
    if "every" in schedule and schedule.get("unit") in ELAPSED_UNITS and origin is not None:
        step = float(schedule["every"]) * ELAPSED_UNITS[schedule["unit"]]
        return _elapsed_fires(step, origin, max(start, start_time or start), end, end_time, limit)
    trigger = build_trigger(schedule, zone_name, anchor, start_time, end_time, calendars=calendars)
    now = start.astimezone(zone(zone_name))
    result: list[datetime] = []
    previous: datetime | None = None
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire >= end:
            return result, False
        if len(result) >= limit:
            return result, True
        result.append(fire.astimezone(UTC))
        previous, now = fire, fire + timedelta(microseconds=1)


def clock_changes(zone_name: str, start: datetime, end: datetime) -> list[ClockChange]:
    """The instants in [start, end) where the zone's UTC offset changes, to the second."""
    tz = zone(zone_name)
    changes: list[ClockChange] = []
    moment = start
    offset = moment.astimezone(tz).utcoffset()
    while moment < end:
        following = min(moment + CLOCK_SCAN_STEP, end)
        next_offset = following.astimezone(tz).utcoffset()
        if next_offset != offset:
            low, high = moment, following  # offset(low) == offset, offset(high) == next_offset
            while (high - low) > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            at = high.replace(microsecond=0)
            assert offset is not None and next_offset is not None
            changes.append(ClockChange(at, zone_name, offset, next_offset))
            offset = next_offset
        moment = following
    return changes


class Expander:
    """Fire times over one window, a cron schedule expanded once per zone however many events share it
    (2,000 events are mostly a few dozen distinct schedules)."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self._cron: dict[tuple[str, str | None], tuple[list[datetime], bool]] = {}

    def fires(self, schedule: dict[str, Any], zone_name: str | None, *, anchor: datetime | None = None,
              start_time: datetime | None = None, end_time: datetime | None = None,
              calendars: Any = None) -> tuple[list[datetime], bool]:
        if self.start >= self.end:
            return [], False
        if uses_calendar_fields(schedule):  # its own expansion: the calendar moves or drops fires
            return fire_times(schedule, zone_name, self.start, self.end, anchor=anchor, start_time=start_time,
                              end_time=end_time, calendars=calendars)
        if "cron" not in schedule:
            return fire_times(schedule, zone_name, self.start, self.end, anchor=anchor, start_time=start_time,
                              end_time=end_time)
        key = (schedule["cron"], zone_name)
        if key not in self._cron:
            self._cron[key] = fire_times(schedule, zone_name, self.start, self.end)
        ticks, truncated = self._cron[key]
        if start_time is None and end_time is None:
            return list(ticks), truncated
        return [t for t in ticks if (start_time is None or t >= start_time) and (end_time is None or t <= end_time)], truncated


def _mark_calendar(lane: Lane, schedule: dict[str, Any], expander: Expander, calendars: Any, start: datetime,
                   end: datetime, **times: Any) -> None:
    """The lane's calendar days in [start, end) and which of its ticks the calendar moved (a NEXT/
    PREVIOUS_BUSINESS_DAY policy: ticks the plain schedule would not have)."""
    if not schedule.get("calendar"):
        return
    days = calendars(schedule["calendar"])
    local = zone(lane.zone or None)
    day, last = start.astimezone(local).date(), end.astimezone(local).date()
    while day <= last:
        if day in days:
            begins = datetime.combine(day, time.min, local)
            lane.calendar_days.append((begins.astimezone(UTC), (begins + timedelta(days=1)).astimezone(UTC),
                                       days.name_of(day) or "calendar day"))
        day += timedelta(days=1)
    if schedule.get("on_calendar_day") in ("NEXT_BUSINESS_DAY", "PREVIOUS_BUSINESS_DAY") and "business_day" not in schedule:
        plain = {key: value for key, value in schedule.items() if key not in ("calendar", "on_calendar_day")}
        usual = set(expander.fires(plain, lane.zone or None, **times)[0])
        lane.shifted = [tick for tick in lane.ticks if tick not in usual]


class TimelineService:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    @in_thread
    def window(self, start: datetime, end: datetime, now: datetime | None = None) -> TimelineWindow:
        """Lanes of active schedules (ticks from `now` on) and of anything that ran in [start, end)."""
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise ValidationError("window", "needs an aware start before an aware end.")
        now = now or datetime.now(UTC)
        ticks_from = max(start, now)
        lanes: dict[tuple[str, int], Lane] = {}
        zones: set[str] = set()
        expander = Expander(ticks_from, end)
        naive_start, naive_end = to_store(start), to_store(end)
        with self._ctx.db.read() as session:
            calendars = calendars_in(session)
            for event in session.scalars(select(Event).where(Event.status == "ACTIVE", Event.trigger == "SCHEDULE")):
                lane = lanes[("event", event.id)] = Lane("event", event.id, event.name, event.timezone or local_zone_name())
                zones.add(lane.zone)
                if event.schedule:
                    begin = from_store(event.start_time)
                    try:
                        lane.ticks, lane.truncated = expander.fires(
                            event.schedule, event.timezone, anchor=begin or from_store(event.activated_at),
                            start_time=begin, end_time=from_store(event.end_time), calendars=calendars)
                        _mark_calendar(lane, event.schedule, expander, calendars, start, end,
                                       anchor=begin or from_store(event.activated_at), start_time=begin,
                                       end_time=from_store(event.end_time))
                    except ValidationError:
                        pass  # a schedule the scheduler would refuse too: an empty lane
            for workflow in session.scalars(select(Workflow).where(Workflow.status == "ACTIVE",
                                                                   Workflow.trigger == "SCHEDULE")):
                lane = lanes[("workflow", workflow.id)] = Lane("workflow", workflow.id, workflow.name,
                                                               workflow.timezone or local_zone_name())
                zones.add(lane.zone)
                if workflow.schedule:
                    try:
                        lane.ticks, lane.truncated = expander.fires(workflow.schedule, workflow.timezone,
                                                                    anchor=from_store(workflow.last_fire_at),
                                                                    calendars=calendars)
                        _mark_calendar(lane, workflow.schedule, expander, calendars, start, end,
                                       anchor=from_store(workflow.last_fire_at))
                    except ValidationError:
                        pass
            runs: list[PastRun] = []
            in_window = (Execution.started_at < naive_end) & or_(Execution.finished_at.is_(None),
                                                                Execution.finished_at >= naive_start)
            for row in session.execute(
                select(Execution.id, Execution.event_id, Execution.event_name, Execution.status, Execution.started_at,
                       Execution.finished_at).where(in_window, Execution.event_id.is_not(None), Execution.trigger != "DRAFT")
            ):
                lanes.setdefault(("event", row.event_id), Lane("event", row.event_id, row.event_name, ""))
                runs.append(PastRun("event", row.event_id, row.id, row.status, from_store(row.started_at) or start,
                                    from_store(row.finished_at)))
            flows = (WorkflowExecution.started_at < naive_end) & or_(WorkflowExecution.finished_at.is_(None),
                                                                    WorkflowExecution.finished_at >= naive_start)
            for flow in session.execute(
                select(WorkflowExecution.id, WorkflowExecution.workflow_id, WorkflowExecution.workflow_name,
                       WorkflowExecution.status, WorkflowExecution.started_at, WorkflowExecution.finished_at)
                .where(flows, WorkflowExecution.workflow_id.is_not(None))
            ):
                lanes.setdefault(("workflow", flow.workflow_id), Lane("workflow", flow.workflow_id, flow.workflow_name, ""))
                runs.append(PastRun("workflow", flow.workflow_id, flow.id, flow.status,
                                    from_store(flow.started_at) or start, from_store(flow.finished_at)))
        changes = [change for name in sorted(zones) for change in clock_changes(name, start, end)]
        ordered = sorted(lanes.values(), key=lambda lane: (lane.name.lower(), lane.kind))
        return TimelineWindow(start, end, now, builtins.list(ordered), runs, sorted(changes, key=lambda c: c.at))
