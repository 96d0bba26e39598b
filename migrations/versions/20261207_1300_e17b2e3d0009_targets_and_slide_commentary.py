"""the year's targets (年度計画) and the commentary (所感) on each slide of its activity report

Revision ID: e17b2e3d0009
Revises: e17a1d2c0008
Create Date: 2026-12-07

Two new tables; nothing existing moves. A seminar's head-count was already nullable: a
seminar without one (and without registrations) is now reported as unknown, not as 0.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e17b2e3d0009'
down_revision = 'e17a1d2c0008'
branch_labels = None
depends_on = None

COUNTS = ('consultations', 'seminars', 'participants', 'elearning_views')


def upgrade():
    op.create_table(
        'fiscal_year_targets',
        sa.Column('fiscal_year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('consultations', sa.Integer(), nullable=True),
        sa.Column('seminars', sa.Integer(), nullable=True),
        sa.Column('participants', sa.Integer(), nullable=True),
        sa.Column('satisfaction', sa.Integer(), nullable=True),
        sa.Column('elearning_views', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        *(
            sa.CheckConstraint(
                f'{name} IS NULL OR {name} >= 0',
                name=op.f(f'ck_fiscal_year_targets_{name}_not_negative'),
            )
            for name in COUNTS
        ),
        sa.CheckConstraint(
            'satisfaction IS NULL OR (satisfaction >= 0 AND satisfaction <= 100)',
            name=op.f('ck_fiscal_year_targets_satisfaction_percent'),
        ),
        sa.PrimaryKeyConstraint('fiscal_year', name=op.f('pk_fiscal_year_targets')),
    )
    op.create_table(
        'slide_commentaries',
        sa.Column('fiscal_year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('slide', sa.String(length=40), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('fiscal_year', 'slide', name=op.f('pk_slide_commentaries')),
    )


def downgrade():
    op.drop_table('slide_commentaries')
    op.drop_table('fiscal_year_targets')
