"""hybrid seminars: how each person attends (at the venue or online), seats online

Revision ID: e18a9c2d0010
Revises: e17b2e3d0009
Create Date: 2026-12-07

A hybrid seminar's `capacity` becomes its seats at the venue; `online_capacity` its seats
online (NULL: no limit online). Registrations made for a hybrid seminar before people were
asked how they attend are recorded as attending at the venue: the seats they hold were
counted against the one capacity, which is now the venue's, so nobody loses a seat and no
mode is oversold. Downgrading drops both columns.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e18a9c2d0010'
down_revision = 'e17b2e3d0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_capacity', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_seminars_online_capacity_not_negative'),
            'online_capacity IS NULL OR online_capacity >= 0',
        )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_mode', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_registrations_attendance_mode_valid'),
            "attendance_mode IN ('venue', 'online')",
        )
    op.execute(
        "UPDATE registrations SET attendance_mode = 'venue' WHERE seminar_id IN "
        "(SELECT id FROM seminars WHERE delivery = 'hybrid')"
    )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_attendance_mode_valid'), type_='check')
        batch_op.drop_column('attendance_mode')
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_seminars_online_capacity_not_negative'), type_='check')
        batch_op.drop_column('online_capacity')
