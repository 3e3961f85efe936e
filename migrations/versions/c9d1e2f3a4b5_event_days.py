"""event days: a fair of one or more days, each with its opening hours; a visitor's arrival per day

Revision ID: c9d1e2f3a4b5
Revises: c4a7e1f09b23
Create Date: 2026-12-03 14:40:00

Every existing event gets one day (its start to its end, on the local date it starts); every
visitor already checked in gets an arrival on the local date of their check-in.
"""
from datetime import UTC
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'c9d1e2f3a4b5'
down_revision = 'c4a7e1f09b23'
branch_labels = None
depends_on = None


def upgrade():
    event_day = op.create_table('event_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('opens_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('closes_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_day_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_day')),
    sa.UniqueConstraint('event_id', 'date', name=op.f('uq_event_day_event_id_date'))
    )
    with op.batch_alter_table('event_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_day_event_id'), ['event_id'], unique=False)
    arrival = op.create_table('arrival',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('arrived_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('door', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_arrival_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_arrival_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrival')),
    sa.UniqueConstraint('registration_id', 'day', name=op.f('uq_arrival_registration_id_day'))
    )
    with op.batch_alter_table('arrival', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrival_event_id'), ['event_id'], unique=False)

    bind = op.get_bind()
    utc = bazaar.db_types.UTCDateTime()
    events = sa.table('event', sa.column('id'), sa.column('starts_at', utc), sa.column('ends_at', utc),
                      sa.column('timezone'))
    zones = {}
    days = []
    for event_id, starts_at, ends_at, tz in bind.execute(sa.select(events)).all():
        zones[event_id] = ZoneInfo(tz)
        days.append({'event_id': event_id, 'date': starts_at.astimezone(zones[event_id]).date(),
                     'opens_at': starts_at, 'closes_at': ends_at, 'note': ''})
    if days:
        op.bulk_insert(event_day, days)
    registrations = sa.table('registration', sa.column('id'), sa.column('event_id'),
                             sa.column('checked_in_at', utc))
    scans = sa.table('door_scan', sa.column('id'), sa.column('registration_id'), sa.column('door'),
                     sa.column('result'))
    first_door = (
        sa.select(scans.c.door)
        .where(scans.c.registration_id == registrations.c.id, scans.c.result == 'checked_in')
        .order_by(scans.c.id).limit(1).scalar_subquery()
    )
    arrivals = [
        {'event_id': event_id, 'registration_id': reg_id, 'day': at.astimezone(zones.get(event_id, UTC)).date(),
         'arrived_at': at, 'door': door}
        for reg_id, event_id, at, door in bind.execute(
            sa.select(registrations.c.id, registrations.c.event_id, registrations.c.checked_in_at, first_door)
            .where(registrations.c.checked_in_at.is_not(None))
        ).all()
    ]
    if arrivals:
        op.bulk_insert(arrival, arrivals)


def downgrade():
    with op.batch_alter_table('arrival', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrival_event_id'))
    op.drop_table('arrival')
    with op.batch_alter_table('event_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_day_event_id'))
    op.drop_table('event_day')
