"""offers the customer answers, and one-time codes bound to their channel and client

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import bot.db.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.String(length=100), nullable=True),
    sa.Column('from_plan', sa.String(length=100), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('made_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    op.create_index(op.f('ix_offers_conversation_id'), 'offers', ['conversation_id'], unique=False)
    with op.batch_alter_table('verification_codes') as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('client_key_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('verification_codes') as batch_op:
        batch_op.drop_column('client_key_hash')
        batch_op.drop_column('channel')
    op.drop_index(op.f('ix_offers_conversation_id'), table_name='offers')
    op.drop_table('offers')
