"""Test harness: every test that uses the database runs on SQLite and, when ``TEST_DATABASE_URL`` is set,
on PostgreSQL too (the test ids say which: ``[sqlite]`` / ``[postgresql]``).

Each backend's schema is built once per session by the real migrations (``flask db upgrade``), so the
suite tests the schema production gets. The app is built once per database and process (``create_app``
costs ~50 ms, mostly the OpenAPI description); each test runs in its own app context, and afterwards its
settings (``app.config``), mail outbox, rate-limit counters and page cache are put back. A test that
adds routes or needs settings that only ``create_app`` reads asks for ``fresh_app`` (and may set those
settings with ``@pytest.mark.app_config(NAME=value)``): ``app``, ``client`` and the rest then use that
app for the test.

After each test the tables that hold rows are emptied (``harness.empty_all_tables``), except a world
made by a ``@kept_world`` fixture that nothing has changed: the next test of its module that asks for it
gets it as it is. Factories commit, so that what they make is visible to other connections (threads,
the browser's server).
"""

import functools
import itertools
import os
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import harness
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from harness import (  # noqa: F401  (RequestIsolatingClient, empty_all_tables, kept_world: for test modules)
    RequestIsolatingClient,
    build_app,
    empty_all_tables,
    kept_world,
    reset_between_tests,
    row_counts_now,
)
from pages import code_sent_to, csrf_token_of, session_values
from sqlalchemy.engine import make_url

from app import create_app
from auth.models import CentreMembership, UserAccount
from centres.models import Centre, District, Province
from config import TestConfig, normalise_database_url
from courses.models import Cohort, Course
from database import utcnow
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import (
    Admission,
    Area,
    CohortKind,
    CohortStatus,
    Education,
    EnrollmentSource,
    EnrollmentStatus,
    Gender,
    Mode,
    PartnerType,
    Role,
    Shift,
    Track,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI is set but TEST_DATABASE_URL is not: the suite must run on PostgreSQL in CI.")
    if not hasattr(config, "workerinput"):  # once, before any xdist worker starts
        compile_catalogues()
        if POSTGRES_URL and not config.option.collectonly:
            ensure_test_database()


def compile_catalogues() -> None:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older (``make`` does the same), so that a bare
    ``pytest`` tests the Urdu pages as they are now. Written aside and renamed: a reader never sees half a file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for source in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        target = source.with_suffix(".mo")
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as handle:
            catalogue = read_po(handle, locale=source.parent.parent.name)
        partial = target.with_suffix(f".mo.{os.getpid()}")
        with partial.open("wb") as handle:
            write_mo(handle, catalogue)
        os.replace(partial, target)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Tell the ``app`` fixture's teardown (which runs after this) which test comes next: it keeps a world
    in the database only for a next test that asks for it."""
    harness.NEXT_TEST[0] = nextitem


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A group of tests that must share a process (``xdist_group``: the demo seed, the two-host deployment) is
    one group per database: xdist joins the names ("demo-seed_sqlite"), so each group holds one database's tests
    alone and runs them in a row. Mixed, a process went from SQLite to PostgreSQL and back, and the module's
    fixture (a minute of seeding) was built again at every turn; apart, the two run in two processes at once."""
    for item in items:
        backend = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        if backend is not None and item.get_closest_marker("xdist_group") is not None:
            item.add_marker(pytest.mark.xdist_group(backend))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run database tests on every backend, or on those named by ``@pytest.mark.backends(...)``."""
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        backends = [backend for backend in BACKENDS if marker is None or backend in marker.args]
        metafunc.parametrize("backend", backends, scope="session")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print how many tests ran (and passed) on each database, for the CI log."""
    ran: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if report.when != "call" and outcome == "passed":
                continue
            params = re.search(r"\[(.*)\](?:@[\w-]+)?$", report.nodeid)  # "@group": --dist loadgroup's suffix
            ids = params.group(1).split("-") if params else []
            backend = next((b for b in BACKENDS if b in ids), "none")
            ran[backend] += 1
            passed[backend] += outcome == "passed"
    terminalreporter.write_sep("-", "tests per database")
    for backend in [*BACKENDS, "none"]:
        label = "no database" if backend == "none" else backend
        terminalreporter.write_line(f"{label}: {ran[backend]} ran, {passed[backend]} passed")


# Databases -----------------------------------------------------------------------------------------


# The database on the server of TEST_DATABASE_URL that holds every test process's schema. It is made once
# and kept: dropping a database makes PostgreSQL checkpoint, which on a busy disk takes 15 s or more.
TEST_DATABASE = "markaz_tests"


def server_engine(database: str | None = None) -> sa.Engine:
    """An autocommit engine on the server of ``TEST_DATABASE_URL`` (on its own database unless told)."""
    url = make_url(normalise_database_url(POSTGRES_URL))
    return sa.create_engine(url.set(database=database or url.database), isolation_level="AUTOCOMMIT")


def ensure_test_database() -> None:
    """Create ``TEST_DATABASE`` if the server does not have it (before any xdist worker starts)."""
    engine = server_engine()
    try:
        with engine.connect() as connection:
            found = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DATABASE,))
            if found.scalar() is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{TEST_DATABASE}"')
    except sa.exc.OperationalError as error:
        pytest.exit(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error}", returncode=3)
    finally:
        engine.dispose()


def empty_postgres_database() -> str:
    """The URL of a new, empty schema of this process (``markaz_test_<pid>``) in ``TEST_DATABASE``; the URL
    makes it the connection's search path, so the app, migrations and subprocesses given the URL all work
    in it. Its commits do not wait for the disk (``synchronous_commit = off``): a test database need not
    survive a crash, and locking, so every concurrency rule, is unchanged. The database named in
    ``TEST_DATABASE_URL`` is only used to connect."""
    ensure_test_database()
    schema = f"markaz_test_{os.getpid()}"
    engine = server_engine(TEST_DATABASE)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    options = f"-c search_path={schema} -c synchronous_commit=off"
    url = make_url(normalise_database_url(POSTGRES_URL)).set(database=TEST_DATABASE, query={"options": options})
    return url.render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop the schema of ``url`` (made by ``empty_postgres_database``)."""
    schema = re.search(r"search_path=(\w+)", make_url(url).query["options"]).group(1)
    engine = server_engine(TEST_DATABASE)
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def refuse_setup(f_name: str) -> None:
    """Flask's guard of its setup methods (``route``, ``before_request``, ``errorhandler``...), on the app
    every test shares: a route one test added would stay for the others, so every such call fails at once
    (Flask's own guard would let it pass until the app had answered a request)."""
    raise AssertionError(
        f"The setup method {f_name!r} cannot be called on the app every test shares (tests/conftest.py): "
        "a test that adds routes, hooks or error handlers asks for the fresh_app fixture."
    )


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory):
    """Each backend's database and shared app, made when first asked for and kept to the end of the session.

    ``database_url`` and ``shared_app`` are parametrized by backend, and pytest keeps one value of such a
    fixture at a time: a process that goes from SQLite tests to PostgreSQL ones and back (``--dist
    loadfile`` does, file by file) would otherwise migrate a new database at every turn."""
    made: dict[str, tuple[str, Flask]] = {}

    def get(backend: str) -> tuple[str, Flask]:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'markaz-test.db'}"
            else:
                url = empty_postgres_database()
            migrating = create_app(TestConfig(url))
            with migrating.app_context():
                upgrade(directory=MIGRATIONS)
                empty_all_tables()  # on PostgreSQL also turns autovacuum off (harness.QUIET_AUTOVACUUM)
                db.session.remove()
                db.engine.dispose()
            application = build_app(url)
            application._check_setup_finished = refuse_setup  # see refuse_setup
            made[backend] = (url, application)
        return made[backend]

    yield get
    for backend, (url, application) in made.items():
        with application.app_context():
            db.engine.dispose()
        if backend == "postgresql":
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def database_url(backend: str, databases) -> str:
    """The URL of an empty database of ``backend``, migrated to the latest revision."""
    return databases(backend)[0]


@pytest.fixture(scope="session")
def shared_app(backend: str, databases) -> Flask:
    """The app every test on ``database_url`` uses (built once per database and process)."""
    return databases(backend)[1]


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str):
    """An app on the session's database, inside an app context: the shared one, or a new one when the test
    asks for ``fresh_app``. Afterwards its settings are put back and every table is emptied (but for a
    kept world nothing changed: see ``harness.kept_world``)."""
    fresh = "fresh_app" in request.fixturenames
    if fresh:
        marker = request.node.get_closest_marker("app_config")
        application = build_app(database_url, **(marker.kwargs if marker else {}))
    else:
        application = request.getfixturevalue("shared_app")
    with application.app_context():
        reset_between_tests(application)
        harness.start_test(application, request)
        try:
            yield application
        finally:
            harness.end_test(application, request)
            reset_between_tests(application)
            db.session.remove()
            if fresh:
                db.engine.dispose()


@pytest.fixture
def fresh_app(app):
    """An app built for this test alone (``create_app`` again), for tests that add routes or need settings
    read only when the app is built (``@pytest.mark.app_config(PROXY_COUNT=1)``). It is ``app`` for the
    test, so ``client``, ``sign_in`` and the rest use it."""
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sign_in(client):
    """``sign_in(user)``: make ``client`` signed in as ``user`` (as Flask-Login's session records it)."""

    def sign(user: UserAccount):
        with client.session_transaction() as session:
            session.clear()
            session.update(session_values(user))
        return client

    return sign


@pytest.fixture
def csrf_token(client):
    """``csrf_token(path)``: GET ``path`` with ``client`` and return the CSRF token of its form, as a
    browser would submit it."""

    return functools.partial(csrf_token_of, client)


@pytest.fixture
def sms_code(app):
    """``sms_code(phone)``: the 6-digit code last sent by SMS to ``phone`` (E.164), read from the outbox."""
    return code_sent_to


@pytest.fixture
def row_counts(app):
    """A function returning the number of rows in every table: compare before and after a refusal.

    Sessions (``user_session``) are left out: the ``sign_in`` fixture writes one each time it signs a client in,
    which a test may do between its two counts. Tests of signing in count sessions themselves
    (``tests/test_sessions.py``)."""

    return row_counts_now


# Factories -----------------------------------------------------------------------------------------

_sequence = itertools.count(1)


def next_number() -> int:
    return next(_sequence)


@pytest.fixture
def make_province(app):
    def make(**fields) -> Province:
        number = next_number()
        values = {"code": f"P{number % 1000:03d}", "name": f"Province {number}", "name_ur": ""} | fields
        province = Province(**values)
        db.session.add(province)
        db.session.commit()
        return province

    return make


@pytest.fixture
def make_district(app, make_province):
    def make(province: Province | None = None, **fields) -> District:
        number = next_number()
        values = {"code": f"D{number % 1000:03d}", "name": f"District {number}", "name_ur": "", "rural": False} | fields
        district = District(province=province or make_province(), **values)
        db.session.add(district)
        db.session.commit()
        return district

    return make


@pytest.fixture
def make_centre(app, make_district):
    def make(district: District | None = None, **fields) -> Centre:
        number = next_number()
        values = {
            "code": f"TS-TST-{number:02d}",
            "name": f"Test Centre {number}",
            "address": "1 Test Road",
            "partner_type": PartnerType.UNIVERSITY,
            "partner_name": "Test University",
            "lab_seats": 30,
            "women_only": False,
            "active": True,
        } | fields
        centre = Centre(district=district or make_district(), **values)
        db.session.add(centre)
        db.session.commit()
        return centre

    return make


@pytest.fixture
def make_course(app):
    def make(**fields) -> Course:
        number = next_number()
        values = {
            "code": f"TST-{number}",
            "title": f"Test Course {number}",
            "track": Track.SOFTWARE_DEVELOPMENT,
            "summary": "A course for tests.",
            "weeks": 8,
            "min_age": 16,
            "max_age": 40,
            "min_education": Education.MATRIC,
        } | fields
        course = Course(**values)
        db.session.add(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def make_cohort(app, make_centre, make_course):
    """``make_cohort(seats=3)``: an open cohort, applications open now, starting in three weeks."""

    def make(centre: Centre | None = None, course: Course | None = None, **fields) -> Cohort:
        number = next_number()
        today = utcnow().date()
        starts_on = fields.pop("starts_on", today + timedelta(days=21))
        values = {
            "code": f"COH-{number}",
            "kind": CohortKind.REGULAR,
            "women_only": False,
            "starts_on": starts_on,
            "ends_on": starts_on + timedelta(days=55),
            "shift": Shift.MORNING,
            "mode": Mode.ON_SITE,
            "seats": 10,
            # The window opened four weeks before the start and closes on the first day.
            "applications_open_at": datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC) - timedelta(days=28),
            "applications_close_at": datetime.combine(starts_on, datetime.min.time(), tzinfo=UTC),
            "admission": Admission.FIRST_COME,
            "status": CohortStatus.OPEN,
        } | fields
        cohort = Cohort(centre=centre or make_centre(), course=course or make_course(), **values)
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return make


@pytest.fixture
def make_trainee(app, make_district):
    def make(district: District | None = None, **fields) -> Trainee:
        number = next_number()
        values = {
            "cnic": f"35202{number:07d}2",
            "full_name": f"Test Trainee {number}",
            "gender": Gender.FEMALE,
            "date_of_birth": date(2000, 1, 15),
            "phone": f"+92300{number:07d}",
            "area": Area.URBAN,
            "education": Education.INTERMEDIATE,
        } | fields
        trainee = Trainee(district=district or make_district(), **values)
        db.session.add(trainee)
        db.session.commit()
        return trainee

    return make


@pytest.fixture
def make_user(app):
    def make(role: Role = Role.TRAINEE, *, centres: tuple[Centre, ...] = (), **fields) -> UserAccount:
        number = next_number()
        values = {"email": f"user{number}@markaz.test", "password_hash": "!", "full_name": f"User {number}"}
        user = UserAccount(role=role, **(values | fields))
        user.memberships = [CentreMembership(centre=centre) for centre in centres]
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_enrollment(app):
    def make(trainee: Trainee, cohort: Cohort, **fields) -> Enrollment:
        values = {"status": EnrollmentStatus.ENROLLED, "source": EnrollmentSource.ONLINE} | fields
        enrollment = Enrollment(trainee=trainee, cohort=cohort, **values)
        db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return make
