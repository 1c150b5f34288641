"""How every enrollment change is written: the locks (the cohort first, then trainees in id order), the
cohort's counters in one UPDATE, a seat taken atomically, the status moved, and its audit event."""

from datetime import datetime

from sqlalchemy import update

from audit.events import record
from auth.models import UserAccount
from courses.models import Cohort
from enrollments.counters import count_person, left_training_delta
from enrollments.counters import deltas as counter_deltas
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import EnrollmentStatus

S = EnrollmentStatus


def lock_cohort(cohort: Cohort) -> Cohort:
    """Lock the cohort's row until the transaction ends and re-read it (status, seats and counters as
    they are now). Always the first lock an operation takes."""
    return db.session.get(Cohort, cohort.id, with_for_update=True, populate_existing=True)


def lock_trainees(*trainee_ids: int) -> None:
    """Lock these trainees' rows, in id order, until the transaction ends; taken after the cohort's.
    Rows are re-read, so later checks see fresh data."""
    for trainee_id in sorted(set(trainee_ids)):
        db.session.get(Trainee, trainee_id, with_for_update=True, populate_existing=True)


def refresh_cohort(cohort: Cohort) -> Cohort:
    """``cohort`` re-read from the database (within a locked operation, after counter changes)."""
    return db.session.get(Cohort, cohort.id, populate_existing=True)


def change_counters(cohort: Cohort, **deltas: int) -> None:
    """Add ``deltas`` to the cohort's counters in one UPDATE (never read-modify-write)."""
    values = {name: getattr(Cohort, name) + delta for name, delta in deltas.items() if delta}
    if values:
        db.session.execute(
            update(Cohort).where(Cohort.id == cohort.id).values(**values).execution_options(synchronize_session=False)
        )
        db.session.expire(cohort, list(values))


def take_seat(cohort: Cohort) -> bool:
    """Take one seat if one is free: True when taken. Atomic on both databases."""
    result = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.enrolled_count < Cohort.seats)
        .values(enrolled_count=Cohort.enrolled_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, ["enrolled_count"])
    return result.rowcount == 1


def move(enrollment: Enrollment, to: EnrollmentStatus, *, now: datetime, reason: str = "") -> EnrollmentStatus:
    """Set the status, keep the cohort's counters in step (``enrollments.counters``: by status, and the
    report counters; a place that started training and leaves it; her first place), and return the old
    status. Taking a seat for an enrollment that becomes ``enrolled`` is the caller's job, atomically, with
    ``take_seat``, which counts it."""
    before = enrollment.status
    changes = counter_deltas(before, to, enrollment.trainee)
    changes.update(left_training_delta(enrollment, before, to))
    if to is S.COMPLETED and not enrollment.started_training:
        # A completed place evidently started training (its cohort was marked running by other means).
        enrollment.started_training = True
        changes["started_count"] = 1
    if to is S.ENROLLED:
        changes.pop("enrolled_count", None)  # counted by take_seat
        changes.update(count_person(enrollment, to, enrollment.trainee))
    change_counters(enrollment.cohort, **changes)
    enrollment.status = to
    enrollment.decided_at = now
    if reason:
        enrollment.reason = reason
    db.session.flush()
    return before


def audit_state(enrollment: Enrollment) -> dict:
    """What an enrollment's audit event keeps of it after the change."""
    return {"status": enrollment.status.value, "cohort": enrollment.cohort.code, "trainee_id": enrollment.trainee_id}


def audit(actor: UserAccount | None, action: str, enrollment: Enrollment, before: S | None, reason: str = "") -> None:
    record(
        actor,
        action,
        enrollment,
        before={"status": before.value} if before else None,
        after=audit_state(enrollment),
        reason=reason,
        centre_id=enrollment.cohort.centre_id,
    )
