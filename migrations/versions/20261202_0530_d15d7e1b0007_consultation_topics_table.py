"""consultation topics in a table of their own, one row per topic

Revision ID: d15d7e1b0007
Revises: d15c6d0a0006
Create Date: 2026-12-02

The `;`-joined consultations.topics moves to consultation_topics: each identifier of the
vocabulary becomes a row (empty and unknown pieces are dropped), then the column goes.
The downgrade joins a consultation's topics back, sorted, as they were written before.
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


revision = 'd15d7e1b0007'
down_revision = 'd15c6d0a0006'
branch_labels = None
depends_on = None

TOPICS = (
    'trade-secret-management',
    'ip-strategy',
    'ip-system-general',
    'contracts',
    'leak-incident',
    'departing-employees',
    'other',
)
BATCH = 1000

consultations = sa.table(
    'consultations', sa.column('id', sa.Integer), sa.column('topics', sa.String)
)
consultation_topics = sa.table(
    'consultation_topics',
    sa.column('consultation_id', sa.Integer),
    sa.column('topic', sa.String),
)


def upgrade():
    op.create_table(
        'consultation_topics',
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=30), nullable=False),
        sa.CheckConstraint(
            f"topic IN ({', '.join(repr(topic) for topic in TOPICS)})",
            name=op.f('ck_consultation_topics_topic_valid'),
        ),
        sa.ForeignKeyConstraint(
            ['consultation_id'],
            ['consultations.id'],
            name=op.f('fk_consultation_topics_consultation_id_consultations'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('consultation_id', 'topic', name=op.f('pk_consultation_topics')),
    )
    connection = op.get_bind()
    rows = [
        {'consultation_id': consultation_id, 'topic': topic}
        for consultation_id, joined in connection.execute(
            sa.select(consultations.c.id, consultations.c.topics)
        )
        for topic in dict.fromkeys(piece.strip() for piece in (joined or '').split(';'))
        if topic in TOPICS
    ]
    for start in range(0, len(rows), BATCH):
        connection.execute(consultation_topics.insert(), rows[start : start + BATCH])
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('topics')


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topics', sa.String(length=200), nullable=True))
    connection = op.get_bind()
    joined = defaultdict(list)
    for consultation_id, topic in connection.execute(
        sa.select(consultation_topics.c.consultation_id, consultation_topics.c.topic)
    ):
        joined[consultation_id].append(topic)
    connection.execute(consultations.update().values(topics=''))
    updates = [
        {'key': consultation_id, 'joined': ';'.join(sorted(topics))}
        for consultation_id, topics in joined.items()
    ]
    for start in range(0, len(updates), BATCH):
        connection.execute(
            consultations.update()
            .where(consultations.c.id == sa.bindparam('key'))
            .values(topics=sa.bindparam('joined')),
            updates[start : start + BATCH],
        )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.alter_column('topics', existing_type=sa.String(length=200), nullable=False)
    op.drop_table('consultation_topics')
