"""Events can have a webhook trigger: a token for the local webhook listener

Revision ID: 0008_event_webhooks
Revises: 0007_history
Create Date: 2026-12-02 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_event_webhooks'
down_revision = '0007_history'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column is added in place; the unique index keeps one event per token.
    op.add_column('events', sa.Column('webhook_token', sa.String(length=100), nullable=True))
    op.create_index('ix_events_webhook_token', 'events', ['webhook_token'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_events_webhook_token', table_name='events')
    with op.batch_alter_table('events') as batch_op:
        batch_op.drop_column('webhook_token')
