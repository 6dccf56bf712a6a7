"""Task Scheduler one-time triggers: a future one runs exactly once; a past one is listed, not imported."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree

from cronium_desktop.engine.imports.schtasks import NoExactSchedule, trigger_schedule
from cronium_desktop.engine.scheduling.schedules import next_runs
from cronium_desktop.engine.validation import parse_time

NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"


def time_trigger(boundary: str) -> object:
    return ElementTree.fromstring(f'<TimeTrigger xmlns="{NS}"><StartBoundary>{boundary}</StartBoundary></TimeTrigger>')


def test_a_future_one_time_trigger_runs_exactly_once_at_its_time() -> None:
    schedule, start, end = trigger_schedule(time_trigger("2031-05-01T10:00:00+00:00"))
    runs = next_runs(schedule, "UTC", 3, start_time=_aware(start), end_time=_aware(end))
    assert [r.isoformat() for r in runs] == ["2031-05-01T10:00:00+00:00"]


def test_a_one_time_trigger_in_the_past_has_nothing_to_schedule() -> None:
    with pytest.raises(NoExactSchedule, match="has passed"):
        trigger_schedule(time_trigger("2020-01-01T10:00:00"))


def _aware(text: str | None):  # type: ignore[no-untyped-def]
    from datetime import UTC

    moment = parse_time(text, "start_time", "UTC")
    return None if moment is None else moment.replace(tzinfo=UTC)
