"""a CHECK on every coded column: where a registration was made, a consultation's industry and prefecture

Revision ID: d15c6d0a0006
Revises: d15b5c9f0005
Create Date: 2026-12-02

Values outside the vocabulary could be stored before: an unknown registration source
becomes 'web' (the form, where registrations came from before the API and the desk), an
unknown industry or prefecture of a consultation becomes not recorded.
"""
from alembic import op
import sqlalchemy as sa


revision = 'd15c6d0a0006'
down_revision = 'd15b5c9f0005'
branch_labels = None
depends_on = None

SOURCES = ('web', 'api', 'desk')
INDUSTRIES = tuple('ABCDEFGHIJKLMNOPQRST')
PREFECTURES = tuple(f'{number:02d}' for number in range(1, 48))


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    op.execute(f"UPDATE registrations SET source = 'web' WHERE NOT {_in('source', SOURCES)}")
    for column, codes in (('industry', INDUSTRIES), ('prefecture', PREFECTURES)):
        op.execute(
            f"UPDATE consultations SET {column} = NULL "
            f"WHERE {column} IS NOT NULL AND NOT {_in(column, codes)}"
        )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_registrations_source_valid'), _in('source', SOURCES))
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_consultations_industry_valid'), _in('industry', INDUSTRIES)
        )
        batch_op.create_check_constraint(
            op.f('ck_consultations_prefecture_valid'), _in('prefecture', PREFECTURES)
        )


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_consultations_prefecture_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_consultations_industry_valid'), type_='check')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registrations_source_valid'), type_='check')
