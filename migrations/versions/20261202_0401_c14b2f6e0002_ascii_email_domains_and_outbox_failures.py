"""addresses stored in their deliverable (IDNA) form; outbox failure reasons

Revision ID: c14b2f6e0002
Revises: c14a1e5d0001
Create Date: 2026-12-02

An address with an internationalized domain (taro@例え.jp) used to be stored as typed; the
sender could not put it into an SMTP command, died, and held every other mail behind it.
From here on addresses are kept in the form mail is sent to, the domain in its ASCII
(IDNA) form: taro@xn--r8jz45g.jp. This revision converts what is stored already:
registrations (email and email_key), calendar feeds, unsubscribes, staff accounts, and the
outbox (recipient and the email_key in the payload; a pending message rendered with the
old address is rendered again).

Where the converted key meets a row that already holds it (the same mailbox spelt both
ways), the unique rows merge: a second calendar feed or unsubscribe of the same address
is dropped (the first stays and means the same). Two active registrations of one seminar,
or two staff accounts, are never merged by a migration: that row keeps its old key and a
warning names it, for an organizer to resolve.

A failed outbox message now says why (failure) and since when (failed_at). Failed rows of
before are read from their last_error: "Withdrawn…" was withdrawn, the rest were 5xx
refusals, the only other way a message failed.
"""
import logging

from alembic import op
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email


revision = 'c14b2f6e0002'
down_revision = 'c14a1e5d0001'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_ACTIVE = ('confirmed', 'waitlisted', 'applied')
_FAILURES = "'address', 'refused', 'rendering', 'sending', 'withdrawn'"


def _ascii(address):
    """The address with its domain in IDNA form; unchanged when it is ASCII or no domain."""
    if address is None:
        return None
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        domain = validate_email(f"x@{domain}", check_deliverability=False).ascii_domain
    except EmailNotValidError:
        return address  # not deliverable either way; the sender fails it with its reason
    return f"{local}@{domain}"


def _key(address):
    converted = _ascii(address)
    return converted.lower() if converted is not None else None


def _registrations(bind):
    table = sa.table(
        'registrations',
        sa.column('id', sa.Integer),
        sa.column('seminar_id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('email', sa.String),
        sa.column('email_key', sa.String),
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.seminar_id, table.c.status, table.c.email, table.c.email_key)
    ).all()
    active = {(row.seminar_id, row.email_key) for row in rows if row.status in _ACTIVE}
    for row in rows:
        email, key = _ascii(row.email), _key(row.email_key)
        if (email, key) == (row.email, row.email_key):
            continue
        if key != row.email_key and row.status in _ACTIVE:
            if (row.seminar_id, key) in active:
                log.warning(
                    "registration %s: %s is registered for seminar %s under both spellings;"
                    " its key stays as it was", row.id, key, row.seminar_id,
                )
                key = row.email_key
            else:
                active.discard((row.seminar_id, row.email_key))
                active.add((row.seminar_id, key))
        bind.execute(
            table.update().where(table.c.id == row.id).values(email=email, email_key=key)
        )


def _unique_keys(bind, name, column, *, merge):
    """Convert a unique address column; a duplicate is dropped (merge) or left as it was."""
    table = sa.table(name, sa.column('id', sa.Integer), sa.column(column, sa.String))
    rows = bind.execute(sa.select(table.c.id, table.c[column]).order_by(table.c.id)).all()
    taken = {value for _, value in rows}
    for row_id, value in rows:
        converted = _key(value)
        if converted == value:
            continue
        if converted in taken:
            if merge:
                bind.execute(table.delete().where(table.c.id == row_id))
            else:
                log.warning("%s %s: %s exists already; %s stays as it was", name, row_id, converted, value)
            continue
        taken.discard(value)
        taken.add(converted)
        bind.execute(table.update().where(table.c.id == row_id).values({column: converted}))


def _outbox(bind):
    table = sa.table(
        'outbox_messages',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('recipient', sa.String),
        sa.column('payload', sa.JSON),
        sa.column('subject', sa.String),
        sa.column('message', sa.LargeBinary),
    )
    rows = bind.execute(
        sa.select(table.c.id, table.c.status, table.c.recipient, table.c.payload)
    ).all()
    for row in rows:
        recipient = _ascii(row.recipient)
        payload = dict(row.payload or {})
        if isinstance(payload.get('email_key'), str):
            payload['email_key'] = _key(payload['email_key'])
        if recipient == row.recipient and payload == (row.payload or {}):
            continue
        values = {'recipient': recipient, 'payload': payload}
        if row.status == 'pending':
            values.update(subject=None, message=None)  # its To header held the old form
        bind.execute(table.update().where(table.c.id == row.id).values(**values))


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))

    outbox = sa.table(
        'outbox_messages',
        sa.column('status', sa.String),
        sa.column('last_error', sa.Text),
        sa.column('next_attempt_at', sa.DateTime(timezone=True)),
        sa.column('failure', sa.String),
        sa.column('failed_at', sa.DateTime(timezone=True)),
    )
    failed = outbox.c.status == 'failed'
    op.execute(
        outbox.update()
        .where(failed)
        .values(
            failure=sa.case(
                (outbox.c.last_error.like('Withdrawn%'), 'withdrawn'), else_='refused'
            ),
            # Its last attempt: the moment it was given up, give or take the lease.
            failed_at=outbox.c.next_attempt_at,
        )
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_failure_valid'), f'failure IN ({_FAILURES})'
        )
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_failure_iff_failed'),
            "(status = 'failed') = (failure IS NOT NULL AND failed_at IS NOT NULL)",
        )
        batch_op.create_index(batch_op.f('ix_outbox_messages_failed_at'), ['failed_at'], unique=False)

    bind = op.get_bind()
    _registrations(bind)
    _unique_keys(bind, 'calendar_feeds', 'email_key', merge=True)
    _unique_keys(bind, 'announcement_unsubscribes', 'email_key', merge=True)
    _unique_keys(bind, 'users', 'email', merge=False)
    _outbox(bind)


def downgrade():
    # The addresses stay in their ASCII form: it is the same address, and the older code
    # handles it better than the Unicode one.
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_failed_at'))
        batch_op.drop_constraint(op.f('ck_outbox_messages_failure_iff_failed'), type_='check')
        batch_op.drop_constraint(op.f('ck_outbox_messages_failure_valid'), type_='check')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('failure')
