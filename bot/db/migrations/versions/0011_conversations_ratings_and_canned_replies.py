"""conversations and their presence, ratings, canned replies, customers waiting live

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import bot.db.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('title')
    )
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('widget', sa.Boolean(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('started_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('customer_messages', sa.Integer(), nullable=False),
    sa.Column('last_customer_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_told_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('widget_seen_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('widget_left_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', bot.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id')
    )
    op.create_index('ix_conversations_started_at', 'conversations', ['started_at'])
    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', bot.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['review_cases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'subject', name='uq_rating_subject')
    )
    op.create_index('ix_ratings_conversation_id', 'ratings', ['conversation_id'])
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_live_since', bot.db.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agent_typing_at', bot.db.models.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('review_cases', schema=None) as batch_op:
        batch_op.drop_column('agent_typing_at')
        batch_op.drop_column('waiting_live_since')

    op.drop_index('ix_ratings_conversation_id', table_name='ratings')
    op.drop_table('ratings')
    op.drop_index('ix_conversations_started_at', table_name='conversations')
    op.drop_table('conversations')
    op.drop_table('canned_replies')
