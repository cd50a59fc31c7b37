"""following Stripe: applied webhook events, sync cursors, per-row Stripe timestamps

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

import bot.db.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('created', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('received_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    op.create_table('stripe_sync_cursors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=40), nullable=False),
    sa.Column('after_id', sa.String(length=255), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('updated_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('stripe_updated_at', bot.db.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_updated_at', bot.db.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_updated_at', bot.db.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_column('stripe_updated_at')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('stripe_updated_at')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('stripe_updated_at')
        batch_op.drop_column('balance')
    op.drop_table('stripe_sync_cursors')
    op.drop_table('stripe_events')
