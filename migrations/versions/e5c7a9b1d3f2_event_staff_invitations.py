"""event staff invitations: organisers invite door staff and co-organisers to their event

Revision ID: e5c7a9b1d3f2
Revises: b3c4d5e6f7a8
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'e5c7a9b1d3f2'
down_revision = 'b3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_staff_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('accepted_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_staff_invitation_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_event_staff_invitation_invited_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_staff_invitation'))
    )
    with op.batch_alter_table('event_staff_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_staff_invitation_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('event_staff_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_staff_invitation_event_id'))
    op.drop_table('event_staff_invitation')
