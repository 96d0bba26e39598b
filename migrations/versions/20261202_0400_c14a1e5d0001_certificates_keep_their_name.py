"""certificates keep their name: issued certificates with fixed name, organization and replacement

Revision ID: c14a1e5d0001
Revises: a0fafd092340
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'c14a1e5d0001'
down_revision = 'a0fafd092340'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
