"""The waitlist: who is next in line (order of application: ``applied_at``, then id), and giving a free
seat to the first in line who may still take it."""

from datetime import datetime

from sqlalchemy import and_, or_, select

from auth.models import UserAccount
from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment
from enrollments.services.changes import audit, lock_trainees, move, refresh_cohort, take_seat
from enrollments.services.messages import tell
from enrollments.services.rules import limits_refusal
from extensions import db
from vocabulary import CohortStatus, EnrollmentStatus

S = EnrollmentStatus
# Cohorts whose freed seats go to the waitlist: those that have not started (nobody joins a course
# half-way).
PROMOTING_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED)


def next_in_line(cohort: Cohort, limit: int) -> list[Enrollment]:
    """The first ``limit`` waitlisted enrollments (read without locks: callers lock, then re-check)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(Enrollment.applied_at, Enrollment.id)
            .limit(limit)
        )
    )


def promote_next(cohort: Cohort, *, actor: UserAccount | None, now: datetime | None = None) -> Enrollment | None:
    """Give a free seat of ``cohort`` to the first eligible trainee on its waitlist (one who has not
    since taken the maximum number of places or a clashing one). Returns her enrollment, or None when
    there is no free seat, no one eligible, or the cohort has finished or been cancelled."""
    now = now or utcnow()
    cohort = refresh_cohort(cohort)
    if cohort.status not in PROMOTING_STATUSES or cohort.enrolled_count >= cohort.seats:
        return None
    for candidate in whole_waitlist(cohort):
        lock_trainees(candidate.trainee_id)
        db.session.refresh(candidate)
        if candidate.status is not S.WAITLISTED:
            continue
        if limits_refusal(candidate.trainee, cohort, excluding=candidate) is not None:
            continue
        if not take_seat(cohort):
            return None
        before = move(candidate, S.ENROLLED, now=now)
        audit(actor, "enrollment.promote", candidate, before)
        tell(candidate, "promoted")
        return candidate
    return None


def whole_waitlist(cohort: Cohort, batch: int = 50):
    """The waitlist in order, read a batch at a time (a long line is never loaded whole)."""
    after: tuple | None = None
    while True:
        stmt = (
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(Enrollment.applied_at, Enrollment.id)
            .limit(batch)
        )
        if after is not None:
            stmt = stmt.where(
                or_(Enrollment.applied_at > after[0], and_(Enrollment.applied_at == after[0], Enrollment.id > after[1]))
            )
        rows = list(db.session.scalars(stmt))
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].applied_at, rows[-1].id)
