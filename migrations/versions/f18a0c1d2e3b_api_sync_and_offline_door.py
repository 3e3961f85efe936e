"""api sync and offline door: registration.updated_at, door_scan.scan_id, api_token.exhibitor_id

Revision ID: f18a0c1d2e3b
Revises: f7a1c0d3e2b9
Create Date: 2026-12-02 16:10:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'f18a0c1d2e3b'
down_revision = 'f7a1c0d3e2b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', bazaar.db_types.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE registration SET updated_at = "
        "COALESCE(checked_in_at, cancelled_at, created_at) "
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=bazaar.db_types.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_registration_updated_at'), ['updated_at'], unique=False)
    with op.batch_alter_table('door_scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scan_id', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_door_scan_scan_id'), ['scan_id'])
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exhibitor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_api_token_exhibitor_id'), ['exhibitor_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_api_token_exhibitor_id_exhibitor'), 'exhibitor', ['exhibitor_id'], ['id'], ondelete='CASCADE'
        )


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_token_exhibitor_id_exhibitor'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_token_exhibitor_id'))
        batch_op.drop_column('exhibitor_id')
    with op.batch_alter_table('door_scan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_door_scan_scan_id'), type_='unique')
        batch_op.drop_column('scan_id')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_updated_at'))
        batch_op.drop_column('updated_at')
