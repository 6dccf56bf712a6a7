"""When a zone's clocks go back: the instants and how far, for cron's repeated-hour rule.

zoneinfo does not list a zone's transitions, so they are found from its UTC offsets: sampled every
few hours (no zone changes its clocks twice within that), then narrowed to the second.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

_SAMPLE = timedelta(hours=6)
_PRECISION = timedelta(seconds=1)


def _offset(moment: datetime, timezone: tzinfo) -> timedelta:
    return moment.astimezone(timezone).utcoffset() or timedelta(0)


def fall_backs(timezone: tzinfo, start: datetime, end: datetime) -> Iterator[tuple[datetime, timedelta]]:
    """Each moment in (start, end] at which `timezone`'s clocks go back, with the hour (or so) repeated.

    The moment is the first instant of the second pass (aware, UTC); the wall-clock times from
    `moment` on for `repeated` occur a second time.
    """
    here = start.astimezone(UTC)
    end = end.astimezone(UTC)
    offset = _offset(here, timezone)
    while here < end:
        there = min(here + _SAMPLE, end)
        later = _offset(there, timezone)
        if later < offset:
            low, high = here, there  # offset(low) is the old one, offset(high) the new one
            while high - low > _PRECISION:
                middle = low + (high - low) / 2
                if _offset(middle, timezone) == later:
                    high = middle
                else:
                    low = middle
            yield high.replace(microsecond=0), offset - later
        here, offset = there, later
