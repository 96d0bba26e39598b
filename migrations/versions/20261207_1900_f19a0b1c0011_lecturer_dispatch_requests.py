"""lecturer dispatch (講師派遣): companies' requests, their themes, preferred dates and history

Revision ID: f19a0b1c0011
Revises: e18b1f2a0011
Create Date: 2026-12-07

New tables only. A request links to its in-company seminar once scheduled (whose
lecturers are the staff assigned) and to the desk's client; its history keeps every
change of state with who made it.
"""
from alembic import op
import sqlalchemy as sa


revision = 'f19a0b1c0011'
down_revision = 'e18b1f2a0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dispatch_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('organization_key', sa.String(length=200), nullable=True),
    sa.Column('corporate_number', sa.String(length=13), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('prefecture', sa.String(length=2), nullable=False),
    sa.Column('attribute', sa.String(length=30), nullable=False),
    sa.Column('employee_band', sa.String(length=10), nullable=True),
    sa.Column('industry', sa.String(length=1), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_email_key', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('theme_note', sa.Text(), nullable=True),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('audience_size', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.String(length=20), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('privacy_notice_version', sa.String(length=20), nullable=False),
    sa.Column('privacy_agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('seminar_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attribute IN ('sme', 'large-company', 'individual', 'university', 'support-organization', 'public-body', 'other')", name=op.f('ck_dispatch_requests_attribute_valid')),
    sa.CheckConstraint("delivery IN ('online', 'in-person', 'hybrid')", name=op.f('ck_dispatch_requests_delivery_valid')),
    sa.CheckConstraint("employee_band IN ('1-5', '6-20', '21-50', '51-100', '101-300', '301-1000', '1001+')", name=op.f('ck_dispatch_requests_employee_band_valid')),
    sa.CheckConstraint("industry IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T')", name=op.f('ck_dispatch_requests_industry_valid')),
    sa.CheckConstraint("locale IN ('ja', 'en')", name=op.f('ck_dispatch_requests_locale_valid')),
    sa.CheckConstraint("prefecture IN ('01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47')", name=op.f('ck_dispatch_requests_prefecture_valid')),
    sa.CheckConstraint("state IN ('received', 'under-review', 'scheduled', 'declined', 'delivered', 'withdrawn')", name=op.f('ck_dispatch_requests_state_valid')),
    sa.CheckConstraint("state NOT IN ('scheduled', 'delivered') OR seminar_id IS NOT NULL", name=op.f('ck_dispatch_requests_scheduled_has_seminar')),
    sa.CheckConstraint('audience_size >= 1', name=op.f('ck_dispatch_requests_audience_size_positive')),
    sa.CheckConstraint('corporate_number IS NULL OR length(corporate_number) = 13', name=op.f('ck_dispatch_requests_corporate_number_13_digits')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_dispatch_requests_client_id_clients'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_dispatch_requests_seminar_id_seminars'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_requests')),
    sa.UniqueConstraint('seminar_id', name=op.f('uq_dispatch_requests_seminar_id')),
    sa.UniqueConstraint('token', name=op.f('uq_dispatch_requests_token'))
    )
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_requests_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_requests_contact_email_key'), ['contact_email_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_requests_corporate_number'), ['corporate_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_requests_organization_key'), ['organization_key'], unique=False)
        batch_op.create_index('ix_dispatch_requests_state_id', ['state', 'id'], unique=False)

    op.create_table('dispatch_preferred_dates',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_dispatch_preferred_dates_ends_after_start')),
    sa.CheckConstraint('rank >= 1 AND rank <= 3', name=op.f('ck_dispatch_preferred_dates_rank_1_to_3')),
    sa.ForeignKeyConstraint(['request_id'], ['dispatch_requests.id'], name=op.f('fk_dispatch_preferred_dates_request_id_dispatch_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'rank', name=op.f('pk_dispatch_preferred_dates'))
    )
    op.create_table('dispatch_request_themes',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.CheckConstraint("theme IN ('trade-secret-ip-strategy', 'ip-utilization', 'step-1', 'step-2', 'step-3', 'step-4', 'step-5', 'step-6', 'step-7', 'trade-secret-management', 'ip-strategy', 'ip-system-general', 'contracts', 'leak-incident', 'departing-employees')", name=op.f('ck_dispatch_request_themes_theme_valid')),
    sa.ForeignKeyConstraint(['request_id'], ['dispatch_requests.id'], name=op.f('fk_dispatch_request_themes_request_id_dispatch_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'theme', name=op.f('pk_dispatch_request_themes'))
    )
    op.create_table('dispatch_state_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("from_state IN ('received', 'under-review', 'scheduled', 'declined', 'delivered', 'withdrawn')", name=op.f('ck_dispatch_state_changes_from_state_valid')),
    sa.CheckConstraint("to_state != 'declined' OR reason IS NOT NULL", name=op.f('ck_dispatch_state_changes_declined_has_reason')),
    sa.CheckConstraint("to_state IN ('received', 'under-review', 'scheduled', 'declined', 'delivered', 'withdrawn')", name=op.f('ck_dispatch_state_changes_to_state_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_dispatch_state_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['dispatch_requests.id'], name=op.f('fk_dispatch_state_changes_request_id_dispatch_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_state_changes'))
    )
    with op.batch_alter_table('dispatch_state_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_state_changes_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_state_changes_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('dispatch_state_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispatch_state_changes_request_id'))
        batch_op.drop_index(batch_op.f('ix_dispatch_state_changes_actor_id'))

    op.drop_table('dispatch_state_changes')
    op.drop_table('dispatch_request_themes')
    op.drop_table('dispatch_preferred_dates')
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_dispatch_requests_state_id')
        batch_op.drop_index(batch_op.f('ix_dispatch_requests_organization_key'))
        batch_op.drop_index(batch_op.f('ix_dispatch_requests_corporate_number'))
        batch_op.drop_index(batch_op.f('ix_dispatch_requests_contact_email_key'))
        batch_op.drop_index(batch_op.f('ix_dispatch_requests_client_id'))

    op.drop_table('dispatch_requests')
