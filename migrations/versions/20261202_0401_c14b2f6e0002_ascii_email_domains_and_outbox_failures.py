"""addresses stored in their deliverable (IDNA) form; outbox failure reasons

Revision ID: c14b2f6e0002
Revises: c14a1e5d0001
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'c14b2f6e0002'
down_revision = 'c14a1e5d0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
