"""minutes online from attendee reports

Revision ID: 09b2aaffe39e
Revises: 9d67208d8e15 (join links, online attendance, head-counts)
Create Date: 2026-11-25 21:51:54.095679

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '09b2aaffe39e'
down_revision = '9d67208d8e15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('online_attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes', sa.Integer(), nullable=True))

    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_online_minutes', sa.Integer(), server_default=sa.text('(30)'), nullable=False))



def downgrade():
    with op.batch_alter_table('seminars', schema=None) as batch_op:
        batch_op.drop_column('min_online_minutes')

    with op.batch_alter_table('online_attendances', schema=None) as batch_op:
        batch_op.drop_column('minutes')

