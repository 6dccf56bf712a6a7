"""output in blocks: log_lines (one row per line) becomes log_blocks (many lines per row, compressed)

Revision ID: 0002_output_blocks
Revises: 0001

Every line of the old table is kept with its stream, server, attempt and exact time (each old line
becomes a one-line segment: lines written one by one had times of their own), in the same order.
"""
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = '0002_output_blocks'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from datetime import datetime

    from cronium_desktop.engine.runs import logstore
    from cronium_desktop.engine.notices import Segment

    op.create_table('log_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('first_line', sa.Integer(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('codec', sa.Integer(), nullable=False),
    sa.Column('spool_out', sa.Integer(), nullable=True),
    sa.Column('spool_err', sa.Integer(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_log_blocks_execution', 'log_blocks', ['execution_id', 'first_line'], unique=False)

    connection = op.get_bind()
    rows = connection.exec_driver_sql(
        "SELECT execution_id, attempt, server, ts, stream, text FROM log_lines ORDER BY execution_id, id"
    )
    for _execution_id, lines in groupby(rows, key=lambda row: row[0]):
        pending: list[Segment] = []
        size, attempt = 0, 1
        for execution_id, line_attempt, server, ts, stream, line in lines:
            if pending and (line_attempt != attempt or size >= logstore.BLOCK_BYTES):  # one attempt per block
                logstore.write_block(connection, execution_id, attempt, pending)
                pending, size = [], 0
            attempt = line_attempt
            when = ts if isinstance(ts, datetime) else datetime.fromisoformat(ts)
            data = (line or "").encode("utf-8", errors="surrogatepass")
            pending.append(Segment(stream, when, data, 1, server))
            size += len(data)
        if pending:
            logstore.write_block(connection, execution_id, attempt, pending)
    op.drop_index('ix_log_lines_execution', table_name='log_lines')
    op.drop_table('log_lines')


def downgrade() -> None:
    from cronium_desktop.engine.runs import logstore

    op.create_table('log_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('server', sa.String(length=200), nullable=True),
    sa.Column('ts', sa.DateTime(), nullable=False),
    sa.Column('stream', sa.String(length=6), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['executions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_log_lines_execution', 'log_lines', ['execution_id', 'id'], unique=False)
    connection = op.get_bind()
    ids = [row[0] for row in connection.exec_driver_sql("SELECT DISTINCT execution_id FROM log_blocks ORDER BY execution_id")]
    for execution_id in ids:
        batch = [(execution_id, attempt, segment.server, segment.ts.isoformat(" ", "microseconds"), segment.stream, line)
                 for _, attempt, segment in logstore.iter_segments(connection, execution_id) for line in segment.texts]
        connection.exec_driver_sql(
            "INSERT INTO log_lines (execution_id, attempt, server, ts, stream, text) VALUES (?, ?, ?, ?, ?, ?)", batch
        )
    op.drop_index('ix_log_blocks_execution', table_name='log_blocks')
    op.drop_table('log_blocks')
