"""The audit log (``oversight/audit_log.py``): the actions it knows, its filters, the events a reader may see
newest first, the export's rows read in keyset pages, and the names a page of events shows."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, or_, select

from audit.models import AuditEvent
from auth.models import ApiToken, UserAccount
from centres.models import Centre
from courses.catalogue import contains_text
from courses.models import Cohort, Course
from enrollments.imports.models import ImportBatch
from enrollments.models import Enrollment, Trainee
from extensions import db

# Every action the audit trail records, by the kind of object it is about: the audit log's filter offers
# these (``tests/test_audit_log.py`` checks that every action the code records is here).
AUDIT_ACTIONS: dict[str, tuple[str, ...]] = {
    "account": (
        "account.create",
        "account.update",
        "account.deactivate",
        "account.reactivate",
        "account.sign_up",
        "account.confirm",
        "account.password_change",
        "account.password_set",
        "account.sign_out_everywhere",
    ),
    "token": ("token.create", "token.revoke"),
    "centre": ("centre.create", "centre.update", "centre.deactivate", "centre.reactivate"),
    "course": ("course.create", "course.update"),
    "cohort": (
        "cohort.create",
        "cohort.update",
        "cohort.status",
        "cohort.seats",
        "cohort.reserves",
        "cohort.release",
        "cohort.cancel",
        "cohort.message",
        "cohort.attendance",
        "cohort.attendance_correct",
        "cohort.class_day_add",
        "cohort.class_day_cancel",
        "cohort.marks",
        "merit_list.publish",
        "merit_list.correct",
    ),
    "trainee": (
        "trainee.create",
        "trainee.update",
        "trainee.correct",
        "trainee.lookup",
        "trainee.link_account",
        "trainee.outcome_consent",
    ),
    "enrollment": (
        "enrollment.apply",
        "enrollment.register",
        "enrollment.approve",
        "enrollment.reject",
        "enrollment.promote",
        "enrollment.offer",
        "enrollment.score",
        "enrollment.wait",
        "enrollment.accept",
        "enrollment.decline",
        "enrollment.expire",
        "enrollment.withdrawn",
        "enrollment.dropped",
        "enrollment.complete",
        "enrollment.finish_completed",
        "enrollment.finish_not_completed",
        "enrollment.override",
        "enrollment.cancel",
    ),
    "certificate": ("certificate.issue", "certificate.revoke", "certificate.reissue"),
    "import": ("import.confirm",),
    "outbox": ("outbox.retry", "outbox.discard"),
    "outcome_answer": ("outcome_answer.create", "outcome_answer.correct"),
    "exchange_rate": ("exchange_rate.set",),
    "export": (
        "export.capacity",
        "export.completion",
        "export.cohorts",
        "export.trainees",
        "export.roster",
        "export.audit_log",
        "export.certificates",
        "export.score_sheet",
        "export.mark_sheet",
    ),
}
KNOWN_ACTIONS = frozenset(action for actions in AUDIT_ACTIONS.values() for action in actions)
# The tables an audit event can be about (``AuditEvent.object_type``).
AUDIT_OBJECT_TYPES = (
    "user_account",
    "api_token",
    "centre",
    "course",
    "cohort",
    "trainee",
    "enrollment",
    "import_batch",
    "certificate",
    "outbox_message",
    "outcome_answer",
    "exchange_rate",
)


@dataclass(frozen=True)
class AuditLogFilters:
    """What the audit log is narrowed to; every field optional. ``action`` is one known action or a whole
    kind (``"cohort.*"``); the period is [``occurred_from``, ``occurred_before``) in UTC."""

    actor_ids: tuple[int, ...] | None = None  # the actors (``matching_actors``); None: anyone
    centre_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None


def _audit_log_where(
    stmt: Select, condition: ColumnElement[bool], filters: AuditLogFilters, *, in_time_order: bool = False
) -> Select:
    """``stmt`` narrowed to ``condition`` and ``filters``. With ``in_time_order`` the action is compared as
    an expression, which no index serves: the database then walks the index on occurred_at (the order the
    rows are wanted in) instead of collecting every event of the action and sorting them for each page."""
    stmt = stmt.where(condition)
    if filters.actor_ids is not None:
        stmt = stmt.where(AuditEvent.actor_id.in_(filters.actor_ids) if filters.actor_ids else false())
    if filters.centre_id is not None:
        stmt = stmt.where(AuditEvent.centre_id == filters.centre_id)
    action = AuditEvent.action + "" if in_time_order else AuditEvent.action
    if filters.action.endswith(".*"):
        stmt = stmt.where(action.in_(AUDIT_ACTIONS.get(filters.action[:-2], ())))
    elif filters.action:
        stmt = stmt.where(action == filters.action)
    if filters.object_type:
        stmt = stmt.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        stmt = stmt.where(AuditEvent.object_id == filters.object_id)
    if filters.occurred_from is not None:
        stmt = stmt.where(AuditEvent.occurred_at >= filters.occurred_from)
    if filters.occurred_before is not None:
        stmt = stmt.where(AuditEvent.occurred_at < filters.occurred_before)
    return stmt


def matching_actors(email: str, limit: int) -> list[int]:
    """The ids of at most ``limit`` accounts whose email is ``email`` (the unique index answers) or, when
    none is, contains it (case-insensitive, ``%`` and ``_`` taken literally). Resolved before the log
    is read, so that the log's query filters on a short list of ids, which its index on actor_id serves."""
    email = email.strip().lower()
    exact = db.session.scalar(select(UserAccount.id).where(UserAccount.email == email))
    if exact is not None:
        return [exact]
    stmt = select(UserAccount.id).where(contains_text(email, UserAccount.email)).order_by(UserAccount.id)
    return list(db.session.scalars(stmt.limit(limit)))


def audit_log(condition: ColumnElement[bool], filters: AuditLogFilters) -> Select:
    """The audit events ``condition`` admits (``auth.permissions.viewable_audit_events``: the reader's
    scope) that match ``filters``, newest first; for ``db.paginate``."""
    return _audit_log_where(select(AuditEvent), condition, filters).order_by(
        AuditEvent.occurred_at.desc(), AuditEvent.id.desc()
    )


def audit_log_rows(condition: ColumnElement[bool], filters: AuditLogFilters) -> Select:
    """``audit_log`` as rows for the export: the event's id, occurred_at, actor_id, action, object type
    and id, centre_id, reason, before and after; newest first, read in keyset pages (``after_audit_row``).
    One table, no joins (``audit_event_labels`` names a page's actors and centres), and the action matched in
    time order (``_audit_log_where``): every page is a short walk of an index in the order wanted, so a
    download of millions of events costs each page the same."""
    stmt = select(
        AuditEvent.id,
        AuditEvent.occurred_at,
        AuditEvent.actor_id,
        AuditEvent.action,
        AuditEvent.object_type,
        AuditEvent.object_id,
        AuditEvent.centre_id,
        AuditEvent.reason,
        AuditEvent.before,
        AuditEvent.after,
    )
    return _audit_log_where(stmt, condition, filters, in_time_order=True).order_by(
        AuditEvent.occurred_at.desc(), AuditEvent.id.desc()
    )


def after_audit_row(stmt: Select, last_row) -> Select:
    """``audit_log_rows`` continued after ``last_row`` (newest first: older events, or as old with a
    smaller id). The plain ``occurred_at <=`` bound lets both databases walk the index on occurred_at."""
    event_id, occurred_at = last_row[0], last_row[1]
    return stmt.where(
        AuditEvent.occurred_at <= occurred_at,
        or_(AuditEvent.occurred_at < occurred_at, AuditEvent.id < event_id),
    )


def audit_event_labels(events: list) -> tuple[dict[int, str], dict[int, Centre]]:
    """For a page of events (``AuditEvent`` objects or ``audit_log_rows`` rows): how each actor is named (by
    user id: the email, or for an account that signed up with its mobile number alone, that number masked,
    ``UserAccount.label``) and each centre (by id)."""
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    centre_ids = {event.centre_id for event in events if event.centre_id is not None}
    emails = (
        {user.id: user.label for user in db.session.scalars(select(UserAccount).where(UserAccount.id.in_(actor_ids)))}
        if actor_ids
        else {}
    )
    centres = (
        {centre.id: centre for centre in db.session.scalars(select(Centre).where(Centre.id.in_(centre_ids)))}
        if centre_ids
        else {}
    )
    return emails, centres


@dataclass
class EventNames:
    """What a page of audit events is about, by id, for its sentences (``oversight.audit_sentences``):
    each actor and account (``UserAccount``), centre, course, cohort (code), trainee (name), enrollment
    (trainee id and name, cohort code), API token (name, owner id) and uploaded list (file name)."""

    accounts: dict[int, UserAccount] = field(default_factory=dict)
    centres: dict[int, Centre] = field(default_factory=dict)
    courses: dict[int, tuple[str, str]] = field(default_factory=dict)  # code, title
    cohorts: dict[int, str] = field(default_factory=dict)
    trainees: dict[int, str] = field(default_factory=dict)
    enrollments: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # trainee id, name, cohort code
    tokens: dict[int, tuple[str, int]] = field(default_factory=dict)  # name, owner's account id
    imports: dict[int, str] = field(default_factory=dict)


def audit_event_names(events: list) -> EventNames:
    """The names a page of events (``AuditEvent`` objects) shows, in one query per kind of object on it
    (at most nine, whatever the page's length)."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_id is not None:
            wanted.setdefault(event.object_type, set()).add(event.object_id)
        if event.centre_id is not None:
            wanted.setdefault("centre", set()).add(event.centre_id)
    names = EventNames()
    if ids := wanted.get("enrollment"):
        rows = db.session.execute(
            select(Enrollment.id, Trainee.id, Trainee.full_name, Cohort.code)
            .join(Trainee, Enrollment.trainee_id == Trainee.id)
            .join(Cohort, Enrollment.cohort_id == Cohort.id)
            .where(Enrollment.id.in_(ids))
        )
        names.enrollments = {enrollment_id: (trainee_id, name, code) for enrollment_id, trainee_id, name, code in rows}
    if ids := wanted.get("trainee"):
        names.trainees = dict(
            db.session.execute(select(Trainee.id, Trainee.full_name).where(Trainee.id.in_(ids))).all()
        )
    if ids := wanted.get("cohort"):
        names.cohorts = dict(db.session.execute(select(Cohort.id, Cohort.code).where(Cohort.id.in_(ids))).all())
    if ids := wanted.get("course"):
        rows = db.session.execute(select(Course.id, Course.code, Course.title).where(Course.id.in_(ids)))
        names.courses = {course_id: (code, title) for course_id, code, title in rows}
    if ids := wanted.get("api_token"):
        rows = db.session.execute(select(ApiToken.id, ApiToken.name, ApiToken.user_id).where(ApiToken.id.in_(ids)))
        names.tokens = {token_id: (name, user_id) for token_id, name, user_id in rows}
    if ids := wanted.get("import_batch"):
        rows = db.session.execute(select(ImportBatch.id, ImportBatch.filename).where(ImportBatch.id.in_(ids)))
        names.imports = dict(rows.all())
    if ids := wanted.get("centre"):
        names.centres = {centre.id: centre for centre in db.session.scalars(select(Centre).where(Centre.id.in_(ids)))}
    accounts = wanted.get("user_account", set()) | {event.actor_id for event in events if event.actor_id is not None}
    accounts |= {owner for _, owner in names.tokens.values()}
    if accounts:
        names.accounts = {
            account.id: account
            for account in db.session.scalars(select(UserAccount).where(UserAccount.id.in_(accounts)))
        }
    return names
