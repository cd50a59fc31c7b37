"""one-time codes remember the network address that asked for them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('verification_codes') as batch_op:
        batch_op.add_column(sa.Column('requested_from', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_verification_codes_email'), ['email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('verification_codes') as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_codes_email'))
        batch_op.drop_column('requested_from')
