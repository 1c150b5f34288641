"""Reports and exports from a read replica, when there is one (``DATABASE_READ_URL``).

Oversight's figures, the audit log, the exports and the API's reports only read, and at the programme's scale
their queries are the heaviest the database answers. With ``DATABASE_READ_URL`` set (a PostgreSQL streaming
replica of ``DATABASE_URL``), the SELECTs of those requests go to the replica and leave the primary to the
writes of applications. Everything else reads the primary, always.

- **Which requests**: safe ones (GET, HEAD) to the endpoints of ``reads_from_replica`` — the ``oversight``
  blueprint (dashboards, audit log, exports) and the API's ``*_report`` endpoints. The choice is made after
  the access gate has loaded who is asking (``auth.permissions.register_gate``), so a session or token made
  a moment ago and not yet replicated is never looked up on the replica.
- **Which statements**: SELECTs without ``FOR UPDATE``, and the bare ``db.session.connection()`` that report
  code reads rows through without the ORM (``RoutingSession.get_bind``). A report that writes (an export
  records its download in the audit log before streaming) writes to the primary through the ORM's flush or an
  INSERT, in the same request: the session holds one connection to each. So report code must never write
  through a bare ``connection()``.
- **A replica that cannot be reached** is tried with a short connection timeout (``REPLICA_CONNECT_TIMEOUT``
  seconds), logged once (``markaz.replica``, a warning), and left alone for ``REPLICA_RETRY_SECONDS``: until
  then reports read the primary, slower but answered. A replica that dies in the middle of a request makes
  that request answer 503 like a primary that dies (errors.py); the next one reads the primary.
- Figures on the replica lag the primary by the replication delay (usually under a second): overseers read
  totals, not the trainee who applied this instant.
"""

import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import exc as sa_exc

log = logging.getLogger("markaz.replica")

REPLICA_CONNECT_TIMEOUT = 2
REPLICA_RETRY_SECONDS = 30
SAFE_METHODS = frozenset({"GET", "HEAD"})


def reads_from_replica(endpoint: str) -> bool:
    """Whether requests to ``endpoint`` read their report from the replica: every page and export of the
    oversight blueprint, and the API's reports (``api.capacity_report`` and the like)."""
    blueprint, _, name = endpoint.rpartition(".")
    return blueprint == "oversight" or (blueprint == "api" and name.endswith("_report"))


class Replica:
    """The replica's engine, and until when it is left alone after failing to answer."""

    def __init__(self, url: str) -> None:
        options: dict = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            options["connect_args"] = {"connect_timeout": REPLICA_CONNECT_TIMEOUT}
        self.engine = sa.create_engine(url, **options)
        self.resting_until = 0.0
        self.lock = threading.Lock()

    def answers(self) -> bool:
        """Whether the replica takes a connection now (a pooled one is checked with a round trip). A failure
        is logged and the replica rests for ``REPLICA_RETRY_SECONDS``."""
        if time.monotonic() < self.resting_until:
            return False
        try:
            with self.engine.connect():
                return True
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as error:
            with self.lock:
                self.resting_until = time.monotonic() + REPLICA_RETRY_SECONDS
            reason = str(error.orig or error).strip().splitlines()[0] if str(error.orig or error).strip() else ""
            log.warning(
                "Read replica unreachable (%s): reports read from the primary for the next %s s",
                reason,
                REPLICA_RETRY_SECONDS,
            )
            return False


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, sending a report request's reads to the replica (see the module
    docstring) while ``g.read_replica`` holds the replica's engine: a SELECT (not ``FOR UPDATE``), or a bare
    ``connection()`` (no mapper, no statement). A flush names its mapper: it goes to the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and has_app_context():
            replica = g.get("read_replica")
            if replica is not None and (is_plain_read(clause) or (clause is None and mapper is None)):
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def is_plain_read(clause) -> bool:
    if isinstance(clause, sa.CompoundSelect):
        return True
    return isinstance(clause, sa.Select) and clause._for_update_arg is None


def register(app: Flask) -> None:
    """With ``DATABASE_READ_URL`` set, route the reads of report requests to it (after the access gate,
    which this must be registered after)."""
    url = app.config.get("DATABASE_READ_URL") or ""
    if not url:
        return
    replica = Replica(url)
    app.extensions["markaz_replica"] = replica
    if replica.engine.dialect.name == "sqlite":
        from database import configure_sqlite

        configure_sqlite(replica.engine)

    @app.before_request
    def _read_reports_from_the_replica() -> None:
        if request.method in SAFE_METHODS and reads_from_replica(request.endpoint or "") and replica.answers():
            g.read_replica = replica.engine


def replica_in_use() -> bool:
    """Whether this request reads from the replica (for tests and the log)."""
    return has_app_context() and g.get("read_replica") is not None and "markaz_replica" in current_app.extensions
