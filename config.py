"""Configuration read from the environment when the app is created (never at import time).

Local use needs nothing set: the database is SQLite under ``instance/`` and a secret key is generated
once and kept in ``instance/secret_key``. Production (``MARKAZ_ENV=production``) refuses to start
(``ConfigurationError``) without ``SECRET_KEY``, ``DATABASE_URL`` and an https ``MARKAZ_BASE_URL`` from the
environment, or with rate-limit counters kept in each process (``RATELIMIT_STORAGE_URI`` unset or
``memory://``); it answers requests for any host but the base URL's (and ``MARKAZ_TRUSTED_HOSTS``) with 400.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

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


def base_url(value: str, *, production: bool) -> str:
    """``MARKAZ_BASE_URL`` checked and without its trailing slash: the public address every link in mail
    and SMS starts with (``links.absolute_url``). Production needs https: a reset link sent over plain
    http could be read on the way."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(
            f"MARKAZ_BASE_URL={value!r} is not a site address: write it as https://markaz.example.pk "
            "(a path after the host is allowed, nothing after a ? or #)."
        )
    if production and parts.scheme != "https":
        raise ConfigurationError(f"MARKAZ_BASE_URL={value!r} must start with https:// in production.")
    return value.strip().rstrip("/")


def trusted_hosts(base: str, extra: str) -> list[str]:
    """The host names requests may name in production: the base URL's, and any listed (comma-separated)
    in ``MARKAZ_TRUSTED_HOSTS`` (say, the address a load balancer's health check uses)."""
    names = [urlsplit(base).hostname or ""] + [name.strip().lower() for name in extra.split(",")]
    return list(dict.fromkeys(name for name in names if name))


def networks(value: str) -> tuple:
    """``MARKAZ_METRICS_ALLOW``: comma-separated addresses or CIDRs (``10.0.0.0/8, 127.0.0.1``)."""
    found = []
    for part in (part.strip() for part in value.split(",")):
        if not part:
            continue
        try:
            found.append(ipaddress.ip_network(part, strict=False))
        except ValueError as error:
            raise ConfigurationError(f"MARKAZ_METRICS_ALLOW: {part!r} is not an address or CIDR ({error}).") from None
    return tuple(found)


def outcome_waves(value: str) -> tuple[int, ...]:
    """``MARKAZ_OUTCOME_WAVES`` ("3,6,12"): months after a cohort ends, ascending; only 3, 6 and 12 are known
    to the database (``outcome_wave.months``)."""
    try:
        months = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError:
        months = ()
    if not months or not set(months) <= {3, 6, 12}:
        raise ConfigurationError(f"MARKAZ_OUTCOME_WAVES={value!r}: list months among 3, 6 and 12, such as 3,6,12.")
    return months


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
    # While the counters' store (Redis) does not answer, each process counts in its own memory with the same
    # limits, and goes back to the store once it answers again: sign-in stays open and throttled (per worker)
    # instead of failing for everyone while Redis restarts.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
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
            required = ("SECRET_KEY", "DATABASE_URL", "MARKAZ_BASE_URL", "RATELIMIT_STORAGE_URI")
            missing = [name for name in required if not os.environ.get(name)]
            if missing:
                names = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
                raise ConfigurationError(f"{names} must be set in the environment in production.")
            if os.environ["RATELIMIT_STORAGE_URI"].startswith("memory://"):
                # Each worker would count sign-in failures alone: 2 workers, twice the guesses.
                raise ConfigurationError(
                    "RATELIMIT_STORAGE_URI=memory:// counts per process: in production point it at Redis "
                    "(redis://host:6379) so that every worker shares the sign-in limits."
                )
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or instance_secret_key()
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir() / 'markaz.db'}"
        )
        # Optional: a read replica of DATABASE_URL for oversight's reports and exports (replica.py).
        self.DATABASE_READ_URL = normalise_database_url(os.environ.get("DATABASE_READ_URL", ""))
        # The public address of the site: every link that leaves it (mail, SMS) starts with it, never
        # with the Host header of the request that caused the message.
        self.BASE_URL = base_url(os.environ.get("MARKAZ_BASE_URL", "http://127.0.0.1:5000"), production=production)
        # Production answers requests naming any other host with 400 (Flask's TRUSTED_HOSTS).
        self.TRUSTED_HOSTS = (
            trusted_hosts(self.BASE_URL, os.environ.get("MARKAZ_TRUSTED_HOSTS", "")) if production else None
        )
        # Sessions are signed cookies naming a server-side record (auth/sessions.py): the app keeps no
        # state in its processes.
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", production)
        # A session ends after this many minutes without a request: staff, overseers and admins see
        # personal data of many people; trainees only their own.
        self.STAFF_IDLE_MINUTES = int(os.environ.get("MARKAZ_STAFF_IDLE_MINUTES", "30"))
        self.TRAINEE_IDLE_MINUTES = int(os.environ.get("MARKAZ_TRAINEE_IDLE_MINUTES", "120"))
        # ... and this many hours after sign-in whatever happens (the cookie's signature expires too).
        self.SESSION_MAX_HOURS = int(os.environ.get("MARKAZ_SESSION_MAX_HOURS", "12"))
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_MAX_HOURS)
        # memory:// counts per process (local use only); production refuses it (see above).
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        # Prefix of the counters' keys, for a Redis shared with other apps (or tests).
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "markaz")
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
        # SMS to trainees: no provider is wired yet; "log" writes each message to the log (number masked).
        # In production an unset SMS_BACKEND means no sender: `flask outbox send` then keeps SMS queued
        # and says so, rather than "sending" them to a log nobody reads.
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "" if production else "log")
        # The SMS gateway (SMS_BACKEND=http, notifications/sms.py): see README "SMS gateway".
        self.SMS_URL = os.environ.get("MARKAZ_SMS_URL", "")
        self.SMS_METHOD = os.environ.get("MARKAZ_SMS_METHOD", "POST").upper()
        self.SMS_USERNAME = os.environ.get("MARKAZ_SMS_USERNAME", "")
        self.SMS_PASSWORD = os.environ.get("MARKAZ_SMS_PASSWORD", "")
        self.SMS_AUTH = os.environ.get("MARKAZ_SMS_AUTH", "")  # "basic": HTTP basic auth (Twilio)
        self.SMS_SENDER_ID = os.environ.get("MARKAZ_SMS_SENDER_ID", "")
        self.SMS_TEMPLATE = os.environ.get("MARKAZ_SMS_TEMPLATE", "to={to}&msg={text}&mask={sender}&id={key}")
        self.SMS_UNICODE_PARAM = os.environ.get("MARKAZ_SMS_UNICODE_PARAM", "unicode=1")
        self.SMS_PHONE_FORMAT = os.environ.get("MARKAZ_SMS_PHONE_FORMAT", "international")
        self.SMS_SUCCESS = os.environ.get("MARKAZ_SMS_SUCCESS", "")
        self.SMS_ID_FIELD = os.environ.get("MARKAZ_SMS_ID_FIELD", "")
        self.SMS_IDEMPOTENCY_HEADER = os.environ.get("MARKAZ_SMS_IDEMPOTENCY_HEADER", "Idempotency-Key")
        self.SMS_TIMEOUT_SECONDS = float(os.environ.get("MARKAZ_SMS_TIMEOUT_SECONDS", "10"))
        self.SMS_COST_PER_SEGMENT = float(os.environ.get("MARKAZ_SMS_COST_PER_SEGMENT", "0"))
        self.SMS_WEBHOOK_SECRET = os.environ.get("MARKAZ_SMS_WEBHOOK_SECRET", "")
        # The sender (notifications/sender.py): messages claimed per batch, how long a claim lasts, attempts
        # before a message fails, and the backoff between attempts (doubling from the first, capped).
        self.OUTBOX_BATCH_SIZE = int(os.environ.get("MARKAZ_OUTBOX_BATCH_SIZE", "100"))
        self.OUTBOX_LEASE_SECONDS = int(os.environ.get("MARKAZ_OUTBOX_LEASE_SECONDS", "300"))
        self.OUTBOX_CONCURRENCY = int(os.environ.get("MARKAZ_OUTBOX_CONCURRENCY", "10"))
        self.OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MARKAZ_OUTBOX_MAX_ATTEMPTS", "6"))
        self.OUTBOX_BACKOFF_SECONDS = float(os.environ.get("MARKAZ_OUTBOX_BACKOFF_SECONDS", "30"))
        self.OUTBOX_BACKOFF_MAX_SECONDS = float(os.environ.get("MARKAZ_OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
        # `flask worker` (worker.py): seconds between runs of each timed job.
        self.WORKER_SEND_SECONDS = float(os.environ.get("MARKAZ_WORKER_SEND_SECONDS", "2"))
        self.WORKER_OFFERS_SECONDS = float(os.environ.get("MARKAZ_WORKER_OFFERS_SECONDS", "60"))
        self.WORKER_OUTCOMES_SECONDS = float(os.environ.get("MARKAZ_WORKER_OUTCOMES_SECONDS", "3600"))
        # Logs (request_log.py): "json" (one JSON object a line) or "text"; and the level.
        self.LOG_FORMAT = os.environ.get("MARKAZ_LOG_FORMAT", "json" if production else "text")
        self.LOG_LEVEL = os.environ.get("MARKAZ_LOG_LEVEL", "INFO")
        # /metrics (health/): timing of requests on or off, and who may read it: addresses (CIDRs,
        # comma-separated) or a bearer token. Neither set: nobody.
        self.METRICS_ENABLED = env_bool("MARKAZ_METRICS", True)
        self.METRICS_ALLOW = networks(os.environ.get("MARKAZ_METRICS_ALLOW", ""))
        self.METRICS_TOKEN = os.environ.get("MARKAZ_METRICS_TOKEN", "")
        # How long a password-reset link works.
        self.PASSWORD_RESET_MAX_AGE = int(os.environ.get("MARKAZ_PASSWORD_RESET_MAX_AGE", str(60 * 60)))
        # How long the set-your-password link of an account made by an admin works.
        self.ACCOUNT_WELCOME_MAX_AGE = int(os.environ.get("MARKAZ_ACCOUNT_WELCOME_MAX_AGE", str(7 * 24 * 3600)))
        # Oversight flags: running cohorts filling less than this share of their seats are "under-used";
        # a women's share of places below this target is flagged (fractions: 0.6 is 60%).
        self.UNDERUSED_BELOW = float(os.environ.get("MARKAZ_UNDERUSED_BELOW", "0.6"))
        self.WOMEN_SHARE_TARGET = float(os.environ.get("MARKAZ_WOMEN_SHARE_TARGET", "0.5"))
        # Attendance (``attendance.services``): a trainee absent on this many class days in a row is "at risk".
        self.AT_RISK_ABSENCES = int(os.environ.get("MARKAZ_AT_RISK_ABSENCES", "3"))
        # Outcomes (DESIGN.md, "Outcomes"): follow-ups this many months after a completed cohort ends (each
        # open until the next is due; the last for 3 months), and the one reminder after this many days unanswered.
        self.OUTCOME_WAVES = outcome_waves(os.environ.get("MARKAZ_OUTCOME_WAVES", "3,6,12"))
        self.OUTCOME_REMINDER_DAYS = int(os.environ.get("MARKAZ_OUTCOME_REMINDER_DAYS", "7"))
        # Public holidays on fixed dates, as month-day, on which no class meets (5 Feb, 23 Mar, 1 May, 14 Aug,
        # 9 Nov, 25 Dec); the holidays that follow the moon are added or cancelled per cohort by staff.
        self.PUBLIC_HOLIDAYS = tuple(
            day.strip()
            for day in os.environ.get("MARKAZ_PUBLIC_HOLIDAYS", "02-05,03-23,05-01,08-14,11-09,12-25").split(",")
            if day.strip()
        )


TEST_SMS_SETTINGS = {
    "SMS_URL": "",
    "SMS_METHOD": "POST",
    "SMS_USERNAME": "",
    "SMS_PASSWORD": "",
    "SMS_AUTH": "",
    "SMS_SENDER_ID": "",
    "SMS_TEMPLATE": "to={to}&msg={text}&mask={sender}&id={key}",
    "SMS_UNICODE_PARAM": "unicode=1",
    "SMS_PHONE_FORMAT": "international",
    "SMS_SUCCESS": "",
    "SMS_ID_FIELD": "",
    "SMS_IDEMPOTENCY_HEADER": "Idempotency-Key",
    "SMS_TIMEOUT_SECONDS": 10.0,
    "SMS_COST_PER_SEGMENT": 0.0,
    "SMS_WEBHOOK_SECRET": "",
}


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
        self.DATABASE_READ_URL = ""
        self.SESSION_COOKIE_SECURE = False
        self.BASE_URL = "http://markaz.test"
        self.TRUSTED_HOSTS = None
        self.STAFF_IDLE_MINUTES = 30
        self.TRAINEE_IDLE_MINUTES = 120
        self.SESSION_MAX_HOURS = 12
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.RATELIMIT_KEY_PREFIX = "markaz"
        self.MAX_ACTIVE_PLACES = 2
        self.API_TOKEN_DAYS = 30
        self.PUBLIC_PAGE_CACHE_SECONDS = 0  # tests see every change at once; the cache has its own tests
        self.PROXY_COUNT = 0
        self.MAIL_BACKEND = "memory"  # tests read app.extensions["mail_outbox"]
        self.SMS_BACKEND = "log"
        for name in TEST_SMS_SETTINGS:  # the gateway's defaults; tests that use it set their own
            setattr(self, name, TEST_SMS_SETTINGS[name])
        self.LOG_FORMAT = ""  # pytest captures the logs
        self.LOG_LEVEL = "INFO"
        self.METRICS_ENABLED = True
        self.METRICS_ALLOW = ()
        self.METRICS_TOKEN = ""
        self.OUTBOX_BATCH_SIZE = 100
        self.OUTBOX_LEASE_SECONDS = 300
        self.OUTBOX_CONCURRENCY = 10
        self.OUTBOX_MAX_ATTEMPTS = 6
        self.OUTBOX_BACKOFF_SECONDS = 30.0
        self.OUTBOX_BACKOFF_MAX_SECONDS = 3600.0
        self.WORKER_SEND_SECONDS = 2.0
        self.WORKER_OFFERS_SECONDS = 60.0
        self.WORKER_OUTCOMES_SECONDS = 3600.0
        self.MAIL_SENDER = "Markaz <no-reply@markaz.test>"
        self.PASSWORD_RESET_MAX_AGE = 3600
        self.ACCOUNT_WELCOME_MAX_AGE = 7 * 24 * 3600
        self.UNDERUSED_BELOW = 0.6
        self.WOMEN_SHARE_TARGET = 0.5
        self.AT_RISK_ABSENCES = 3
        self.PUBLIC_HOLIDAYS = ("02-05", "03-23", "05-01", "08-14", "11-09", "12-25")
        self.OUTCOME_WAVES = (3, 6, 12)
        self.OUTCOME_REMINDER_DAYS = 7
