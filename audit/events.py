"""Writing the audit trail. Every service that changes state calls ``record`` once per change, in the
same transaction, so the change and its audit event commit or roll back together. Each event keeps the
client address and the id of the request that wrote it (the ``X-Request-ID`` of its log lines)."""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import g, has_request_context, request
from sqlalchemy import insert

from audit.models import AuditEvent
from database import utcnow
from extensions import db

if TYPE_CHECKING:  # the audit trail sits below every domain package: it imports none of them
    from auth.models import UserAccount


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it: enums by value, dates as ISO 8601, sets as sorted lists, decimals (a
    course's pass mark) as their text, every digit kept."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of ``obj`` as a JSON-ready dict (for ``before``/``after``)."""
    return {field: jsonable(getattr(obj, field)) for field in fields}


def client_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def request_id() -> str | None:
    """The id of the request writing the event (``request_log``), the one on its log lines."""
    return g.get("request_id") if has_request_context() else None


def record(
    actor: "UserAccount | None",
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    centre_id: int | None = None,
) -> AuditEvent:
    """Add one audit event: ``actor`` (None for the system) did ``action`` (``"user.create"``) to
    ``obj``. Flushes so that the event has an id; never commits. The request's client address is
    kept when there is a request."""
    db.session.flush()  # obj needs its id
    event = AuditEvent(
        actor_id=actor.id if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        centre_id=centre_id,
        before=before,
        after=after,
        reason=reason,
        ip=client_address(),
        request_id=request_id(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def record_many(actor: "UserAccount | None", action: str, object_type: str, changes: list[dict[str, Any]]) -> None:
    """Add one audit event per item of ``changes`` in one multi-row INSERT, for work on thousands of
    objects at once (an imported list). Each item gives ``object_id`` and any of ``before``, ``after``,
    ``reason`` and ``centre_id``; the events are exactly those ``record`` would write one by one."""
    if not changes:
        return
    common = event_common(actor, action, object_type)
    db.session.execute(insert(AuditEvent), [event_row(common, change) for change in changes])


def event_common(actor: "UserAccount | None", action: str, object_type: str) -> dict[str, Any]:
    """What the events one piece of work writes have in common: the time, the actor, the action, the kind of
    object, and the request's address and id."""
    return {
        "occurred_at": utcnow(),
        "actor_id": actor.id if actor is not None and actor.is_authenticated else None,
        "action": action,
        "object_type": object_type,
        "ip": client_address(),
        "request_id": request_id(),
    }


def event_row(common: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The ``audit_event`` row (its columns and values) ``record_many`` writes for one item of ``changes``.
    Without ``object_id`` in ``change`` the row has none either: for a writer that inserts the row itself and
    fills it in (``enrollments.services.changes.write_open_place``: the place and its event in one
    statement)."""
    row = common | {
        "centre_id": change.get("centre_id"),
        "before": change.get("before"),
        "after": change.get("after"),
        "reason": change.get("reason", ""),
    }
    if "object_id" in change:
        row["object_id"] = change["object_id"]
    return row
