"""The cohort counters (``enrollments.counters``): what each change adds, and a corrected record keeping
the report counters right."""

from datetime import date, timedelta

import pytest
from graduation import meets_the_rule

from courses.cohorts import change_status
from database import utcnow
from enrollments.counters import deltas, recount
from enrollments.models import Trainee
from enrollments.services import accept, apply, change_seats, decline, drop, register
from enrollments.services.merit import ScoreEntry, enter_scores, publish
from enrollments.trainees import TraineeDetails, update_trainee
from extensions import db
from refusals import Refusal
from vocabulary import Admission, Area, CohortStatus, Education, EnrollmentStatus, Gender, Role

S = EnrollmentStatus


def woman(area: Area = Area.RURAL) -> Trainee:
    return Trainee(gender=Gender.FEMALE, area=area)


@pytest.mark.parametrize(
    ("before", "after", "trainee", "expected"),
    [
        (None, S.ENROLLED, woman(), {"enrolled_count": 1, "women_count": 1, "rural_count": 1, "applications_count": 1}),
        (None, S.WAITLISTED, woman(), {"waitlisted_count": 1, "applications_count": 1}),
        (S.PENDING, S.WAITLISTED, woman(), {"pending_count": -1, "waitlisted_count": 1}),
        (S.ENROLLED, S.COMPLETED, woman(), {"enrolled_count": -1, "completed_count": 1}),
        # Not completed: she trained to the end, so she stays among the women and rural trainees counted.
        (S.ENROLLED, S.NOT_COMPLETED, woman(), {"enrolled_count": -1, "not_completed_count": 1}),
        (S.COMPLETED, S.NOT_COMPLETED, woman(), {"completed_count": -1, "not_completed_count": 1}),
        (S.ENROLLED, S.DROPPED, woman(Area.URBAN), {"enrolled_count": -1, "dropped_count": 1, "women_count": -1}),
        (S.WAITLISTED, S.ENROLLED, Trainee(gender=Gender.MALE, area=Area.URBAN), {"waitlisted_count": -1,
                                                                                  "enrolled_count": 1,
                                                                                  "men_count": 1}),
        (S.ENROLLED, S.COMPLETED, Trainee(gender=Gender.TRANSGENDER, area=Area.URBAN), {"enrolled_count": -1,
                                                                                        "completed_count": 1}),
        (S.ENROLLED, S.CANCELLED, Trainee(gender=Gender.TRANSGENDER, area=Area.URBAN), {"enrolled_count": -1,
                                                                                        "transgender_count": -1,
                                                                                        "cancelled_count": 1}),
        (S.WAITLISTED, S.CANCELLED, woman(), {"waitlisted_count": -1, "cancelled_count": 1}),
    ],
)  # fmt: skip
def test_what_each_change_adds(before, after, trainee, expected):
    assert deltas(before, after, trainee) == expected


@pytest.fixture
def staff_and_cohort(make_user, make_centre, make_cohort):
    centre = make_centre()
    return make_user(Role.STAFF, centres=(centre,)), make_cohort(centre=centre, seats=5)


def test_every_counter_follows_the_services(staff_and_cohort, make_trainee, make_district):
    staff, cohort = staff_and_cohort
    district = make_district(rural=True)
    people = [
        make_trainee(district, gender=gender, area=area)
        for gender, area in [(Gender.FEMALE, Area.RURAL), (Gender.MALE, Area.RURAL), (Gender.FEMALE, Area.URBAN)]
    ]
    places = [register(trainee, cohort, actor=staff).enrollment for trainee in people]
    db.session.commit()
    assert (cohort.women_count, cohort.rural_count, cohort.applications_count) == (2, 2, 3)
    cohort.status, cohort.starts_on = CohortStatus.RUNNING, date.today() - timedelta(days=7)  # under way
    db.session.commit()
    meets_the_rule(places[0])
    drop(places[1], actor=staff, reason="Absent for three weeks.")
    # The first completes; the third, with no class day marked, does not (attendance).
    change_status(cohort, CohortStatus.FINISHED, actor=staff)
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.enrolled_count, cohort.completed_count, cohort.dropped_count) == (0, 1, 1)
    assert (cohort.not_completed_count, cohort.not_completed_marks_count, cohort.not_completed_attendance_count) == (
        1,
        0,
        1,
    )
    assert (cohort.women_count, cohort.rural_count) == (2, 1)  # the dropped man is no longer counted
    assert recount() == []


def test_a_corrected_gender_or_area_moves_her_in_the_report_counters(staff_and_cohort, make_trainee, make_district):
    staff, cohort = staff_and_cohort
    district = make_district()
    trainee = make_trainee(district, gender=Gender.MALE, area=Area.URBAN, full_name="Sana Bibi")
    register(trainee, cohort, actor=staff)
    db.session.commit()
    details = TraineeDetails(
        cnic=trainee.cnic,
        full_name=trainee.full_name,
        gender=Gender.FEMALE,
        date_of_birth=date(2000, 1, 15),
        phone=trainee.phone,
        district_id=district.id,
        area=Area.RURAL,
        education=Education.INTERMEDIATE,
    )
    update_trainee(trainee, details, actor=staff)
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.women_count, cohort.rural_count) == (1, 1)
    assert recount() == []


def test_an_application_is_counted_once_whatever_becomes_of_it(make_user, make_trainee, make_cohort):
    cohort = make_cohort(seats=1)
    trainees = [make_trainee(user=make_user(Role.TRAINEE)) for _ in range(3)]
    for trainee in trainees:
        apply(trainee, cohort, actor=trainee.user)
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.applications_count, cohort.enrolled_count, cohort.waitlisted_count) == (3, 1, 2)
    assert recount() == []


def test_seats_never_go_below_the_seats_held_and_the_same_number_changes_nothing(
    staff_and_cohort, make_trainee, make_enrollment, row_counts
):
    staff, cohort = staff_and_cohort
    register(make_trainee(), cohort, actor=staff)
    # A place completed while the cohort still runs: only from before completion was decided by rule.
    make_enrollment(make_trainee(), cohort, status=S.COMPLETED)
    cohort.status, cohort.starts_on = CohortStatus.RUNNING, date.today() - timedelta(days=7)
    recount(fix=True)
    db.session.commit()
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        change_seats(cohort, 1, actor=staff)
    assert refused.value.message == "2 seats are held (1 enrolled, 1 completed): seats cannot go below that."
    assert refused.value.field == "seats"
    db.session.rollback()
    assert change_seats(cohort, 5, actor=staff) == []  # five already: nothing to write
    assert row_counts() == before


def test_a_published_merit_list_and_its_offers_keep_every_counter_right(
    make_user, make_centre, make_cohort, make_trainee
):
    """Merit admission (issue 16, item 2): pending places become offered or waitlisted by rank, an offer
    accepted or declined moves the line; the counters equal a recount at every step."""
    centre = make_centre()
    staff = make_user(Role.STAFF, centres=(centre,))
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, admission=Admission.MERIT, offers=True)
    genders = (Gender.MALE, Gender.FEMALE, Gender.MALE, Gender.FEMALE)
    places = [register(make_trainee(gender=gender), cohort, actor=staff).enrollment for gender in genders]
    enter_scores(cohort, [ScoreEntry(place.id, 90 - 10 * i, 50) for i, place in enumerate(places)], actor=staff)
    cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert (cohort.pending_count, recount()) == (4, [])
    publish(cohort, actor=staff)
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.offered_count, cohort.held_women, cohort.waitlisted_count, cohort.pending_count) == (2, 1, 2, 0)
    assert recount() == []
    accept(places[0], actor=staff)
    decline(places[1], actor=staff)  # her women's seat goes to the next woman in line, not the man ahead
    db.session.commit()
    db.session.refresh(cohort)
    assert (cohort.enrolled_count, cohort.offered_count, cohort.held_women, cohort.waitlisted_count) == (1, 1, 1, 1)
    assert places[3].status is S.OFFERED and places[2].status is S.WAITLISTED
    assert recount() == []
