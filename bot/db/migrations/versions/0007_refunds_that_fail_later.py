"""refunds that fail later: a refund's status in the mirror

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every refund the mirror held so far had gone through: the default says so.
    with op.batch_alter_table('refunds') as batch:
        batch.add_column(sa.Column('status', sa.String(length=20), nullable=False, server_default='succeeded'))


def downgrade() -> None:
    with op.batch_alter_table('refunds') as batch:
        batch.drop_column('status')
