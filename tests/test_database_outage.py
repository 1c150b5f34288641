"""While the database cannot be reached, every request is answered 503 with Retry-After (JSON under /api/v1)
and writes one line to the log, no traceback (errors.py, database.database_unavailable). A statement that
fails against a database that answered stays a 500 with its traceback: that is a fault to fix."""

import logging
import sqlite3

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from app import create_app
from auth.permissions import PUBLIC, allow
from config import TestConfig
from database import database_unavailable
from extensions import db
from tests.api_helpers import api_error

UNREACHABLE_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:1/markaz"  # nothing listens on port 1


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_app(request, tmp_path):
    """An app whose database cannot be reached: a PostgreSQL port nobody listens on, or an SQLite file in a
    directory that does not exist."""
    url = UNREACHABLE_POSTGRESQL if request.param == "postgresql" else f"sqlite:///{tmp_path}/missing/markaz.db"
    application = create_app(TestConfig(url))
    application.config["PROPAGATE_EXCEPTIONS"] = False  # as served: errors are answered, not raised
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def records_of(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def retry_after(response) -> int:
    """The Retry-After of a 503: 30 s (Flask-Limiter restates it on throttled endpoints, a second less once
    it has rounded down the time gone by)."""
    seconds = int(response.headers["Retry-After"])
    assert 29 <= seconds <= 30, seconds
    return seconds


@pytest.mark.parametrize("path", ["/", "/courses/", "/centres/PB-LHR-01"])
def test_pages_answer_503_with_retry_after_and_log_one_line(unreachable_app, caplog, path):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    assert response.status_code == 503
    assert retry_after(response)
    page = response.get_data(as_text=True)
    assert "Markaz is unavailable for a moment" in page and "Nothing you sent was saved" in page
    assert "Traceback" not in page and "OperationalError" not in page
    [record] = records_of(caplog)
    assert record.exc_info is None and record.levelno == logging.ERROR
    assert record.getMessage().startswith(f"Database unavailable, answered 503 to GET {path}: ")
    assert "\n" not in record.getMessage()


def test_a_signed_in_request_answers_503_too(unreachable_app, caplog):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": "1", "_fresh": True, "_sid": "x" * 43, "_seen": 2_000_000_000})
    with caplog.at_level(logging.INFO):
        response = client.get("/auth/password")
    assert response.status_code == 503 and retry_after(response)
    assert len(records_of(caplog)) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/cohorts", None),
        ("GET", "/api/v1/centres/PB-LHR-01", None),
        ("POST", "/api/v1/tokens", {"email": "staff@markaz.test", "password": "whatever-it-is"}),
    ],
)
def test_the_api_answers_503_in_its_json_shape(unreachable_app, caplog, method, path, body):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.INFO):
        response = client.open(path, method=method, json=body)
    assert api_error(response) == (
        503,
        "unavailable",
        "The service is unavailable for a moment; nothing was changed. Try again shortly.",
        None,
    )
    assert retry_after(response)
    [record] = records_of(caplog)
    assert record.exc_info is None


def test_a_burst_of_requests_logs_one_line_each(unreachable_app, caplog):
    client = unreachable_app.test_client()
    with caplog.at_level(logging.INFO):
        statuses = [client.get("/courses/").status_code for _ in range(20)]
    assert statuses == [503] * 20
    records = records_of(caplog)
    assert len(records) == 20 and all(record.exc_info is None for record in records)


# What counts as "unavailable" ------------------------------------------------------------------------------


def postgres_error(sqlstate: str) -> psycopg.Error:
    """A psycopg error as the server would send it, with its SQLSTATE."""
    return psycopg.errors.lookup(sqlstate)(f"server said {sqlstate}")


def wrapped(original: Exception, kind=sa_exc.OperationalError, invalidated: bool = False) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, original, connection_invalidated=invalidated)


def sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name
    error.sqlite_errorcode = 0
    return error


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (wrapped(psycopg.InterfaceError("the connection is closed"), sa_exc.InterfaceError), True),
        (wrapped(postgres_error("57P01")), True),  # admin shutdown: the server is restarting
        (wrapped(postgres_error("57P03")), True),  # the database system is starting up
        (wrapped(postgres_error("08006")), True),  # connection failure
        (wrapped(postgres_error("53300")), True),  # too many connections
        (wrapped(postgres_error("57014")), False),  # statement timeout: the database answered
        (wrapped(postgres_error("40P01")), False),  # deadlock detected
        (wrapped(postgres_error("55P03")), False),  # lock not available
        (wrapped(postgres_error("57014"), invalidated=True), True),  # SQLAlchemy judged the connection lost
        (wrapped(sqlite_error("unable to open database file", "SQLITE_CANTOPEN")), True),
        (wrapped(sqlite_error("disk I/O error", "SQLITE_IOERR_READ")), True),
        (wrapped(sqlite_error("database is locked", "SQLITE_BUSY")), False),
        (wrapped(sqlite3.InterfaceError("bad parameter"), sa_exc.InterfaceError), False),
        (wrapped(psycopg.errors.UniqueViolation("duplicate"), sa_exc.IntegrityError), False),
        (RuntimeError("not a database error"), False),
    ],
)
def test_which_database_errors_mean_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable


def test_a_locked_sqlite_database_is_a_500_with_its_traceback(fresh_app, caplog):
    app = fresh_app
    """ "database is locked" after the 30-second busy timeout is not an outage: it is answered 500 and logged
    whole, to be looked into."""

    @app.get("/locked-for-test")
    @allow(PUBLIC)
    def locked_for_test():
        raise wrapped(sqlite_error("database is locked", "SQLITE_BUSY"))

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/locked-for-test")
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert any(record.exc_info for record in records_of(caplog))
