"""registrations, calendar feeds, api tokens

Revision ID: 7d9c39fab60a
Revises: e5510f5f0656 (initial schema)
Create Date: 2026-11-25 20:36:24.771946

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d9c39fab60a'
down_revision = 'e5510f5f0656'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('email_key', name=op.f('uq_calendar_feeds_email_key')),
    sa.UniqueConstraint('token', name=op.f('uq_calendar_feeds_token'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seminar_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('manage_token', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_kana', sa.String(length=100), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('job_title', sa.String(length=100), nullable=True),
    sa.Column('prefecture', sa.String(length=2), nullable=False),
    sa.Column('attribute', sa.String(length=30), nullable=False),
    sa.Column('employee_band', sa.String(length=10), nullable=True),
    sa.Column('industry', sa.String(length=1), nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('heard_from', sa.String(length=30), nullable=True),
    sa.Column('privacy_notice_version', sa.String(length=20), nullable=False),
    sa.Column('privacy_agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('announcements_opt_in', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('calendar_sequence', sa.Integer(), nullable=False),
    sa.Column('reminder_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attribute IN ('sme', 'large-company', 'individual', 'university', 'support-organization', 'public-body', 'other')", name=op.f('ck_registrations_attribute_valid')),
    sa.CheckConstraint("employee_band IN ('1-5', '6-20', '21-50', '51-100', '101-300', '301-1000', '1001+')", name=op.f('ck_registrations_employee_band_valid')),
    sa.CheckConstraint("heard_from IN ('agency-website', 'newsletter', 'prefectural-desk', 'partner-organization', 'social-media', 'colleague', 'other')", name=op.f('ck_registrations_heard_from_valid')),
    sa.CheckConstraint("industry IN ('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T')", name=op.f('ck_registrations_industry_valid')),
    sa.CheckConstraint("locale IN ('ja', 'en')", name=op.f('ck_registrations_locale_valid')),
    sa.CheckConstraint("prefecture IN ('01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47')", name=op.f('ck_registrations_prefecture_valid')),
    sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name=op.f('ck_registrations_status_valid')),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_registrations_seminar_id_seminars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('manage_token', name=op.f('uq_registrations_manage_token'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_email_key'), ['email_key'], unique=False)
        batch_op.create_index('ix_registrations_seminar_status', ['seminar_id', 'status', 'id'], unique=False)
        batch_op.create_index('uq_registrations_active_email', ['seminar_id', 'email_key'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"))

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payload', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        # The default only filled the rows that existed; new rows always carry a payload.
        batch_op.alter_column('payload', server_default=None)
        batch_op.alter_column('subject',
               existing_type=sa.VARCHAR(length=300),
               nullable=True)
        batch_op.alter_column('message',
               existing_type=sa.BLOB(),
               nullable=True)

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_cutoff_hours', sa.Integer(), server_default=sa.text('24'), nullable=False))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_seminars_waitlist_cutoff_not_negative'), 'waitlist_cutoff_hours >= 0'
        )



def downgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_seminars_waitlist_cutoff_not_negative'), type_='check')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('waitlist_cutoff_hours')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('message',
               existing_type=sa.BLOB(),
               nullable=False)
        batch_op.alter_column('subject',
               existing_type=sa.VARCHAR(length=300),
               nullable=False)
        batch_op.drop_column('payload')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_registrations_active_email', sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"))
        batch_op.drop_index('ix_registrations_seminar_status')
        batch_op.drop_index(batch_op.f('ix_registrations_email_key'))

    op.drop_table('registrations')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('calendar_feeds')
