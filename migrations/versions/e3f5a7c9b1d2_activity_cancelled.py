"""An activity after the fair can be called off: when, and the host's word to those taking part

Revision ID: e3f5a7c9b1d2
Revises: d2e4f6a8b0c1
Create Date: 2026-12-03 18:20:00

"""

import sqlalchemy as sa
from alembic import op

import bazaar.db_types

revision = "e3f5a7c9b1d2"
down_revision = "d2e4f6a8b0c1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity") as batch:
        batch.add_column(sa.Column("cancelled_at", bazaar.db_types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cancel_message", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("activity") as batch:
        batch.drop_column("cancel_message")
        batch.drop_column("cancelled_at")
