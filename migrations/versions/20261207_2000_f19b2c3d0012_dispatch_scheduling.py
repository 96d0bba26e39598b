"""lecturer dispatch scheduling: the invites' own SEQUENCE and each staff member's calendar feed

Revision ID: f19b2c3d0012
Revises: f19a0b1c0011
Create Date: 2026-12-07

A request's calendar_sequence rises when the staff assigned change (its invites name
them); staff_calendar_feeds holds the secret of each staff member's feed of assignments.
"""
from alembic import op
import sqlalchemy as sa


revision = 'f19b2c3d0012'
down_revision = 'f19a0b1c0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))

    op.create_table('staff_calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_staff_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_staff_calendar_feeds_token'))
    )


def downgrade():
    op.drop_table('staff_calendar_feeds')
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')
