"""Configuration: safe local defaults, strict production, and the SQLite connection recipe."""

import threading

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from auth.services import hash_password
from config import Config, ConfigurationError, TestConfig, normalise_database_url
from courses.models import Cohort
from extensions import db


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "MARKAZ_ENV", "SESSION_COOKIE_SECURE", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MARKAZ_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def test_local_defaults_need_nothing_set(clean_environment):
    config = Config()
    assert f"sqlite:///{clean_environment / 'markaz.db'}" == config.SQLALCHEMY_DATABASE_URI
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.SESSION_COOKIE_SECURE is False


def test_passwords_are_hashed_with_scrypt_at_full_cost_except_in_the_test_suite(clean_environment, app):
    """Production (and local use) hash with werkzeug's scrypt at n=2^15; only the suite's app is cheaper."""
    method = Config().PASSWORD_HASH_METHOD
    assert method == "scrypt"
    assert generate_password_hash("a-long-password", method=method).startswith("scrypt:32768:8:1$")
    assert hash_password("a-long-password").startswith("scrypt:1024:8:1$")  # the test app's own setting
    assert Config.PASSWORD_HASH_METHOD != TestConfig.PASSWORD_HASH_METHOD


def test_local_secret_key_is_generated_once_and_kept_private(clean_environment):
    first = Config().SECRET_KEY
    key_file = clean_environment / "secret_key"
    assert len(first) == 64
    assert key_file.stat().st_mode & 0o077 == 0
    assert first == Config().SECRET_KEY


def test_production_requires_secret_key_and_database(clean_environment, monkeypatch):
    monkeypatch.setenv("MARKAZ_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY and DATABASE_URL"):
        Config()
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Config()
    monkeypatch.setenv("DATABASE_URL", "postgresql://markaz@db/markaz")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://markaz@db/markaz"
    assert config.SESSION_COOKIE_SECURE is True
    assert not (clean_environment / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg(given, expected):
    assert normalise_database_url(given) == expected


@pytest.mark.backends("sqlite")
def test_sqlite_connection_recipe(app):
    with db.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}


@pytest.mark.backends("sqlite")
def test_safe_requests_read_without_taking_the_write_lock(app, make_cohort):
    """A GET starts a deferred transaction, so a page renders while another connection writes."""
    make_cohort(seats=5)
    db.session.rollback()
    with db.engine.connect() as writer:
        writer.exec_driver_sql("UPDATE cohort SET seats = 6")  # BEGIN IMMEDIATE: holds the write lock
        response = app.test_client().get("/courses/")
        writer.rollback()
    assert response.status_code == 200


@pytest.mark.backends("sqlite")
def test_sqlite_writers_do_not_lose_updates(app, make_cohort):
    """Read-check-write from many threads at once: BEGIN IMMEDIATE makes each wait its turn, so no
    increment is lost (with the driver's default deferred BEGIN, most of them were). PostgreSQL needs
    an atomic UPDATE or a row lock instead: the enrollment engine's concurrency tests cover both."""
    cohort_id = make_cohort(seats=100).id
    db.session.rollback()  # reading the id began a transaction: end it, or every writer waits for us
    engine = db.engine
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            with engine.begin() as connection:
                count = connection.execute(sa.select(Cohort.enrolled_count).where(Cohort.id == cohort_id)).scalar_one()
                connection.execute(sa.update(Cohort).where(Cohort.id == cohort_id).values(enrolled_count=count + 1))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.get(Cohort, cohort_id).enrolled_count == 30
