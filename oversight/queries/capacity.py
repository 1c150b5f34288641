"""Capacity: the seats of cohorts and the places in them, summed from the cohort counters (kept in step with
the enrollment table by the enrollment services): a centre's summary for its staff, and the capacity
report (``GET /api/v1/reports/capacity``, the downloads and the audit pages) by province, district,
centre or track, within a reader's scope."""

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Select, and_, case, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort, Course
from extensions import db
from vocabulary import CohortKind, CohortStatus, Mode, Track

# Cohorts whose seats count as capacity now: open, closed (about to start) or running.
CURRENT_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED, CohortStatus.RUNNING)


@dataclass(frozen=True)
class CentreSummary:
    """A centre's current cohorts (open, closed or running): how many, their seats, and their places."""

    cohorts: int
    seats: int
    enrolled: int
    waitlisted: int
    pending: int


def centre_summaries(centre_ids: list[int]) -> dict[int, CentreSummary]:
    """Per centre of ``centre_ids`` with current cohorts (the others are absent): those cohorts, their
    seats, and their enrolled, waitlisted and pending places, summed from the cohort counters."""
    if not centre_ids:
        return {}
    stmt = (
        select(
            Cohort.centre_id,
            func.count(Cohort.id),
            func.sum(Cohort.seats),
            func.sum(Cohort.enrolled_count),
            func.sum(Cohort.waitlisted_count),
            func.sum(Cohort.pending_count),
        )
        .where(Cohort.centre_id.in_(centre_ids), Cohort.status.in_(CURRENT_STATUSES))
        .group_by(Cohort.centre_id)
    )
    return {row[0]: CentreSummary(*(int(value or 0) for value in row[1:])) for row in db.session.execute(stmt)}


def scoped(stmt: Select, scope: OversightScope) -> Select:
    """``stmt`` (joined to Centre and District) restricted to ``scope``."""
    if scope.province_id is not None:
        stmt = stmt.where(District.province_id == scope.province_id)
    if scope.centre_ids is not None:
        stmt = stmt.where(Centre.id.in_(scope.centre_ids or [-1]))
    return stmt


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


def reported_cohorts(
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


def figure_columns() -> list:
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


def figures_of(values) -> dict[str, int]:
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
    stmt = reported_cohorts(
        select(*labels, *figure_columns()).select_from(Cohort),
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
        rows.append(CapacityReportRow(key_of(row[:width]), label, **figures_of(row[len(labels) :])))
    return sorted(rows, key=lambda row: row.key)


def report_totals(rows: list[CapacityReportRow]) -> CapacityReportRow:
    """The sum of ``rows`` as one row (key ``total``); its ratios are computed from the sums."""
    return CapacityReportRow("total", "Total", *(sum(getattr(row, field) for row in rows) for field in COUNTED_FIELDS))


def report_places(group_by: str, keys: list[str]) -> dict[str, Province | District]:
    """The provinces (``group_by`` province) or districts (district) behind a report's group keys, by key,
    so that pages name them in the reader's language (``language.place_name``: the reference data's Urdu
    names). Other groupings have no places (centres keep their own names; tracks are named from the
    vocabulary): an empty dict."""
    if not keys:
        return {}
    if group_by == "province":
        return {place.code: place for place in db.session.scalars(select(Province).where(Province.code.in_(keys)))}
    if group_by == "district":
        rows = db.session.execute(
            select(Province.code, District)
            .join(District, District.province_id == Province.id)
            .where(Province.code.in_({key.split("-", 1)[0] for key in keys}))
        )
        wanted = set(keys)
        return {f"{code}-{place.code}": place for code, place in rows if f"{code}-{place.code}" in wanted}
    return {}
