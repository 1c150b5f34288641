"""Reports as queries: each function returns rows computed by the database from the cohort counters
(kept in step with the enrollment table by the enrollment services), filtered to a user's scope.

Templates only format these rows.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import ColumnElement, Select, and_, case, extract, false, func, or_, select
from sqlalchemy.orm import contains_eager

from audit.models import AuditEvent
from auth.models import UserAccount
from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.catalogue import escape_like
from courses.models import Cohort, Course
from enrollments.models import Trainee
from extensions import db
from vocabulary import Choice, CohortKind, CohortStatus, Mode, Track

# Cohorts whose seats count as capacity now: taking applications, about to start, or running.
CURRENT_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING)
GROUPINGS = ("province", "district", "centre")


@dataclass(frozen=True)
class CapacityRow:
    key: str
    name: str
    parent: str
    cohorts: int
    seats: int
    enrolled: int
    waitlisted: int
    pending: int

    @property
    def utilisation(self) -> float | None:
        """Enrolled over seats (None when there are no seats)."""
        return self.enrolled / self.seats if self.seats else None

    @property
    def seats_left(self) -> int:
        return max(self.seats - self.enrolled, 0)


def scoped(stmt: Select, scope: OversightScope) -> Select:
    """``stmt`` (joined to Centre and District) restricted to ``scope``."""
    if scope.province_id is not None:
        stmt = stmt.where(District.province_id == scope.province_id)
    if scope.centre_ids is not None:
        stmt = stmt.where(Centre.id.in_(scope.centre_ids or [-1]))
    return stmt


def capacity(scope: OversightScope, group_by: str = "province") -> list[CapacityRow]:
    """Seats, enrolled, waitlisted and pending in current cohorts, per province, district or centre of
    ``scope``, largest number of seats first."""
    if group_by == "centre":
        key, name, parent = Centre.code, Centre.name, District.name
    elif group_by == "district":
        key, name, parent = District.id, District.name, Province.name
    else:
        key, name, parent = Province.code, Province.name, Province.name
    seats = func.sum(Cohort.seats)
    stmt = (
        select(
            key,
            name,
            parent,
            func.count(Cohort.id),
            seats,
            func.sum(Cohort.enrolled_count),
            func.sum(Cohort.waitlisted_count),
            func.sum(Cohort.pending_count),
        )
        .select_from(Cohort)
        .join(Cohort.centre)
        .join(Centre.district)
        .join(District.province)
        .where(Cohort.status.in_(CURRENT_STATUSES))
        .group_by(key, name, parent)
        .order_by(seats.desc(), name)
    )
    return [
        CapacityRow(str(row[0]), row[1], row[2], *(int(value or 0) for value in row[3:]))
        for row in db.session.execute(scoped(stmt, scope))
    ]


def totals(rows: list[CapacityRow]) -> CapacityRow:
    """The sum of ``rows``, as one row."""
    return CapacityRow(
        "total",
        "Total",
        "",
        *(
            sum(getattr(row, field) for row in rows)
            for field in ("cohorts", "seats", "enrolled", "waitlisted", "pending")
        ),
    )


def centre_summaries(centre_ids: list[int]) -> dict[int, CapacityRow]:
    """Per centre: current cohorts and their seats, enrolled, waitlisted and pending."""
    rows = capacity(OversightScope(centre_ids=frozenset(centre_ids)), group_by="centre")
    codes = dict(db.session.execute(select(Centre.code, Centre.id).where(Centre.id.in_(centre_ids or [-1]))).all())
    return {codes[row.key]: row for row in rows}


# The capacity report (API: GET /reports/capacity) -------------------------------------------------------

# Cohorts a report counts: those offered to trainees. Drafts are not offered yet; cancelled cohorts were
# withdrawn before anyone trained. Finished cohorts are in, so that completion can be measured.
REPORTED_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING, CohortStatus.FINISHED)
REPORT_GROUPINGS = ("province", "district", "centre", "track")


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when ``whole`` is 0 (no denominator: no figure, rather than a false 0)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class CapacityReportRow:
    """One group of cohorts in the capacity report: sums of its cohorts' counters (seats, places by
    status, and the numerators and denominators of the shares). The ratios are properties, so that a
    total computes them from sums."""

    key: str
    name: str
    cohorts: int = 0
    seats: int = 0
    enrolled: int = 0
    waitlisted: int = 0
    pending: int = 0
    completed: int = 0
    dropped: int = 0
    trained: int = 0  # enrolled + completed places
    women: int = 0  # of ``trained``, women
    rural: int = 0  # of ``trained``, trainees who live in a rural area
    finished_places: int = 0  # enrolled, completed or dropped places in finished cohorts
    finished_completed: int = 0  # of ``finished_places``, completed
    # For the audit pages (the API does not show these):
    finished_dropped: int = 0  # of ``finished_places``, dropped
    camp_seats: int = 0  # seats of women-only camps
    camp_filled: int = 0  # enrolled + completed places of women-only camps
    running_seats: int = 0  # seats of running cohorts
    running_filled: int = 0  # enrolled + completed places of running cohorts
    applications: int = 0  # every application ever made (``applications_count``): the funnel's "applied"

    @property
    def utilisation(self) -> float | None:
        """Seats filled: (enrolled + completed) / seats. A completed trainee kept her seat to the end, and
        enrolled + completed never exceed seats (completion starts once a cohort runs)."""
        return ratio(self.enrolled + self.completed, self.seats)

    @property
    def women_share(self) -> float | None:
        """Women among the enrolled and completed places."""
        return ratio(self.women, self.trained)

    @property
    def rural_share(self) -> float | None:
        """Trainees whose area is rural among the enrolled and completed places."""
        return ratio(self.rural, self.trained)

    @property
    def completion_rate(self) -> float | None:
        """In finished cohorts: completed / (completed + dropped + still enrolled)."""
        return ratio(self.finished_completed, self.finished_places)

    @property
    def dropout_rate(self) -> float | None:
        """In finished cohorts: dropped / (completed + dropped + still enrolled), the same places as
        ``completion_rate`` (the two add up to at most 1; the rest were still enrolled at the end)."""
        return ratio(self.finished_dropped, self.finished_places)

    @property
    def waitlist_pressure(self) -> float | None:
        """Unmet demand: waitlisted / seats."""
        return ratio(self.waitlisted, self.seats)

    @property
    def camp_fill(self) -> float | None:
        """Seats filled in women-only camps: (enrolled + completed) / seats of those camps."""
        return ratio(self.camp_filled, self.camp_seats)

    @property
    def running_utilisation(self) -> float | None:
        """Seats filled in running cohorts only (what the under-used flag looks at)."""
        return ratio(self.running_filled, self.running_seats)


COUNTED_FIELDS = tuple(field.name for field in fields(CapacityReportRow))[2:]


def _report_keys(group_by: str) -> tuple[list, object]:
    """The columns a group is keyed by, and its name column (None for tracks, named from the vocabulary)."""
    if group_by == "centre":
        return [Centre.code], Centre.name
    if group_by == "district":  # district codes repeat across provinces: the key is PROVINCE-DISTRICT
        return [Province.code, District.code], District.name
    if group_by == "track":
        return [Course.track], None
    return [Province.code], Province.name


# A training camp for women only: what the "women-only camps" columns and filter count.
WOMEN_ONLY_CAMP = and_(Cohort.kind == CohortKind.CAMP, Cohort.women_only.is_(True))


def _reported(
    stmt: Select,
    scope: OversightScope,
    province_code: str | None,
    starts_from: date | None,
    starts_to: date | None,
    *,
    district_id: int | None = None,
    centre_id: int | None = None,
    women_only_camps: bool = False,
    mode: Mode | None = None,
) -> Select:
    """``stmt`` (with ``Cohort`` in its FROM) joined to the cohort's course, centre, district and province,
    limited to reported cohorts of ``scope``, of ``province_code`` and starting within the period; and,
    when given, of one district or centre (by id), women-only camps only, or one mode."""
    stmt = (
        stmt.join(Cohort.course)
        .join(Cohort.centre)
        .join(Centre.district)
        .join(District.province)
        .where(Cohort.status.in_(REPORTED_STATUSES))
    )
    if province_code is not None:
        stmt = stmt.where(Province.code == province_code)
    if starts_from is not None:
        stmt = stmt.where(Cohort.starts_on >= starts_from)
    if starts_to is not None:
        stmt = stmt.where(Cohort.starts_on <= starts_to)
    if district_id is not None:
        stmt = stmt.where(District.id == district_id)
    if centre_id is not None:
        stmt = stmt.where(Cohort.centre_id == centre_id)
    if women_only_camps:
        stmt = stmt.where(WOMEN_ONLY_CAMP)
    if mode is not None:
        stmt = stmt.where(Cohort.mode == mode)
    return scoped(stmt, scope)


def _figure_columns() -> list:
    """The sums behind a ``CapacityReportRow``, in the order of ``COUNTED_FIELDS``: each adds up one
    cohort counter (or the seats), over all the group's cohorts or only those of one status or kind."""
    trained = Cohort.enrolled_count + Cohort.completed_count

    def only(condition, column) -> object:
        return func.sum(case((condition, column), else_=0))

    finished = Cohort.status == CohortStatus.FINISHED
    running = Cohort.status == CohortStatus.RUNNING
    columns = {
        "cohorts": func.count(Cohort.id),
        "seats": func.sum(Cohort.seats),
        "enrolled": func.sum(Cohort.enrolled_count),
        "waitlisted": func.sum(Cohort.waitlisted_count),
        "pending": func.sum(Cohort.pending_count),
        "completed": func.sum(Cohort.completed_count),
        "dropped": func.sum(Cohort.dropped_count),
        "trained": func.sum(trained),
        "women": func.sum(Cohort.women_count),
        "rural": func.sum(Cohort.rural_count),
        "finished_places": only(finished, trained + Cohort.dropped_count),
        "finished_completed": only(finished, Cohort.completed_count),
        "finished_dropped": only(finished, Cohort.dropped_count),
        "camp_seats": only(WOMEN_ONLY_CAMP, Cohort.seats),
        "camp_filled": only(WOMEN_ONLY_CAMP, trained),
        "running_seats": only(running, Cohort.seats),
        "running_filled": only(running, trained),
        "applications": func.sum(Cohort.applications_count),
    }
    return [columns[name] for name in COUNTED_FIELDS]


def _counted(values) -> dict[str, int]:
    return {name: int(value or 0) for name, value in zip(COUNTED_FIELDS, values, strict=True)}


def capacity_report(
    scope: OversightScope,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    district_id: int | None = None,
    centre_id: int | None = None,
    women_only_camps: bool = False,
    mode: Mode | None = None,
) -> list[CapacityReportRow]:
    """Capacity, inclusion and completion per province, district (key ``PROVINCE-DISTRICT``), centre or
    track, within ``scope``, ordered by key; groups without a reported cohort are absent.

    Counted cohorts: open, closed, running or finished (``REPORTED_STATUSES``), of the province with
    ``province_code`` when given, whose first day lies in [``starts_from``, ``starts_to``] (either bound
    optional); the audit pages may narrow further to a district or a centre (by id), to women-only camps,
    or to one mode. Every figure is a sum of the cohorts' counters (``enrollments.counters``), kept by the
    enrollment services: one pass over the cohort table, never over the enrollments."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    stmt = _reported(
        select(*labels, *_figure_columns()).select_from(Cohort),
        scope,
        province_code,
        starts_from,
        starts_to,
        district_id=district_id,
        centre_id=centre_id,
        women_only_camps=women_only_camps,
        mode=mode,
    ).group_by(*labels)

    def key_of(values: tuple) -> str:
        return "-".join(str(value.value if isinstance(value, Track) else value) for value in values)

    width = len(keys)
    rows = []
    for row in db.session.execute(stmt):
        # A track's name in English, like every name here (the API and the downloads are data); the audit
        # pages show the track's label in the reader's language instead.
        label = row[width] if name is not None else Track(row[0]).plain_label
        rows.append(CapacityReportRow(key_of(row[:width]), label, **_counted(row[len(labels) :])))
    return sorted(rows, key=lambda row: row.key)


def report_totals(rows: list[CapacityReportRow]) -> CapacityReportRow:
    """The sum of ``rows`` as one row (key ``total``); its ratios are computed from the sums."""
    return CapacityReportRow("total", "Total", *(sum(getattr(row, field) for row in rows) for field in COUNTED_FIELDS))


# The capacity audit pages (oversight/routes.py) ----------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the audit pages narrow the reported cohorts to: the reader's filters (a period of first days,
    women-only camps, a mode) and the place she drilled into (a province, a district, a centre). The
    names are ``capacity_report``'s arguments: ``capacity_report(scope, group_by, **filters.arguments())``."""

    starts_from: date | None = None
    starts_to: date | None = None
    women_only_camps: bool = False
    mode: Mode | None = None
    province_code: str | None = None
    district_id: int | None = None
    centre_id: int | None = None

    def arguments(self) -> dict:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def audit_report(scope: OversightScope, group_by: str, filters: AuditFilters) -> list[CapacityReportRow]:
    """``capacity_report`` narrowed by ``filters``."""
    return capacity_report(scope, group_by, **filters.arguments())


class Flag(Choice):
    """What the audit pages point out about a row (a group of cohorts, or one cohort)."""

    UNDER_USED = "under_used"
    OVER_SUBSCRIBED = "over_subscribed"
    WOMEN_BELOW_TARGET = "women_below_target"

    @property
    def lazy_label(self) -> LazyString:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.UNDER_USED: _l("Under-used"),
    Flag.OVER_SUBSCRIBED: _l("Over-subscribed"),
    Flag.WOMEN_BELOW_TARGET: _l("Women below target"),
}

# Over-subscribed: at least this many waitlisted per seat (half the seats: the rule).
OVERSUBSCRIBED_AT = 0.5


@dataclass(frozen=True)
class Thresholds:
    """The settings behind the flags (``UNDERUSED_BELOW`` and ``WOMEN_SHARE_TARGET`` in config.py)."""

    underused_below: float = 0.6
    women_share_target: float = 0.5


def flags_of(row: CapacityReportRow, thresholds: Thresholds) -> list[Flag]:
    """The flags ``row`` earns, in the order of ``Flag``:

    - under-used: its running cohorts fill (enrolled + completed) less than ``underused_below`` of their
      seats (a row without running cohorts is never under-used: seats of a cohort still taking
      applications or already finished say nothing about use now);
    - over-subscribed: waitlisted ≥ half its seats;
    - women below target: women's share of its enrolled and completed places below
      ``women_share_target`` (no places: no share, no flag)."""
    found = []
    running = row.running_utilisation
    if running is not None and running < thresholds.underused_below:
        found.append(Flag.UNDER_USED)
    if row.seats and row.waitlisted >= OVERSUBSCRIBED_AT * row.seats:
        found.append(Flag.OVER_SUBSCRIBED)
    if row.women_share is not None and row.women_share < thresholds.women_share_target:
        found.append(Flag.WOMEN_BELOW_TARGET)
    return found


def centre_cohorts(scope: OversightScope, filters: AuditFilters) -> Select:
    """The reported cohorts ``filters`` narrow to (meant with ``centre_id`` set: one centre's cohorts),
    latest first, with their course loaded; for ``db.paginate``."""
    arguments = filters.arguments()
    stmt = _reported(
        select(Cohort),
        scope,
        arguments.pop("province_code"),
        arguments.pop("starts_from"),
        arguments.pop("starts_to"),
        **arguments,
    )
    return stmt.options(contains_eager(Cohort.course)).order_by(Cohort.starts_on.desc(), Cohort.code)


def cohort_figures(cohort_ids: list[int]) -> dict[int, CapacityReportRow]:
    """Each cohort's own figures, as a ``CapacityReportRow`` (key: its code, name: its course's title),
    by cohort id: the same sums as every other row, over one cohort."""
    if not cohort_ids:
        return {}
    stmt = (
        select(Cohort.id, Cohort.code, Course.title, *_figure_columns())
        .join(Cohort.course)
        .where(Cohort.id.in_(cohort_ids))
        .group_by(Cohort.id, Cohort.code, Course.title)
    )
    return {row[0]: CapacityReportRow(row[1], row[2], **_counted(row[3:])) for row in db.session.execute(stmt)}


@dataclass(frozen=True)
class MonthRow:
    """Cohorts starting in one month: their enrolled and completed places, and women among them."""

    month: date  # the first day of the month
    trained: int
    women: int

    @property
    def women_share(self) -> float | None:
        return ratio(self.women, self.trained)


def women_share_by_month(scope: OversightScope, filters: AuditFilters) -> list[MonthRow]:
    """Women's share of enrolled and completed places by the month the cohorts start in, oldest first,
    over the reported cohorts of ``scope`` that ``filters`` narrow to (months without one are absent).
    Sums of the cohort counters, like ``capacity_report``."""
    year, month = extract("year", Cohort.starts_on), extract("month", Cohort.starts_on)
    arguments = filters.arguments()
    stmt = (
        _reported(
            select(
                year, month, func.sum(Cohort.enrolled_count + Cohort.completed_count), func.sum(Cohort.women_count)
            ).select_from(Cohort),
            scope,
            arguments.pop("province_code"),
            arguments.pop("starts_from"),
            arguments.pop("starts_to"),
            **arguments,
        )
        .group_by(year, month)
        .order_by(year, month)
    )
    return [
        MonthRow(date(int(y), int(m), 1), int(trained or 0), int(women or 0))
        for y, m, trained, women in db.session.execute(stmt)
    ]


# Exports and the audit log (oversight/exports.py, oversight/audit_log.py) ----------------------------------


def trainees_for_export(condition: ColumnElement[bool]) -> Select:
    """The trainees ``condition`` admits (``auth.permissions.viewable_trainees``), by id: the rows of the
    trainee export, read in keyset pages (``after_trainee``) so that a million of them never sit in memory
    at once. One table, ordered by its primary key: each page is a short walk of that index on both
    databases (the names of districts come from ``district_names``, not from a join per row)."""
    return (
        select(
            Trainee.id,
            Trainee.cnic,
            Trainee.full_name,
            Trainee.gender,
            Trainee.date_of_birth,
            Trainee.phone,
            Trainee.district_id,
            Trainee.area,
            Trainee.education,
            Trainee.disability,
            Trainee.created_at,
        )
        .where(condition)
        .order_by(Trainee.id)
    )


def district_names() -> dict[int, tuple[str, str]]:
    """Every district's province and own name, by district id (a few hundred rows)."""
    stmt = select(District.id, Province.name, District.name).join(District.province)
    return {district_id: (province, district) for district_id, province, district in db.session.execute(stmt)}


def after_trainee(stmt: Select, last_row) -> Select:
    """``trainees_for_export`` continued after the row ``last_row`` (its first column is the id)."""
    return stmt.where(Trainee.id > last_row[0])


# Every action the audit trail records, by the kind of object it is about: the audit log's filter offers
# these (``tests/test_audit_log.py`` checks that every action the code records is here).
AUDIT_ACTIONS: dict[str, tuple[str, ...]] = {
    "account": (
        "account.create",
        "account.update",
        "account.deactivate",
        "account.reactivate",
        "account.sign_up",
        "account.password_change",
        "account.password_set",
        "account.sign_out_everywhere",
    ),
    "token": ("token.create", "token.revoke"),
    "centre": ("centre.create", "centre.update", "centre.deactivate", "centre.reactivate"),
    "course": ("course.create", "course.update"),
    "cohort": ("cohort.create", "cohort.update", "cohort.status", "cohort.seats", "cohort.cancel"),
    "trainee": ("trainee.create", "trainee.update", "trainee.lookup", "trainee.link_account"),
    "enrollment": (
        "enrollment.apply",
        "enrollment.register",
        "enrollment.approve",
        "enrollment.reject",
        "enrollment.promote",
        "enrollment.withdrawn",
        "enrollment.dropped",
        "enrollment.complete",
        "enrollment.cancel",
    ),
    "import": ("import.confirm",),
    "export": (
        "export.capacity",
        "export.cohorts",
        "export.trainees",
        "export.audit_log",
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
    pattern = f"%{escape_like(email)}%"
    stmt = select(UserAccount.id).where(UserAccount.email.ilike(pattern, escape="\\")).order_by(UserAccount.id)
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
    One table, no joins (``audit_labels`` names a page's actors and centres), and the action matched in
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
    """For a page of events (``AuditEvent`` objects or ``audit_log_rows`` rows): the email of each actor
    (by user id) and each centre (by id)."""
    actor_ids = {event.actor_id for event in events if event.actor_id is not None}
    centre_ids = {event.centre_id for event in events if event.centre_id is not None}
    emails = (
        dict(db.session.execute(select(UserAccount.id, UserAccount.email).where(UserAccount.id.in_(actor_ids))).all())
        if actor_ids
        else {}
    )
    centres = (
        {centre.id: centre for centre in db.session.scalars(select(Centre).where(Centre.id.in_(centre_ids)))}
        if centre_ids
        else {}
    )
    return emails, centres
