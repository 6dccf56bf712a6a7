"""Version history of events and workflows, the version each run ran, late/slow run alerts

Revision ID: 0009_insight
Revises: 0008_event_webhooks
Create Date: 2026-12-02 02:30:00

Additive only: three new tables and two nullable columns. Runs recorded before this revision
point at no version (NULL); an event's history starts with its first save after it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_insight'
down_revision = '0008_event_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('definition_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'object_id', 'number')
    )
    op.create_table('alert_rules',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('late_seconds', sa.Float(), nullable=True),
    sa.Column('slow_factor', sa.Float(), nullable=True),
    sa.Column('slow_seconds', sa.Float(), nullable=True),
    sa.Column('tool', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_table('run_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('event_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivery_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('execution_id', 'kind')
    )
    op.create_index('ix_run_alerts_created_at', 'run_alerts', ['created_at'], unique=False)
    # Plain ADD COLUMN (SQLite does it in place): a store with millions of runs is not copied.
    op.add_column('executions', sa.Column('event_version', sa.Integer(), nullable=True))
    op.add_column('workflow_executions', sa.Column('workflow_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workflow_executions') as batch_op:
        batch_op.drop_column('workflow_version')
    with op.batch_alter_table('executions') as batch_op:
        batch_op.drop_column('event_version')
    op.drop_index('ix_run_alerts_created_at', table_name='run_alerts')
    op.drop_table('run_alerts')
    op.drop_table('alert_rules')
    op.drop_table('definition_versions')
