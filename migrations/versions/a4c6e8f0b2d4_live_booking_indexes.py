"""The live bookings by exhibitor and by event, and the slots by event, so free-slot queries stay bounded by them

Revision ID: a4c6e8f0b2d4
Revises: e3f5a7c9b1d2
Create Date: 2026-12-04 13:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a4c6e8f0b2d4"
down_revision = "e3f5a7c9b1d2"
branch_labels = None
depends_on = None

LIVE = sa.text("status = 'confirmed'")


def upgrade():
    op.create_index("ix_slot_event_start", "slot", ["event_id", "starts_at"])
    op.create_index(
        "ix_booking_exhibitor_live", "booking", ["exhibitor_id", "slot_id"], postgresql_where=LIVE, sqlite_where=LIVE
    )
    op.create_index("ix_booking_event_live", "booking", ["event_id", "slot_id"], postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade():
    op.drop_index("ix_booking_event_live", "booking")
    op.drop_index("ix_booking_exhibitor_live", "booking")
    op.drop_index("ix_slot_event_start", "slot")
