"""``/healthz``, ``/readyz`` and ``/metrics``: no session, no rate limit, no page around them.

- ``/healthz``: the process answers (200, touches nothing else): for restarting a stuck process.
- ``/readyz``: the database answers, its schema is at the migrations' head, and Redis (the rate-limit
  store, when it is Redis) answers: for taking a host out of the load balancer. 503 naming the check that
  failed; each check is bounded (a few seconds), so a dead database cannot hold the balancer's probe.
- ``/metrics``: Prometheus' text format (``health.metrics``), only for addresses in
  ``MARKAZ_METRICS_ALLOW`` (CIDRs; the client address as ProxyFix gives it behind ``MARKAZ_PROXY_COUNT``
  proxies) or a request with ``Authorization: Bearer <MARKAZ_METRICS_TOKEN>``; 403 for anyone else.
"""

import hmac
import ipaddress

from alembic.script import ScriptDirectory
from flask import current_app, jsonify, request
from flask_migrate import Migrate
from sqlalchemy import text

from auth.permissions import PUBLIC, allow
from extensions import db, limiter
from health import bp
from health.metrics import exposition


@bp.get("/healthz")
@allow(PUBLIC)
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def migration_heads() -> set[str]:
    """The heads of the migrations shipped with this code (read once per process)."""
    heads = current_app.extensions.get("markaz_migration_heads")
    if heads is None:
        migrate: Migrate = current_app.extensions["migrate"].migrate
        config = migrate.get_config()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["markaz_migration_heads"] = heads
    return heads


def check_database() -> dict[str, str]:
    """The database answers and stands at the migrations' head."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception as error:  # any failure to answer is "not ready", said in one line
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
        return {"database": f"unreachable: {type(error).__name__}: {reason}"}
    heads = migration_heads()
    if versions != heads:
        return {
            "database": "ok",
            "migrations": f"not at head: the database is at {', '.join(sorted(versions)) or 'nothing'}, "
            f"this code needs {', '.join(sorted(heads))} (run flask db upgrade)",
        }
    return {"database": "ok", "migrations": "ok"}


def check_redis() -> dict[str, str]:
    """The rate-limit store answers, when it is Redis (``memory://`` is local use: nothing to check)."""
    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    if not uri.startswith(("redis://", "rediss://", "unix://")):
        return {"redis": "not used"}
    import redis

    try:
        client = redis.Redis.from_url(uri, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as error:
        return {"redis": f"unreachable: {type(error).__name__}: {str(error)[:200]}"}
    return {"redis": "ok"}


@bp.get("/readyz")
@allow(PUBLIC)
@limiter.exempt
def readyz():
    checks = check_database() | check_redis()
    ready = all(result in ("ok", "not used") for result in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def metrics_allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.config["METRICS_ALLOW"])


@bp.get("/metrics")
@allow(PUBLIC)  # its own check, in the view: the addresses or the token (no session, no role)
@limiter.exempt
def metrics():
    if not metrics_allowed():
        return jsonify(error="Metrics are served to the addresses in MARKAZ_METRICS_ALLOW or with the token."), 403
    return exposition()
