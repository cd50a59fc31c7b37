"""one-time codes remember the network address that asked for them

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
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
