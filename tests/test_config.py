"""Configuration: safe local defaults, strict production, and the SQLite connection recipe."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from auth.services import hash_password
from config import Config, ConfigurationError, TestConfig, normalise_database_url
from courses.models import Cohort
from extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    for name in (
        "SECRET_KEY",
        "DATABASE_URL",
        "MARKAZ_ENV",
        "SESSION_COOKIE_SECURE",
        "RATELIMIT_STORAGE_URI",
        "MARKAZ_BASE_URL",
        "MARKAZ_TRUSTED_HOSTS",
        "SMS_BACKEND",
        "MARKAZ_STAFF_IDLE_MINUTES",
        "MARKAZ_TRAINEE_IDLE_MINUTES",
        "MARKAZ_SESSION_MAX_HOURS",
    ):
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


PRODUCTION = {
    "MARKAZ_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql://markaz@db/markaz",
    "MARKAZ_BASE_URL": "https://markaz.example.pk/",
    "RATELIMIT_STORAGE_URI": "redis://redis:6379",
}


def test_production_requires_secret_key_database_base_url_and_shared_counters(clean_environment, monkeypatch):
    monkeypatch.setenv("MARKAZ_ENV", "production")
    with pytest.raises(
        ConfigurationError,
        match="SECRET_KEY, DATABASE_URL, MARKAZ_BASE_URL and RATELIMIT_STORAGE_URI must be set in the environment",
    ):
        Config()
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://markaz@db/markaz"
    assert config.SESSION_COOKIE_SECURE is True
    assert config.BASE_URL == "https://markaz.example.pk"
    assert not (clean_environment / "secret_key").exists()
    for name in ("SECRET_KEY", "DATABASE_URL", "MARKAZ_BASE_URL", "RATELIMIT_STORAGE_URI"):
        monkeypatch.delenv(name)
        with pytest.raises(ConfigurationError, match=f"^{name} must be set in the environment in production"):
            Config()
        monkeypatch.setenv(name, PRODUCTION[name])


@pytest.mark.parametrize("storage", ["memory://", "memory://?anything"])
def test_production_refuses_rate_limit_counters_kept_in_each_process(clean_environment, monkeypatch, storage):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", storage)
    with pytest.raises(ConfigurationError, match="counts per process: in production point it at Redis"):
        Config()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://markaz.example.pk", "must start with https:// in production"),
        ("markaz.example.pk", "is not a site address"),
        ("https://", "is not a site address"),
        ("https://markaz.example.pk/?next=x", "is not a site address"),
    ],
)
def test_production_base_url_must_be_an_https_address(clean_environment, monkeypatch, value, message):
    for name, setting in PRODUCTION.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setenv("MARKAZ_BASE_URL", value)
    with pytest.raises(ConfigurationError, match=message):
        Config()


def test_production_trusts_the_base_urls_host_and_the_listed_ones_only(clean_environment, monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    assert Config().TRUSTED_HOSTS == ["markaz.example.pk"]
    monkeypatch.setenv("MARKAZ_TRUSTED_HOSTS", " 10.0.0.5, Markaz.Internal ,, ")
    assert Config().TRUSTED_HOSTS == ["markaz.example.pk", "10.0.0.5", "markaz.internal"]


def test_local_use_has_a_base_url_trusts_any_host_and_logs_sms(clean_environment):
    config = Config()
    assert config.BASE_URL == "http://127.0.0.1:5000"
    assert config.TRUSTED_HOSTS is None
    assert config.SMS_BACKEND == "log"
    assert (config.STAFF_IDLE_MINUTES, config.TRAINEE_IDLE_MINUTES, config.SESSION_MAX_HOURS) == (30, 120, 12)


def test_production_has_no_sms_sender_unless_one_is_chosen(clean_environment, monkeypatch):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    assert Config().SMS_BACKEND == ""
    monkeypatch.setenv("SMS_BACKEND", "log")
    assert Config().SMS_BACKEND == "log"


def test_the_documented_production_settings_start_the_app(tmp_path):
    """What the README's production section sets (Redis for the counters included: its client must be
    installed) starts the app: the hook every change is checked with runs this very command."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("MARKAZ_", "SMS_", "RATELIMIT_"))
    } | {
        "MARKAZ_ENV": "production",
        "SECRET_KEY": "hook-check",
        "MARKAZ_BASE_URL": "https://markaz.example.pk",
        "DATABASE_URL": f"sqlite:///{tmp_path}/check.db",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "MARKAZ_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "app", "routes"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "/auth/login" in result.stdout


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
