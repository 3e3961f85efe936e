"""activities: try-a-job days, study visits and matching groups after the fair, and their participants

Revision ID: c4a7e1f09b23
Revises: a9d3e7c1b5f4
Create Date: 2026-12-03 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'c4a7e1f09b23'
down_revision = 'a9d3e7c1b5f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('exhibitor_id', sa.Integer(), nullable=True),
    sa.Column('opening_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('starts_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('ends_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('interpreter', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_activity_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_activity_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exhibitor_id'], ['exhibitor.id'], name=op.f('fk_activity_exhibitor_id_exhibitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opening_id'], ['opening.id'], name=op.f('fk_activity_opening_id_opening'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_exhibitor_id'), ['exhibitor_id'], unique=False)
    op.create_table('activity_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attendance', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('outcome_recorded_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('outcome_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('signed_up_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_participant_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outcome_recorded_by_id'], ['user.id'], name=op.f('fk_activity_participant_outcome_recorded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_activity_participant_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_participant'))
    )
    with op.batch_alter_table('activity_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_participant_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activity_participant_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('uq_activity_participant_visitor', ['activity_id', 'registration_id'], unique=True)


def downgrade():
    op.drop_table('activity_participant')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_exhibitor_id'))
        batch_op.drop_index(batch_op.f('ix_activity_event_id'))
    op.drop_table('activity')
