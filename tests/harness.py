"""The machinery behind the database fixtures of ``tests/conftest.py``: one app per database, cheap
emptying between tests, and worlds kept for the next test while nothing changed them.

Imported as ``harness`` by the conftest and by tests that need it (``from tests.conftest import
empty_all_tables`` still works: the conftest re-exports it). Its state lives here, once per process, even
when the conftest itself is imported twice (as ``conftest`` by pytest and as ``tests.conftest``).
"""

import contextvars
import dataclasses
import functools
import inspect
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import object_mapper
from sqlalchemy.orm.exc import UnmappedInstanceError
from werkzeug.security import generate_password_hash

import pagecache
from app import create_app
from config import TestConfig
from extensions import db, limiter

# Writes -------------------------------------------------------------------------------------------------

# Statements that only read (or steer transactions): anything else counts as a write.
READING = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "SHOW", "SET", "EXPLAIN")


class Writes:
    """How many statements that may change data every engine of this process has sent: a kept world is
    still intact while the count has not moved since it was built."""

    count = 0

    @classmethod
    def note(cls, _connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
        if not statement.lstrip().upper().startswith(READING):
            cls.count += 1


if not sa.event.contains(Engine, "before_cursor_execute", Writes.note):
    sa.event.listen(Engine, "before_cursor_execute", Writes.note)


# Emptying the database ---------------------------------------------------------------------------------

# PostgreSQL: every sequence that has handed out a number starts again at 1 (as TRUNCATE … RESTART
# IDENTITY did). SQLite needs nothing: without AUTOINCREMENT an empty table numbers from 1 again.
RESTART_SEQUENCES = sa.text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


@functools.cache
def probe_for_rows(tables: tuple[sa.Table, ...]) -> sa.Select:
    """One query naming (by position in ``tables``) the tables that hold at least one row."""
    return sa.union_all(
        *(
            sa.select(sa.literal_column(str(position))).where(sa.exists().select_from(table))
            for position, table in enumerate(tables)
        )
    )


# PostgreSQL: no autovacuum on the test schema's tables (run again after a test re-creates them). Emptied
# by DELETE, a table keeps its dead rows, and a vacuum then would (1) record it as holding no rows in pages
# that exist, which the planner takes as "no row will ever be here": a later test that loads 8,000
# enrollments got a plan that ran for hours; and (2) free slots that later rows fill out of the order they
# were written in. Never vacuumed, the tables keep what TRUNCATE gave: sizes the planner measures for itself
# and rows read back in the order written. Their dead rows take a few MB by the end of a session.
QUIET_AUTOVACUUM = sa.text(
    """DO $$ DECLARE found record; BEGIN
    FOR found IN SELECT c.oid::regclass AS name FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
        AND NOT coalesce(c.reloptions @> '{autovacuum_enabled=false}', false)
    LOOP
        EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)', found.name);
    END LOOP; END $$"""
)


def empty_all_tables() -> None:
    """Empty every table and commit. One query finds the tables that hold rows (whoever wrote them: this
    process, the browser's server, a gunicorn worker); only those are emptied, children first, with
    DELETE: on tables of a few rows far cheaper than TRUNCATE (on PostgreSQL here 4 against 30 ms, and
    against 330 ms when the disk is busy). On PostgreSQL the id sequences then start again at 1 (as with
    TRUNCATE … RESTART IDENTITY), and autovacuum stays off (``QUIET_AUTOVACUUM`` says why)."""
    tables = tuple(db.metadata.sorted_tables)
    positions = set(db.session.scalars(probe_for_rows(tables)))
    holding = [table for position, table in enumerate(tables) if position in positions]
    for table in reversed(holding):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(RESTART_SEQUENCES)
        db.session.execute(QUIET_AUTOVACUUM)
    db.session.commit()


def row_count_query(tables: tuple[sa.Table, ...]) -> sa.Select:
    return sa.select(*(sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in tables))


def row_counts_now() -> dict[str, int]:
    """The number of rows in every table, read in one query. Sessions (``user_session``) are left out: the
    ``sign_in`` fixture writes one each time it signs a client in, which a test may do between its two
    counts; tests of signing in count sessions themselves (``tests/test_sessions.py``)."""
    tables = tuple(table for table in db.metadata.sorted_tables if table.name != "user_session")
    counts = db.session.execute(row_count_query(tables)).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


# Apps ---------------------------------------------------------------------------------------------------


def password_hash(password: str) -> str:
    """``password`` hashed as the test app hashes passwords (``TestConfig.PASSWORD_HASH_METHOD``: scrypt,
    cheaper than in production), so that signing in with it costs what the app's own hashes cost."""
    return generate_password_hash(password, method=TestConfig.PASSWORD_HASH_METHOD)


class RequestIsolatingClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production: its own ``g``
    and its own database session. Without this, requests would reuse the test's app context (Flask
    pushes a new one only when none is active) and share ``g`` and the session with each other.

    Before each request the test's own transaction is committed, so that it holds no lock (SQLite
    writers would wait for it) and the test's objects reload afterwards with what the request did."""

    def open(self, *args, **kwargs):
        db.session.commit()
        context = contextvars.copy_context()

        def in_fresh_app_context():
            _cv_app.set(None)  # only within this copied context: the request pushes its own
            return super(RequestIsolatingClient, self).open(*args, **kwargs)

        return context.run(in_fresh_app_context)


def quick_commits(dbapi_connection, _record) -> None:
    """Test databases need not survive a power cut: SQLite skips its fsync at each commit (PostgreSQL's test
    URL sets ``synchronous_commit=off``). Locking, and so every concurrency rule, is unchanged."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def build_app(database_url: str, **settings: Any) -> Flask:
    """An app on ``database_url`` with the test settings (``TestConfig``), changed by ``settings``."""
    config = TestConfig(database_url)
    for name, value in settings.items():
        setattr(config, name, value)
    application = create_app(config)
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", quick_commits)
    application.config_at_start = dict(application.config)  # restored after every test
    return application


def reset_between_tests(application: Flask) -> None:
    """Put back what a test may have changed outside the database: settings, the mail outbox, rate-limit
    counters, the public page cache."""
    application.config.clear()
    application.config.update(application.config_at_start)
    application.extensions.pop("mail_outbox", None)
    limiter.reset()
    pagecache.pages.clear()


# Worlds kept from test to test ---------------------------------------------------------------------------


@dataclasses.dataclass
class KeptWorld:
    """What a test left in the database for the next tests of its module: the worlds its ``@kept_world``
    fixtures built (by fixture name; one may build on another), and the state they left."""

    app: Flask
    module: str
    values: dict[str, object]
    writes: int  # Writes.count when the last of them was built
    rows: dict[str, int]  # row_counts_now() then


# Per database (its URL): the worlds kept in it, and ``Writes.count`` when the running test started (or
# had built its kept worlds) with nothing else in the database.
KEPT: dict[str, KeptWorld] = {}
WRITES_AT_START: dict[str, int] = {}
# Per database: whether the running test started with the kept worlds intact (then its fixtures use them,
# whatever the test's own fixtures wrote since).
KEPT_AT_START: dict[str, bool] = {}

# The test that runs next in this process (set by the conftest's ``pytest_runtest_teardown``).
NEXT_TEST: list[pytest.Item | None] = [None]


def database_key(application: Flask) -> str:
    return application.config["SQLALCHEMY_DATABASE_URI"]


def start_test(application: Flask, request: pytest.FixtureRequest) -> None:
    """Before a test: keep the worlds left by the previous test if this test asks for each of them and
    nothing has changed them; otherwise empty the database."""
    key = database_key(application)
    kept = KEPT.pop(key, None)
    KEPT_AT_START[key] = kept is not None and wanted_by(kept, application, request.node) and intact(kept)
    if KEPT_AT_START[key]:
        KEPT[key] = kept
        db.session.rollback()  # hold no transaction (on SQLite, perhaps the write lock) into the test
    else:
        empty_all_tables()
    WRITES_AT_START[key] = Writes.count


def end_test(application: Flask, request: pytest.FixtureRequest) -> None:
    """After a test: roll back what it left uncommitted; leave unchanged kept worlds for the next test if
    that test asks for them; otherwise empty the database, so that between tests it is empty (fixtures
    that do not use ``app``, such as test_seed's, count on that)."""
    db.session.rollback()
    key = database_key(application)
    kept = KEPT.pop(key, None)
    following = NEXT_TEST[0]
    if (
        kept is not None
        and kept.writes == Writes.count
        and following is not None
        and backend_of(following) == backend_of(request.node)
        and wanted_by(kept, application, following)
    ):
        KEPT[key] = kept
    else:
        empty_all_tables()


def backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec is not None else None


def wanted_by(kept: KeptWorld, application: Flask, item: pytest.Item) -> bool:
    """Whether the test ``item`` asks for every world kept (a test that asks for one of them only must not
    find the other's rows), on the same app."""
    names = getattr(item, "fixturenames", ())
    return (
        kept.app is application
        and getattr(item, "module", None) is not None
        and item.module.__name__ == kept.module
        and all(name in names for name in kept.values)
        and "fresh_app" not in names
    )


def intact(kept: KeptWorld) -> bool:
    """Nothing wrote through SQLAlchemy since they were built, and no table gained or lost a row (which also
    catches writes by other processes and by COPY)."""
    return kept.writes == Writes.count and row_counts_now() == kept.rows


def kept_world(build: Callable) -> Callable:
    """Make ``build`` a fixture whose world is built once and kept for the next tests of its module, for
    as long as they only read it.

    Any write (through any engine of this process: a factory, a service, a request, the browser's server)
    or any change in a table's row count drops the world: the test that wrote gets its database emptied
    afterwards, and the next test builds the world again. So a test may freely write to a kept world; only
    tests that leave it unchanged share it. The ORM objects it holds are attached to each test's session
    again, so they load what is in the database as usual. A kept world may ask for another (``api_world``
    builds on ``world``); it must not ask for fixtures that write (they would write again for every test),
    and it must leave nothing but the database behind (no settings, no monkeypatching)."""
    name = build.__name__
    parameters = list(inspect.signature(build).parameters.values())
    asks_for_request = any(parameter.name == "request" for parameter in parameters)

    @functools.wraps(build)
    def fixture(request: pytest.FixtureRequest, **arguments):
        application = request.getfixturevalue("app")
        key = database_key(application)
        kept = KEPT.get(key)
        if kept is not None and name in kept.values and KEPT_AT_START.get(key):
            attach(kept.values[name])
            return kept.values[name]
        # Worth keeping only if the database holds nothing but the worlds kept so far in this test.
        clean = WRITES_AT_START.get(key) == Writes.count and (kept is None or name not in kept.values)
        value = build(request=request, **arguments) if asks_for_request else build(**arguments)
        db.session.commit()
        if clean:
            kept = KEPT.get(key) or KeptWorld(application, request.module.__name__, {}, 0, {})
            kept.values[name] = value
            kept.writes, kept.rows = Writes.count, row_counts_now()
            db.session.commit()  # hold no transaction (on SQLite, perhaps the write lock) into the test
            KEPT[key] = kept
            WRITES_AT_START[key] = Writes.count
        # Otherwise the kept worlds (if any) stay where they are for this test's other fixtures; the
        # writes since make the end of the test empty the database.
        return value

    others = [parameter for parameter in parameters if parameter.name != "request"]
    request_parameter = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    fixture.__signature__ = inspect.Signature([request_parameter, *others])
    return pytest.fixture(fixture)


def defined_by_a_test(kind: type) -> bool:
    module = kind.__module__
    return module.startswith(("test_", "tests.")) or module == "conftest"


def attach(value: object, seen: set[int] | None = None) -> None:
    """Add every ORM object found in ``value`` (dataclass fields, dict values, list and tuple items, the
    attributes of a SimpleNamespace or of an object of a class a test module defines) to the current
    session: the test that built them has ended, and its session with it."""
    seen = set() if seen is None else seen
    if id(value) in seen or value is None or isinstance(value, str | int | float | bool | bytes):
        return
    seen.add(id(value))
    try:
        object_mapper(value)
    except UnmappedInstanceError:
        pass
    else:
        if value not in db.session:
            db.session.add(value)
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [getattr(value, field.name) for field in dataclasses.fields(value)]
    elif isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, list | tuple | set | frozenset):
        children = list(value)
    elif isinstance(value, SimpleNamespace) or defined_by_a_test(type(value)):
        children = list(vars(value).values())
    else:
        children = []
    for child in children:
        attach(child, seen)
