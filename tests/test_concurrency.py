"""The invariants of DESIGN.md under concurrency, on a real SQLite file and on the PostgreSQL server:
many requests at once, each in its own thread with its own session and connection, released together.

After every run: enrolled ≤ seats, counters equal a recount of the enrollment table, waitlist
positions are 1..n without gaps, one enrollment per (trainee, cohort), at most two active places per
trainee, and exactly one audit event per change. With reserved seats and offers (issue 16): enrolled +
offered ≤ seats, a pool's held seats ≤ its reserved seats and held by those who qualify, and every offer
ends once (a decline, an expiry by one of several timers at once, or on a touch, never twice).
"""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from audit.models import AuditEvent
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.counters import recount
from enrollments.models import Enrollment, Trainee
from enrollments.services import apply, decline, settle_for_timer, waitlist_position, whole_waitlist, withdraw
from extensions import db
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, EnrollmentStatus, Gender, Pool, Role, Shift

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


# Selection (issue 16): reserved seats and offers under concurrency ---------------------------------------


@pytest.fixture
def people(make_user, make_trainee, make_district):
    """``people(genders)``: ids of trainees with their own accounts, of these genders, in this order."""
    district = make_district()

    def make(genders: list[Gender]) -> list[int]:
        return [make_trainee(district, gender=gender, user=make_user(Role.TRAINEE)).id for gender in genders]

    return make


def check_selection_invariants(cohort_id: int) -> None:
    """Never more held than seats, nor more of a pool than reserved; reserved seats held by those who qualify;
    counters equal a recount; one audit event per offer's end."""
    cohort = db.session.get(Cohort, cohort_id)
    assert cohort.enrolled_count + cohort.offered_count <= cohort.seats
    assert cohort.held_women <= cohort.reserved_women
    assert recount() == []
    holders = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.cohort_id == cohort_id, Enrollment.status.in_((S.ENROLLED, S.OFFERED)))
    ).all()
    assert all(pools.qualifies(place.trainee, cohort, place.pool) for place in holders)
    assert sum(place.pool is Pool.WOMEN for place in holders) == cohort.held_women
    line = list(whole_waitlist(cohort))
    assert [waitlist_position(e) for e in line] == list(range(1, len(line) + 1))
    ends = Counter(
        db.session.scalars(
            sa.select(AuditEvent.object_id).where(
                AuditEvent.action.in_(("enrollment.accept", "enrollment.decline", "enrollment.expire"))
            )
        )
    )
    assert max(ends.values(), default=0) <= 1, "an offer ended twice"


def test_sixty_applicants_half_women_for_ten_seats_four_reserved_for_women(app, make_cohort, people):
    cohort_id = make_cohort(seats=10, reserved_women=4).id
    genders = [Gender.MALE, Gender.FEMALE] * 30
    trainee_ids = people(genders)
    errors = run_at_once(app, [as_applicant(trainee_id, cohort_id) for trainee_id in trainee_ids])
    assert errors == []
    cohort = db.session.get(Cohort, cohort_id)
    assert (cohort.enrolled_count, cohort.held_women, cohort.waitlisted_count) == (10, 4, 50)
    check_selection_invariants(cohort_id)
    # Open seats first: nobody holds a women's seat while an open seat went to someone after her... and
    # whatever the order the requests were served in, the six open seats and four women's seats are full.
    by_pool = Counter(
        db.session.scalars(
            sa.select(Enrollment.pool).where(Enrollment.status == S.ENROLLED, Enrollment.cohort_id == cohort_id)
        )
    )
    assert by_pool == {Pool.OPEN: 6, Pool.WOMEN: 4}
    assert audit_count("enrollment.apply") == 60


def as_decline(enrollment_id: int) -> Callable[[], None]:
    def job():
        enrollment = db.session.get(Enrollment, enrollment_id)
        decline(enrollment, actor=enrollment.trainee.user)

    return job


def as_timer(cohort_id: int) -> Callable[[], None]:
    def job():
        settle_for_timer(cohort_id, now=utcnow())

    return job


def test_declines_and_expiries_racing_new_applications(app, make_cohort, people):
    cohort = make_cohort(seats=10, reserved_women=4, offers=True)
    cohort_id = cohort.id
    holders = people([Gender.MALE] * 6 + [Gender.FEMALE] * 4)
    line = people([Gender.MALE, Gender.FEMALE] * 6)
    for trainee_id in holders + line:  # 6 open seats to men, 4 women's seats, 12 in line
        trainee = db.session.get(Trainee, trainee_id)
        apply(trainee, cohort, actor=trainee.user)
    db.session.commit()

    def place_of(trainee_id: int) -> Enrollment:
        return db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == trainee_id))

    # Two open seats and two women's seats free up: offered to the first in line, and the first two women.
    for trainee_id in (holders[0], holders[1], holders[6], holders[7]):
        withdraw(place_of(trainee_id), actor=place_of(trainee_id).trainee.user)
    db.session.commit()
    offered = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.status == S.OFFERED).order_by(Enrollment.applied_at, Enrollment.id)
    ).all()
    # The open seats to the first two in line (a man, a woman), the women's seats to the next two women.
    first_offers = [line[0], line[1], line[3], line[5]]
    assert [place.trainee_id for place in offered] == first_offers
    assert Counter(place.pool for place in offered) == {Pool.OPEN: 2, Pool.WOMEN: 2}
    declining = [offered[0].id, offered[2].id]
    expiring = [offered[1].id, offered[3].id]
    db.session.execute(
        sa.update(Enrollment)
        .where(Enrollment.id.in_(expiring))
        .values(offer_expires_at=utcnow() - timedelta(minutes=1))
    )
    newcomers = people([Gender.FEMALE, Gender.MALE] * 5)
    jobs = [as_decline(enrollment_id) for enrollment_id in declining]
    jobs += [as_timer(cohort_id), as_timer(cohort_id)]
    jobs += [as_applicant(trainee_id, cohort_id) for trainee_id in newcomers]
    errors = run_at_once(app, jobs)
    assert errors == []
    check_selection_invariants(cohort_id)
    cohort = db.session.get(Cohort, cohort_id)
    assert (cohort.enrolled_count, cohort.offered_count) == (6, 4)
    assert audit_count("enrollment.decline") == 2 and audit_count("enrollment.expire") == 2
    # Every freed seat was offered to someone already in line before the newcomers, who all wait.
    assert {place_of(trainee_id).status for trainee_id in newcomers} == {S.WAITLISTED}
    now_offered = set(db.session.scalars(sa.select(Enrollment.trainee_id).where(Enrollment.status == S.OFFERED)))
    assert now_offered <= set(line) - set(first_offers)
