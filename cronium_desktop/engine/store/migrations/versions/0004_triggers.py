"""Triggers beyond schedules: file changes, login, conditions and the misfire cap (SPEC §1, §5).

Revision ID: 0004_triggers
Revises: 0002_hardening

One nullable JSON column on events and on workflows holds them (NULL: none, as every row before).
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_triggers'
down_revision = '0002_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('events', sa.Column('triggers', sa.JSON(), nullable=True))
    op.add_column('workflows', sa.Column('triggers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workflows') as batch_op:
        batch_op.drop_column('triggers')
    with op.batch_alter_table('events') as batch_op:
        batch_op.drop_column('triggers')
