"""event privacy contact: whom the event's privacy notice names for questions about personal data

Revision ID: b3c4d5e6f7a8
Revises: da174f6316f1
Create Date: 2026-12-03 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3c4d5e6f7a8'
down_revision = 'da174f6316f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_contact', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('privacy_contact')
