"""staff sessions on the server, second factors (TOTP, recovery codes, passkeys), named API tokens with expiry

Revision ID: c14c3a7f0003
Revises: c14b2f6e0002
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


revision = 'c14c3a7f0003'
down_revision = 'c14b2f6e0002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
