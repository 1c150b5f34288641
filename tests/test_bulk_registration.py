"""Registering a whole list at once (``register_many``, ``create_trainees``): the same rules and the same
writes as one by one, in bulk; refusals about the whole list write nothing; correct under concurrency."""

from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from audit.models import AuditEvent
from auth.permissions import can_edit_trainee, can_view_trainee
from courses.models import Cohort
from enrollments.counters import recount
from enrollments.models import Enrollment, Trainee
from enrollments.services import (
    ApplicationsClosed,
    NotAllowed,
    register,
    register_many,
    waitlist_position,
    whole_waitlist,
)
from enrollments.trainees import TraineeDetails, create_trainee, create_trainees
from extensions import db
from notifications.models import OutboxMessage
from refusals import Refusal
from tests.test_concurrency import check_invariants, run_at_once
from vocabulary import Admission, Area, CohortStatus, EnrollmentSource, EnrollmentStatus, Gender, Role, Shift

S = EnrollmentStatus


@pytest.fixture
def centre(make_centre):
    return make_centre()


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def district(make_district):
    return make_district()


def people(make_trainee, district, make_cohort, make_enrollment, centre) -> list[Trainee]:
    """Eight trainees as a list brings them: four who may take a place, one too old, one who holds two
    places, one whose place clashes (same shift, overlapping dates), one more who may."""
    elsewhere = [make_cohort(centre=centre, shift=shift) for shift in (Shift.AFTERNOON, Shift.EVENING)]
    clashing = make_cohort(centre=centre, shift=Shift.MORNING)
    fine = [make_trainee(district, email=f"fine{n}@example.pk" if n % 2 else None) for n in range(4)]
    too_old = make_trainee(district, date_of_birth=date(1960, 1, 1))
    holds_two = make_trainee(district)
    for cohort in elsewhere:
        make_enrollment(holds_two, cohort)
    clashes = make_trainee(district)
    make_enrollment(clashes, clashing, status=S.WAITLISTED)
    return [*fine[:2], too_old, holds_two, clashes, *fine[2:], make_trainee(district)]


def what_happened(cohort: Cohort) -> dict:
    """Everything registering wrote about ``cohort``, in terms that do not depend on ids or codes."""
    cohort = db.session.get(Cohort, cohort.id)
    db.session.refresh(cohort)
    enrollments = list(
        db.session.scalars(
            sa.select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id)
            .order_by(Enrollment.applied_at, Enrollment.id)
        )
    )
    ids = [enrollment.id for enrollment in enrollments]
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "enrollment", AuditEvent.object_id.in_(ids))
    ).all()
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.enrollment_id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    return {
        "places": [(e.trainee_id, e.status, e.source, waitlist_position(e)) for e in enrollments],
        # Ids differ between runs: events and messages are compared without them.
        "counters": (cohort.enrolled_count, cohort.waitlisted_count, cohort.pending_count),
        "events": sorted(
            (e.action, e.actor_id, e.centre_id, e.before, tuple(sorted(e.after.items())), e.reason) for e in events
        ),
        "messages": Counter((m.trainee_id, m.kind, m.channel, m.recipient, m.subject, m.body) for m in messages),
    }


@pytest.mark.parametrize("admission", [Admission.FIRST_COME, Admission.REVIEWED])
def test_a_list_is_registered_exactly_as_one_by_one(
    admission, centre, staff, district, make_trainee, make_cohort, make_enrollment
):
    cohort = make_cohort(centre=centre, seats=5, admission=admission)
    trainees = people(make_trainee, district, make_cohort, make_enrollment, centre)
    # Three seats are taken and someone is in line already: the list joins the line behind her.
    first_come = admission is Admission.FIRST_COME
    for _ in range(3):
        make_enrollment(make_trainee(district), cohort, status=S.ENROLLED)
    make_enrollment(make_trainee(district), cohort, status=S.WAITLISTED if first_come else S.PENDING)
    recount(fix=True)  # the factories write enrollments without counting them
    db.session.commit()

    # The same list, from the same state: one by one (then undone), and at once.
    refused_one_by_one = {}
    for trainee in trainees:
        try:
            register(trainee, cohort, actor=staff, source=EnrollmentSource.IMPORT)
        except Refusal as refusal:
            refused_one_by_one[trainee.id] = refusal.message
    single = what_happened(cohort)
    db.session.rollback()
    assert what_happened(cohort)["counters"] == ((3, 1, 0) if first_come else (3, 0, 1))
    outcome = register_many(trainees, cohort, actor=staff)
    bulk = what_happened(cohort)
    db.session.commit()

    assert {trainee_id: refusal.message for trainee_id, refusal in outcome.refused.items()} == refused_one_by_one
    assert len(refused_one_by_one) == 3 and outcome.existing == {}
    assert bulk == single
    assert len(bulk["events"]) == 5
    assert sum(bulk["messages"].values()) == 5 + 2  # an SMS each, and an email for the two with an address
    if first_come:
        assert bulk["counters"] == (5, 4, 0)
        assert [status for _, status, _, _ in bulk["places"][4:]] == [S.ENROLLED, S.ENROLLED, *[S.WAITLISTED] * 3]
        assert [position for *_, position in bulk["places"] if position] == [1, 2, 3, 4]
        waiting = [key[5] for key in bulk["messages"] if key[1] == "enrollment.waitlisted" and key[2].value == "sms"]
        assert sorted(body.split("You are number ")[1][0] for body in waiting) == ["2", "3", "4"]
    else:
        assert bulk["counters"] == (3, 0, 6)
    check_invariants(cohort.id)


def test_she_keeps_the_place_she_has_and_is_not_registered_twice(centre, staff, district, make_trainee, make_cohort,
                                                                 make_enrollment, row_counts):  # fmt: skip
    cohort = make_cohort(centre=centre, seats=5)
    had = make_trainee(district)
    place = make_enrollment(had, cohort, status=S.ENROLLED)
    recount(fix=True)  # the factory writes places without counting them
    db.session.commit()
    new = make_trainee(district)
    outcome = register_many([had, new, new], cohort, actor=staff)
    assert outcome.existing == {had.id: place}
    assert list(outcome.placed) == [new.id] and outcome.placed[new.id].status is S.ENROLLED
    assert db.session.get(Cohort, cohort.id).enrolled_count == 2
    assert recount() == []


@pytest.mark.parametrize("who", ["other_staff", "overseer", "trainee"])
def test_only_the_centres_staff_register_a_list(who, centre, district, make_user, make_centre, make_trainee,
                                                make_cohort, row_counts):  # fmt: skip
    actor = {
        "other_staff": lambda: make_user(Role.STAFF, centres=(make_centre(),)),
        "overseer": lambda: make_user(Role.OVERSEER),
        "trainee": lambda: make_user(Role.TRAINEE),
    }[who]()
    cohort = make_cohort(centre=centre)
    trainees = [make_trainee(district) for _ in range(3)]
    before = row_counts()
    with pytest.raises(NotAllowed) as refused:
        register_many(trainees, cohort, actor=actor)
    assert refused.value.message == "Only staff of this centre can register trainees here."
    db.session.rollback()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CohortStatus.CLOSED, "This cohort is not taking applications (closed)."),
        (CohortStatus.DRAFT, "This cohort is not taking applications (draft)."),
    ],
)
def test_a_cohort_not_taking_applications_refuses_the_whole_list(status, message, centre, staff, district,
                                                                 make_trainee, make_cohort, row_counts):  # fmt: skip
    cohort = make_cohort(centre=centre, status=status)
    trainees = [make_trainee(district) for _ in range(3)]
    before = row_counts()
    with pytest.raises(ApplicationsClosed) as refused:
        register_many(trainees, cohort, actor=staff)
    assert refused.value.message == message
    db.session.rollback()
    assert row_counts() == before


def test_a_list_for_a_full_cohort_goes_to_the_end_of_the_line(centre, staff, district, make_trainee, make_cohort):
    cohort = make_cohort(centre=centre, seats=2)
    first = [make_trainee(district) for _ in range(3)]
    register_many(first, cohort, actor=staff)
    db.session.commit()
    later = [make_trainee(district) for _ in range(3)]
    outcome = register_many(later, cohort, actor=staff)
    db.session.commit()
    assert {enrollment.status for enrollment in outcome.placed.values()} == {S.WAITLISTED}
    assert [enrollment.trainee_id for enrollment in whole_waitlist(cohort)] == [first[2].id, *(t.id for t in later)]
    check_invariants(cohort.id)


# Creating records ----------------------------------------------------------------------------------------


def details(cnic: str, district_id: int, **changes) -> TraineeDetails:
    values = {
        "cnic": cnic,
        "full_name": "  Sana   Bibi ",
        "gender": Gender.FEMALE,
        "date_of_birth": date(2001, 3, 4),
        "phone": "0300 7654321",
        "district_id": district_id,
        "area": Area.RURAL,
    }
    return TraineeDetails(**(values | changes))


def test_records_are_created_once_per_cnic_and_registered_at_the_centre(centre, staff, district, make_trainee):
    known = make_trainee(district, cnic="3520212345671")
    made = create_trainees(
        [
            details("35202-1234567-1", district.id),  # on record already, typed with dashes
            details("35202 7654321 3", district.id, email="Sana@Example.PK"),
            details("3520276543213", district.id),  # the same person again
            details("61101-1111111-2", district.id, full_name="عائشہ   خان"),
        ],
        actor=staff,
        centre=centre,
    )
    db.session.commit()
    assert made.existing == {"3520212345671": known}
    assert sorted(made.created) == ["3520276543213", "6110111111112"]
    sana = made.created["3520276543213"]
    assert (sana.full_name, sana.phone, sana.email, sana.registered_centre_id) == (
        "Sana Bibi", "+923007654321", "sana@example.pk", centre.id
    )  # fmt: skip
    assert made.created["6110111111112"].full_name == "عائشہ خان"
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "trainee.create")).all()
    assert sorted((e.object_id, e.centre_id, e.actor_id) for e in events) == sorted(
        (trainee.id, centre.id, staff.id) for trainee in made.created.values()
    )
    assert events[0].after["cnic"] in made.created


@pytest.mark.parametrize("who", ["other_staff", "overseer", "trainee"])
def test_only_staff_of_the_centre_create_records_there(who, centre, district, make_user, make_centre, row_counts):
    actor = {
        "other_staff": lambda: make_user(Role.STAFF, centres=(make_centre(),)),
        "overseer": lambda: make_user(Role.OVERSEER),
        "trainee": lambda: make_user(Role.TRAINEE),
    }[who]()
    before = row_counts()
    for attempt in (
        lambda: create_trainees([details("3520276543213", district.id)], actor=actor, centre=centre),
        lambda: create_trainee(details("3520276543213", district.id), actor=actor, centre=centre),
    ):
        with pytest.raises(Refusal) as refused:
            attempt()
        assert refused.value.message == "Only centre staff and admins register trainees."
    assert row_counts() == before


def test_a_wrong_value_refuses_the_whole_list(centre, staff, district, row_counts):
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        create_trainees(
            [details("3520276543213", district.id), details("3520276543214", district.id, phone="12")],
            actor=staff,
            centre=centre,
        )
    assert refused.value.field == "phone"
    db.session.rollback()
    assert row_counts() == before


def test_staff_see_the_records_their_centre_registered_before_she_has_a_place(
    centre, staff, district, make_user, make_centre
):
    colleague_elsewhere = make_user(Role.STAFF, centres=(make_centre(),))
    made = create_trainees([details("3520276543213", district.id)], actor=staff, centre=centre)
    walk_in = create_trainee(details("3520276543214", district.id, phone="0300 7654322"), actor=staff, centre=centre)
    db.session.commit()
    for trainee in (made.created["3520276543213"], walk_in):
        assert can_view_trainee(staff, trainee) and can_edit_trainee(staff, trainee)
        assert not can_view_trainee(colleague_elsewhere, trainee)
        assert not can_edit_trainee(colleague_elsewhere, trainee)


# Concurrency -----------------------------------------------------------------------------------------------


def test_a_list_and_online_applications_at_once(app, centre, staff, district, make_trainee, make_user, make_cohort):
    cohort_id = make_cohort(centre=centre, seats=10).id
    listed = [make_trainee(district).id for _ in range(15)]
    online = [make_trainee(district, user=make_user(Role.TRAINEE)).id for _ in range(15)]
    staff_id = staff.id

    def the_list():
        trainees = [db.session.get(Trainee, trainee_id) for trainee_id in listed]
        register_many(trainees, db.session.get(Cohort, cohort_id), actor=db.session.get(type(staff), staff_id))

    def applying(trainee_id):
        def job():
            from enrollments.services import apply

            trainee = db.session.get(Trainee, trainee_id)
            apply(trainee, db.session.get(Cohort, cohort_id), actor=trainee.user)

        return job

    errors = run_at_once(app, [the_list, *(applying(trainee_id) for trainee_id in online)])
    assert errors == []
    statuses = Counter(db.session.scalars(sa.select(Enrollment.status)))
    assert statuses == {S.ENROLLED: 10, S.WAITLISTED: 20}
    check_invariants(cohort_id)
    events = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action.in_(["enrollment.register", "enrollment.apply"])
        )
    )
    assert events == 30


def test_two_lists_with_the_same_people_at_once_create_each_record_once(app, centre, staff, district):
    staff_id, district_id, centre_id = staff.id, district.id, centre.id
    cnics = [f"35202{number:07d}4" for number in range(40)]

    def a_list(order):
        def job():
            from centres.models import Centre

            create_trainees(
                [details(cnic, district_id, phone=f"0300{n:07d}") for n, cnic in order],
                actor=db.session.get(type(staff), staff_id),
                centre=db.session.get(Centre, centre_id),
            )

        return job

    numbered = list(enumerate(cnics))
    errors = run_at_once(app, [a_list(numbered), a_list(list(reversed(numbered))), a_list(numbered[::2])])
    assert errors == []
    assert sorted(db.session.scalars(sa.select(Trainee.cnic))) == cnics
    created = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "trainee.create"))
    assert created == 40
