"""one open refund case per charge; console sign-in throttles and what a sign-in shows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import bot.db.models

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN_REFUND_CASE = "kind = 'refund' AND status IN ('open', 'claimed') AND charge_id IS NOT NULL"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode, which copies the table: dropping the old one would trip the
        # foreign keys of its case_events. ADD COLUMN ... REFERENCES needs no copy.
        op.execute("ALTER TABLE review_cases ADD COLUMN charge_id INTEGER REFERENCES charges (id)")
    else:
        op.add_column('review_cases', sa.Column('charge_id', sa.Integer(), nullable=True))
        op.create_foreign_key('review_cases_charge_id_fkey', 'review_cases', 'charges', ['charge_id'], ['id'])
    # Every refund case names its decision's charge; of two cases already open on one charge
    # only the oldest does, so the index can be built (the newer is still refused at
    # decision time, by its ledger key).
    op.execute("UPDATE review_cases SET charge_id = (SELECT decisions.charge_id FROM decisions "
               "WHERE decisions.id = review_cases.decision_id) "
               "WHERE kind = 'refund' AND decision_id IS NOT NULL")
    op.execute("UPDATE review_cases SET charge_id = NULL WHERE kind = 'refund' "
               "AND status IN ('open', 'claimed') AND EXISTS (SELECT 1 FROM review_cases AS older "
               "WHERE older.charge_id = review_cases.charge_id AND older.kind = 'refund' "
               "AND older.status IN ('open', 'claimed') AND older.id < review_cases.id)")
    op.create_index('uq_open_refund_case_per_charge', 'review_cases', ['charge_id'], unique=True,
                    sqlite_where=sa.text(OPEN_REFUND_CASE), postgresql_where=sa.text(OPEN_REFUND_CASE))
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('blocked_until', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unseen_failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_from', sa.String(length=64), nullable=True),
    sa.Column('last_failed_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject')
    )
    op.add_column('agent_sessions', sa.Column('failed_sign_ins', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('agent_sessions', sa.Column('last_failed_from', sa.String(length=64), nullable=True))
    op.add_column('agent_sessions', sa.Column('last_failed_at', bot.db.models.UTCDateTime(timezone=True),
                                              nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agent_sessions') as batch:
        batch.drop_column('last_failed_at')
        batch.drop_column('last_failed_from')
        batch.drop_column('failed_sign_ins')
    op.drop_table('sign_in_throttles')
    op.drop_index('uq_open_refund_case_per_charge', table_name='review_cases')
    with op.batch_alter_table('review_cases') as batch:
        batch.drop_column('charge_id')
