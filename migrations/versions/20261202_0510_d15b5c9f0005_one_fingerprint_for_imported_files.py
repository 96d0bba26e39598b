"""one fingerprint for imported files: consultations' import references shortened to it

Revision ID: d15b5c9f0005
Revises: d15a4b8e0004
Create Date: 2026-12-02

Every CSV import now knows a file by the first 12 hex digits of its SHA-256 (the past
seminars' import always did). Consultations imported before carry 16: their references
and the audit records of their files are cut to the same 12, so that importing one of
those files again is still refused.
"""
from alembic import op
import sqlalchemy as sa


revision = 'd15b5c9f0005'
down_revision = 'd15a4b8e0004'
branch_labels = None
depends_on = None

OLD, NEW = 16, 12


def upgrade():
    op.execute(
        sa.text(
            f"UPDATE consultations SET import_ref = substr(import_ref, 1, {NEW}) "
            f"|| substr(import_ref, {OLD + 1}) "
            f"WHERE import_ref IS NOT NULL AND substr(import_ref, {OLD + 1}, 1) = ':'"
        )
    )
    op.execute(
        sa.text(
            f"UPDATE audit_events SET subject_id = substr(subject_id, 1, {NEW}) "
            "WHERE action = 'consultation.imported' AND subject_type = 'file' "
            f"AND length(subject_id) = {OLD}"
        )
    )


def downgrade():
    # The four digits cut off cannot be known again; the shorter references still work.
    pass
