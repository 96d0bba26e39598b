"""consultation desk and advisor role

Revision ID: da6192f94600
Revises: 9c095effbe1f (recordings and their views)
Create Date: 2026-11-25 22:34:07.853800

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'da6192f94600'
down_revision = '9c095effbe1f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('corporate_number', sa.String(length=13), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('corporate_number IS NULL OR length(corporate_number) = 13', name=op.f('ck_clients_corporate_number_13_digits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('corporate_number', name=op.f('uq_clients_corporate_number'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_name_key'), ['name_key'], unique=False)

    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('advisor_id', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('attribute', sa.String(length=30), nullable=False),
    sa.Column('employee_band', sa.String(length=10), nullable=True),
    sa.Column('industry', sa.String(length=1), nullable=True),
    sa.Column('prefecture', sa.String(length=2), nullable=True),
    sa.Column('topics', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attribute IN ('sme', 'large-company', 'individual', 'university', 'support-organization', 'public-body', 'other')", name=op.f('ck_consultations_attribute_valid')),
    sa.CheckConstraint("channel IN ('in-person', 'online', 'phone', 'email')", name=op.f('ck_consultations_channel_valid')),
    sa.CheckConstraint("employee_band IN ('1-5', '6-20', '21-50', '51-100', '101-300', '301-1000', '1001+')", name=op.f('ck_consultations_employee_band_valid')),
    sa.CheckConstraint("source IN ('direct', 'prefectural-desk', 'seminar')", name=op.f('ck_consultations_source_valid')),
    sa.CheckConstraint('step IS NULL OR (step >= 1 AND step <= 7)', name=op.f('ck_consultations_step_1_to_7')),
    sa.ForeignKeyConstraint(['advisor_id'], ['users.id'], name=op.f('fk_consultations_advisor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_consultations_client_id_clients'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_advisor_id'), ['advisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_held_on'), ['held_on'], unique=False)



    # The role list gains `advisor`: the CHECK constraint is replaced.
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_roles_role_valid'),
            "role IN ('organizer', 'lecturer', 'reception', 'admin', 'advisor')",
        )


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'advisor'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_user_roles_role_valid'), "role IN ('organizer', 'lecturer', 'reception', 'admin')"
        )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultations_held_on'))
        batch_op.drop_index(batch_op.f('ix_consultations_client_id'))
        batch_op.drop_index(batch_op.f('ix_consultations_advisor_id'))

    op.drop_table('consultations')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_name_key'))

    op.drop_table('clients')
