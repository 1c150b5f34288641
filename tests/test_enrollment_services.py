"""The enrollment rules, service by service, without HTTP (DESIGN.md, "Enrollment rules")."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from pages import audit_events

from audit.models import AuditEvent
from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import (
    ApplicationsClosed,
    NotAllowed,
    NotEligible,
    NotPossibleNow,
    OverlappingPlace,
    ReasonRequired,
    TooManyPlaces,
    apply,
    approve,
    cancel_cohort,
    change_seats,
    drop,
    prospect,
    register,
    reject,
    waitlist_position,
    whole_waitlist,
    withdraw,
)
from extensions import db
from notifications.models import OutboxMessage
from refusals import Refusal
from vocabulary import Admission, CohortKind, CohortStatus, Education, EnrollmentSource, Gender, Role, Shift

S = Enrollment.status.type.enum_class


@pytest.fixture
def trainee_with_account(make_user, make_trainee):
    """``trainee_with_account(**fields)``: a trainee who signed up (her own account)."""

    def make(**fields):
        user = make_user(Role.TRAINEE)
        return make_trainee(user=user, **fields)

    return make


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


def messages(kind: str) -> list[OutboxMessage]:
    statement = sa.select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    return list(db.session.scalars(statement))


def fill(cohort, trainee_with_account, count: int) -> list[Enrollment]:
    return [apply(t, cohort, actor=t.user).enrollment for t in (trainee_with_account() for _ in range(count))]


# Applying ------------------------------------------------------------------------------------------


def test_first_come_takes_seats_then_waitlists_in_order(make_cohort, trainee_with_account):
    cohort = make_cohort(seats=2)
    placed = fill(cohort, trainee_with_account, 4)
    db.session.commit()
    assert [e.status for e in placed] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED, S.WAITLISTED]
    assert [waitlist_position(e) for e in placed] == [None, None, 1, 2]
    assert (cohort.enrolled_count, cohort.waitlisted_count, cohort.pending_count) == (2, 2, 0)
    assert recount() == []
    assert len(audit_events("enrollment.apply")) == 4
    assert {m.kind for m in messages("enrollment.waitlisted")} == {"enrollment.waitlisted"}
    assert "number 2 on the waitlist" in messages("enrollment.waitlisted")[-1].body


def test_reviewed_admission_waits_for_staff(make_cohort, trainee_with_account, staff, centre):
    cohort = make_cohort(centre=centre, seats=1, admission=Admission.REVIEWED)
    first, second = fill(cohort, trainee_with_account, 2)
    assert (first.status, second.status) == (S.PENDING, S.PENDING)
    assert cohort.pending_count == 2
    approve(first, actor=staff)
    approve(second, actor=staff)
    assert (first.status, second.status) == (S.ENROLLED, S.WAITLISTED)
    assert (cohort.enrolled_count, cohort.waitlisted_count, cohort.pending_count) == (1, 1, 0)
    assert recount() == []
    assert [e.reason for e in audit_events("enrollment.approve")] == ["", ""]


def test_a_repeated_application_returns_the_existing_place(make_cohort, trainee_with_account, row_counts):
    cohort = make_cohort()
    trainee = trainee_with_account()
    first = apply(trainee, cohort, actor=trainee.user)
    db.session.commit()
    before = row_counts()
    again = apply(trainee, cohort, actor=trainee.user)
    assert (first.created, again.created) == (True, False)
    assert again.enrollment.id == first.enrollment.id
    db.session.commit()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("cohort_fields", "refusal", "message"),
    [
        ({"status": CohortStatus.DRAFT}, ApplicationsClosed, "not taking applications"),
        ({"status": CohortStatus.RUNNING}, ApplicationsClosed, "not taking applications"),
        ({"applications_open_at": utcnow() + timedelta(days=2)}, ApplicationsClosed, "have not opened yet"),
        ({"applications_close_at": utcnow() - timedelta(minutes=1)}, ApplicationsClosed, "Applications have closed"),
        ({"women_only": True, "kind": CohortKind.CAMP}, NotEligible, "This is a women-only camp."),
    ],
)
def test_refusals_write_nothing(make_cohort, trainee_with_account, row_counts, cohort_fields, refusal, message):
    cohort = make_cohort(**cohort_fields)
    trainee = trainee_with_account(gender=Gender.MALE)
    before = row_counts()
    with pytest.raises(refusal, match=message):
        apply(trainee, cohort, actor=trainee.user)
    db.session.rollback()
    assert row_counts() == before


def test_age_and_education_and_residence(make_cohort, make_course, trainee_with_account, make_district):
    course = make_course(min_age=18, max_age=35, min_education=Education.INTERMEDIATE)
    cohort = make_cohort(course=course)
    too_young = trainee_with_account(date_of_birth=cohort.starts_on - timedelta(days=365 * 17))
    with pytest.raises(NotEligible, match="Age 18–35 on the day the course starts"):
        apply(too_young, cohort, actor=too_young.user)
    matric = trainee_with_account(education=Education.MATRIC)
    with pytest.raises(NotEligible, match=r"needs Intermediate \(FA/FSc\) or higher"):
        apply(matric, cohort, actor=matric.user)
    local = make_cohort(eligible_district=make_district(name="Tharparkar"))
    outsider = trainee_with_account()
    with pytest.raises(NotEligible, match="Only residents of Tharparkar district may apply"):
        apply(outsider, local, actor=outsider.user)


def test_at_most_two_active_places_and_no_overlap(make_cohort, trainee_with_account):
    today = utcnow().date()
    morning = make_cohort(shift=Shift.MORNING, starts_on=today + timedelta(days=20))
    evening = make_cohort(shift=Shift.EVENING, starts_on=today + timedelta(days=20))
    clash = make_cohort(shift=Shift.MORNING, starts_on=today + timedelta(days=25))
    third = make_cohort(shift=Shift.WEEKEND, starts_on=today + timedelta(days=22))
    trainee = trainee_with_account()
    apply(trainee, morning, actor=trainee.user)
    with pytest.raises(OverlappingPlace, match="same morning shift, overlapping dates"):
        apply(trainee, clash, actor=trainee.user)
    apply(trainee, evening, actor=trainee.user)
    with pytest.raises(TooManyPlaces, match="You already hold 2 places"):
        apply(trainee, third, actor=trainee.user)


def test_only_the_trainee_applies_and_only_staff_register(make_cohort, trainee_with_account, make_user, make_centre):
    cohort = make_cohort()
    trainee, other = trainee_with_account(), trainee_with_account()
    with pytest.raises(NotAllowed):
        apply(trainee, cohort, actor=other.user)
    elsewhere = make_user(Role.STAFF, centres=(make_centre(),))
    with pytest.raises(NotAllowed):
        register(trainee, cohort, actor=elsewhere)
    with pytest.raises(NotAllowed):
        register(trainee, cohort, actor=make_user(Role.OVERSEER))


def test_staff_register_walk_ins(make_cohort, make_trainee, staff, centre):
    cohort = make_cohort(centre=centre, seats=1)
    walk_in = make_trainee()  # no account
    placement = register(walk_in, cohort, actor=staff)
    assert placement.enrollment.status is S.ENROLLED
    assert placement.enrollment.source is EnrollmentSource.WALK_IN
    assert [e.actor_id for e in audit_events("enrollment.register")] == [staff.id]


# Freeing seats -------------------------------------------------------------------------------------


def test_withdrawal_gives_the_seat_to_the_first_in_line(make_cohort, trainee_with_account):
    cohort = make_cohort(seats=1)
    holder, first, second = fill(cohort, trainee_with_account, 3)
    withdraw(holder, actor=holder.trainee.user)
    db.session.commit()
    assert (holder.status, first.status, second.status) == (S.WITHDRAWN, S.ENROLLED, S.WAITLISTED)
    assert waitlist_position(second) == 1
    assert recount() == []
    assert len(audit_events("enrollment.withdrawn")) == 1 and len(audit_events("enrollment.promote")) == 1
    assert [m.trainee_id for m in messages("enrollment.promoted")] == [first.trainee_id]


def test_promotion_skips_those_who_now_hold_too_many_places(app, make_cohort, trainee_with_account):
    """The limit may have been lowered since she joined the line: she keeps her place in line, and the
    seat goes to the next eligible trainee."""
    app.config["MAX_ACTIVE_PLACES"] = 3
    today = utcnow().date()
    cohort = make_cohort(seats=1, shift=Shift.MORNING, starts_on=today + timedelta(days=20))
    holder, busy, free = fill(cohort, trainee_with_account, 3)
    for shift in (Shift.AFTERNOON, Shift.EVENING):
        apply(busy.trainee, make_cohort(shift=shift), actor=busy.trainee.user)
    app.config["MAX_ACTIVE_PLACES"] = 2
    withdraw(holder, actor=holder.trainee.user)
    assert (busy.status, free.status) == (S.WAITLISTED, S.ENROLLED)
    assert waitlist_position(busy) == 1


def test_drop_needs_a_reason_and_promotes(make_cohort, trainee_with_account, staff, centre, row_counts):
    cohort = make_cohort(centre=centre, seats=1)
    holder, waiting = fill(cohort, trainee_with_account, 2)
    db.session.commit()
    before = row_counts()
    with pytest.raises(ReasonRequired):
        drop(holder, actor=staff, reason="  ")
    db.session.rollback()
    assert row_counts() == before
    drop(holder, actor=staff, reason="Missed the first two weeks.")
    assert (holder.status, holder.reason, waiting.status) == (S.DROPPED, "Missed the first two weeks.", S.ENROLLED)
    assert audit_events("enrollment.dropped")[0].reason == "Missed the first two weeks."
    assert "Missed the first two weeks." in messages("enrollment.dropped")[0].body


def test_reject_needs_a_reason(make_cohort, trainee_with_account, staff, centre):
    cohort = make_cohort(centre=centre, admission=Admission.REVIEWED)
    [pending] = fill(cohort, trainee_with_account, 1)
    with pytest.raises(ReasonRequired):
        reject(pending, actor=staff, reason="")
    reject(pending, actor=staff, reason="Documents missing.")
    assert pending.status is S.REJECTED and cohort.pending_count == 0


def test_transitions_that_make_no_sense_are_refused(make_cohort, trainee_with_account, staff, centre):
    cohort = make_cohort(centre=centre, seats=1)
    [enrolled] = fill(cohort, trainee_with_account, 1)
    with pytest.raises(NotPossibleNow, match="cannot approve an application that is enrolled"):
        approve(enrolled, actor=staff)
    withdraw(enrolled, actor=staff, reason="Asked by phone")
    with pytest.raises(NotPossibleNow):
        withdraw(enrolled, actor=staff)


# Seats and cancellation ----------------------------------------------------------------------------


def test_raising_seats_promotes_and_lowering_below_enrolled_is_refused(
    make_cohort, trainee_with_account, staff, centre, row_counts
):
    cohort = make_cohort(centre=centre, seats=2)
    placed = fill(cohort, trainee_with_account, 5)
    db.session.commit()
    before = row_counts()
    with pytest.raises(Refusal, match="2 trainees are enrolled: seats cannot go below that") as refused:
        change_seats(cohort, 1, actor=staff)
    db.session.rollback()
    assert refused.value.field == "seats" and row_counts() == before
    promoted = change_seats(cohort, 4, actor=staff)
    assert [e.id for e in promoted] == [placed[2].id, placed[3].id]
    assert [e.id for e in whole_waitlist(cohort)] == [placed[4].id]
    assert (cohort.seats, cohort.enrolled_count, cohort.waitlisted_count) == (4, 4, 1)
    assert recount() == []


@pytest.mark.parametrize(
    ("changes", "seats", "error", "message"),
    [
        ({}, 0, Refusal, "A cohort has from 1 to 1,000 seats."),
        ({}, 5000, Refusal, "A cohort has from 1 to 1,000 seats."),
        ({}, 2147483647, Refusal, "A cohort has from 1 to 1,000 seats."),
        ({}, 31, Refusal, "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30."),
        ({"status": CohortStatus.FINISHED}, 999, NotPossibleNow, "This cohort is finished: its seats can no longer"),
        ({"status": CohortStatus.FINISHED}, 5, NotPossibleNow, "This cohort is finished: its seats can no longer"),
        ({"status": CohortStatus.CANCELLED}, 5, NotPossibleNow, "This cohort is cancelled: its seats can no longer"),
    ],
)
def test_change_seats_holds_the_rule_the_api_holds(
    make_cohort, staff, centre, row_counts, changes, seats, error, message
):
    """One rule for the seats page and the API's PATCH: 1 to 1,000, at most the lab seats on-site, and none
    once the cohort has ended."""
    cohort = make_cohort(centre=centre, seats=10, **changes)
    before = row_counts()
    with pytest.raises(error, match=message) as refused:
        change_seats(cohort, seats, actor=staff)
    db.session.rollback()
    assert refused.value.field == "seats" and row_counts() == before
    assert db.session.get(type(cohort), cohort.id).seats == 10


def test_online_cohorts_are_not_bound_by_the_lab(make_cohort, staff, centre):
    cohort = make_cohort(centre=centre, seats=10, mode="online")
    change_seats(cohort, 1000, actor=staff)
    assert cohort.seats == 1000


def test_cancelling_a_cohort_cancels_places_and_tells_everyone(make_cohort, trainee_with_account, staff, centre):
    cohort = make_cohort(centre=centre, seats=1)
    fill(cohort, trainee_with_account, 3)
    with pytest.raises(ReasonRequired):
        cancel_cohort(cohort, actor=staff, reason="")
    assert cancel_cohort(cohort, actor=staff, reason="The trainer fell ill.") == 3
    assert cohort.status is CohortStatus.CANCELLED
    assert (cohort.enrolled_count, cohort.waitlisted_count) == (0, 0)
    assert len(audit_events("enrollment.cancel")) == 3 and len(audit_events("cohort.cancel")) == 1
    assert len(messages("enrollment.cancelled")) == 3
    assert recount() == []
    with pytest.raises(NotPossibleNow):
        cancel_cohort(cohort, actor=staff, reason="again")


# What the cohort page offers -------------------------------------------------------------------------


def test_prospect_says_what_she_can_do(make_cohort, trainee_with_account):
    cohort = make_cohort(seats=1)
    first, second = trainee_with_account(), trainee_with_account(gender=Gender.MALE)
    assert prospect(None, cohort).action == "sign_in"
    assert prospect(first, cohort).action == "apply"
    apply(first, cohort, actor=first.user)
    mine = prospect(first, cohort)
    assert mine.action == "applied" and mine.enrollment.status is S.ENROLLED
    full = prospect(second, cohort)
    assert (full.action, full.waitlist_position) == ("waitlist", 1)
    camp = make_cohort(kind=CohortKind.CAMP, women_only=True)
    assert prospect(second, camp).action == "ineligible"
    assert prospect(second, camp).reasons == ("This is a women-only camp.",)
    closed = make_cohort(status=CohortStatus.CLOSED)
    assert prospect(second, closed).action == "closed"


def test_every_change_writes_exactly_one_audit_event(make_cohort, trainee_with_account, staff, centre):
    cohort = make_cohort(centre=centre, seats=1)
    holder, _waiting = fill(cohort, trainee_with_account, 2)  # 2 events
    drop(holder, actor=staff, reason="Left")  # 1 for the drop, 1 for the promotion
    changes = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.object_type == "enrollment"))
    assert changes == 4


def test_when_a_cohort_starts_the_people_still_waiting_are_told_and_released(
    make_cohort, trainee_with_account, staff, centre
):
    from courses.cohorts import change_status

    cohort = make_cohort(centre=centre, seats=1, status=CohortStatus.CLOSED)
    cohort.status = CohortStatus.OPEN
    holder, waiting = fill(cohort, trainee_with_account, 2)
    cohort.status = CohortStatus.CLOSED
    # It started a week ago, so its backfill window (the first 7 days, when the line still moves) has closed.
    cohort.starts_on = utcnow().date() - timedelta(days=cohort.backfill_days)
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    assert (holder.status, waiting.status) == (S.ENROLLED, S.CANCELLED)
    assert waiting.reason == "The course started before a seat became free."
    assert [m.trainee_id for m in messages("enrollment.cancelled")] == [waiting.trainee_id]
    assert recount() == []


def test_limits_are_explained_to_staff_in_the_third_person(make_cohort, make_trainee, staff, centre):
    today = utcnow().date()
    walk_in = make_trainee()
    register(
        walk_in, make_cohort(centre=centre, shift=Shift.MORNING, starts_on=today + timedelta(days=20)), actor=staff
    )
    clash = make_cohort(centre=centre, shift=Shift.MORNING, starts_on=today + timedelta(days=22))
    with pytest.raises(OverlappingPlace, match="clashes with the trainee's place"):
        register(walk_in, clash, actor=staff)
