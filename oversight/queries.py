"""Reports as queries: each function returns rows computed by the database from the cohort counters
(kept in step with the enrollment table by the enrollment services), filtered to a user's scope.

Templates only format these rows.
"""

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import Select, case, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort, Course
from extensions import db
from vocabulary import CohortStatus, Track

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


def _reported(
    stmt: Select,
    scope: OversightScope,
    province_code: str | None,
    starts_from: date | None,
    starts_to: date | None,
) -> Select:
    """``stmt`` (with ``Cohort`` in its FROM) joined to the cohort's course, centre, district and province,
    limited to reported cohorts of ``scope``, of ``province_code`` and starting within the period."""
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
    return scoped(stmt, scope)


def capacity_report(
    scope: OversightScope,
    group_by: str = "province",
    *,
    province_code: str | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
) -> list[CapacityReportRow]:
    """Capacity, inclusion and completion per province, district (key ``PROVINCE-DISTRICT``), centre or
    track, within ``scope``, ordered by key; groups without a reported cohort are absent.

    Counted cohorts: open, closed, running or finished (``REPORTED_STATUSES``), of the province with
    ``province_code`` when given, whose first day lies in [``starts_from``, ``starts_to``] (either bound
    optional). Every figure is a sum of the cohorts' counters (``enrollments.counters``), kept by the
    enrollment services: one pass over the cohort table, never over the enrollments."""
    keys, name = _report_keys(group_by)
    labels = [*keys, *([name] if name is not None else [])]
    finished = Cohort.status == CohortStatus.FINISHED

    def finished_only(column) -> object:
        return func.sum(case((finished, column), else_=0))

    stmt = _reported(
        select(
            *labels,
            func.count(Cohort.id),
            func.sum(Cohort.seats),
            func.sum(Cohort.enrolled_count),
            func.sum(Cohort.waitlisted_count),
            func.sum(Cohort.pending_count),
            func.sum(Cohort.completed_count),
            func.sum(Cohort.dropped_count),
            func.sum(Cohort.enrolled_count + Cohort.completed_count),
            func.sum(Cohort.women_count),
            func.sum(Cohort.rural_count),
            finished_only(Cohort.enrolled_count + Cohort.completed_count + Cohort.dropped_count),
            finished_only(Cohort.completed_count),
        ).select_from(Cohort),
        scope,
        province_code,
        starts_from,
        starts_to,
    ).group_by(*labels)

    def key_of(values: tuple) -> str:
        return "-".join(str(value.value if isinstance(value, Track) else value) for value in values)

    width = len(keys)
    rows = []
    for row in db.session.execute(stmt):
        label = row[width] if name is not None else Track(row[0]).label
        rows.append(CapacityReportRow(key_of(row[:width]), label, *(int(value or 0) for value in row[len(labels) :])))
    return sorted(rows, key=lambda row: row.key)


def report_totals(rows: list[CapacityReportRow]) -> CapacityReportRow:
    """The sum of ``rows`` as one row (key ``total``); its ratios are computed from the sums."""
    return CapacityReportRow("total", "Total", *(sum(getattr(row, field) for row in rows) for field in COUNTED_FIELDS))
