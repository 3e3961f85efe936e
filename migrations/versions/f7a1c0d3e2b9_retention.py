"""retention: a retention period per event, and each account's last login

Revision ID: f7a1c0d3e2b9
Revises: d1a2b3c4d5e6
Create Date: 2026-12-02 16:10:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'f7a1c0d3e2b9'
down_revision = 'd1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_login_at', bazaar.db_types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
