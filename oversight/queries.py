"""Reports as queries: each function returns rows computed by the database from the cohort counters
(kept in step with the enrollment table by the enrollment services), filtered to a user's scope.

Templates only format these rows.
"""

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from auth.permissions import OversightScope
from centres.models import Centre, District, Province
from courses.models import Cohort
from extensions import db
from vocabulary import CohortStatus

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
