"""group registrations (団体申込): how many people one registration may bring, and the group
each registration belongs to

Revision ID: h21a5b6c0014
Revises: g20c3d4e0013
Create Date: 2026-12-07

seminars.max_group_size (default 5, 1 to 20; 1 takes one person at a time) is given to
every seminar already there; registrations.group_id names the registration of the group's
contact (None for the registrations made so far, each on its own).
"""
from alembic import op
import sqlalchemy as sa


revision = 'h21a5b6c0014'
down_revision = 'g20c3d4e0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_group_size', sa.Integer(), server_default=sa.text('5'), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_seminars_max_group_size_1_to_20'),
            'max_group_size >= 1 AND max_group_size <= 20',
        )

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_registrations_group_id_registrations'),
            'registrations', ['group_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_group_id_registrations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_registrations_group_id'))
        batch_op.drop_column('group_id')

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_seminars_max_group_size_1_to_20'), type_='check')
        batch_op.drop_column('max_group_size')
