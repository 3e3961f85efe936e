"""site operator flag on users

Revision ID: c3f1a7d2e9b0
Revises: e21f0a6b7c8d
Create Date: 2026-12-02 13:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3f1a7d2e9b0'
down_revision = 'e21f0a6b7c8d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_site_operator', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_site_operator')
