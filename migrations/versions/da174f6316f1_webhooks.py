"""webhooks: the endpoints an event's deliveries go to

Revision ID: da174f6316f1
Revises: f7a1c2e3d4b5
Create Date: 2026-12-03 07:10:18.820697

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'da174f6316f1'
down_revision = 'f7a1c2e3d4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=254), nullable=False),
    sa.Column('description', sa.String(length=100), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_endpoint_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_webhook_endpoint_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoint_event_id'))

    op.drop_table('webhook_endpoint')
