"""job coaches: the coach role's requests, coaches' groups and their members; email optional

Existing group registrations are kept: each (event, registering person) becomes one group, and the
registering person is given the job coach role at that event, so they keep access to it.

Revision ID: c0ac4e5f1a2b
Revises: c9d1e2f3a4b5
Create Date: 2026-12-03 15:00:00

"""
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import bazaar.db_types


revision = 'c0ac4e5f1a2b'
down_revision = 'c9d1e2f3a4b5'
branch_labels = None
depends_on = None

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def upgrade():
    op.create_table('staff_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_staff_request_decided_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_staff_request_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_staff_request_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_request')),
    sa.UniqueConstraint('event_id', 'user_id', 'role', name=op.f('uq_staff_request_event_id_user_id_role'))
    )
    with op.batch_alter_table('staff_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_request_event_id'), ['event_id'], unique=False)
    op.create_table('coach_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['user.id'], name=op.f('fk_coach_group_coach_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_coach_group_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coach_group'))
    )
    with op.batch_alter_table('coach_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coach_group_coach_id'), ['coach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coach_group_event_id'), ['event_id'], unique=False)
    op.create_table('group_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('first_used_at', bazaar.db_types.UTCDateTime(), nullable=True),
    sa.Column('created_at', bazaar.db_types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['coach_group.id'], name=op.f('fk_group_member_group_id_coach_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_group_member_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_member')),
    sa.UniqueConstraint('code', name=op.f('uq_group_member_code')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_group_member_registration_id'))
    )
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_member_group_id'), ['group_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
    _keep_existing_groups()


def _keep_existing_groups():
    bind = op.get_bind()
    registration = sa.table(
        'registration', sa.column('id'), sa.column('event_id'), sa.column('user_id'),
        sa.column('registered_by_id'), sa.column('walk_in', sa.Boolean()), sa.column('created_at'),
    )
    group = sa.table('coach_group', sa.column('id'), sa.column('event_id'), sa.column('coach_id'),
                     sa.column('name'), sa.column('created_at', bazaar.db_types.UTCDateTime()))
    member = sa.table('group_member', sa.column('group_id'), sa.column('registration_id'), sa.column('code'),
                      sa.column('created_at', bazaar.db_types.UTCDateTime()))
    staff = sa.table('event_staff', sa.column('event_id'), sa.column('user_id'), sa.column('role'))
    rows = bind.execute(
        sa.select(registration.c.id, registration.c.event_id, registration.c.registered_by_id)
        .where(
            registration.c.registered_by_id.is_not(None),
            registration.c.walk_in == sa.false(),
            sa.or_(registration.c.user_id.is_(None), registration.c.user_id != registration.c.registered_by_id),
        )
        .order_by(registration.c.id)
    ).all()
    now = datetime.now(UTC)
    groups, used = {}, set()
    for reg_id, event_id, coach_id in rows:
        key = (event_id, coach_id)
        if key not in groups:
            groups[key] = bind.execute(
                group.insert().values(event_id=event_id, coach_id=coach_id, name='Group', created_at=now)
                .returning(group.c.id)
            ).scalar_one()
            has_role = bind.execute(
                sa.select(sa.func.count()).select_from(staff).where(
                    staff.c.event_id == event_id, staff.c.user_id == coach_id, staff.c.role == 'coach'
                )
            ).scalar_one()
            if not has_role:
                bind.execute(staff.insert().values(event_id=event_id, user_id=coach_id, role='coach'))
        code = None
        while code is None or code in used:
            code = ''.join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        used.add(code)
        bind.execute(member.insert().values(group_id=groups[key], registration_id=reg_id, code=code, created_at=now))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
    with op.batch_alter_table('group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_member_group_id'))
    op.drop_table('group_member')
    with op.batch_alter_table('coach_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coach_group_event_id'))
        batch_op.drop_index(batch_op.f('ix_coach_group_coach_id'))
    op.drop_table('coach_group')
    with op.batch_alter_table('staff_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_request_event_id'))
    op.drop_table('staff_request')
