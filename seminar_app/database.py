"""Column types and mixins that several models share; the session helpers of the services."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, TypeAlias, TypeVar

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Select,
    String,
    Table,
    bindparam,
    event,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy import insert as sql_insert
from sqlalchemy.engine import BindTyping, Connection, CursorResult, Dialect, Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
    scoped_session,
)
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement, TextClause
from sqlalchemy.types import TypeDecorator

from .timeutil import utcnow

#: The session a service works in: the request's `db.session` (a scoped_session, which
#: passes Session's methods through with their types) or a plain Session (a worker's, a test's).
DbSession: TypeAlias = Session | scoped_session[FlaskSession]


Model_T = TypeVar("Model_T", bound=DeclarativeBase)


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
    # First, so that the pragmas after it wait for a lock too instead of failing at once.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: How long a SQLite connection waits for the write lock before it gives up ("database is
#: locked", a 503): far longer than any transaction of the app holds it.
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: connection.info key, set while the connection's SQLite transaction has begun deferred and
#: has written nothing yet: its first write takes the write lock (see _lock_at_first_write).
_READ_SO_FAR = "sqlite_transaction_read_so_far"

#: The statements that write (INSERT … RETURNING and REPLACE included); anything else reads.
_WRITING_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A transaction that will write under contention asks for the lock up front.
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    if immediate:
        connection.info.pop(_READ_SO_FAR, None)
    else:
        connection.info[_READ_SO_FAR] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _end_sqlite(connection) -> None:
    connection.info.pop(_READ_SO_FAR, None)


@event.listens_for(Engine, "before_cursor_execute")
def _lock_at_first_write(connection, cursor, statement, parameters, context, executemany) -> None:
    """The first write of a deferred SQLite transaction waits for the write lock.

    A deferred transaction that has read holds a snapshot; SQLite refuses at once, without
    waiting (the busy timeout does not apply), to let it write when another connection holds
    the write lock or has committed since that snapshot: "database is locked", a 503 to the
    person. A GET that reads and then writes an audit record (an export of personal data),
    a CLI command that looks something up and then inserts, met that whenever a lottery draw,
    the outbox sender or another request was writing. So a transaction that has only read
    ends its read (it wrote nothing, there is nothing to lose) and begins again with BEGIN
    IMMEDIATE, which waits for the lock, before its first write. Its later statements see
    what others committed meanwhile, as every statement does under PostgreSQL's READ
    COMMITTED; a unit of work whose decision must rest on what it read (a seat, a claim)
    holds the lock from its start with begin_write(), as on PostgreSQL it locks rows.

    A write inside a SAVEPOINT cannot end the transaction around it: it goes ahead as before.
    """
    if not connection.info.get(_READ_SO_FAR):
        return  # not SQLite, begun immediately, written already, or no transaction
    if not statement.lstrip()[:7].upper().startswith(_WRITING_STATEMENTS):
        return
    del connection.info[_READ_SO_FAR]  # from here on the transaction has written
    if connection.in_nested_transaction() or not cursor.connection.in_transaction:
        return
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    try:
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        # Raised here SQLAlchemy would not wrap it: an OperationalError like any other.
        raise DBAPIError.instance(
            statement,
            parameters,
            exc,
            sqlite3.Error,
            hide_parameters=connection.engine.hide_parameters,
            dialect=connection.dialect,
        ) from exc


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
    along: Sequence[NewRow] = (),
    **values: Any,
) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING on a unique column, on PostgreSQL and SQLite alike.

    The new row's id when this call inserted it; None when it existed, also when another
    transaction inserted it a moment earlier (no IntegrityError to catch). `index_where`
    names a partial unique index by its condition. The rows `along` are written only with
    the new row (its audit record, say): in the same statement on PostgreSQL, one round
    trip; after it elsewhere.
    """
    if index_where is not None:
        assert not along, "along is for a plain unique column"
        statement = (
            _insert(session, model)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[unique_column], index_where=index_where)
            .returning(*inspect(model).primary_key)
        )
        return session.execute(statement).scalar()
    dialect = session.get_bind().dialect
    names = tuple(sorted(values))
    if along and dialect.name == "postgresql":
        shaped = [_shaped(row, n) for n, row in enumerate(along, 1)]
        statement = _unless_present(
            dialect, model, names, unique_column, tuple(shape for shape, _ in shaped)
        )
        parameters = dict(values)
        for _, row_values in shaped:
            parameters.update(row_values)
        return session.execute(statement, parameters).scalar()
    new_id = session.execute(_unless_present(dialect, model, names, unique_column), values).scalar()
    if new_id is not None:
        for row in along:
            shape, row_values = _shaped(row, 0)
            session.execute(_statement((shape,)), row_values)
    return new_id


@cache
def _unless_present(
    dialect: Dialect,
    model: type[DeclarativeBase],
    names: tuple[str, ...],
    unique_column: str,
    along: tuple[_Shape, ...] = (),
) -> TextClause:
    """insert_unless_present's statement, compiled once (SQLAlchemy does not cache the
    compiled form of an ON CONFLICT insert: a check-in at the door and every registration
    run one). With rows `along`, each is an INSERT … SELECT from the first row's WITH
    clause: written only when that row was."""
    table = _table(model)
    insert = (
        _dialect_insert(dialect, model)
        .values({name: bindparam(name, type_=table.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=[unique_column])
        .returning(table.primary_key.columns[0])
    )
    if not along:
        return compiled_once(dialect, insert)
    first = insert.cte("new_row")
    rows = []
    for n, (row_model, row_names) in enumerate(along, 1):
        row_table = _table(row_model)
        chosen = select(
            *(bindparam(f"r{n}_{name}", type_=row_table.c[name].type) for name in row_names)
        ).select_from(first)
        rows.append(sql_insert(row_table).from_select(list(row_names), chosen).cte(f"row_{n}"))
    return compiled_once(dialect, select(first.c[0]).add_cte(*rows))


def compiled_once(dialect: Dialect, statement: Any) -> TextClause:
    """`statement` as text for `dialect`, to be built once and run many times.

    SQLAlchemy caches the compiled form of most statements, but not of one that holds a
    dialect's own construct (ON CONFLICT, also inside a WITH clause), and compiling such a
    statement costs more than running it. The text keeps the parameters' names and types
    (:name, no casts after them); a SELECT's text also keeps its columns, so that
    `select(...).from_statement()` loads ORM objects from it."""
    plain = type(dialect)(paramstyle="named")  # type: ignore[call-arg]
    plain.bind_typing = BindTyping.NONE
    compiled = statement.compile(dialect=plain)
    binds = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
    textual = text(str(compiled)).bindparams(*binds)
    if isinstance(statement, Select):
        return textual.columns(*statement.selected_columns)  # type: ignore[return-value]
    return textual


def next_id(model: type[DeclarativeBase]) -> ColumnElement[int]:
    """The id the next row of `model` will have, taken from its sequence (PostgreSQL), as a
    column that a statement doing other work can return (see reserve_id)."""
    return func.nextval(literal_column(f"'{_table(model).name}_id_seq'"))


def _table(model: type[DeclarativeBase]) -> Table:
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


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
    return _dialect_insert(session.get_bind().dialect, model)


def _dialect_insert(dialect: Dialect, model: type[DeclarativeBase]) -> Any:
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    if dialect.name == "postgresql":
        return postgresql_insert(model)
    return sqlite_insert(model)


@dataclass(frozen=True)
class NewRow:
    """One row for insert_rows: its model and its values."""

    model: type[DeclarativeBase]
    values: dict[str, Any]


def reserve_id(session: DbSession, model: type[DeclarativeBase]) -> int | None:
    """The id the next row of `model` will have, taken from its sequence now (PostgreSQL),
    so that the rows naming it can be written in the same statement as the row itself;
    None where ids come only from the insert (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.scalar(select(next_id(model)))


def insert_rows(session: DbSession, first: NewRow, then: Callable[[int], list[NewRow]]) -> int:
    """Insert a row and the rows that name its id (`then(id)`); the id is returned.

    With an id reserved (reserve_id) on PostgreSQL this is one statement, the other rows
    in data-modifying WITH clauses: one round trip, for the work done under a lock.
    Elsewhere the rows go one statement each, the first telling the id. Core statements,
    built once for each shape of rows and then only given their values; column defaults
    are filled in here as the ORM would."""
    key = _table(first.model).primary_key.columns[0]
    reserved = first.values.get(key.key)
    if reserved is None or session.get_bind().dialect.name != "postgresql":
        shape, values = _shaped(first, 0)
        new_id = session.execute(_statement((shape,), returning=True), values).scalar_one()
        for row in then(new_id):
            shape, values = _shaped(row, 0)
            session.execute(_statement((shape,)), values)
        return new_id
    shapes: list[_Shape] = []
    parameters: dict[str, Any] = {}
    for n, row in enumerate([first, *then(reserved)]):
        shape, values = _shaped(row, n)
        shapes.append(shape)
        parameters.update(values)
    session.execute(_statement(tuple(shapes)), parameters)
    return reserved


#: A row's shape: its model and the columns it gives.
_Shape: TypeAlias = tuple[type[DeclarativeBase], tuple[str, ...]]


def _shaped(row: NewRow, n: int) -> tuple[_Shape, dict[str, Any]]:
    """The row's shape, and its values named as the n-th row's parameters."""
    values = with_defaults(row.model, row.values)
    return (row.model, tuple(sorted(values))), {f"r{n}_{k}": v for k, v in values.items()}


@cache
def _statement(shapes: tuple[_Shape, ...], returning: bool = False) -> Any:
    """INSERT of the first shape's row with the others' in WITH clauses, made once (and its
    compiled form cached by SQLAlchemy)."""
    first, *others = (_one_insert(shape, n) for n, shape in enumerate(shapes))
    if returning:
        first = first.returning(_table(shapes[0][0]).primary_key.columns[0])
    return first.add_cte(*(other.cte(f"row_{n}") for n, other in enumerate(others, 1)))


def _one_insert(shape: _Shape, n: int) -> Any:
    model, names = shape
    table = _table(model)
    return sql_insert(table).values(
        {name: bindparam(f"r{n}_{name}", type_=table.c[name].type) for name in names}
    )


def with_defaults(model: type[DeclarativeBase], values: dict[str, Any]) -> dict[str, Any]:
    """The values with each missing column's Python default, as the ORM's insert would fill
    it (several INSERTs in one statement cannot fill defaults themselves)."""
    filled = dict(values)
    for column in _table(model).columns:
        default = column.default
        if column.key in filled or default is None:
            continue
        if default.is_callable:
            filled[column.key] = default.arg(None)  # type: ignore[attr-defined]
        elif default.is_scalar:
            filled[column.key] = default.arg  # type: ignore[attr-defined]
    return filled


def insert_new(session: DbSession, new: DeclarativeBase, then: Callable[[], list[NewRow]]) -> None:
    """insert_rows for a new ORM object and the rows `then()` builds from it (it has its id
    and defaults by then); the object joins the session as a loaded row that no flush will
    insert again. For the short work under a lock; anywhere else session.add is simpler."""
    mapper = inspect(new).mapper
    given = {a.key: vars(new)[a.key] for a in mapper.column_attrs if a.key in vars(new)}
    filled = with_defaults(type(new), given)
    for name, value in filled.items():
        setattr(new, name, value)
    key = _table(type(new)).primary_key.columns[0].key

    def rows_naming(new_id: int) -> list[NewRow]:
        setattr(new, key, new_id)
        return then()

    insert_rows(session, NewRow(type(new), filled), rows_naming)
    as_inserted(session, new)


def as_inserted(session: DbSession, new: Model_T) -> Model_T:
    """Make `new`, whose row a Core statement inserted with these values and this id, a
    loaded object of the session (not one a flush would insert)."""
    make_transient_to_detached(new)
    session.add(new)
    return new
