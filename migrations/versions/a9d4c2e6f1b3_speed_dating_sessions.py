"""speed-dating sessions: rounds of talk seats, and the interview booked from a talk

Revision ID: a9d4c2e6f1b3
Revises: c4a8e2f61b07
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'a9d4c2e6f1b3'
down_revision = 'c4a8e2f61b07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('speed_dating_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('exhibitor_id', sa.Integer(), nullable=True),
    sa.Column('area', sa.String(length=100), nullable=False),
    sa.Column('starts_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('round_minutes', sa.Integer(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_speed_dating_session_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exhibitor_id'], ['exhibitor.id'], name=op.f('fk_speed_dating_session_exhibitor_id_exhibitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_speed_dating_session_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speed_dating_session'))
    )
    with op.batch_alter_table('speed_dating_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_speed_dating_session_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_speed_dating_session_exhibitor_id'), ['exhibitor_id'], unique=False)

    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seat', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_slot_session_id_speed_dating_session'), 'speed_dating_session', ['session_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_slot_session_id'), ['session_id'], unique=False)
        batch_op.drop_index('uq_slot_table_start')
        batch_op.create_index('uq_slot_table_start', ['table_id', 'starts_at', 'seat'], unique=True)

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_talk_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_booking_from_talk_id_booking'), 'booking', ['from_talk_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_booking_from_talk_id'), ['from_talk_id'], unique=False)


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_from_talk_id'))
        batch_op.drop_constraint(batch_op.f('fk_booking_from_talk_id_booking'), type_='foreignkey')
        batch_op.drop_column('from_talk_id')

    op.execute("DELETE FROM slot WHERE seat <> 0")  # extra seats would break the old (table, start) index
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_index('uq_slot_table_start')
        batch_op.create_index('uq_slot_table_start', ['table_id', 'starts_at'], unique=True)
        batch_op.drop_index(batch_op.f('ix_slot_session_id'))
        batch_op.drop_constraint(batch_op.f('fk_slot_session_id_speed_dating_session'), type_='foreignkey')
        batch_op.drop_column('seat')
        batch_op.drop_column('session_id')

    with op.batch_alter_table('speed_dating_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speed_dating_session_exhibitor_id'))
        batch_op.drop_index(batch_op.f('ix_speed_dating_session_event_id'))
    op.drop_table('speed_dating_session')
