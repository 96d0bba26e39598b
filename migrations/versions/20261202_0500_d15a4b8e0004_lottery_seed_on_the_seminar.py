"""the lottery's seed on the seminar, moved from the audit log

Revision ID: d15a4b8e0004
Revises: c14c3a7f0003
Create Date: 2026-12-02

"""
import json

from alembic import op
import sqlalchemy as sa


revision = 'd15a4b8e0004'
down_revision = 'c14c3a7f0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lottery_seed', sa.BigInteger(), nullable=True))
    # Seminars drawn before: their seed was only in the audit record of the draw.
    bind = op.get_bind()
    draws = bind.execute(
        sa.text(
            "SELECT subject_id, details FROM audit_events "
            "WHERE action = 'lottery.drawn' AND subject_type = 'seminar' ORDER BY id"
        )
    ).all()
    for subject_id, details in draws:
        if isinstance(details, str):
            details = json.loads(details)
        seed = (details or {}).get('seed')
        if isinstance(seed, int) and subject_id.isdigit():
            bind.execute(
                sa.text("UPDATE seminars SET lottery_seed = :seed WHERE id = :id"),
                {"seed": seed, "id": int(subject_id)},
            )


def downgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_column('lottery_seed')
