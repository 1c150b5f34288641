"""The audit log at ``/oversight/audit/``: each event as a sentence in the reader's language
(``oversight.audit_sentences``), the recorded detail (action, state before and after) behind a toggle;
filtered by actor, centre, action, object and date, newest first, and downloadable as CSV or XLSX.

Readers see their scope (``auth.permissions.viewable_audit_events``): admins and national overseers every
event, a provincial overseer the events of her province's centres, staff those of their own centres.
CNICs and phone numbers inside the before/after states are masked for overseers, as everywhere else.

Filters come from a query string anyone can type: a value that cannot be used is named on the page (and
nothing is listed, rather than more than was asked for); a download with one is refused with 400.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import abort, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from audit.models import AuditEvent
from auth.permissions import (
    OVERSIGHT,
    allow,
    can_view_centre_audit,
    centre_refusal,
    deny,
    masks_identity,
    viewable_audit_events,
)
from centres.models import Centre
from clock import local_zone
from enrollments.identity import mask_cnic, mask_phone
from extensions import db
from listing import LARGEST_ID, page_args, text_arg
from oversight import bp
from oversight.audit_sentences import describer
from oversight.export_files import KeysetSource, Table, send
from oversight.queries import (
    AUDIT_ACTIONS,
    AUDIT_OBJECT_TYPES,
    KNOWN_ACTIONS,
    AuditLogFilters,
    after_audit_row,
    audit_event_labels,
    audit_event_names,
    audit_log,
    audit_log_rows,
    matching_actors,
)
from oversight.routes import CODE
from submitting import acting_user

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
# Keys of a before/after state that hold a CNIC or a phone number (``enrollments.trainees.TRAINEE_FIELDS``).
MASKED_KEYS = {"cnic": mask_cnic, "phone": mask_phone}
# An actor filter may match this many accounts at most (a few letters could match every trainee's account).
ACTOR_MATCHES = 500


# Reading the filters -----------------------------------------------------------------------------------


def local_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Pakistan (the time zone the pages show), as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def read_log_filters() -> tuple[AuditLogFilters, dict[str, str], dict[str, str]]:
    """The log's filters from the query string: ``(filters, values as typed, problems by field)``. A
    centre outside the reader's scope answers 403."""
    typed = {name: text_arg(name, 254) for name in ("actor", "centre", "action", "object_type", "object_id")}
    typed |= {name: text_arg(name, 40) for name in ("from", "to")}
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    if actor := typed["actor"]:
        actors = matching_actors(actor, ACTOR_MATCHES + 1)
        if len(actors) > ACTOR_MATCHES:
            problems["actor"] = _(
                "More than %(limit)s accounts match “%(actor)s”: type more of the email.",
                limit=format_number(ACTOR_MATCHES),
                actor=actor,
            )
        else:
            values["actor_ids"] = tuple(actors)

    if code := typed["centre"]:
        centre = db.session.scalar(select(Centre).where(Centre.code == code.upper())) if CODE.fullmatch(code) else None
        if centre is None:
            problems["centre"] = _("There is no centre with the code “%(code)s”.", code=code)
        elif not can_view_centre_audit(current_user, centre):
            deny(centre_refusal(current_user, centre))
        else:
            values["centre_id"] = centre.id
    action = typed["action"]
    if action and action not in KNOWN_ACTIONS and not (action.endswith(".*") and action[:-2] in AUDIT_ACTIONS):
        problems["action"] = _(
            "“%(action)s” is not an action the audit trail records; choose one from the list.", action=action
        )
    else:
        values["action"] = action
    if typed["object_type"] and typed["object_type"] not in AUDIT_OBJECT_TYPES:
        problems["object_type"] = _(
            "“%(kind)s” is not a kind of object; choose one from the list.", kind=typed["object_type"]
        )
    else:
        values["object_type"] = typed["object_type"]
    if raw := typed["object_id"]:
        if raw.isdigit() and int(raw) <= LARGEST_ID:
            values["object_id"] = int(raw)
        else:
            problems["object_id"] = _("“%(value)s” is not an object number (a whole number such as 42).", value=raw)

    days = {}
    for name in ("from", "to"):
        if not (raw := typed[name]):
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            problems[name] = _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-21.", value=raw)
            continue
        if not EARLIEST <= day <= LATEST:
            problems[name] = _("“%(value)s” is not between 2000-01-01 and 2100-12-31.", value=raw)
            continue
        days[name] = day
    if "from" in days and "to" in days and days["to"] < days["from"]:
        problems["to"] = _("The period cannot end before it starts.")
    elif "from" in days or "to" in days:
        values["occurred_from"] = local_day_start(days["from"]) if "from" in days else None
        values["occurred_before"] = local_day_start(days["to"] + timedelta(days=1)) if "to" in days else None
    return AuditLogFilters(**values), typed, problems


# Showing an event --------------------------------------------------------------------------------------


def masked(value: Any, mask: bool) -> Any:
    """``value`` (a before/after state) with every CNIC and phone number masked when ``mask``."""
    if not mask:
        return value
    if isinstance(value, dict):
        return {
            key: MASKED_KEYS[key](item) if key in MASKED_KEYS and isinstance(item, str) else masked(item, mask)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item, mask) for item in value]
    return value


def shown(value: Any, *, translated: bool = False) -> str:
    """A value of a before/after state as a person reads it (``None``: empty). Values are shown as recorded;
    only yes and no are words, in the reader's language on the page (``translated``), English in a file."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        if translated:
            return _("yes") if value else _("no")
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def changes(before: dict | None, after: dict | None, mask: bool, *, translated: bool = False) -> list[Change]:
    """The fields of an event's before and after states, side by side, in the order the event wrote
    them; masked for overseers. A state that is not a JSON object is shown whole under ``value``. Yes and
    no in the reader's language when ``translated`` (the page; a download stays English)."""
    before = masked(before if isinstance(before, dict) or before is None else {"value": before}, mask) or {}
    after = masked(after if isinstance(after, dict) or after is None else {"value": after}, mask) or {}
    names = list(dict.fromkeys([*before, *after]))
    return [
        Change(name, shown(before.get(name), translated=translated), shown(after.get(name), translated=translated))
        for name in names
    ]


def changes_text(before: dict | None, after: dict | None, mask: bool) -> str:
    """``changes`` in one line for a spreadsheet cell: ``status: waitlisted → enrolled; cohort: X``."""
    parts = []
    for change in changes(before, after, mask):
        if change.before and change.changed:
            parts.append(f"{change.field}: {change.before} → {change.after}")
        else:
            parts.append(f"{change.field}: {change.after or change.before}")
    return "; ".join(parts)


# Pages -------------------------------------------------------------------------------------------------


@bp.get("/audit/")
@allow(OVERSIGHT)
def audit_log_page():
    """The audit log of the reader's scope, filtered, newest first, 20 events a page (``per_page`` up to 100)."""
    filters, typed, problems = read_log_filters()
    mask = masks_identity(current_user)
    events = labels = names = None
    if not problems:
        page, per_page = page_args()
        events = db.paginate(
            audit_log(viewable_audit_events(current_user), filters), page=page, per_page=per_page, error_out=False
        )
        labels = audit_event_labels(events.items)
        names = audit_event_names(events.items)
    page = render_template(
        "oversight/audit_log.html",
        events=events,
        emails=labels[0] if labels else {},
        centres=labels[1] if labels else {},
        changes={event.id: changes(event.before, event.after, mask, translated=True) for event in events.items}
        if events
        else {},
        typed=typed,
        problems=problems,
        filtered=any(typed.values()),
        action_groups=AUDIT_ACTIONS,
        object_types=AUDIT_OBJECT_TYPES,
        masked=mask,
        describe=describer(names) if names else None,
        export_args={name: value for name, value in request.args.items() if name not in ("page", "per_page")},
    )
    return page, 400 if problems else 200


LOG_HEADINGS = [
    "Event",
    "Occurred (UTC)",
    "Actor",
    "Action",
    "Object type",
    "Object ID",
    "Centre",
    "Reason",
    "Changes",
    "Before (JSON)",
    "After (JSON)",
]


@bp.get("/audit/export.<any(csv, xlsx):fmt>")
@allow(OVERSIGHT)
def export_audit_log(fmt: str):
    """The filtered audit log as a file, newest first (every page, not only the one on screen)."""
    filters, typed, problems = read_log_filters()
    if problems:
        field, message = next(iter(problems.items()))
        abort(400, _("The download was not made: %(field)s: %(problem)s", field=field, problem=message))
    user = acting_user()
    mask = masks_identity(user)

    def shape(rows: list) -> list[list]:
        emails, centres = audit_event_labels(rows)
        shaped = []
        for event_id, occurred_at, actor_id, action, object_type, object_id, centre_id, reason, before, after in rows:
            before, after = masked(before, mask), masked(after, mask)
            shaped.append(
                [
                    event_id,
                    occurred_at,
                    emails.get(actor_id, "system") if actor_id is not None else "system",
                    action,
                    object_type,
                    object_id,
                    centres[centre_id].code if centre_id in centres else None,
                    reason,
                    changes_text(before, after, False),
                    json.dumps(before, ensure_ascii=False) if before is not None else None,
                    json.dumps(after, ensure_ascii=False) if after is not None else None,
                ]
            )
        return shaped

    table = Table(
        what="audit_log",
        title="Audit log",
        headings=LOG_HEADINGS,
        source=KeysetSource(
            audit_log_rows(viewable_audit_events(user), filters),
            AuditEvent.id,
            after_audit_row,
            shape,
            counted=audit_log(viewable_audit_events(user), filters),
        ),
        filters={name: value for name, value in typed.items() if value},
    )
    return send(table, fmt, actor=user)
