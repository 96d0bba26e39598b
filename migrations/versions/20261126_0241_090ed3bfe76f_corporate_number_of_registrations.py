"""corporate number of registrations

Revision ID: 090ed3bfe76f
Revises: e20ce53b8cdc (client links and import references)
Create Date: 2026-11-26 02:41:00

"""
from alembic import op
import sqlalchemy as sa


revision = '090ed3bfe76f'
down_revision = 'e20ce53b8cdc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corporate_number', sa.String(length=13), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_corporate_number'), ['corporate_number'], unique=False)
        batch_op.create_check_constraint(
            op.f('ck_registrations_corporate_number_13_digits'),
            'corporate_number IS NULL OR length(corporate_number) = 13',
        )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_corporate_number_13_digits'), type_='check')
        batch_op.drop_index(batch_op.f('ix_registrations_corporate_number'))
        batch_op.drop_column('corporate_number')
