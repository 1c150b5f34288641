"""Database plumbing shared by every model: column types, portable SQL (``seconds_between``) and the SQLite
connection recipe.

SQLite is the embedded default, and left to itself it overbooks: the driver's deferred transactions let
two requests read the same seat count. Every SQLite connection therefore runs in WAL mode, waits for
locks instead of failing, enforces foreign keys, and starts each transaction that may write with
``BEGIN IMMEDIATE`` so that writers queue up instead of interleaving (see ECOSYSTEM.md, "Capacity under
concurrency"). Requests with a safe method (GET, HEAD, OPTIONS) never change data, so they start a
plain deferred transaction: in WAL mode readers then neither wait for writers nor hold them up. So do
requests to views marked ``reads_first`` (a POST that reads for long before it writes, such as an uploaded
list being read and checked) until the view calls ``start_writing``.
"""

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, request
from sqlalchemy import DateTime, Engine, Enum, Float, TextClause, event, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whether the next SQLite transaction in this context may write. True unless a caller said otherwise:
# CLI commands, services called from tests and unsafe requests all take the write lock up front.
sqlite_may_write: ContextVar[bool] = ContextVar("sqlite_may_write", default=True)


# Rows per ``IN (...)`` list when reading thousands of rows by key: well under SQLite's and
# PostgreSQL's parameter limits, and few enough round trips.
IN_LIST_SIZE = 500


def chunked(items: list, size: int = IN_LIST_SIZE) -> Iterator[list]:
    """``items`` in slices of at most ``size``, for queries with ``IN (...)`` lists."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC; used as the callable default of every ``*_at`` column."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC and
    given their zone back when read. Naive datetimes are refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class seconds_between(FunctionElement):  # a SQL function: named like those of func
    """``seconds_between(start, end)``: the seconds from one ``UTCDateTime`` column to another, 0 when ``end``
    comes first (null when either is), the same on SQLite (naive UTC text) and PostgreSQL."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"max((julianday({end}) - julianday({start})) * 86400.0, 0.0)"


@compiles(seconds_between, "postgresql")
def _seconds_between_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"GREATEST(EXTRACT(EPOCH FROM ({end} - {start})), 0)"


def enum_type(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR holding the member values, guarded by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def where_set(column: str) -> dict[str, TextClause]:
    """The keyword arguments of an ``Index`` on ``column`` that holds only the rows where it is set (a partial
    index, on both databases): for a mostly empty column (see ``enrollments.models.Trainee``)."""
    condition = text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


def configure_sqlite(engine: Engine) -> None:
    """Install the SQLite connection recipe on ``engine`` (a no-op for other backends)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from the driver so that "begin" below decides how to start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_may_write.get() else "BEGIN")


def get_locked(model: type, ident: int, *options) -> object | None:
    """The row of ``model`` with primary key ``ident`` (None if none), locked until the transaction ends
    and read afresh (``populate_existing``: never a stale copy from the session), with ``options`` (eager
    loads of the rows it refers to) read in the same statement. On PostgreSQL ``SELECT ... FOR NO KEY UPDATE
    OF`` its own table only (the rows joined in are read, not locked): the lock an UPDATE of the row takes,
    so that it waits for writers of the row and they for it, but not for the key-share locks that inserting
    a row referring to it takes (an enrollment inserted for a trainee while someone waits to lock her would
    otherwise deadlock the two). On SQLite ``BEGIN IMMEDIATE`` already serialises writers."""
    stmt = (
        select(model)
        .where(model.__mapper__.primary_key[0] == ident)
        .options(*options)
        .with_for_update(of=model, key_share=True)
        .execution_options(populate_existing=True)
    )
    return db.session.scalars(stmt).unique().one_or_none()


@contextmanager
def sqlite_read_only() -> Iterator[None]:
    """Within this block, SQLite transactions start deferred (they must not write)."""
    token = sqlite_may_write.set(False)
    try:
        yield
    finally:
        sqlite_may_write.reset(token)


# PostgreSQL SQLSTATEs that mean "no database to talk to": class 08 (connection exception), the server
# shutting down or starting up (57P01-57P03), and no connection slot left (53300).
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached (down, restarting, unreachable, its file
    unopenable), as opposed to a statement that failed against a database that answered.

    - SQLAlchemy's own verdict first: an error it judged a lost connection (``connection_invalidated``).
    - PostgreSQL (psycopg): an ``OperationalError``/``InterfaceError`` with no SQLSTATE was raised by the
      client, not by a server that answered (connection refused, server gone, connection closed); with a
      SQLSTATE, only those of ``UNAVAILABLE_SQLSTATES``. A statement timeout, a deadlock or a lock timeout
      is an answer, not an outage.
    - SQLite: only a database file that cannot be opened or read (``SQLITE_CANTOPEN``, ``SQLITE_IOERR…``).
      "database is locked" (``SQLITE_BUSY``) means the database is there and busy for longer than the
      30-second busy timeout: a fault of ours to see in the log with its traceback, not an outage.
    """
    if not isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR"))
    if type(original).__module__.startswith("sqlite3"):  # an SQLite error without a code: a misuse, not an outage
        return False
    sqlstate = getattr(original, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(UNAVAILABLE_SQLSTATES)


def reads_first(view):
    """Mark ``view`` as one that reads before it writes: its requests start read-only whatever their
    method, and the view calls ``start_writing`` when it has read what it needs. On SQLite the write lock
    is then held only while it writes: reading an uploaded file of trainees held it for as long as the
    file took to read, and every sign-in meanwhile failed with "database is locked" (issue 12, item 6)."""
    view.reads_first = True
    return view


def start_writing() -> None:
    """End the read-only start of a ``reads_first`` request: its transaction, which only read, ends
    (the objects it loaded reload when next used), and the next statement starts a transaction that may
    write (``BEGIN IMMEDIATE`` on SQLite). Raises RuntimeError if the session holds changes: the view
    changed something while it was to read. The transaction ends by committing, not rolling back, so that
    nothing a request hook flushed before the view ran could be lost here without a word."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("start_writing() after changes: a reads_first view changed data while reading")
    db.session.commit()
    token = g.pop("sqlite_read_only_token", None)
    if token is not None:
        sqlite_may_write.reset(token)


def register_request_hooks(app: Flask) -> None:
    """Start read-only SQLite transactions for safe requests and ``reads_first`` views (see the module
    docstring)."""

    @app.before_request
    def _declare_read_only() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if request.method in SAFE_METHODS or getattr(view, "reads_first", False):
            g.sqlite_read_only_token = sqlite_may_write.set(False)

    @app.teardown_request
    def _end_read_only(_error: BaseException | None) -> None:
        token = g.pop("sqlite_read_only_token", None)
        if token is not None:
            sqlite_may_write.reset(token)
