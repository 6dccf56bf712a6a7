"""One typed description of an event's fields (SPEC §1, §8): their defaults, which of them a
`.cronium.json` file holds, and where an export writes them.

The facade's `to_dict`, the checks in `validation.py`, the importer and the exporter read their
keys from here, so a new field is added in one place. A form can use it too:
`EVENT_FIELDS` in the order the facade gives them, `new_event()` for a new event's values, and
`FACADE_KEYS` for what it may save.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from cronium_desktop.engine.triggers.spec import TRIGGER_KEYS

REQUIRED = object()  # the field has no default: an event must say it


@dataclass(frozen=True)
class EventField:
    name: str
    default: Any = None  # REQUIRED when an event must say it
    in_files: bool = True  # a key of `.cronium.json` files (SPEC §8)
    in_facade: bool = True  # given by `EventService.to_dict` and taken by create/update
    export_rank: int | None = None  # its place in an exported event (the SPEC's order); None: not written
    export_when_set: bool = False  # written only when not None: older files stay as they were

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


# In the order the facade gives them (`to_dict`); the version history lists changes in this order.
EVENT_FIELDS: tuple[EventField, ...] = (
    EventField("id", in_files=False),
    EventField("key", REQUIRED, in_facade=False, export_rank=1),  # names the event within its file
    EventField("name", REQUIRED, export_rank=2),
    EventField("description", "", export_rank=3),
    EventField("tags", [], export_rank=23),
    EventField("type", REQUIRED, export_rank=4),
    EventField("content", "", export_rank=5),
    EventField("status", "DRAFT", export_rank=6),
    EventField("trigger", "MANUAL", export_rank=7),
    EventField("schedule", None, export_rank=8),
    EventField("timezone", None, export_rank=9),
    EventField("start_time", None, export_rank=10),
    EventField("end_time", None, export_rank=11),
    EventField("max_executions", 0, export_rank=12),
    EventField("reset_counter_on_activate", True, in_files=False),
    EventField("run_location", "LOCAL", export_rank=13),
    EventField("servers", [], export_rank=14),
    EventField("timeout_seconds", 3600, export_rank=15),
    EventField("retries", 0, export_rank=16),
    EventField("retry_backoff_seconds", 5, export_rank=17),
    EventField("overlap", "SKIP", export_rank=18),
    EventField("misfire", "RUN_ONCE", export_rank=19),
    EventField("priority", "NORMAL", export_rank=20),
    EventField("env", {}, export_rank=21),
    EventField("secret_env", [], export_rank=22),
    EventField("http", None, export_rank=24),
    EventField("tool_action", None, export_rank=25),
    EventField("container", None, export_rank=26, export_when_set=True),
    # Run metrics: optional limits of a local run (POSIX), None = no limit.
    EventField("limit_memory_mb", None, in_files=False),
    EventField("limit_cpu_seconds", None, in_files=False),
    EventField("conditional_actions", [], export_rank=27),
)
FIELDS_BY_NAME = {field.name: field for field in EVENT_FIELDS}

# Keys of an event in a `.cronium.json` file; anything else is an error. The triggers beyond
# schedules (file triggers, login, conditions, misfire cap) are described in triggers/spec.py.
FILE_KEYS = frozenset(field.name for field in EVENT_FIELDS if field.in_files) | set(TRIGGER_KEYS)
# What the facade and the editor may say (a file's keys too: an imported event goes through it).
FACADE_KEYS = frozenset(field.name for field in EVENT_FIELDS if field.in_facade or field.in_files) | set(TRIGGER_KEYS)
# The facade's fields in `to_dict` order (the triggers' keys follow them).
FACADE_FIELDS = tuple(field for field in EVENT_FIELDS if field.in_facade)
# An exported event's keys, in the SPEC's order.
EXPORT_KEYS = tuple(field.name for field in sorted((f for f in EVENT_FIELDS if f.export_rank is not None),
                                                   key=lambda f: f.export_rank or 0))
EXPORTED_WHEN_SET = tuple(field.name for field in EVENT_FIELDS if field.export_when_set)
# What an event that does not say a field gets (the facade's fields that have a default).
DEFAULTS: dict[str, Any] = {field.name: field.default for field in FACADE_FIELDS
                            if field.name != "id" and not field.required}


def new_event() -> dict[str, Any]:
    """A new event's values, each its own copy (a form may change the lists in place)."""
    return copy.deepcopy(DEFAULTS)
