"""recordings and their views

Revision ID: 9c095effbe1f
Revises: f4398eb10129 (lecturer materials with versions)
Create Date: 2026-11-25 22:09:12.508833

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c095effbe1f'
down_revision = 'f4398eb10129'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seminar_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('available_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('available_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("audience IN ('everyone', 'registrants', 'attendees', 'absentees')", name=op.f('ck_recordings_audience_valid')),
    sa.ForeignKeyConstraint(['seminar_id'], ['seminars.id'], name=op.f('fk_recordings_seminar_id_seminars'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_seminar_id'), ['seminar_id'], unique=False)

    op.create_table('recording_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_recording_views_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_recording_views_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_views'))
    )
    with op.batch_alter_table('recording_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_views_recording_id'), ['recording_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recording_views_registration_id'), ['registration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('recording_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_views_registration_id'))
        batch_op.drop_index(batch_op.f('ix_recording_views_recording_id'))

    op.drop_table('recording_views')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_seminar_id'))

    op.drop_table('recordings')
