"""Which missed fires run when the computer wakes or the app starts again (SPEC §1 misfire).

`RUN_ONCE`: one run for the latest missed fire; `RUN_ALL`: one run per missed fire, oldest first, up
to the item's `misfire_cap` (the rest are dropped and counted as handled); `SKIP`: none. The run's
log says why it ran: "Caught up after sleep" or "Caught up after the app was closed".
"""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.base import BaseTrigger

from cronium_desktop.engine.scheduling.schedules import missed_fires
from cronium_desktop.engine.triggers.records import CAUGHT_UP_AFTER_CLOSED, CAUGHT_UP_AFTER_SLEEP


def catch_up_times(trigger: BaseTrigger, misfire: str, cap: int, since: datetime | None, until: datetime,
                   latest: datetime) -> list[datetime]:
    """The due times to run now (aware), `latest` being the newest missed one."""
    if misfire == "SKIP":
        return []
    if misfire != "RUN_ALL" or since is None:
        return [latest]
    missed = missed_fires(trigger, since, until, limit=cap)
    return missed or [latest]


def catch_up_note(after_sleep: bool, misfire: str, runs: int, missed: str | None = None) -> str:
    """The system line that opens each catch-up run's log."""
    head = CAUGHT_UP_AFTER_SLEEP if after_sleep else CAUGHT_UP_AFTER_CLOSED
    what = f"missed {missed}" if missed else "missed its due time"
    return f"{head}: {what}; misfire {misfire} runs {runs} now."
