"""initial schema

Revision ID: e5510f5f0656
Revises: (none)
Create Date: 2026-11-25 20:23:13.637821

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5510f5f0656'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('message', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_outbox_messages_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('seminars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('series', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=30), nullable=True),
    sa.Column('host_type', sa.String(length=20), nullable=False),
    sa.Column('delivery', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('venue', sa.String(length=300), nullable=True),
    sa.Column('meeting_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('registration_opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registration_closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('host_organization', sa.String(length=200), nullable=True),
    sa.Column('external_url', sa.String(length=500), nullable=True),
    sa.Column('content_path', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("delivery IN ('online', 'in-person', 'hybrid')", name=op.f('ck_seminars_delivery_valid')),
    sa.CheckConstraint("host_type IN ('agency', 'in-company', 'external')", name=op.f('ck_seminars_host_type_valid')),
    sa.CheckConstraint("level IN ('beginner', 'intermediate', 'beginner-intermediate', 'workshop')", name=op.f('ck_seminars_level_valid')),
    sa.CheckConstraint("series IN ('trade-secret-ip-strategy', 'ip-utilization')", name=op.f('ck_seminars_series_valid')),
    sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name=op.f('ck_seminars_status_valid')),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_seminars_capacity_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_seminars_ends_after_start')),
    sa.CheckConstraint('registration_closes_at IS NULL OR registration_closes_at <= starts_at', name=op.f('ck_seminars_registration_closes_by_start')),
    sa.CheckConstraint('registration_opens_at IS NULL OR registration_closes_at IS NULL OR registration_opens_at < registration_closes_at', name=op.f('ck_seminars_registration_window_ordered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seminars')),
    sa.UniqueConstraint('slug', name=op.f('uq_seminars_slug'))
    )
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seminars_host_type'), ['host_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_seminars_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_seminars_series'), ['series'], unique=False)
        batch_op.create_index(batch_op.f('ix_seminars_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index('ix_seminars_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('display_name_en', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.Column('title_en', sa.String(length=100), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('seminar_lecturers',
    sa.Column('seminar_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_seminar_lecturers_seminar_id_seminars'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_seminar_lecturers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seminar_id', 'user_id', name=op.f('pk_seminar_lecturers'))
    )
    with op.batch_alter_table('seminar_lecturers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seminar_lecturers_user_id'), ['user_id'], unique=False)

    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('organizer', 'lecturer', 'reception', 'admin')", name=op.f('ck_user_roles_role_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )


def downgrade():
    op.drop_table('user_roles')
    with op.batch_alter_table('seminar_lecturers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seminar_lecturers_user_id'))

    op.drop_table('seminar_lecturers')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('users')
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_index('ix_seminars_status_starts_at')
        batch_op.drop_index(batch_op.f('ix_seminars_starts_at'))
        batch_op.drop_index(batch_op.f('ix_seminars_series'))
        batch_op.drop_index(batch_op.f('ix_seminars_level'))
        batch_op.drop_index(batch_op.f('ix_seminars_host_type'))

    op.drop_table('seminars')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
