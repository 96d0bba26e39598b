"""desks, the prefectural network, visits and consultation totals

Revision ID: e17a1d2c0008
Revises: d15d7e1b0007
Create Date: 2026-12-07

The agency may run more than one desk: `desks` is created with the main desk (code `main`,
本部窓口 / Main desk), and every existing consultation is moved to it. A consultation gains
the prefectural IP comprehensive support desk that referred the client (`referring_desk`,
a JIS prefecture code), where the client was referred on to (`consultation_referrals`, one
row per place) and two channels, `visit` and `visit-joint` (with a prefectural desk): the
channel column widens to hold them. `consultation_totals` keeps a fiscal year's totals for a
desk where no consultation rows exist. Existing channels and steps are kept as they are.

The downgrade records a visit as held in person and forgets desks, referrals and totals.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = 'e17a1d2c0008'
down_revision = 'd15d7e1b0007'
branch_labels = None
depends_on = None

OLD_CHANNELS = ('in-person', 'online', 'phone', 'email')
CHANNELS = OLD_CHANNELS + ('visit', 'visit-joint')
REFERRALS = (
    'police',
    'ipa',
    'attorney',
    'patent-attorney',
    'inpit',
    'prefectural-desk',
    'other',
)
PREFECTURES = tuple(f'{number:02d}' for number in range(1, 48))


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


desks = sa.table(
    'desks',
    sa.column('id', sa.Integer),
    sa.column('code', sa.String),
    sa.column('name_ja', sa.String),
    sa.column('name_en', sa.String),
    sa.column('position', sa.Integer),
    sa.column('active', sa.Boolean),
    sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)


def upgrade():
    op.create_table(
        'desks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('name_ja', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('position >= 0', name=op.f('ck_desks_position_not_negative')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_desks')),
        sa.UniqueConstraint('code', name=op.f('uq_desks_code')),
    )
    connection = op.get_bind()
    # SQLite has no timezone type: the app stores the UTC wall clock there (UTCDateTime).
    now = datetime.now(UTC)
    if connection.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    connection.execute(
        desks.insert().values(
            code='main',
            name_ja='本部窓口',
            name_en='Main desk',
            position=0,
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    main = connection.execute(sa.select(desks.c.id).where(desks.c.code == 'main')).scalar_one()

    op.create_table(
        'consultation_totals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('desk_id', sa.Integer(), nullable=False),
        sa.Column('consultations', sa.Integer(), nullable=False),
        sa.Column('online', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            'consultations >= 0', name=op.f('ck_consultation_totals_consultations_not_negative')
        ),
        sa.CheckConstraint(
            'online IS NULL OR (online >= 0 AND online <= consultations)',
            name=op.f('ck_consultation_totals_online_within_consultations'),
        ),
        sa.ForeignKeyConstraint(
            ['desk_id'],
            ['desks.id'],
            name=op.f('fk_consultation_totals_desk_id_desks'),
            ondelete='RESTRICT',
        ),
        sa.ForeignKeyConstraint(
            ['recorded_by_id'],
            ['users.id'],
            name=op.f('fk_consultation_totals_recorded_by_id_users'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_totals')),
        sa.UniqueConstraint('fiscal_year', 'desk_id', name='uq_consultation_totals_year_desk'),
    )
    with op.batch_alter_table('consultation_totals', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_consultation_totals_desk_id'), ['desk_id'], unique=False
        )

    op.create_table(
        'consultation_referrals',
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('referral', sa.String(length=30), nullable=False),
        sa.CheckConstraint(
            _in('referral', REFERRALS), name=op.f('ck_consultation_referrals_referral_valid')
        ),
        sa.ForeignKeyConstraint(
            ['consultation_id'],
            ['consultations.id'],
            name=op.f('fk_consultation_referrals_consultation_id_consultations'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint(
            'consultation_id', 'referral', name=op.f('pk_consultation_referrals')
        ),
    )

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('desk_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referring_desk', sa.String(length=2), nullable=True))
    op.execute(sa.text('UPDATE consultations SET desk_id = :main').bindparams(main=main))
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.alter_column('desk_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column(
            'channel',
            existing_type=sa.String(length=10),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.drop_constraint(op.f('ck_consultations_channel_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_consultations_channel_valid'), _in('channel', CHANNELS)
        )
        batch_op.create_check_constraint(
            op.f('ck_consultations_referring_desk_valid'), _in('referring_desk', PREFECTURES)
        )
        batch_op.create_index(batch_op.f('ix_consultations_desk_id'), ['desk_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_consultations_desk_id_desks'),
            'desks',
            ['desk_id'],
            ['id'],
            ondelete='RESTRICT',
        )


def downgrade():
    op.execute(
        "UPDATE consultations SET channel = 'in-person' WHERE channel IN ('visit', 'visit-joint')"
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consultations_desk_id_desks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consultations_desk_id'))
        batch_op.drop_constraint(op.f('ck_consultations_referring_desk_valid'), type_='check')
        batch_op.drop_constraint(op.f('ck_consultations_channel_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_consultations_channel_valid'), _in('channel', OLD_CHANNELS)
        )
        batch_op.alter_column(
            'channel',
            existing_type=sa.String(length=20),
            type_=sa.String(length=10),
            existing_nullable=False,
        )
        batch_op.drop_column('referring_desk')
        batch_op.drop_column('desk_id')

    op.drop_table('consultation_referrals')
    with op.batch_alter_table('consultation_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_totals_desk_id'))
    op.drop_table('consultation_totals')
    op.drop_table('desks')
