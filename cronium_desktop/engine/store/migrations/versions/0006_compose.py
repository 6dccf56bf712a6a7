"""Calendars, and workflows that run workflows

Revision ID: 0006_compose
Revises: 0005_metrics

- `calendars`: named sets of days (a country's public holidays and explicit dates or ranges) that
  schedules name in their spec ({"calendar": NAME, ...}); a new table.
- `workflow_nodes.child_workflow_id`: a WORKFLOW node runs that workflow instead of an event, so
  `event_id` becomes nullable (the table is copied once by SQLite's batch mode; nothing is dropped).
- `workflow_executions.parent_workflow_execution_id` / `parent_node_key`: a child run links to the
  parent run and node that started it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_compose'
down_revision = '0005_metrics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendars',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200, collation='NOCASE'), nullable=False),
        sa.Column('description', sa.Text(), nullable=False, server_default=''),
        sa.Column('country', sa.String(length=10), nullable=True),
        sa.Column('subdivision', sa.String(length=20), nullable=True),
        sa.Column('entries', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    with op.batch_alter_table('workflow_nodes') as batch_op:
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('child_workflow_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_workflow_nodes_child_workflow', 'workflows', ['child_workflow_id'], ['id'],
                                    ondelete='RESTRICT')
    # Plain ADD COLUMN for the run history: a store with many runs is not copied.
    op.add_column('workflow_executions', sa.Column('parent_workflow_execution_id', sa.Integer(), nullable=True))
    op.add_column('workflow_executions', sa.Column('parent_node_key', sa.String(length=100), nullable=True))
    op.create_index('ix_workflow_executions_parent', 'workflow_executions', ['parent_workflow_execution_id'])


def downgrade() -> None:
    op.drop_index('ix_workflow_executions_parent', table_name='workflow_executions')
    with op.batch_alter_table('workflow_executions') as batch_op:
        batch_op.drop_column('parent_node_key')
        batch_op.drop_column('parent_workflow_execution_id')
    with op.batch_alter_table('workflow_nodes') as batch_op:
        batch_op.drop_constraint('fk_workflow_nodes_child_workflow', type_='foreignkey')
        batch_op.drop_column('child_workflow_id')
        batch_op.alter_column('event_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('calendars')
