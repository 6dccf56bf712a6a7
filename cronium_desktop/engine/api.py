"""What the window and the CLI may import from the engine: the facade, its errors, the shared
names (states, triggers, event types, the event's fields), the clock rule and the data classes the
facade's methods return.

A client imports from here, not from the engine's modules, so the engine can move its code
without touching them: `from cronium_desktop.engine.api import Engine, UnknownHostKey, RunState`.
"""

from __future__ import annotations

from cronium_desktop.engine.alerts import AlertInfo, AlertRules, RunAlerted
from cronium_desktop.engine.calendars import CalendarSummary
from cronium_desktop.engine.clock import from_store, to_local, to_store, utcnow
from cronium_desktop.engine.docker_engine import DockerStatus, DockerUnavailable, PullFailed
from cronium_desktop.engine.engine import Engine
from cronium_desktop.engine.errors import Conflict, CroniumError, NotFound, ValidationError
from cronium_desktop.engine.event_fields import EVENT_FIELDS, FACADE_KEYS, FILE_KEYS, EventField, new_event
from cronium_desktop.engine.events import EventSummary
from cronium_desktop.engine.examples import Example
from cronium_desktop.engine.files import ImportReport
from cronium_desktop.engine.history import DashboardFigures
from cronium_desktop.engine.imports.service import ImportOutcome, ImportPlan, PlannedEvent
from cronium_desktop.engine.lock import FolderLocked
from cronium_desktop.engine.messages import TemplateError
from cronium_desktop.engine.metrics_store import HeavyEvent, MeasuredRun, Phases, TrendPoint
from cronium_desktop.engine.retention import PruneReport
from cronium_desktop.engine.runs.host import RunRefused
from cronium_desktop.engine.runs.service import AttemptInfo, RunDetail, RunSummary, ServerResultInfo
from cronium_desktop.engine.secrets import SecretsError, SecretsLocked, WrongPassphrase
from cronium_desktop.engine.servers import CheckResult, ServerInfo
from cronium_desktop.engine.ssh.errors import (
    AuthFailed,
    CircuitOpen,
    ConnectFailed,
    CredentialError,
    HostKeyChanged,
    HostKeyError,
    SshError,
    UnknownHostKey,
)
from cronium_desktop.engine.states import (
    ACTION_TRIGGERS,
    EVENT_TYPES,
    FAILED_STATES,
    FINAL_STATES,
    SCRIPT_TYPES,
    ActionTrigger,
    EventType,
    RunState,
    RunTrigger,
)
from cronium_desktop.engine.store.backups import BackupError
from cronium_desktop.engine.store.db import StoreDamaged
from cronium_desktop.engine.timeline import TimelineWindow
from cronium_desktop.engine.tools.base import ToolError
from cronium_desktop.engine.tools.service import ToolInfo
from cronium_desktop.engine.variables import VariableInfo
from cronium_desktop.engine.versions import DiffRow, FieldChange, VersionDiff, VersionInfo
from cronium_desktop.engine.workflows.definitions import WorkflowSummary
from cronium_desktop.engine.workflows.history import NodeRunRecord, WorkflowRunRecord
from cronium_desktop.engine.workflows.service import NodeResult, WorkflowResult

__all__ = [
    # the facade
    "Engine",
    # errors
    "AuthFailed", "BackupError", "CircuitOpen", "Conflict", "ConnectFailed", "CredentialError", "CroniumError",
    "DockerUnavailable", "FolderLocked", "HostKeyChanged", "HostKeyError", "NotFound", "PullFailed", "RunRefused",
    "SecretsError", "SecretsLocked", "SshError", "StoreDamaged", "TemplateError", "ToolError", "UnknownHostKey",
    "ValidationError", "WrongPassphrase",
    # shared names and the clock
    "ACTION_TRIGGERS", "EVENT_TYPES", "FAILED_STATES", "FINAL_STATES", "SCRIPT_TYPES", "ActionTrigger", "EventType",
    "RunState", "RunTrigger", "from_store", "to_local", "to_store", "utcnow",
    # an event's fields
    "EVENT_FIELDS", "FACADE_KEYS", "FILE_KEYS", "EventField", "new_event",
    # what the facade returns
    "AlertInfo", "AlertRules", "AttemptInfo", "CalendarSummary", "CheckResult", "DashboardFigures", "DiffRow",
    "DockerStatus", "EventSummary", "Example", "FieldChange", "HeavyEvent", "ImportOutcome", "ImportPlan",
    "ImportReport", "MeasuredRun", "NodeResult", "NodeRunRecord", "Phases", "PlannedEvent", "PruneReport",
    "RunAlerted", "RunDetail", "RunSummary", "ServerInfo", "ServerResultInfo", "TimelineWindow", "ToolInfo",
    "TrendPoint", "VariableInfo", "VersionDiff", "VersionInfo", "WorkflowResult", "WorkflowRunRecord",
    "WorkflowSummary",
]  # fmt: skip
