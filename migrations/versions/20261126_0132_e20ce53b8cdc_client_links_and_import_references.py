"""client links and import references

Revision ID: e20ce53b8cdc
Revises: da6192f94600 (consultation desk and advisor role)
Create Date: 2026-11-26 01:32:15.845468

"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'e20ce53b8cdc'
down_revision = 'da6192f94600'
branch_labels = None
depends_on = None

# The normalisation of this revision's day, frozen here so that the backfill never changes.
_COMPANY_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人"
    r"|\(株\)|\(有\)|㈱|㈲"
)


def _key(name):
    text = _COMPANY_FORMS.sub("", unicodedata.normalize("NFKC", name or ""))
    return "".join(text.split()).lower() or None


def upgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_ref', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_consultations_import_ref'), ['import_ref'])

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organization_key', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_registrations_organization_key'), ['organization_key'], unique=False)

    registrations = sa.table(
        'registrations',
        sa.column('id', sa.Integer),
        sa.column('organization', sa.String),
        sa.column('organization_key', sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(registrations.c.id, registrations.c.organization).where(
            registrations.c.organization.is_not(None)
        )
    ).all()
    for registration_id, organization in rows:
        bind.execute(
            registrations.update()
            .where(registrations.c.id == registration_id)
            .values(organization_key=_key(organization))
        )


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_organization_key'))
        batch_op.drop_column('organization_key')

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_consultations_import_ref'), type_='unique')
        batch_op.drop_column('import_ref')
