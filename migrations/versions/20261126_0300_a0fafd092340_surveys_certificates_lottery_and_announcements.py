"""surveys, certificates, lottery and announcements

Revision ID: a0fafd092340
Revises: 090ed3bfe76f (corporate number of registrations)
Create Date: 2026-11-26 01:44:21.822251

"""
from alembic import op
import sqlalchemy as sa


revision = 'a0fafd092340'
down_revision = '090ed3bfe76f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcement_unsubscribes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_unsubscribes')),
    sa.UniqueConstraint('email_key', name=op.f('uq_announcement_unsubscribes_email_key'))
    )
    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=30), nullable=True),
    sa.Column('series', sa.String(length=40), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('beginner', 'intermediate', 'beginner-intermediate', 'workshop')", name=op.f('ck_announcements_level_valid')),
    sa.CheckConstraint("series IN ('trade-secret-ip-strategy', 'ip-utilization')", name=op.f('ck_announcements_series_valid')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_announcements_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seminar_id', sa.Integer(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('invitations_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_surveys_seminar_id_seminars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('seminar_id', name=op.f('uq_surveys_seminar_id'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_certificates_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_certificates_registration_id'))
    )
    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('may_name', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_survey_answers_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_answers_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('survey_id', 'registration_id', name=op.f('uq_survey_answers_survey_id'))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answers_registration_id'), ['registration_id'], unique=False)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lottery_rank', sa.Integer(), nullable=True))

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admission', sa.String(length=12), server_default=sa.text("'first-come'"), nullable=False))
        batch_op.add_column(sa.Column('lottery_sme_priority', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('lottery_drawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_seminars_admission_valid'), "admission IN ('first-come', 'lottery')"
        )

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_status_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_registrations_status_valid'),
            "status IN ('confirmed', 'waitlisted', 'cancelled', 'applied')",
        )
        # An application to a lottery also holds the address's one place per seminar.
        batch_op.drop_index('uq_registrations_active_email')
        batch_op.create_index('uq_registrations_active_email', ['seminar_id', 'email_key'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'waitlisted', 'applied')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted', 'applied')"))



def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_status_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_registrations_status_valid'),
            "status IN ('confirmed', 'waitlisted', 'cancelled')",
        )
        batch_op.drop_index('uq_registrations_active_email')
        batch_op.create_index('uq_registrations_active_email', ['seminar_id', 'email_key'], unique=True, sqlite_where=sa.text("status IN ('confirmed', 'waitlisted')"), postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"))

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_seminars_admission_valid'), type_='check')
        batch_op.drop_column('lottery_drawn_at')
        batch_op.drop_column('lottery_sme_priority')
        batch_op.drop_column('admission')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('lottery_rank')

    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answers_registration_id'))

    op.drop_table('survey_answers')
    op.drop_table('certificates')
    op.drop_table('surveys')
    op.drop_table('announcements')
    op.drop_table('announcement_unsubscribes')
