"""The day an announcement to a day's visitors went to

Revision ID: d2e4f6a8b0c1
Revises: c0ac4e5f1a2b
Create Date: 2026-12-03 16:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d2e4f6a8b0c1"
down_revision = "c0ac4e5f1a2b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("announcement") as batch:
        batch.drop_column("day")
