"""tickets and check-ins

Revision ID: 8ebdabe90362
Revises: 7d9c39fab60a (registrations, calendar feeds, api tokens)
Create Date: 2026-11-25 21:34:45.471384

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8ebdabe90362'
down_revision = '7d9c39fab60a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('desk', sa.String(length=60), nullable=True),
    sa.CheckConstraint("method IN ('scan', 'photo', 'search', 'walk-in', 'api')", name=op.f('ck_check_ins_method_valid')),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_check_ins_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_check_ins_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_check_ins_registration_id'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_code', sa.String(length=40), nullable=True))
    # Every existing registration gets its own random ticket before the column is required.
    connection = op.get_bind()
    registrations = sa.table('registrations', sa.column('id', sa.Integer),
                             sa.column('ticket_code', sa.String))
    for (registration_id,) in connection.execute(sa.select(registrations.c.id)).all():
        connection.execute(
            registrations.update().where(registrations.c.id == registration_id)
            .values(ticket_code='TKT-' + secrets.token_urlsafe(18))
        )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('ticket_code', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_ticket_code'), ['ticket_code'])



def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_ticket_code'), type_='unique')
        batch_op.drop_column('ticket_code')

    op.drop_table('check_ins')
