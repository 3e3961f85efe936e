"""activity log: who did what at an event, and when

Revision ID: a7c3e1f9b2d4
Revises: e5c7a9b1d3f2
Create Date: 2026-12-03 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'a7c3e1f9b2d4'
down_revision = 'e5c7a9b1d3f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('log_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_log_entry_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_log_entry_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_entry'))
    )
    with op.batch_alter_table('log_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_log_entry_event_created', ['event_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('log_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_log_entry_event_created')
        batch_op.drop_index(batch_op.f('ix_log_entry_actor_id'))
    op.drop_table('log_entry')
