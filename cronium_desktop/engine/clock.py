"""The app's one rule for time: the store keeps naive UTC; people see their computer's zone.

Every module that stamps a record uses `utcnow()`; every reader that needs an aware time (the
scheduler, the Timeline, the CLI) goes through `from_store()`, and back through `to_store()`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    """Now, in UTC, without a zone: the form every time column of the store holds."""
    return datetime.now(UTC).replace(tzinfo=None)


@overload
def from_store(moment: datetime) -> datetime: ...
@overload
def from_store(moment: None) -> None: ...
def from_store(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as an aware UTC time; an aware time is kept as it is."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def to_store(moment: datetime) -> datetime:
    """An aware time as the store keeps it: UTC, without a zone."""
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def to_local(moment: datetime) -> datetime: ...
@overload
def to_local(moment: None) -> None: ...
def to_local(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) or aware time in this computer's zone, for people to read."""
    return None if moment is None else from_store(moment).astimezone()
