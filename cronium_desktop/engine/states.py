"""The app's vocabulary in one place (SPEC §1, §2, §4): run states and their groups, what started
a run, event types and the other words an event's fields take.

The enums are `StrEnum`s whose values are the names the store, the files and SPEC use, so a member
is equal to its string (`RunState.SUCCESS == "SUCCESS"`) and is stored as that string. The groups
below are tuples of those plain strings, in the order forms list them.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """An execution's state (SPEC §2): PENDING → RUNNING → one of the final states."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    PARTIAL = "PARTIAL"  # multi-server: some servers succeeded, some did not
    SKIPPED = "SKIPPED"  # overlap SKIP while a run of the event was going


class RunTrigger(StrEnum):
    """What started a run, as its record keeps it."""

    MANUAL = "MANUAL"  # Run now
    SCHEDULE = "SCHEDULE"
    CLI = "CLI"
    WORKFLOW = "WORKFLOW"  # a node of a workflow run
    ACTION = "ACTION"  # a conditional action RUN_EVENT
    WEBHOOK = "WEBHOOK"
    FILE = "FILE"  # a file trigger
    LOGIN = "LOGIN"
    DRAFT = "DRAFT"  # the editor's unsaved text


class EventType(StrEnum):
    BASH = "BASH"
    PYTHON = "PYTHON"
    NODEJS = "NODEJS"
    HTTP_REQUEST = "HTTP_REQUEST"
    TOOL_ACTION = "TOOL_ACTION"


class ActionTrigger(StrEnum):
    """When a conditional action runs (SPEC §4)."""

    ON_SUCCESS = "ON_SUCCESS"
    ON_FAILURE = "ON_FAILURE"
    ALWAYS = "ALWAYS"
    ON_CONDITION = "ON_CONDITION"


def _values(*members: StrEnum) -> tuple[str, ...]:
    return tuple(member.value for member in members)


# -- run states ----------------------------------------------------------------------------------------

# A run in one of these has ended: nothing changes it any more.
FINAL_STATES = _values(RunState.SUCCESS, RunState.FAILURE, RunState.TIMEOUT, RunState.CANCELLED,
                       RunState.PARTIAL, RunState.SKIPPED)
# What ON_FAILURE means (SPEC §4), and what the tray and the alerts call a failure.
FAILED_STATES = _values(RunState.FAILURE, RunState.TIMEOUT, RunState.PARTIAL)

# -- triggers ------------------------------------------------------------------------------------------

# Runs that count toward an event's max runs (SPEC §1): not workflow nodes, actions, webhooks or drafts.
COUNTED_TRIGGERS = _values(RunTrigger.MANUAL, RunTrigger.SCHEDULE, RunTrigger.CLI)
# Runs the overlap policy SKIP never skips: the workflow (or the editor) decides what runs.
OVERLAP_EXEMPT_TRIGGERS = _values(RunTrigger.WORKFLOW, RunTrigger.DRAFT)
# An event's own trigger field, and a workflow's.
EVENT_TRIGGERS = _values(RunTrigger.MANUAL, RunTrigger.SCHEDULE)
WORKFLOW_TRIGGERS = _values(RunTrigger.MANUAL, RunTrigger.SCHEDULE, RunTrigger.WEBHOOK)

# -- events --------------------------------------------------------------------------------------------

EVENT_TYPES = tuple(kind.value for kind in EventType)
SCRIPT_TYPES = _values(EventType.BASH, EventType.PYTHON, EventType.NODEJS)
ACTION_TRIGGERS = tuple(on.value for on in ActionTrigger)
EVENT_STATUSES = ("ACTIVE", "PAUSED", "DRAFT", "ARCHIVED")
RUN_LOCATIONS = ("LOCAL", "CONTAINER", "REMOTE")
OVERLAPS = ("SKIP", "QUEUE", "ALLOW")
MISFIRES = ("RUN_ONCE", "RUN_ALL", "SKIP")
PRIORITIES = ("LOW", "NORMAL", "HIGH", "CRITICAL")  # lowest first
ACTION_TYPES = ("RUN_EVENT", "SEND_MESSAGE", "SET_VARIABLE")
