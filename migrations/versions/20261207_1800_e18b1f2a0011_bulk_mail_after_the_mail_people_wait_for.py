"""bulk mail after the mail people wait for: outbox_messages.bulk, in the sender's index

Revision ID: e18b1f2a0011
Revises: e18a9c2d0010
Create Date: 2026-12-07

A message sent to many at once (an announcement, a reminder or notice to every registrant,
a survey invitation, a recording's notice) is `bulk`; the sender takes every other due
message first. Messages already in the outbox are marked by their kind, so that those still
waiting are sent in the new order too.
"""
from alembic import op
import sqlalchemy as sa


revision = 'e18b1f2a0011'
down_revision = 'e18a9c2d0010'
branch_labels = None
depends_on = None

#: The bulk kinds when this revision was written (notifications.services.renderer(bulk=True)).
BULK_KINDS = (
    'announcement',
    'survey.invitation',
    'registration.reminder',
    'seminar.changed',
    'seminar.cancelled',
    'seminar.message',
    'recording.published',
)


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('bulk', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.create_index(
            'ix_outbox_messages_due', ['status', 'bulk', 'next_attempt_at'], unique=False
        )
    outbox = sa.table('outbox_messages', sa.column('kind', sa.String), sa.column('bulk', sa.Boolean))
    op.execute(outbox.update().where(outbox.c.kind.in_(BULK_KINDS)).values(bulk=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_column('bulk')
