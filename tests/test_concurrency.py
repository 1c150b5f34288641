"""The invariants of DESIGN.md under concurrency, on a real SQLite file and on the PostgreSQL server:
many requests at once, each in its own thread with its own session and connection, released together.

After every run: enrolled ≤ seats, counters equal a recount of the enrollment table, waitlist
positions are 1..n without gaps, one enrollment per (trainee, cohort), at most two active places per
trainee, and exactly one audit event per change.
"""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from audit.models import AuditEvent
from courses.models import Cohort
from enrollments.counters import recount
from enrollments.models import Enrollment, Trainee
from enrollments.services import apply, waitlist_position, whole_waitlist, withdraw
from extensions import db
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, EnrollmentStatus, Role, Shift

S = EnrollmentStatus


def run_at_once(app, jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run each job in its own thread and app context (so its own session), all released at the same
    moment; commit each job's transaction. Returns the errors raised."""
    db.session.commit()  # the test's own transaction must hold no lock while the threads run
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except BaseException as error:
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    return errors


def as_applicant(trainee_id: int, cohort_id: int) -> Callable[[], None]:
    def job():
        trainee = db.session.get(Trainee, trainee_id)
        apply(trainee, db.session.get(Cohort, cohort_id), actor=trainee.user)

    return job


def as_withdrawal(enrollment_id: int) -> Callable[[], None]:
    def job():
        enrollment = db.session.get(Enrollment, enrollment_id)
        withdraw(enrollment, actor=enrollment.trainee.user)

    return job


@pytest.fixture
def applicants(make_user, make_trainee, make_district):
    """``applicants(n)``: ids of ``n`` trainees who each have their own account."""
    district = make_district()

    def make(count: int) -> list[int]:
        return [make_trainee(district, user=make_user(Role.TRAINEE)).id for _ in range(count)]

    return make


def check_invariants(cohort_id: int) -> None:
    cohort = db.session.get(Cohort, cohort_id)
    assert cohort.enrolled_count <= cohort.seats
    assert recount() == []
    line = list(whole_waitlist(cohort))
    assert [waitlist_position(e) for e in line] == list(range(1, len(line) + 1))
    if line:
        assert cohort.enrolled_count == cohort.seats, "someone waits while a seat is free"
    pairs = db.session.execute(sa.select(Enrollment.trainee_id, Enrollment.cohort_id)).all()
    assert len(pairs) == len(set(pairs))
    active = Counter(
        db.session.scalars(sa.select(Enrollment.trainee_id).where(Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)))
    )
    assert max(active.values(), default=0) <= 2


def audit_count(*actions: str) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.in_(actions)))


def test_forty_applications_at_once_for_ten_seats(app, make_cohort, applicants):
    cohort_id = make_cohort(seats=10).id
    trainee_ids = applicants(40)
    errors = run_at_once(app, [as_applicant(trainee_id, cohort_id) for trainee_id in trainee_ids])
    assert errors == []
    statuses = Counter(db.session.scalars(sa.select(Enrollment.status)))
    assert statuses == {S.ENROLLED: 10, S.WAITLISTED: 30}
    cohort = db.session.get(Cohort, cohort_id)
    assert (cohort.enrolled_count, cohort.waitlisted_count) == (10, 30)
    check_invariants(cohort_id)
    assert audit_count("enrollment.apply") == 40


def test_withdrawals_and_applications_at_once(app, make_cohort, applicants):
    cohort = make_cohort(seats=10)
    cohort_id = cohort.id
    first = applicants(20)
    for trainee_id in first:  # 10 enrolled, 10 waitlisted, one after another
        trainee = db.session.get(Trainee, trainee_id)
        apply(trainee, cohort, actor=trainee.user)
    db.session.commit()
    leaving = list(
        db.session.scalars(
            sa.select(Enrollment.id).where(Enrollment.status == S.ENROLLED).order_by(Enrollment.id).limit(6)
        )
    )
    newcomers = applicants(14)
    jobs = [as_withdrawal(enrollment_id) for enrollment_id in leaving]
    jobs += [as_applicant(trainee_id, cohort_id) for trainee_id in newcomers]
    errors = run_at_once(app, jobs)
    assert errors == []
    statuses = Counter(db.session.scalars(sa.select(Enrollment.status)))
    assert statuses == {S.ENROLLED: 10, S.WITHDRAWN: 6, S.WAITLISTED: 18}
    check_invariants(cohort_id)
    # Each freed seat went to someone who was already in line before the newcomers.
    promoted = set(
        db.session.scalars(
            sa.select(Enrollment.trainee_id)
            .join(AuditEvent, sa.and_(AuditEvent.object_id == Enrollment.id, AuditEvent.object_type == "enrollment"))
            .where(AuditEvent.action == "enrollment.promote")
        )
    )
    assert len(promoted) == 6 and promoted <= set(first[10:])
    assert audit_count("enrollment.apply") == 34
    assert audit_count("enrollment.withdrawn") == 6 and audit_count("enrollment.promote") == 6


def test_the_same_application_sent_many_times_at_once(app, make_cohort, applicants):
    cohort_id = make_cohort(seats=5).id
    [trainee_id] = applicants(1)
    errors = run_at_once(app, [as_applicant(trainee_id, cohort_id) for _ in range(10)])
    assert errors == []
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 1
    check_invariants(cohort_id)
    assert audit_count("enrollment.apply") == 1


def test_one_trainee_applying_to_many_cohorts_at_once_keeps_two_places(app, make_cohort, applicants):
    shifts = [Shift.MORNING, Shift.AFTERNOON, Shift.EVENING, Shift.WEEKEND]
    cohort_ids = [make_cohort(seats=5, shift=shift).id for shift in shifts]
    [trainee_id] = applicants(1)
    errors = run_at_once(app, [as_applicant(trainee_id, cohort_id) for cohort_id in cohort_ids])
    assert len(errors) == 2 and all("You already hold 2 places" in str(error) for error in errors)
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 2
    for cohort_id in cohort_ids:
        check_invariants(cohort_id)
