"""staff sessions on the server, second factors (TOTP, recovery codes, passkeys), named API tokens with expiry

Revision ID: c14c3a7f0003
Revises: c14b2f6e0002
Create Date: 2026-12-02

"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = 'c14c3a7f0003'
down_revision = 'c14b2f6e0002'
branch_labels = None
depends_on = None


# --- staff sessions and named API tokens (auth helper) ---

#: Tokens issued before expiry existed get this long from the upgrade, so that whoever
#: uses them has time to create a named one in the console.
EXISTING_TOKENS_DAYS = 90

_SESSION_END_REASONS = (
    "'logged-out', 'ended-by-owner', 'password-changed', 'password-reset', 'account-disabled', "
    "'second-factor-reset'"
)


def _name_and_expire_existing_tokens():
    """Each user's existing tokens become "token 1", "token 2"… in the order they were made."""
    bind = op.get_bind()
    tokens = sa.table(
        'api_tokens',
        sa.column('id', sa.Integer),
        sa.column('user_id', sa.Integer),
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('name', sa.String),
        sa.column('expires_at', sa.DateTime(timezone=True)),
    )
    expires_at = datetime.now(timezone.utc) + timedelta(days=EXISTING_TOKENS_DAYS)
    if bind.dialect.name == 'sqlite':
        expires_at = expires_at.replace(tzinfo=None)  # SQLite keeps the UTC wall clock
    rows = bind.execute(
        sa.select(tokens.c.id, tokens.c.user_id).order_by(
            tokens.c.user_id, tokens.c.created_at, tokens.c.id
        )
    ).all()
    numbers = {}
    for token_id, user_id in rows:
        numbers[user_id] = numbers.get(user_id, 0) + 1
        bind.execute(
            tokens.update()
            .where(tokens.c.id == token_id)
            .values(name=f'token {numbers[user_id]}', expires_at=expires_at)
        )


def _upgrade_sessions_and_tokens():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=100), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=20), nullable=True),
    sa.CheckConstraint(
        f'ended_reason IN ({_SESSION_END_REASONS})',
        name=op.f('ck_user_sessions_ended_reason_valid'),
    ),
    sa.CheckConstraint(
        '(ended_at IS NULL) = (ended_reason IS NULL)',
        name=op.f('ck_user_sessions_ended_with_reason'),
    ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    _name_and_expire_existing_tokens()
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column(
            'expires_at', existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.create_check_constraint(
            op.f('ck_api_tokens_name_not_empty'), 'length(name) > 0'
        )
        batch_op.create_check_constraint(
            op.f('ck_api_tokens_expires_after_creation'), 'expires_at > created_at'
        )


def _downgrade_sessions_and_tokens():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_expires_after_creation'), type_='check')
        batch_op.drop_constraint(op.f('ck_api_tokens_name_not_empty'), type_='check')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('name')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')

# --- end staff sessions and named API tokens (auth helper) ---


def upgrade():
    # --- staff sessions and named API tokens (auth helper) ---
    _upgrade_sessions_and_tokens()
    # --- end staff sessions and named API tokens (auth helper) ---

    # --- second factors (mfa helper) ---
    op.create_table('authenticator_apps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.BigInteger(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('last_used_step IS NULL OR last_used_step >= 0', name=op.f('ck_authenticator_apps_last_used_step_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_authenticator_apps_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authenticator_apps')),
    sa.UniqueConstraint('user_id', name=op.f('uq_authenticator_apps_user_id'))
    )
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('transports', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('sign_count >= 0', name=op.f('ck_passkeys_sign_count_not_negative')),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_passkeys_name_not_empty')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passkeys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id'))
    )
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkeys_user_id'), ['user_id'], unique=False)
    # --- end second factors (mfa helper) ---


def downgrade():
    # --- second factors (mfa helper) ---
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkeys_user_id'))

    op.drop_table('passkeys')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))

    op.drop_table('recovery_codes')
    op.drop_table('authenticator_apps')
    # --- end second factors (mfa helper) ---

    # --- staff sessions and named API tokens (auth helper) ---
    _downgrade_sessions_and_tokens()
    # --- end staff sessions and named API tokens (auth helper) ---
