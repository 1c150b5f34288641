"""Configuration read from the environment when the app is created (never at import time).

Local use needs nothing set: the database is SQLite under ``instance/`` and a secret key is generated
once and kept in ``instance/secret_key``. Production (``MARKAZ_ENV=production``) refuses to start
without ``SECRET_KEY`` and ``DATABASE_URL`` from the environment.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigurationError(RuntimeError):
    """A setting that production requires is missing or wrong."""


def instance_dir() -> Path:
    return Path(os.environ.get("MARKAZ_INSTANCE_PATH", BASE_DIR / "instance"))


def instance_secret_key() -> str:
    """Return the local secret key, creating ``instance/secret_key`` (mode 0600) on first use."""
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Point bare ``postgres://`` / ``postgresql://`` URLs at psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for local use and production; every value can be overridden from the environment."""

    SQLALCHEMY_RECORD_QUERIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    RATELIMIT_HEADERS_ENABLED = True
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Karachi"
    LANGUAGES = ("en", "ur")
    # Uploads (trainee lists) are at most 5 MB; a larger request is refused before anything reads it.
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    # werkzeug's scrypt at its full cost (n=2^15, r=8, p=1): some 70 ms of CPU and 32 MB per hash, on purpose.
    PASSWORD_HASH_METHOD = "scrypt"
    # Public lists are paginated; nobody may ask for more than this per page.
    PAGE_SIZE = 20
    MAX_PAGE_SIZE = 100

    def __init__(self) -> None:
        self.ENV_NAME = os.environ.get("MARKAZ_ENV", "development")
        production = self.ENV_NAME == "production"
        if production:
            missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
            if missing:
                raise ConfigurationError(f"{' and '.join(missing)} must be set in the environment in production.")
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or instance_secret_key()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'markaz.db'}"
        )
        # Sessions are signed cookies: the app keeps no state in its processes.
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", production)
        # memory:// counts per process; production sets redis://... so all workers share counters.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # A trainee may hold at most this many active places (pending, waitlisted, enrolled) at once.
        self.MAX_ACTIVE_PLACES = int(os.environ.get("MARKAZ_MAX_ACTIVE_PLACES", "2"))
        # How long an API token lasts before its owner must make a new one.
        self.API_TOKEN_DAYS = int(os.environ.get("MARKAZ_API_TOKEN_DAYS", "30"))
        # Seconds a worker keeps the catalogue as rendered for readers who are not signed in (0: off).
        self.PUBLIC_PAGE_CACHE_SECONDS = float(os.environ.get("MARKAZ_PUBLIC_PAGE_CACHE_SECONDS", "5"))
        # How many reverse proxies stand in front of the app (0: none, trust no X-Forwarded-* header).
        self.PROXY_COUNT = int(os.environ.get("MARKAZ_PROXY_COUNT", "0"))
        # Outgoing mail: "log" writes each message to the log (development); "smtp" sends it.
        self.MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp" if production else "log")
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "Markaz <no-reply@markaz.gov.pk>")
        # SMS to trainees: no provider is wired yet; "log" writes each message to the log.
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "log")
        # How long a password-reset link works.
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("MARKAZ_PASSWORD_RESET_MAX_AGE", str(60 * 60)))
        # How long the set-your-password link of an account made by an admin works.
        self.ACCOUNT_WELCOME_MAX_AGE = int(os.environ.get("MARKAZ_ACCOUNT_WELCOME_MAX_AGE", str(7 * 24 * 3600)))
        # Oversight flags: running cohorts filling less than this share of their seats are "under-used";
        # a women's share of places below this target is flagged (fractions: 0.6 is 60%).
        self.UNDERUSED_BELOW = float(os.environ.get("MARKAZ_UNDERUSED_BELOW", "0.6"))
        self.WOMEN_SHARE_TARGET = float(os.environ.get("MARKAZ_WOMEN_SHARE_TARGET", "0.5"))


class TestConfig(Config):
    """Settings for the test suite; the fixtures choose the database."""

    TESTING = True
    __test__ = False  # not a test class, whatever pytest thinks of the name
    # The same scrypt at 1/32 of the cost: the suite signs in hundreds of times, and what a guess costs is
    # not what it tests (Django's documentation advises the same). Config keeps the full cost (test_config).
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

    def __init__(self, database_url: str) -> None:
        self.ENV_NAME = "test"
        self.SECRET_KEY = secrets.token_hex(16)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.SESSION_COOKIE_SECURE = False
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.MAX_ACTIVE_PLACES = 2
        self.API_TOKEN_DAYS = 30
        self.PUBLIC_PAGE_CACHE_SECONDS = 0  # tests see every change at once; the cache has its own tests
        self.PROXY_COUNT = 0
        self.MAIL_BACKEND = "memory"  # tests read app.extensions["mail_outbox"]
        self.SMS_BACKEND = "log"
        self.MAIL_SENDER = "Markaz <no-reply@markaz.test>"
        self.PASSWORD_RESET_MAX_AGE = 3600
        self.ACCOUNT_WELCOME_MAX_AGE = 7 * 24 * 3600
        self.UNDERUSED_BELOW = 0.6
        self.WOMEN_SHARE_TARGET = 0.5
