"""A SKIPPED run counts the burst of skipped fires it stands for

Revision ID: 0002_hardening
Revises: 0001
Create Date: 2026-12-01 23:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_hardening'
down_revision = '0002_output_blocks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite does it in place): a store with millions of runs is not copied.
    op.add_column('executions', sa.Column('skipped_count', sa.Integer(), server_default='0', nullable=False))
    op.add_column('executions', sa.Column('skipped_until', sa.DateTime(), nullable=True))
    # Skipped runs recorded one per fire before this revision: each is a burst of one.
    op.execute("UPDATE executions SET skipped_count = 1, skipped_until = finished_at WHERE status = 'SKIPPED'")


def downgrade() -> None:
    with op.batch_alter_table('executions') as batch_op:
        batch_op.drop_column('skipped_until')
        batch_op.drop_column('skipped_count')
