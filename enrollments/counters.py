"""The cohort counters (enrolled, waitlisted, pending) against the truth, the enrollment table.

The enrollment services keep the counters in step in the same transaction as each change; this module
recomputes them from scratch, reports any drift and, when asked, fixes it.
"""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from courses.models import Cohort
from enrollments.models import Enrollment
from extensions import db
from vocabulary import EnrollmentStatus

COUNTED = {
    "enrolled_count": EnrollmentStatus.ENROLLED,
    "waitlisted_count": EnrollmentStatus.WAITLISTED,
    "pending_count": EnrollmentStatus.PENDING,
}


@dataclass(frozen=True)
class Drift:
    """A counter on a cohort that disagrees with the enrollment table."""

    cohort_id: int
    cohort_code: str
    counter: str
    stored: int
    actual: int


def recount(*, fix: bool = False) -> list[Drift]:
    """Compare every cohort's counters with counts of its enrollments by status.

    Returns the drifts found. With ``fix=True`` the stored counters are set to the actual counts
    (flushed, not committed). Cohorts that agree are not written to.
    """
    actual = (
        select(
            Enrollment.cohort_id,
            *[
                func.sum(case((Enrollment.status == status, 1), else_=0)).label(counter)
                for counter, status in COUNTED.items()
            ],
        )
        .group_by(Enrollment.cohort_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Cohort, *[func.coalesce(actual.c[counter], 0) for counter in COUNTED])
        .outerjoin(actual, actual.c.cohort_id == Cohort.id)
        .order_by(Cohort.id)
    )
    drifts: list[Drift] = []
    for cohort, *counts in rows:
        for counter, count in zip(COUNTED, counts, strict=True):
            stored = getattr(cohort, counter)
            if stored != count:
                drifts.append(Drift(cohort.id, cohort.code, counter, stored, int(count)))
                if fix:
                    setattr(cohort, counter, int(count))
    if fix:
        db.session.flush()
    return drifts
