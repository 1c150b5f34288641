"""Logs: one JSON line per request, and the request's id on every line it causes.

Each request gets an id: the ``X-Request-ID`` it came with when that is sane (1 to 64 letters, digits,
``.``, ``_``, ``-`` or ``:``; nginx's ``$request_id`` is 32 hex digits), else a new one. It is returned
in the response's ``X-Request-ID``, set on every log record made while the request runs (``request_id``),
and stored in the audit events the request writes (``audit_event.request_id``), so that a complaint, its
log lines and its audit trail meet on one value.

At the end of each request the ``markaz.request`` logger writes one line: request id, method, endpoint,
the route's rule (``/enrollments/trainees/<int:trainee_id>``, never the path as sent: paths and query
strings can hold a CNIC or a phone number, which stay out of the logs), status, duration in ms, user id
and role, client address. Bodies, query strings and headers are never logged.

``MARKAZ_LOG_FORMAT=json`` (the default in production) makes every log line of the process (the app's,
SQLAlchemy's, the worker's) a JSON object with ``ts``, ``level``, ``logger``, ``message``, ``request_id``
(and ``exc`` for a traceback, on the same line); ``text`` keeps Python's usual lines.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request
from sqlalchemy.orm import Session

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
log = logging.getLogger("markaz.request")


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request, or before it was given one)."""
    return g.get("request_id") if has_request_context() else None


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id()
    return record


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON; a request's summary (``extra={"fields": ...}``) is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        document.update(getattr(record, "fields", {}))
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: str) -> None:
    """Send the process's log lines to stderr as JSON (``json``) or text (``text``); "" leaves logging
    alone (tests: pytest captures). Idempotent: building the app twice installs one handler."""
    if not log_format:
        return
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "markaz", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.markaz = True
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())


def request_summary(response: Response, duration_ms: float) -> dict:
    """The fields of a request's log line (see the module's docstring for what is, and is not, in it)."""
    # The user as the request already loaded it (Flask-Login keeps it in g): never a query from here, which
    # would fail again while the database is out of reach and turn its 503 into a 500.
    user_id, role = who_asked()
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "endpoint": request.endpoint or "unmatched",
        "rule": request.url_rule.rule if request.url_rule is not None else None,
        "status": response.status_code,
        "duration_ms": round(duration_ms, 2),
        "user_id": user_id,
        "role": role,
        "client": request.remote_addr,
    }


def who_asked() -> tuple[int | None, str | None]:
    """The signed-in user's id and role as the request loaded them, without a query: the request's commit
    expires its objects, and reading an expired attribute would load it again (one more statement per
    request, and a failure of its own while the database is out of reach). Taken before the commit when
    there was one (``_note_who_asked``), else from the loaded object."""
    if (noted := g.get("who_asked")) is not None:
        return noted
    user = g.get("_login_user")
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    if state is None or state.identity is None:  # nobody signed in (Flask-Login's anonymous user)
        return None, None
    role = state.dict.get("role")
    return state.identity[0], role.value if role is not None else None


def _note_who_asked(_session) -> None:
    """Before a commit in a request: note who asked while her account is still loaded (``who_asked``)."""
    if has_request_context() and g.get("who_asked") is None and g.get("_login_user") is not None:
        user_id, role = who_asked()
        if user_id is not None:  # nobody yet (a sign-in commits before it signs her in): read at the end
            g.who_asked = user_id, role


def register(app: Flask) -> None:
    """Give each request its id and write its line (before any other hook: a request refused by the access
    gate is logged with its id too)."""
    logging.setLogRecordFactory(_record_with_request_id)
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    if not sa.event.contains(Session, "before_commit", _note_who_asked):
        sa.event.listen(Session, "before_commit", _note_who_asked)

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is None:  # a request refused before the hooks ran (a bad Host): give it an id now
            request_id = g.request_id = uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        started = g.get("request_started", time.perf_counter())
        fields = request_summary(response, (time.perf_counter() - started) * 1000)
        log.info(
            "%s %s %s %.1f ms",
            fields["method"],
            fields["endpoint"],
            fields["status"],
            fields["duration_ms"],
            extra={"fields": fields},
        )
        return response
