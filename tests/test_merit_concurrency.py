"""Merit publication under concurrency (issue 16, item 2), on a real SQLite file and on the PostgreSQL server:
publishing locks the cohort, so it never races late applications, withdrawals or a second publication into
an overbooked cohort, a half-published list or two versions 1."""

from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment, MeritList, Trainee
from enrollments.services import ApplicationsClosed, ReasonRequired, apply, withdraw
from enrollments.services.merit import ScoreEntry, enter_scores, publish
from extensions import db
from tests.test_concurrency import audit_count, check_selection_invariants, run_at_once
from vocabulary import Admission, EnrollmentStatus, Gender, Role

S = EnrollmentStatus


def test_publishing_racing_late_applications_withdrawals_and_itself(app, make_cohort, make_user, make_trainee):
    cohort = make_cohort(admission=Admission.MERIT, offers=True, seats=6, reserved_women=2)
    staff = make_user(Role.STAFF, centres=(cohort.centre,))
    places = []
    for index in range(16):
        trainee = make_trainee(user=make_user(Role.TRAINEE), gender=Gender.FEMALE if index % 3 else Gender.MALE)
        places.append(apply(trainee, cohort, actor=trainee.user).enrollment)
    enter_scores(cohort, [ScoreEntry(place.id, 40 + 3 * index, 50) for index, place in enumerate(places)], actor=staff)
    cohort.applications_close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    latecomers = [make_trainee(user=make_user(Role.TRAINEE)).id for _ in range(6)]
    cohort_id, staff_id = cohort.id, staff.id
    leaving = [place.id for place in places[-4:]]  # the best ranked withdraw as the list is published

    def as_publisher():
        publish(db.session.get(Cohort, cohort_id), actor=db.session.get(type(staff), staff_id))

    def as_latecomer(trainee_id):
        def job():
            trainee = db.session.get(Trainee, trainee_id)
            apply(trainee, db.session.get(Cohort, cohort_id), actor=trainee.user)

        return job

    def as_leaver(enrollment_id):
        def job():
            place = db.session.get(Enrollment, enrollment_id)
            withdraw(place, actor=place.trainee.user)

        return job

    errors = run_at_once(
        app,
        [
            as_publisher,
            as_publisher,
            *(as_latecomer(each) for each in latecomers),
            *(as_leaver(each) for each in leaving),
        ],
    )
    # One publication; the other is a correction without a reason, refused; every late application is refused
    # (applications had closed); every withdrawal goes through, before the list or after it.
    assert Counter(type(error) for error in errors) == {ReasonRequired: 1, ApplicationsClosed: 6}
    assert db.session.scalar(sa.select(sa.func.count(MeritList.id))) == 1
    assert audit_count("merit_list.publish") == 1 and audit_count("merit_list.correct") == 0
    cohort = db.session.get(Cohort, cohort_id)
    statuses = Counter(db.session.scalars(sa.select(Enrollment.status).where(Enrollment.cohort_id == cohort_id)))
    assert statuses[S.PENDING] == 0 and statuses[S.WITHDRAWN] + statuses[S.DECLINED] == 4
    assert cohort.enrolled_count + cohort.offered_count == cohort.seats == statuses[S.OFFERED]
    assert statuses[S.WAITLISTED] == 16 - 4 - 6
    check_selection_invariants(cohort_id)
