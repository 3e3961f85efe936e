"""announcements: organisers' messages to an audience of their fair, by email and SMS

Revision ID: c4a8e2f61b07
Revises: a7c3e1f9b2d4
Create Date: 2026-12-03 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'c4a8e2f61b07'
down_revision = 'a7c3e1f9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=24), nullable=False),
    sa.Column('exhibitor_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('sms', sa.JSON(), nullable=False),
    sa.Column('email_count', sa.Integer(), nullable=False),
    sa.Column('sms_count', sa.Integer(), nullable=False),
    sa.Column('submission', sa.String(length=64), nullable=False),
    sa.Column('sent_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_announcement_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_announcement_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exhibitor_id'], ['exhibitor.id'], name=op.f('fk_announcement_exhibitor_id_exhibitor'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement')),
    sa.UniqueConstraint('submission', name=op.f('uq_announcement_submission'))
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_event_id'))
    op.drop_table('announcement')
