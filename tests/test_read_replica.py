"""Reports from a read replica (``DATABASE_READ_URL``, replica.py): the oversight pages, their exports and the
API's reports read a copy of the database; everything else, and every write, the primary; an unreachable
replica is logged once and the primary answers.

The "replica" is a copy of the test's database made after the test's rows were committed (SQLite: the file
copied with SQLite's backup API; PostgreSQL: ``pg_dump``/``pg_restore``, tests/restore_drill.py), in which one
centre is then renamed: a page showing the new name read the replica, the old name the primary.
"""

import logging
import sqlite3
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from api_helpers import token_for
from harness import build_app
from pages import act_as
from restore_drill import restored_copy
from sqlalchemy.engine import make_url

from audit.models import AuditEvent
from extensions import db
from replica import REPLICA_RETRY_SECONDS, reads_from_replica
from vocabulary import Role

PRIMARY_NAME = "Primary Skills Centre"
REPLICA_NAME = "Replica Skills Centre"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/markaz"  # nothing listens on port 1


@contextmanager
def copy_of(database_url: str, folder):
    """A copy of the test's database as it is now: its URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        copy = folder / "replica.db"
        with sqlite3.connect(url.database) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        yield f"sqlite:///{copy}"
    else:
        with restored_copy(database_url, folder) as restored:
            yield restored.url


def rename_centre(url: str, centre_id: int, name: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE centre SET name = :name WHERE id = :id"), {"name": name, "id": centre_id})
    engine.dispose()


def audit_events(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = connection.scalar(sa.select(sa.func.count()).select_from(AuditEvent.__table__))
    engine.dispose()
    return found


@contextmanager
def app_reading(database_url: str, replica_url: str):
    application = build_app(database_url, DATABASE_READ_URL=replica_url)
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()
            application.extensions["markaz_replica"].engine.dispose()


@pytest.fixture
def centre_with_cohort(app, make_centre, make_cohort, make_user):
    centre = make_centre(name=PRIMARY_NAME)
    make_cohort(centre=centre, seats=12)
    admin = make_user(Role.ADMIN)
    made = centre.id, centre.code, admin.id
    db.session.commit()  # and hold no transaction (on SQLite it would keep the other app's writes waiting)
    return made


def test_reports_read_the_replica_and_everything_else_the_primary(app, database_url, tmp_path, centre_with_cohort):
    centre_id, code, admin_id = centre_with_cohort
    with copy_of(database_url, tmp_path) as replica_url:
        rename_centre(replica_url, centre_id, REPLICA_NAME)
        audited_on_replica = audit_events(replica_url)
        audited_on_primary = audit_events(database_url)
        with app_reading(database_url, replica_url) as reading:
            from auth.models import UserAccount

            admin = db.session.get(UserAccount, admin_id)
            # Signed in on the primary only: the access gate reads who is asking there, never on the replica.
            client = act_as(reading.test_client(), admin)
            report = client.get(f"/oversight/centres/{code}")
            assert report.status_code == 200
            assert REPLICA_NAME in report.get_data(as_text=True)
            assert PRIMARY_NAME not in report.get_data(as_text=True)

            public = client.get(f"/centres/{code}")
            assert public.status_code == 200
            assert PRIMARY_NAME in public.get_data(as_text=True)

            export = client.get("/oversight/exports/capacity.csv?by=centre")
            assert export.status_code == 200
            assert REPLICA_NAME in export.get_data(as_text=True)
            # The export's audit event was written to the primary, not the replica.
            assert audit_events(database_url) == audited_on_primary + 1
            assert audit_events(replica_url) == audited_on_replica

            token = token_for(admin)  # on the primary only, like the session
            answer = reading.test_client().get(
                "/api/v1/reports/capacity?group_by=centre", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.get_json()
            assert REPLICA_NAME in {row["name"] for row in answer.get_json()["rows"]}


def test_an_unreachable_replica_is_logged_once_and_the_primary_answers(app, database_url, centre_with_cohort, caplog):
    _, code, admin_id = centre_with_cohort
    with app_reading(database_url, UNREACHABLE) as reading:
        from auth.models import UserAccount

        client = act_as(reading.test_client(), db.session.get(UserAccount, admin_id))
        with caplog.at_level(logging.WARNING, logger="markaz.replica"):
            first = client.get(f"/oversight/centres/{code}")
            started = time.monotonic()
            second = client.get(f"/oversight/centres/{code}")
            second_took = time.monotonic() - started
        assert first.status_code == second.status_code == 200
        assert PRIMARY_NAME in first.get_data(as_text=True) and PRIMARY_NAME in second.get_data(as_text=True)
        warnings = [record.getMessage() for record in caplog.records if record.name == "markaz.replica"]
        assert len(warnings) == 1, warnings  # the second request did not try again
        assert warnings[0].startswith("Read replica unreachable (")
        assert warnings[0].endswith(f"reports read from the primary for the next {REPLICA_RETRY_SECONDS} s")
        assert second_took < 2


def test_without_a_replica_nothing_changes(app, client, sign_in, centre_with_cohort):
    _, code, admin_id = centre_with_cohort
    assert "markaz_replica" not in app.extensions
    from auth.models import UserAccount

    page = sign_in(db.session.get(UserAccount, admin_id)).get(f"/oversight/centres/{code}")
    assert page.status_code == 200 and PRIMARY_NAME in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("oversight.index", True),
        ("oversight.export_trainees", True),
        ("oversight.audit_log_page", True),
        ("api.capacity_report", True),
        ("api.apply", False),
        ("courses.catalogue", False),
        ("auth.login", False),
        ("", False),
    ],
)
def test_which_requests_read_the_replica(endpoint, expected):
    assert reads_from_replica(endpoint) is expected
