"""survey waves: one survey answer per registration per wave; organisers' case resolutions

Revision ID: d1a2b3c4d5e6
Revises: c3f1a7d2e9b0
Create Date: 2026-12-02 13:55:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'd1a2b3c4d5e6'
down_revision = 'c3f1a7d2e9b0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_response_registration_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_survey_response_registration_id_wave'),
                                          ['registration_id', 'wave'])
    op.create_table('case_resolution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_case_resolution_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_case_resolution_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_case_resolution_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_resolution')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_case_resolution_registration_id'))
    )
    with op.batch_alter_table('case_resolution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_resolution_event_id'), ['event_id'], unique=False)


def downgrade():
    op.drop_table('case_resolution')
    # Keep the latest wave's answer of each registration, as before waves were kept.
    op.execute("DELETE FROM survey_response WHERE EXISTS (SELECT 1 FROM survey_response later "
               "WHERE later.registration_id = survey_response.registration_id AND later.wave > survey_response.wave)")
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_response_registration_id_wave'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_survey_response_registration_id'), ['registration_id'])
