"""join links, online attendance, head-counts

Revision ID: 9d67208d8e15
Revises: 8ebdabe90362 (tickets and check-ins)
Create Date: 2026-11-25 21:47:19.997667

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d67208d8e15'
down_revision = '8ebdabe90362'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('online_attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('first_joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_online_attendances_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_attendances')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_online_attendances_registration_id'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('join_token', sa.String(length=64), nullable=True))
    # Each existing registration gets its own secret before the column is required.
    connection = op.get_bind()
    registrations = sa.table('registrations', sa.column('id', sa.Integer),
                             sa.column('join_token', sa.String))
    for (registration_id,) in connection.execute(sa.select(registrations.c.id)).all():
        connection.execute(
            registrations.update().where(registrations.c.id == registration_id)
            .values(join_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('join_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_join_token'), ['join_token'])

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_count', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_seminars_head_count_not_negative'), 'head_count IS NULL OR head_count >= 0'
        )



def downgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_seminars_head_count_not_negative'), type_='check')
        batch_op.drop_column('head_count')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_join_token'), type_='unique')
        batch_op.drop_column('join_token')

    op.drop_table('online_attendances')
