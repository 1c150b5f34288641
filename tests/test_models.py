"""The database itself refuses what the design forbids, whatever code tries to write."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from audit.models import AuditEvent, AuditEventIsAppendOnly
from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import EnrollmentSource, EnrollmentStatus, Role


def database_refuses(statement, *params) -> None:
    """Run ``statement`` and assert that the database refuses it; leave the session usable."""
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text(statement), *params)
        db.session.flush()
    db.session.rollback()


def test_one_trainee_per_cnic(make_trainee, row_counts):
    first = make_trainee(cnic="3520212345671")
    before = row_counts()
    with pytest.raises(IntegrityError):
        make_trainee(cnic="3520212345671", district=first.district)
    db.session.rollback()
    assert row_counts() == before


def test_cnic_must_have_13_characters(make_trainee):
    trainee = make_trainee()
    database_refuses("UPDATE trainee SET cnic = '12345' WHERE id = :id", {"id": trainee.id})


def test_one_enrollment_per_trainee_and_cohort(make_trainee, make_cohort, make_enrollment):
    trainee, cohort = make_trainee(), make_cohort()
    make_enrollment(trainee, cohort)
    with pytest.raises(IntegrityError):
        make_enrollment(trainee, cohort, status=EnrollmentStatus.WAITLISTED)
    db.session.rollback()
    count = db.session.scalar(sa.select(sa.func.count(Enrollment.id)))
    assert count == 1


@pytest.mark.parametrize(
    ("assignment", "why"),
    [
        ("seats = -1", "seats not negative"),
        ("enrolled_count = seats + 1", "never more enrolled than seats"),
        ("waitlisted_count = -1", "counters not negative"),
        ("ends_on = '2000-01-01'", "ends after it starts"),
        ("status = 'bogus'", "status from the vocabulary"),
        ("shift = 'night'", "shift from the vocabulary"),
    ],
)
def test_cohort_check_constraints(make_cohort, assignment, why):
    cohort = make_cohort(seats=3)
    database_refuses(f"UPDATE cohort SET {assignment} WHERE id = :id", {"id": cohort.id})


def test_enrollment_status_from_the_vocabulary(make_trainee, make_cohort, make_enrollment):
    enrollment = make_enrollment(make_trainee(), make_cohort())
    database_refuses("UPDATE enrollment SET status = 'limbo' WHERE id = :id", {"id": enrollment.id})


def test_foreign_keys_are_enforced(make_cohort):
    cohort = make_cohort()
    database_refuses("UPDATE cohort SET centre_id = 999999 WHERE id = :id", {"id": cohort.id})


def test_only_overseers_have_a_province(make_user, make_province):
    province = make_province()
    user = make_user(Role.STAFF)
    database_refuses("UPDATE user_account SET province_id = :p WHERE id = :id", {"p": province.id, "id": user.id})
    overseer = make_user(Role.OVERSEER, province=province)
    assert overseer.province is province


def test_unique_email(make_user):
    make_user(email="same@markaz.test")
    with pytest.raises(IntegrityError):
        make_user(email="same@markaz.test")
    db.session.rollback()


def test_timestamps_come_back_timezone_aware_utc(make_cohort):
    opens = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=5)))  # 09:30 in Pakistan
    cohort = make_cohort(applications_open_at=opens)
    db.session.expire_all()
    stored = db.session.get(Cohort, cohort.id).applications_open_at
    assert stored == opens
    assert stored.tzinfo == UTC
    assert stored.hour == 4


def test_naive_timestamps_are_refused(make_cohort):
    with pytest.raises(StatementError, match="timezone-aware"):
        make_cohort(applications_open_at=datetime(2026, 12, 1, 9, 30))
    db.session.rollback()


def test_audit_events_are_append_only(app):
    event = AuditEvent(action="cohort.create", object_type="cohort", object_id=1)
    db.session.add(event)
    db.session.commit()
    event.reason = "rewriting history"
    with pytest.raises(AuditEventIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(AuditEventIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 1


def test_age_on_a_day(make_trainee):
    trainee = make_trainee(date_of_birth=datetime(2000, 6, 15).date())
    assert trainee.age_on(datetime(2026, 6, 14).date()) == 25
    assert trainee.age_on(datetime(2026, 6, 15).date()) == 26


def test_trainee_user_link_is_one_to_one(make_trainee, make_user):
    user = make_user(Role.TRAINEE)
    make_trainee(user=user)
    with pytest.raises(IntegrityError):
        make_trainee(user_id=user.id)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Trainee.id))) == 1


def test_enrollment_defaults(make_trainee, make_cohort):
    enrollment = Enrollment(
        trainee=make_trainee(), cohort=make_cohort(), status=EnrollmentStatus.PENDING, source=EnrollmentSource.WALK_IN
    )
    db.session.add(enrollment)
    db.session.commit()
    assert enrollment.applied_at.tzinfo == UTC
    assert enrollment.reason == ""
    assert enrollment.decided_at is None
