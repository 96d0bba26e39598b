"""certificates keep their name: issued certificates with fixed name, organization and replacement

Revision ID: c14a1e5d0001
Revises: a0fafd092340
Create Date: 2026-12-02

A certificate used to print whatever its registration said at the time of the download.
From here on it keeps what it stated when it was issued. Certificates issued before this
revision get what their registration and seminar say now: the best that can be known of
what was printed, so that their codes keep verifying for that name. A registration that
the privacy purge has anonymised gives its certificate no name at all (not the placeholder).
"""
from alembic import op
import sqlalchemy as sa


revision = 'c14a1e5d0001'
down_revision = 'a0fafd092340'
branch_labels = None
depends_on = None

_IN_FORCE = "replaced_at IS NULL"


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('organization', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('seminar_title', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('seminar_title_en', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))
        # The day a certificate was first downloaded is the day it was issued.
        batch_op.alter_column('created_at', new_column_name='issued_at')
        batch_op.drop_column('updated_at')
        batch_op.drop_constraint(op.f('uq_certificates_registration_id'), type_='unique')

    certificates = sa.table(
        'certificates',
        sa.column('registration_id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('organization', sa.String),
        sa.column('seminar_title', sa.String),
        sa.column('seminar_title_en', sa.String),
        sa.column('starts_at', sa.DateTime(timezone=True)),
        sa.column('ends_at', sa.DateTime(timezone=True)),
    )
    registrations = sa.table(
        'registrations',
        sa.column('id', sa.Integer),
        sa.column('seminar_id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('organization', sa.String),
        sa.column('email', sa.String),
    )
    seminars = sa.table(
        'seminars',
        sa.column('id', sa.Integer),
        sa.column('title', sa.String),
        sa.column('title_en', sa.String),
        sa.column('starts_at', sa.DateTime(timezone=True)),
        sa.column('ends_at', sa.DateTime(timezone=True)),
    )
    registration = registrations.c
    # privacy.services.purged_email_of, as of this revision: the mark of an anonymised row.
    purged = registration.email == (
        sa.literal('purged-') + sa.cast(registration.id, sa.String) + sa.literal('@invalid')
    )

    def of_registration(value):
        return (
            sa.select(value)
            .where(registration.id == certificates.c.registration_id)
            .scalar_subquery()
        )

    def of_seminar(value):
        return (
            sa.select(value)
            .select_from(registrations.join(seminars, seminars.c.id == registration.seminar_id))
            .where(registration.id == certificates.c.registration_id)
            .scalar_subquery()
        )

    op.execute(
        certificates.update().values(
            name=of_registration(sa.case((purged, sa.null()), else_=registration.name)),
            organization=of_registration(
                sa.case((purged, sa.null()), else_=registration.organization)
            ),
            seminar_title=of_seminar(seminars.c.title),
            seminar_title_en=of_seminar(seminars.c.title_en),
            starts_at=of_seminar(seminars.c.starts_at),
            ends_at=of_seminar(seminars.c.ends_at),
        )
    )

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('seminar_title', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('starts_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('ends_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_check_constraint(
            op.f('ck_certificates_ends_after_start'), 'ends_at > starts_at'
        )
        batch_op.create_check_constraint(
            op.f('ck_certificates_replaced_after_issue'),
            'replaced_at IS NULL OR replaced_at >= issued_at',
        )
        batch_op.create_index(
            batch_op.f('ix_certificates_registration_id'), ['registration_id'], unique=False
        )
        batch_op.create_index(
            'uq_certificates_in_force',
            ['registration_id'],
            unique=True,
            sqlite_where=sa.text(_IN_FORCE),
            postgresql_where=sa.text(_IN_FORCE),
        )


def downgrade():
    # Before this revision a registration had one certificate: the one in force stays,
    # the replaced ones (and with them the names they were issued to) go.
    op.execute(sa.text('DELETE FROM certificates WHERE replaced_at IS NOT NULL'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(
            'uq_certificates_in_force',
            sqlite_where=sa.text(_IN_FORCE),
            postgresql_where=sa.text(_IN_FORCE),
        )
        batch_op.drop_index(batch_op.f('ix_certificates_registration_id'))
        batch_op.drop_constraint(op.f('ck_certificates_replaced_after_issue'), type_='check')
        batch_op.drop_constraint(op.f('ck_certificates_ends_after_start'), type_='check')
        batch_op.create_unique_constraint(
            batch_op.f('uq_certificates_registration_id'), ['registration_id']
        )
        batch_op.alter_column('issued_at', new_column_name='created_at')
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('replaced_at')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('starts_at')
        batch_op.drop_column('seminar_title_en')
        batch_op.drop_column('seminar_title')
        batch_op.drop_column('organization')
        batch_op.drop_column('name')

    op.execute(sa.text('UPDATE certificates SET updated_at = created_at'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
