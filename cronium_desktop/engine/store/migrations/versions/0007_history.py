"""Indexes for a year of history: run lists, dashboard figures and retention stay fast

Revision ID: 0007_history
Revises: 0006_compose
Create Date: 2026-12-02 02:30:00

Only new indexes (additive): runs of one event newest first and by state newest first (the Runs
view's filters, `logs`, the event list's last result, the per-event retention cap); the dashboard's
per-day counts read (created_at, status) from the index alone; workflow runs by age (retention);
and the two foreign keys SQLite checks on every deleted run, which had no index: without them a
prune of N runs read the whole executions table N times.
"""
from alembic import op


revision = '0007_history'
down_revision = '0006_compose'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_executions_event_id_id', 'executions', ['event_id', 'id']),
    ('ix_executions_status_id', 'executions', ['status', 'id']),
    ('ix_executions_created_status', 'executions', ['created_at', 'status']),
    ('ix_executions_parent', 'executions', ['parent_execution_id']),
    ('ix_workflow_node_runs_execution', 'workflow_node_runs', ['execution_id']),
    ('ix_workflow_executions_created', 'workflow_executions', ['created_at']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table, if_exists=True)
