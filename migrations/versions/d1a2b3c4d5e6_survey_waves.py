"""survey waves: one survey answer per registration per wave

Revision ID: d1a2b3c4d5e6
Revises: e1a2b3c4d5e6
Create Date: 2026-12-02 13:55:00

"""
from alembic import op


revision = 'd1a2b3c4d5e6'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_response_registration_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_survey_response_registration_id_wave'),
                                          ['registration_id', 'wave'])


def downgrade():
    # Keep the latest wave's answer of each registration, as before waves were kept.
    op.execute("DELETE FROM survey_response WHERE EXISTS (SELECT 1 FROM survey_response later "
               "WHERE later.registration_id = survey_response.registration_id AND later.wave > survey_response.wave)")
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_response_registration_id_wave'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_survey_response_registration_id'), ['registration_id'])
