"""matching: a consent, driving licence and availability on the visitor profile; needs and invitations

Revision ID: f7a1c2e3d4b5
Revises: f18a0c1d2e3b
Create Date: 2026-12-02 16:10:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'f7a1c2e3d4b5'
down_revision = 'f18a0c1d2e3b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visitor_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('driving_licence', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('available_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_matching_at', bazaar.db_types.UTCDateTime(), nullable=True))
    op.create_table('need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exhibitor_id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('occupations', sa.JSON(), nullable=False),
    sa.Column('positions', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('education_level', sa.String(length=32), nullable=True),
    sa.Column('driving_licence', sa.Boolean(), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('swedish_developing_ok', sa.Boolean(), nullable=False),
    sa.Column('standing', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_need_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exhibitor_id'], ['exhibitor.id'], name=op.f('fk_need_exhibitor_id_exhibitor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opening_id'], ['opening.id'], name=op.f('fk_need_opening_id_opening'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_exhibitor_id'), ['exhibitor_id'], unique=False)
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('expires_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('responded_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_invitation_booking_id_booking'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_invitation_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_invitation_need_id_need'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_invitation_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_invitation_slot_id_slot'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('uq_invitation_need_visitor_offered', ['need_id', 'registration_id'], unique=True,
                              postgresql_where=sa.text("status = 'offered'"), sqlite_where=sa.text("status = 'offered'"))
        batch_op.create_index('uq_invitation_slot_offered', ['slot_id'], unique=True,
                              postgresql_where=sa.text("status = 'offered'"), sqlite_where=sa.text("status = 'offered'"))


def downgrade():
    op.drop_table('invitation')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_exhibitor_id'))
    op.drop_table('need')
    with op.batch_alter_table('visitor_profile', schema=None) as batch_op:
        batch_op.drop_column('consent_matching_at')
        batch_op.drop_column('available_from')
        batch_op.drop_column('driving_licence')
