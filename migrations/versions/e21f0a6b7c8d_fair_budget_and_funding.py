"""fair budget and funding

Revision ID: e21f0a6b7c8d
Revises: e1a2b3c4d5e6
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'e21f0a6b7c8d'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fair_budget',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('cost_kronor', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_fair_budget_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_fair_budget_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_fair_budget'))
    )
    op.create_table('funding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('amount_kronor', sa.BigInteger(), nullable=False),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_funding_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_funding'))
    )
    with op.batch_alter_table('funding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funding_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('funding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funding_event_id'))
    op.drop_table('funding')
    op.drop_table('fair_budget')
