"""SQLAlchemy typed mappings for everything Cronium Desktop stores (SPEC §1–8).

Secret values never live in these tables in clear: they sit in `secrets`, encrypted by
`engine.secrets`, keyed by an *owner* string such as ``event:12:env:TOKEN``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cronium_desktop.engine.clock import utcnow as _utcnow  # every stamp: naive UTC


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# All datetimes are stored naive in UTC.


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    type: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="DRAFT")
    trigger: Mapped[str] = mapped_column(String(10), default="MANUAL")
    # {"cron": "..."} or {"every": N, "unit": "MINUTES"} or None
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    start_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    end_time: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    max_executions: Mapped[int] = mapped_column(Integer, default=0)
    execution_count: Mapped[int] = mapped_column(Integer, default=0)
    reset_counter_on_activate: Mapped[bool] = mapped_column(Boolean, default=True)
    run_location: Mapped[str] = mapped_column(String(10), default="LOCAL")
    timeout_seconds: Mapped[float] = mapped_column(Float, default=3600)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    retry_backoff_seconds: Mapped[float] = mapped_column(Float, default=5)
    overlap: Mapped[str] = mapped_column(String(10), default="SKIP")
    misfire: Mapped[str] = mapped_column(String(10), default="RUN_ONCE")
    priority: Mapped[str] = mapped_column(String(10), default="NORMAL")
    # Non-secret env values; secret ones are named in secret_env and stored in `secrets`.
    env: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secret_env: Mapped[list[Any]] = mapped_column(JSON, default=list)
    http: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tool_action: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    container: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Triggers beyond schedules (engine/triggers/spec.py): file triggers, login, conditions, misfire cap.
    triggers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Due time of the last scheduled fire the scheduler handled (misfire detection across restarts).
    last_fire_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Run metrics: optional limits of a local run (POSIX; applied with ulimit in the run's wrapper).
    limit_memory_mb: Mapped[int | None] = mapped_column(Integer, nullable=True)
    limit_cpu_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Event webhooks: a POST to the local listener with this token runs the event (None = no webhook).
    webhook_token: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True, index=True)

    servers: Mapped[list[EventServer]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventServer.position"
    )
    actions: Mapped[list[ConditionalAction]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="ConditionalAction.position",
        foreign_keys="ConditionalAction.event_id",
    )


class EventServer(Base):
    __tablename__ = "event_servers"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    server_id: Mapped[int] = mapped_column(ForeignKey("servers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="servers")
    server: Mapped[Server] = relationship()


class ConditionalAction(Base):
    __tablename__ = "conditional_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    on: Mapped[str] = mapped_column(String(20))  # ON_SUCCESS, ON_FAILURE, ALWAYS, ON_CONDITION
    action: Mapped[str] = mapped_column(String(20))  # RUN_EVENT, SEND_MESSAGE, SET_VARIABLE
    target_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), nullable=True
    )
    tool_id: Mapped[int | None] = mapped_column(ForeignKey("tools.id", ondelete="SET NULL"), nullable=True)
    # SEND_MESSAGE: the templates; SET_VARIABLE: the variable's key (subject) and value template (body).
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship(back_populates="actions", foreign_keys=[event_id])
    target_event: Mapped[Event | None] = relationship(foreign_keys=[target_event_id])
    tool: Mapped[Tool | None] = relationship()


class Execution(Base):
    """One run of an event. Retries are further attempts of the same execution."""

    __tablename__ = "executions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    event_name: Mapped[str] = mapped_column(String(200))  # kept when the event is deleted
    trigger: Mapped[str] = mapped_column(String(20))  # MANUAL SCHEDULE WORKFLOW ACTION WEBHOOK CLI
    status: Mapped[str] = mapped_column(String(10), default="PENDING", index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 0 LOW .. 3 CRITICAL
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    input: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    condition: Mapped[bool] = mapped_column(Boolean, default=False)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A retry waiting for its backoff: not claimable before this time.
    not_before: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    workflow_execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    workflow_node_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    parent_execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL"), nullable=True
    )
    chain_depth: Mapped[int] = mapped_column(Integer, default=0)
    # A SKIPPED run stands for a burst of skipped fires: how many, and when the last one was.
    skipped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Version history: the number of the event's definition version this run ran (None: before history).
    event_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="execution", cascade="all, delete-orphan", order_by="Attempt.number"
    )
    server_results: Mapped[list[ServerResult]] = relationship(
        back_populates="execution", cascade="all, delete-orphan"
    )

    def end(self, status: str, error: str | None, at: datetime) -> None:
        """Give the run its final state at `at`, with its duration if it had started."""
        self.status, self.error, self.finished_at = status, error, at
        if self.started_at is not None:
            self.duration_ms = int((at - self.started_at).total_seconds() * 1000)


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    execution: Mapped[Execution] = relationship(back_populates="attempts")
    __table_args__ = (UniqueConstraint("execution_id", "number"),)


class RunMetric(Base):
    """Run metrics: what one attempt cost (CPU, peak memory, I/O), what ended it, and its phases.

    A figure the run's location could not tell is NULL, never a guess (see `engine.metrics`)."""

    __tablename__ = "run_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # for per-event trends
    cpu_user_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    cpu_system_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_rss_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    read_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    write_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signal: Mapped[str | None] = mapped_column(String(20), nullable=True)
    limit_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Phases: queued (created, or a retry's backoff end → started) → first output → finished → actions done
    queued_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    first_output_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    actions_done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("execution_id", "attempt"),
        Index("ix_run_metrics_event", "event_id", "finished_at"),
    )


class ServerResult(Base):
    """One server's part of a (multi-)server run."""

    __tablename__ = "server_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    server_id: Mapped[int | None] = mapped_column(ForeignKey("servers.id", ondelete="SET NULL"), nullable=True)
    server_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    output: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    execution: Mapped[Execution] = relationship(back_populates="server_results")


class LogBlock(Base):
    """Many log lines of one execution attempt in one row (see `engine.logstore` for the layout)."""

    __tablename__ = "log_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    first_line: Mapped[int] = mapped_column(Integer)  # the number of its first line in the execution's log, from 1
    line_count: Mapped[int] = mapped_column(Integer)
    codec: Mapped[int] = mapped_column(Integer, default=0)  # 0 raw, 1 zstd
    # How far the run's spool files had been read once these lines were in: a re-attached run reads on from there.
    spool_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spool_err: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_log_blocks_execution", "execution_id", "first_line"),)


class Variable(Base):
    __tablename__ = "variables"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)  # None when secret
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)


class Secret(Base):
    """An encrypted value: AES-256-GCM, own nonce, key version, owner bound as associated data."""

    __tablename__ = "secrets"

    owner: Mapped[str] = mapped_column(String(300), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)


class Server(Base):
    __tablename__ = "servers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=22)
    username: Mapped[str] = mapped_column(String(100))
    auth_method: Mapped[str] = mapped_column(String(10))  # KEY, PASSWORD, AGENT
    key_path: Mapped[str | None] = mapped_column(Text, nullable=True)  # key file; pasted keys are secrets
    status: Mapped[str] = mapped_column(String(10), default="UNKNOWN")  # ONLINE, OFFLINE, UNKNOWN
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class Tool(Base):
    """A tool credential (Slack, Discord, Teams, webhook, email); its config is a secret."""

    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)


class Workflow(Base):
    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="ACTIVE")
    trigger: Mapped[str] = mapped_column(String(10), default="MANUAL")  # MANUAL, SCHEDULE, WEBHOOK
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    overlap: Mapped[str] = mapped_column(String(10), default="SKIP")
    misfire: Mapped[str] = mapped_column(String(10), default="RUN_ONCE")
    webhook_token: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    # Triggers beyond schedules (engine/triggers/spec.py): file triggers, login, conditions, misfire cap.
    triggers: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    last_fire_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)

    nodes: Mapped[list[WorkflowNode]] = relationship(
        back_populates="workflow", cascade="all, delete-orphan", order_by="WorkflowNode.position",
        foreign_keys="WorkflowNode.workflow_id",
    )
    edges: Mapped[list[WorkflowEdge]] = relationship(
        back_populates="workflow", cascade="all, delete-orphan", order_by="WorkflowEdge.id"
    )


class WorkflowNode(Base):
    __tablename__ = "workflow_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))  # the node id of the file format, e.g. "n1"
    # An EVENT node names its event; a WORKFLOW node (sub-workflows) names its child workflow instead.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="RESTRICT"), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    x: Mapped[float] = mapped_column(Float, default=0)
    y: Mapped[float] = mapped_column(Float, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Sub-workflows: the workflow a WORKFLOW node runs.
    child_workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="RESTRICT", name="fk_workflow_nodes_child_workflow"), nullable=True
    )

    workflow: Mapped[Workflow] = relationship(back_populates="nodes", foreign_keys=[workflow_id])
    event: Mapped[Event | None] = relationship()
    child_workflow: Mapped[Workflow | None] = relationship(foreign_keys=[child_workflow_id])
    __table_args__ = (UniqueConstraint("workflow_id", "key"),)


class WorkflowEdge(Base):
    __tablename__ = "workflow_edges"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    from_key: Mapped[str] = mapped_column(String(100))
    to_key: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))  # ALWAYS, ON_SUCCESS, ON_FAILURE, ON_CONDITION

    workflow: Mapped[Workflow] = relationship(back_populates="edges")


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL"), nullable=True, index=True
    )
    workflow_name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    input: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Sub-workflows: the parent run (and its WORKFLOW node) that started this run, if any.
    parent_workflow_execution_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    parent_node_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Version history: the number of the workflow's definition version this run ran.
    workflow_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    node_runs: Mapped[list[WorkflowNodeRun]] = relationship(
        back_populates="workflow_execution", cascade="all, delete-orphan"
    )


class WorkflowNodeRun(Base):
    """A node's state within one workflow execution (SKIPPED nodes have no execution)."""

    __tablename__ = "workflow_node_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_execution_id: Mapped[int] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="CASCADE"), index=True
    )
    node_key: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="PENDING")
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("executions.id", ondelete="SET NULL"), nullable=True
    )

    workflow_execution: Mapped[WorkflowExecution] = relationship(back_populates="node_runs")
    __table_args__ = (UniqueConstraint("workflow_execution_id", "node_key"),)


class Calendar(Base):
    """Calendars: named days schedules treat apart (public holidays of a country, explicit dates and ranges)."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200, collation="NOCASE"), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ISO code for the `holidays` package
    subdivision: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # [{"start": "2027-12-24", "end": "2028-01-01", "name": "Year-end break"}], dates inclusive
    entries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, onupdate=_utcnow)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


# -- History at scale (migration 0007_history): run lists by event and by state newest first, the
# dashboard's per-day counts from the index alone, workflow runs by age, and the foreign keys SQLite
# checks on every deleted run (retention).
Index("ix_executions_event_id_id", Execution.event_id, Execution.id)
Index("ix_executions_status_id", Execution.status, Execution.id)
Index("ix_executions_created_status", Execution.created_at, Execution.status)
Index("ix_executions_parent", Execution.parent_execution_id)
Index("ix_workflow_node_runs_execution", WorkflowNodeRun.execution_id)
Index("ix_workflow_executions_created", WorkflowExecution.created_at)


# -- Version history and run alerts (insight) ----------------------------------------------------------


class DefinitionVersion(Base):
    """One saved definition of an event or a workflow; the newest is the current one."""

    __tablename__ = "definition_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "event" or "workflow"
    # No foreign key: the history outlives a deleted event, and runs keep pointing at it.
    object_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… per object
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")  # what changed, in one line
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # as `EventService.to_dict`, secrets empty

    __table_args__ = (UniqueConstraint("kind", "object_id", "number"),)


class AlertRule(Base):
    """An event's own late/slow alert settings; a None field takes the global default (setting `alerts`)."""

    __tablename__ = "alert_rules"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    late_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0 = off
    slow_factor: Mapped[float | None] = mapped_column(Float, nullable=True)  # K × median; 0 = off
    slow_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # fixed limit; 0 = off
    tool: Mapped[str | None] = mapped_column(String(200), nullable=True)  # tool credential name; "" = none


class RunAlert(Base):
    """An alert raised for a run: at most one of each kind per run."""

    __tablename__ = "run_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), nullable=True)
    event_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # LATE, SLOW
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    delivery_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # the tool's, if it failed

    __table_args__ = (UniqueConstraint("execution_id", "kind"),)
