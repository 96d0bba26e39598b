"""Column types and mixins that several models share; the session helpers of the services."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import CheckConstraint, DateTime, String, event, inspect
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, scoped_session
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from .timeutil import utcnow

#: The session a service works in: the request's `db.session` (a scoped_session, which
#: passes Session's methods through with their types) or a plain Session (a worker's, a test's).
DbSession: TypeAlias = Session | scoped_session[FlaskSession]


def unscoped(session: DbSession) -> Session:
    """The Session itself, for what a scoped_session does not pass through (in_transaction)."""
    return session() if isinstance(session, scoped_session) else session


def rows_changed(session: DbSession, statement: UpdateBase) -> int:
    """Run an UPDATE or DELETE and tell how many rows it changed."""
    result = session.execute(statement)
    # SQLAlchemy 2.0 types execute() as returning a Result; DML gives a CursorResult.
    assert isinstance(result, CursorResult)
    return result.rowcount


def string_length(column: ColumnElement[Any]) -> int:
    """The length a String column keeps, for the checks that come before the database's."""
    if not isinstance(column.type, String) or column.type.length is None:
        raise TypeError(f"{column} is not a String column of a fixed length")
    return column.type.length


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times with a timezone")
        value = value.astimezone(UTC)
        # SQLite has no timezone type: store the UTC wall clock.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Coded(TypeDecorator[StrEnum]):
    """A coded value: stored as its identifier, read back as the member of its vocabulary.

    The column's CHECK (enum_check) keeps the database to the members; the type lets code
    compare, label and document values by their vocabulary instead of as bare strings.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


def codes_check(column: str, codes, name: str | None = None) -> CheckConstraint:
    """A CHECK that keeps a column to a list of codes (JIS prefectures, JSIC industries)."""
    values = ", ".join(f"'{code}'" for code in codes)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


def enum_check(column: str, enum: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK that keeps a string column within an enum's identifiers."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_valid")


class TimestampMixin:
    #: When the row was created (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the row last changed (UTC).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """WAL, foreign keys and a busy timeout on SQLite; own the transaction boundaries."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # pysqlite's implicit BEGIN breaks SAVEPOINT; SQLAlchemy emits BEGIN itself (see below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A transaction that will write under contention asks for the lock up front.
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def begin_write(session: DbSession) -> None:
    """Open the session's next transaction so that it holds SQLite's write lock at once.

    Two deferred SQLite transactions that both read and then write would fail with
    SQLITE_BUSY; BEGIN IMMEDIATE makes the second wait instead. PostgreSQL takes row
    locks (FOR UPDATE) and needs nothing here. A session bound to a Connection runs
    inside its owner's transaction already (the test suite), so nothing changes then.
    """
    session = unscoped(session)
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or isinstance(bind, Connection):
        return
    if session.in_transaction():
        if session.info.get(_WRITE_LOCKED) is session.get_transaction():
            return  # this transaction took the lock already: a longer unit of work goes on
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() starts a unit of work: save or discard changes first")
        # A read-only transaction so far: end it, so the next one can take the lock first.
        session.commit()
    session.connection(execution_options={"sqlite_begin_immediate": True})
    session.info[_WRITE_LOCKED] = session.get_transaction()


#: session.info key: the transaction that began holding SQLite's write lock.
_WRITE_LOCKED = "sqlite_write_locked_transaction"


def insert_unless_present(
    session: DbSession,
    model: type[DeclarativeBase],
    unique_column: str,
    *,
    index_where: ColumnElement[bool] | None = None,
    **values: Any,
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on a unique column, on PostgreSQL and SQLite alike.

    True when this call inserted the row; False when it existed, also when another
    transaction inserted it a moment earlier (no IntegrityError to catch). `index_where`
    names a partial unique index by its condition.
    """
    statement = (
        _insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[unique_column], index_where=index_where)
        .returning(*inspect(model).primary_key)
    )
    return session.execute(statement).first() is not None


def upsert(
    session: DbSession,
    model: type[DeclarativeBase],
    key: dict[str, Any],
    values: dict[str, Any],
) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE SET values, on PostgreSQL and SQLite alike.

    One statement, so that two transactions writing the same row at the same moment both
    succeed, the later replacing the earlier; a get-then-insert would fail the second with
    an IntegrityError. `key` names the columns of the primary key or of a unique index.
    A model with `updated_at` has it set on either path. Objects of the row already in
    the session keep their old values until read again (populate_existing).
    """
    values = dict(values)
    if "updated_at" in inspect(model).columns:
        values.setdefault("updated_at", utcnow())
    session.execute(
        _insert(session, model)
        .values(**key, **values)
        .on_conflict_do_update(index_elements=list(key), set_=values)
    )


def _insert(session: DbSession, model: type[DeclarativeBase]) -> Any:
    """The INSERT of the session's dialect, which knows ON CONFLICT (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model)
    return sqlite_insert(model)
