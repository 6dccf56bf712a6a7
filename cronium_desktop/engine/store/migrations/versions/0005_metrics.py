"""Run metrics: a run_metrics table (CPU, peak memory, I/O, signal, phases per attempt) and optional
local limits on events

Revision ID: 0005_metrics
Revises: 0004_triggers
Create Date: 2026-12-02 02:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_metrics'
down_revision = '0004_triggers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('run_metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('cpu_user_s', sa.Float(), nullable=True),
    sa.Column('cpu_system_s', sa.Float(), nullable=True),
    sa.Column('max_rss_bytes', sa.Integer(), nullable=True),
    sa.Column('read_bytes', sa.Integer(), nullable=True),
    sa.Column('write_bytes', sa.Integer(), nullable=True),
    sa.Column('signal', sa.String(length=20), nullable=True),
    sa.Column('limit_reason', sa.Text(), nullable=True),
    sa.Column('queued_s', sa.Float(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('first_output_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('actions_done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('execution_id', 'attempt')
    )
    op.create_index('ix_run_metrics_event', 'run_metrics', ['event_id', 'finished_at'], unique=False)
    # Plain ADD COLUMN (SQLite does it in place).
    op.add_column('events', sa.Column('limit_memory_mb', sa.Integer(), nullable=True))
    op.add_column('events', sa.Column('limit_cpu_seconds', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('events', 'limit_cpu_seconds')
    op.drop_column('events', 'limit_memory_mb')
    op.drop_index('ix_run_metrics_event', table_name='run_metrics')
    op.drop_table('run_metrics')
