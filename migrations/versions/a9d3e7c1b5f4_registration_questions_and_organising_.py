"""registration questions and organising bodies' logos

Revision ID: a9d3e7c1b5f4
Revises: a9d4c2e6f1b3
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa

import bazaar.db_types


# revision identifiers, used by Alembic.
revision = 'a9d3e7c1b5f4'
down_revision = 'a9d4c2e6f1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('asked', sa.Boolean(), nullable=False),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_question_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_question'))
    )
    with op.batch_alter_table('registration_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_question_event_id'), ['event_id'], unique=False)

    op.create_table('registration_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['registration_question.id'], name=op.f('fk_registration_answer_question_id_registration_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_answer_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_answer')),
    sa.UniqueConstraint('registration_id', 'question_id', name=op.f('uq_registration_answer_registration_id_question_id'))
    )
    with op.batch_alter_table('registration_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_answer_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('event_organiser', schema=None) as batch_op:
        batch_op.add_column(sa.Column('website', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_mimetype', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('event_organiser', schema=None) as batch_op:
        batch_op.drop_column('logo_mimetype')
        batch_op.drop_column('logo')
        batch_op.drop_column('website')

    with op.batch_alter_table('registration_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_answer_question_id'))

    op.drop_table('registration_answer')
    with op.batch_alter_table('registration_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_question_event_id'))

    op.drop_table('registration_question')
