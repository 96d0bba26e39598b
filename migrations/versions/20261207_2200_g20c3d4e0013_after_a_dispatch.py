"""after a dispatch: the participants' link, the minutes and the report; survey answers by
a browser that came through a forwarded link

Revision ID: g20c3d4e0013
Revises: f19b2c3d0012
Create Date: 2026-12-07

Each request gains participant_token, the link its contact forwards to the company's
participants (materials and survey); requests already made get their own secret before
the column is required. delivered_minutes and delivery_report are written at delivery.
A survey answer is now either a registration's or a browser's (browser_key, the hash of
the secret its cookie keeps): registration_id may be empty, exactly one of the two is set,
and a browser answers a survey once.
"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = 'g20c3d4e0013'
down_revision = 'f19b2c3d0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('participant_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('delivered_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivery_report', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_dispatch_requests_delivered_minutes_in_a_day'),
            'delivered_minutes IS NULL OR (delivered_minutes >= 1 AND delivered_minutes <= 1440)',
        )
    connection = op.get_bind()
    requests = sa.table('dispatch_requests', sa.column('id', sa.Integer),
                        sa.column('participant_token', sa.String))
    for (request_id,) in connection.execute(sa.select(requests.c.id)).all():
        connection.execute(
            requests.update().where(requests.c.id == request_id)
            .values(participant_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.alter_column('participant_token', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_dispatch_requests_participant_token'), ['participant_token']
        )

    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser_key', sa.String(length=64), nullable=True))
        batch_op.alter_column('registration_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(
            'uq_survey_answers_survey_id_browser_key', ['survey_id', 'browser_key']
        )
        batch_op.create_check_constraint(
            op.f('ck_survey_answers_one_respondent'),
            '(registration_id IS NULL) != (browser_key IS NULL)',
        )


def downgrade():
    # The browsers' answers have no registration to go back to: they go.
    survey_answers = sa.table('survey_answers', sa.column('registration_id', sa.Integer))
    op.get_bind().execute(
        survey_answers.delete().where(survey_answers.c.registration_id.is_(None))
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_survey_answers_one_respondent'), type_='check')
        batch_op.drop_constraint('uq_survey_answers_survey_id_browser_key', type_='unique')
        batch_op.alter_column('registration_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('browser_key')

    with op.batch_alter_table('dispatch_requests', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_dispatch_requests_participant_token'), type_='unique'
        )
        batch_op.drop_constraint(
            op.f('ck_dispatch_requests_delivered_minutes_in_a_day'), type_='check'
        )
        batch_op.drop_column('delivery_report')
        batch_op.drop_column('delivered_minutes')
        batch_op.drop_column('participant_token')
