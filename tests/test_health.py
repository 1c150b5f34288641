"""/healthz, /readyz and /metrics (health/): no session, no rate limit; readiness fails while the database is
away and recovers after; metrics only for the configured addresses or the token."""

import contextlib
import shutil
import socket
import threading

import pytest
import sqlalchemy as sa

from app import create_app
from config import TestConfig
from extensions import db
from notifications.outbox import queue_sms
from vocabulary import EnrollmentStatus, MessageStatus


def test_healthz_answers_without_a_session_or_the_database(client):
    for _ in range(50):  # never throttled
        response = client.get("/healthz")
        assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_checks_the_database_migrations_and_redis(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "not used"},
    }
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    assert client.get("/readyz").get_json()["checks"]["redis"] == "ok"
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("unreachable: ConnectionError")


def test_readyz_fails_when_the_schema_is_behind_the_code(app, client):
    with db.engine.begin() as connection:
        [head] = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'e3ee5ccf377f'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["migrations"] == (
            f"not at head: the database is at e3ee5ccf377f, this code needs {head} (run flask db upgrade)"
        )
    finally:
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    assert client.get("/readyz").status_code == 200


class Forwarder:
    """A TCP forwarder to PostgreSQL that can be cut (the database "goes away") and restored."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.connections: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()

    def cut(self):
        self.open.clear()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.connections.clear()

    def restore(self):
        self.open.set()

    def close(self):
        self.cut()
        self.listener.close()


def test_readyz_fails_while_the_database_is_away_and_recovers_after(backend, database_url, tmp_path):
    """On PostgreSQL the connection goes through a forwarder that is cut then restored; on SQLite the database's
    directory is moved away then back."""
    if backend == "postgresql":
        url = sa.engine.make_url(database_url)
        forwarder = Forwarder((url.host, url.port or 5432))
        app_url = url.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    else:
        home = tmp_path / "db"
        home.mkdir()
        shutil.copy(database_url.removeprefix("sqlite:///"), home / "markaz.db")
        app_url = f"sqlite:///{home}/markaz.db"
    application = create_app(TestConfig(app_url))
    client = application.test_client()
    with application.app_context():
        try:
            assert client.get("/readyz").status_code == 200
            if backend == "postgresql":
                forwarder.cut()
            else:
                db.engine.dispose()
                home.rename(tmp_path / "away")
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.get_json()["checks"]["database"].startswith("unreachable: OperationalError")
            assert "migrations" not in response.get_json()["checks"]
            assert client.get("/healthz").status_code == 200  # the process still answers
            if backend == "postgresql":
                forwarder.restore()
            else:
                (tmp_path / "away").rename(home)
            response = client.get("/readyz")
            assert response.status_code == 200, response.get_json()
        finally:
            db.engine.dispose()
            if backend == "postgresql":
                forwarder.close()


@pytest.fixture
def metrics_client(app, client):
    app.config["METRICS_TOKEN"] = "scrape-me"
    return client


def scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_metrics_only_with_the_token_or_from_an_allowed_address(app, metrics_client):
    assert metrics_client.get("/metrics").status_code == 403
    assert metrics_client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert "markaz_request_duration_seconds" in scrape(metrics_client)
    from config import networks

    app.config["METRICS_TOKEN"] = ""
    app.config["METRICS_ALLOW"] = networks("10.0.0.0/8")
    assert metrics_client.get("/metrics").status_code == 403  # the test client comes from 127.0.0.1
    app.config["METRICS_ALLOW"] = networks("10.0.0.0/8, 127.0.0.1")
    assert metrics_client.get("/metrics").status_code == 200


@pytest.mark.app_config(PROXY_COUNT=1)
def test_behind_a_proxy_the_allowed_address_is_the_forwarded_one(fresh_app, client):
    from config import networks

    fresh_app.config["METRICS_ALLOW"] = networks("192.0.2.0/24")
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 200
    assert client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 403
    assert client.get("/metrics").status_code == 403  # the proxy itself (127.0.0.1) is not allowed


def test_a_bad_cidr_is_a_configuration_error():
    from config import ConfigurationError, networks

    with pytest.raises(ConfigurationError, match=r"'10\.0\.0\.0/33' is not an address or CIDR"):
        networks("10.0.0.0/33")


def test_metrics_report_requests_applications_offers_and_the_outbox(
    metrics_client, make_cohort, make_trainee, make_enrollment
):
    cohort = make_cohort(seats=5, enrolled_count=2, waitlisted_count=1, offered_count=1, applications_count=4)
    queue_sms("+923001234567", "test", "one")
    queue_sms("+923001234568", "test", "two").status = MessageStatus.FAILED
    db.session.commit()
    assert cohort.id and metrics_client.get("/centres/").status_code == 200
    page = scrape(metrics_client)
    assert 'markaz_request_duration_seconds_count{endpoint="centres.index",method="GET",status="200"}' in page
    assert 'markaz_applications{outcome="enrolled"} 2.0' in page
    assert 'markaz_applications{outcome="waitlisted"} 1.0' in page
    assert 'markaz_applications{outcome="all"} 4.0' in page
    assert "markaz_offers_pending 1.0" in page
    assert 'markaz_outbox_messages{status="pending"} 1.0' in page
    assert "markaz_outbox_failed 1.0" in page
    [age] = [line for line in page.splitlines() if line.startswith("markaz_outbox_oldest_pending_seconds ")]
    assert 0 <= float(age.split()[1]) < 60
    assert EnrollmentStatus.OFFERED  # the offered outcome is the cohorts' offered_count


def test_unknown_urls_are_one_label_not_one_per_path(metrics_client):
    for number in range(3):
        metrics_client.get(f"/no-such-page-{number}")
    page = scrape(metrics_client)
    assert 'endpoint="unmatched",method="GET",status="404"' in page and "no-such-page" not in page
