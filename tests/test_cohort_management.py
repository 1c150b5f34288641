"""Cohorts as their centre's staff run them: the services without HTTP (each rule, each refusal with its
message and nothing written, the status transitions, seats changed through the enrollment rules, one
audit event per change), then the staff pages through the client (who may use them, what a refused form
shows, and that application windows are typed in Pakistan time and stored in UTC)."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from pages import audit_events, error_next_to, flashed, text

from courses.cohorts import CohortDetails, change_status, create_cohort, next_statuses, update_cohort
from courses.models import Cohort
from database import utcnow
from enrollments.services import register
from extensions import db
from refusals import Conflict, Refusal
from vocabulary import Admission, CohortKind, CohortStatus, EnrollmentStatus, Mode, Role, Shift

S = CohortStatus
TODAY = utcnow().date()
STARTS = TODAY + timedelta(days=30)
ENDS = STARTS + timedelta(days=55)


# The world -----------------------------------------------------------------------------------------------


@pytest.fixture
def punjab(make_province):
    return make_province(code="PB", name="Punjab")


@pytest.fixture
def lahore(make_district, punjab):
    return make_district(punjab, code="LHR", name="Lahore")


@pytest.fixture
def centre(make_centre, lahore):
    return make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Digital Centre", lab_seats=30)


@pytest.fixture
def other_centre(make_centre, make_district, make_province):
    return make_centre(make_district(make_province(code="SD", name="Sindh"), code="KHS"), code="SD-KHS-01")


@pytest.fixture
def course(make_course):
    return make_course(code="SWD-101", title="Web Development Foundations", min_age=16, max_age=40)


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,), full_name="Sana Staff")


@pytest.fixture
def other_staff(make_user, other_centre):
    return make_user(Role.STAFF, centres=(other_centre,))


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def details(centre, course, **changes) -> CohortDetails:
    values = {
        "course_id": course.id,
        "centre_id": centre.id,
        "kind": CohortKind.REGULAR,
        "starts_on": STARTS,
        "ends_on": ENDS,
        "shift": Shift.MORNING,
        "mode": Mode.ON_SITE,
        "seats": 25,
        "admission": Admission.FIRST_COME,
        "applications_open_at": datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC),
        "applications_close_at": datetime.combine(STARTS, datetime.min.time(), tzinfo=UTC),
        "venue": "",
    }
    return CohortDetails(**(values | changes))


def refused(call, row_counts, refusal=Refusal) -> Refusal:
    """Run ``call``, which must be refused with ``refusal`` and write nothing; return the refusal."""
    before = row_counts()
    with pytest.raises(refusal) as caught:
        call()
    db.session.rollback()
    assert row_counts() == before
    return caught.value


# Creating ------------------------------------------------------------------------------------------------


def test_create_cohort_makes_a_draft_with_the_next_code_and_records_one_event(staff, centre, course):
    cohort = create_cohort(details(centre, course, venue="  Arfa   Tower, floor 9 "), actor=staff)
    assert cohort.code == "PB-LHR-01-C01"
    assert (cohort.status, cohort.kind, cohort.women_only, cohort.seats) == (S.DRAFT, CohortKind.REGULAR, False, 25)
    assert cohort.venue == "Arfa Tower, floor 9"
    assert (cohort.enrolled_count, cohort.waitlisted_count, cohort.pending_count) == (0, 0, 0)
    [event] = audit_events()
    assert (event.action, event.actor_id, event.object_id, event.centre_id) == (
        "cohort.create",
        staff.id,
        cohort.id,
        centre.id,
    )
    assert event.after["code"] == "PB-LHR-01-C01" and event.after["seats"] == 25 and event.after["status"] == "draft"
    assert event.after["applications_close_at"] == f"{STARTS.isoformat()}T00:00:00+00:00"


def test_default_codes_count_on_from_the_highest_taken_camps_apart(staff, centre, course, make_cohort):
    make_cohort(centre=centre, course=course, code="PB-LHR-01-C07")
    make_cohort(centre=centre, course=course, code="PB-LHR-01-CAMP")  # not a number: ignored
    assert create_cohort(details(centre, course), actor=staff).code == "PB-LHR-01-C08"
    assert create_cohort(details(centre, course, kind=CohortKind.CAMP), actor=staff).code == "PB-LHR-01-K01"
    assert create_cohort(details(centre, course, kind=CohortKind.CAMP), actor=staff).code == "PB-LHR-01-K02"


def test_a_typed_code_is_kept_in_capitals(staff, centre, course):
    assert create_cohort(details(centre, course, code=" pb-lhr-01-web-3 "), actor=staff).code == "PB-LHR-01-WEB-3"


def test_a_code_starting_with_another_centres_code_is_refused_even_for_staff_of_both(
    make_user, centre, other_centre, course, row_counts
):
    """Staff of PB-LHR-01 cannot make SD-KHS-01-C99 there; not even staff of both centres, nor an admin:
    a code says where its cohort runs."""
    both, admin = make_user(Role.STAFF, centres=(centre, other_centre)), make_user(Role.ADMIN)
    for actor in (both, admin):
        elsewhere = details(centre, course, code="SD-KHS-01-C99")
        error = refused(lambda elsewhere=elsewhere, actor=actor: create_cohort(elsewhere, actor=actor), row_counts)
        assert error.field == "code"
        assert error.message == CODE_AT_CENTRE
    assert create_cohort(details(other_centre, course, code="sd-khs-01-c99"), actor=both).code == "SD-KHS-01-C99"


def test_a_code_in_use_is_refused(staff, centre, course, make_cohort, row_counts):
    make_cohort(centre=centre, course=course, code="PB-LHR-01-WEB-3")
    error = refused(lambda: create_cohort(details(centre, course, code="pb-lhr-01-web-3"), actor=staff), row_counts)
    assert isinstance(error, Conflict) and error.field == "code"
    assert error.message == "The code PB-LHR-01-WEB-3 belongs to another cohort already (Web Development Foundations)."


def test_admins_may_open_a_cohort_at_once(admin, centre, course):
    cohort = create_cohort(details(centre, course, status=S.OPEN), actor=admin)
    assert cohort.status is S.OPEN
    assert [event.action for event in audit_events()] == ["cohort.create"]


CODE_AT_CENTRE = (
    "A cohort's code starts with the code of its centre, PB-LHR-01, e.g. PB-LHR-01-C01; leave it empty for one to be "
    "made up."
)
TOO_LATE = datetime.combine(ENDS + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

REFUSALS = [
    ({"course_id": None}, "course_id", "Choose the course from the catalogue."),
    ({"course_id": 987654}, "course_id", "Choose the course from the catalogue."),
    ({"kind": None}, "kind", "Choose a regular cohort or a training camp."),
    ({"starts_on": None}, "starts_on", "Enter the first day of the cohort."),
    ({"ends_on": None}, "ends_on", "Enter the last day of the cohort."),
    ({"ends_on": STARTS - timedelta(days=1)}, "ends_on", "The last day cannot be before the first day"),
    ({"shift": None}, "shift", "Choose the shift."),
    ({"mode": None}, "mode", "Choose on-site, online or hybrid."),
    ({"admission": None}, "admission", "Choose how seats are given"),
    ({"applications_open_at": TOO_LATE, "applications_close_at": None}, "applications_open_at", "must open before"),
    ({"applications_close_at": TOO_LATE}, "applications_close_at", "Applications must close by the last day"),
    (
        {
            "applications_open_at": datetime.combine(STARTS, datetime.min.time(), tzinfo=UTC),
            "applications_close_at": datetime.combine(STARTS, datetime.min.time(), tzinfo=UTC) - timedelta(days=1),
        },
        "applications_close_at",
        "Applications cannot close before they open.",
    ),
    ({"applications_open_at": datetime.combine(TODAY, datetime.min.time())}, "applications_open_at", "time zone"),
    ({"seats": None}, "seats", "Enter the number of seats."),
    ({"seats": 0}, "seats", "A cohort has from 1 to 1,000 seats."),
    ({"seats": 1001, "mode": Mode.ONLINE}, "seats", "A cohort has from 1 to 1,000 seats."),
    ({"seats": 31}, "seats", "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30."),
    ({"venue": "Hall\x07 B"}, "venue", "The venue holds invisible control characters"),
    ({"venue": "x" * 241}, "venue", "The venue can be at most 240 characters"),
    ({"code": "PB LHR 01/C1"}, "code", "A cohort code has 2 to 32 letters, digits and dashes"),
    ({"code": "SD-HYD-01-C99"}, "code", CODE_AT_CENTRE),
    ({"code": "PB-LHR-010-C01"}, "code", CODE_AT_CENTRE),
    ({"code": "PB-LHR-01"}, "code", CODE_AT_CENTRE),
    ({"code": "PB-LHR-01-"}, "code", CODE_AT_CENTRE),
    ({"code": "PB-LHR-01--C1"}, "code", CODE_AT_CENTRE),
    ({"code": "C99"}, "code", CODE_AT_CENTRE),
    ({"eligible_district_id": 987654}, "eligible_district_id", "Choose the district from the list"),
    ({"eligible_province_id": 987654}, "eligible_province_id", "Choose the province from the list"),
    ({"status": S.RUNNING}, "status", "A new cohort is a draft or open for applications."),
]


@pytest.mark.parametrize(("changes", "field", "message"), REFUSALS, ids=[f"{r[1]}-{i}" for i, r in enumerate(REFUSALS)])
def test_create_cohort_refuses_with_the_field_and_writes_nothing(
    staff, centre, course, row_counts, changes, field, message
):
    error = refused(lambda: create_cohort(details(centre, course, **changes), actor=staff), row_counts)
    assert error.field == field
    assert message in error.message


def test_a_window_closing_on_the_last_day_in_pakistan_is_accepted(staff, centre, course):
    # 23:30 in Karachi on the last day is 18:30 UTC the same day: within the cohort.
    closes = datetime.combine(ENDS, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18, minutes=30)
    cohort = create_cohort(details(centre, course, applications_close_at=closes), actor=staff)
    assert cohort.applications_close_at == closes
    # 20:00 UTC on the last day is already the next day in Karachi.
    late = closes + timedelta(hours=1, minutes=30)
    with pytest.raises(Refusal, match="close by the last day"):
        create_cohort(details(centre, course, applications_close_at=late), actor=staff)


def test_the_lab_limit_binds_on_site_cohorts_only(staff, centre, course):
    for mode in (Mode.ONLINE, Mode.HYBRID):
        assert create_cohort(details(centre, course, mode=mode, seats=500), actor=staff).seats == 500


def test_a_district_outside_the_chosen_province_is_refused(staff, centre, course, lahore, make_province, row_counts):
    sindh = make_province(code="SD", name="Sindh")
    error = refused(
        lambda: create_cohort(
            details(centre, course, eligible_district_id=lahore.id, eligible_province_id=sindh.id), actor=staff
        ),
        row_counts,
    )
    assert (error.field, error.message) == (
        "eligible_district_id",
        "Lahore is in Punjab, not Sindh: choose one or the other.",
    )


def test_residence_restrictions_are_kept(staff, centre, course, lahore, punjab):
    by_district = create_cohort(details(centre, course, eligible_district_id=lahore.id), actor=staff)
    by_province = create_cohort(details(centre, course, eligible_province_id=punjab.id), actor=staff)
    assert (by_district.eligible_district_id, by_district.eligible_province_id) == (lahore.id, None)
    assert (by_province.eligible_district_id, by_province.eligible_province_id) == (None, punjab.id)


@pytest.mark.parametrize(
    ("kind", "said", "women_only_centre", "expected"),
    [
        (CohortKind.CAMP, None, False, True),  # camps are women-only unless said otherwise
        (CohortKind.CAMP, False, False, False),
        (CohortKind.CAMP, False, True, True),  # ... and always at a women-only centre
        (CohortKind.REGULAR, None, False, False),
        (CohortKind.REGULAR, True, False, True),
    ],
)
def test_who_may_apply(staff, centre, course, kind, said, women_only_centre, expected):
    centre.women_only = women_only_centre
    db.session.commit()
    cohort = create_cohort(details(centre, course, kind=kind, women_only=said), actor=staff)
    assert cohort.women_only is expected


@pytest.mark.parametrize("who", ["other_staff", "overseer", "trainee"])
def test_only_the_centres_staff_and_admins_create_cohorts(request, make_user, centre, course, row_counts, who):
    actor = request.getfixturevalue("other_staff") if who == "other_staff" else make_user(Role(who))
    error = refused(lambda: create_cohort(details(centre, course), actor=actor), row_counts)
    assert (error.status, error.field) == (403, "centre_id")
    assert error.message == "Only staff of PB-LHR-01 can add cohorts there."


def test_an_inactive_centre_runs_no_new_cohorts(admin, centre, course, row_counts):
    centre.active = False
    db.session.commit()
    error = refused(lambda: create_cohort(details(centre, course), actor=admin), row_counts)
    assert (error.field, error.message) == ("centre_id", "PB-LHR-01 is inactive: it cannot run new cohorts.")


# Changing ------------------------------------------------------------------------------------------------


@pytest.fixture
def cohort(staff, centre, course):
    made = create_cohort(details(centre, course, seats=2, status=S.OPEN), actor=staff)
    db.session.commit()
    return made


def test_update_cohort_records_before_and_after(staff, centre, course, cohort):
    new_end = ENDS + timedelta(days=7)
    update_cohort(cohort, details(centre, course, seats=2, ends_on=new_end, shift=Shift.EVENING), actor=staff)
    db.session.commit()
    assert (cohort.ends_on, cohort.shift) == (new_end, Shift.EVENING)
    [event] = audit_events("cohort.update")
    assert event.before["ends_on"] == ENDS.isoformat() and event.after["ends_on"] == new_end.isoformat()
    assert (event.before["shift"], event.after["shift"]) == ("morning", "evening")
    assert event.centre_id == centre.id


def test_an_update_that_changes_nothing_records_nothing(staff, centre, course, cohort):
    update_cohort(cohort, details(centre, course, seats=2), actor=staff)
    assert audit_events("cohort.update") == [] and audit_events("cohort.seats") == []


@pytest.fixture
def trainees(make_trainee):
    return [make_trainee(full_name=f"Trainee {number}") for number in range(4)]


def fill(cohort, trainees, actor):
    """Register ``trainees`` in order through the rules: the first take the seats, the rest wait."""
    for trainee in trainees:
        register(trainee, cohort, actor=actor)
    db.session.commit()


def test_raising_seats_through_update_fills_them_from_the_waitlist(staff, centre, course, cohort, trainees):
    fill(cohort, trainees, staff)  # 2 enrolled, 2 waitlisted
    update_cohort(cohort, details(centre, course, seats=3, venue="Hall B"), actor=staff)
    db.session.commit()
    statuses = [register(trainee, cohort, actor=staff).enrollment.status for trainee in trainees]
    assert statuses == [EnrollmentStatus.ENROLLED] * 3 + [EnrollmentStatus.WAITLISTED]
    assert (cohort.seats, cohort.enrolled_count, cohort.waitlisted_count, cohort.venue) == (3, 3, 1, "Hall B")
    [seats_event] = audit_events("cohort.seats")
    assert (seats_event.before, seats_event.after) == ({"seats": 2}, {"seats": 3})
    [promoted] = audit_events("enrollment.promote")
    assert promoted.after["trainee_id"] == trainees[2].id
    [update_event] = audit_events("cohort.update")
    assert (update_event.before["venue"], update_event.after["venue"]) == ("", "Hall B")
    assert "seats" not in update_event.after  # recorded once, by cohort.seats


def test_seats_below_the_number_enrolled_are_refused_and_nothing_changes(
    staff, centre, course, cohort, trainees, row_counts
):
    fill(cohort, trainees[:2], staff)
    error = refused(
        lambda: update_cohort(cohort, details(centre, course, seats=1, venue="Hall B"), actor=staff), row_counts
    )
    assert error.field == "seats"
    assert error.message.startswith("2 trainees are enrolled: seats cannot go below that.")
    db.session.refresh(cohort)
    assert (cohort.seats, cohort.venue) == (2, "")


def test_update_checks_the_lab_limit_when_seats_grow(staff, centre, course, cohort, row_counts):
    error = refused(lambda: update_cohort(cohort, details(centre, course, seats=40), actor=staff), row_counts)
    assert (error.field, error.message) == (
        "seats",
        "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30.",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "PB-LHR-01-X9"}, "code", "A cohort's code cannot change once the cohort exists."),
        ({"centre_id": -1}, "centre_id", "A cohort cannot move to another centre"),
        ({"ends_on": STARTS - timedelta(days=1)}, "ends_on", "The last day cannot be before the first day"),
    ],
)
def test_update_refusals(staff, centre, course, cohort, row_counts, changes, field, message):
    error = refused(lambda: update_cohort(cohort, details(centre, course, seats=2, **changes), actor=staff), row_counts)
    assert error.field == field and message in error.message


def test_the_course_changes_only_while_a_draft(staff, centre, course, make_course, row_counts):
    other = make_course(code="DGM-101", title="Digital Marketing")
    draft = create_cohort(details(centre, course), actor=staff)
    update_cohort(draft, details(centre, other), actor=staff)
    assert draft.course_id == other.id
    change_status(draft, S.OPEN, actor=staff)
    db.session.commit()
    error = refused(lambda: update_cohort(draft, details(centre, course), actor=staff), row_counts)
    assert (error.field, error.message) == ("course_id", "The course can change only while the cohort is a draft.")


@pytest.mark.parametrize("ended", [S.FINISHED, S.CANCELLED])
def test_finished_and_cancelled_cohorts_do_not_change(staff, centre, course, cohort, row_counts, ended):
    cohort.status = ended
    db.session.commit()
    error = refused(lambda: update_cohort(cohort, details(centre, course, seats=2, venue="x"), actor=staff), row_counts)
    assert error.status == 409 and error.message == f"This cohort is {ended.value}: it can no longer change."


def test_staff_of_another_centre_cannot_update(other_staff, centre, course, cohort, row_counts):
    error = refused(
        lambda: update_cohort(cohort, details(centre, course, seats=2, venue="x"), actor=other_staff), row_counts
    )
    assert error.status == 403


# Statuses ------------------------------------------------------------------------------------------------

ALLOWED = [
    (S.DRAFT, S.OPEN),
    (S.OPEN, S.CLOSED),
    (S.CLOSED, S.OPEN),
    (S.OPEN, S.RUNNING),
    (S.CLOSED, S.RUNNING),
    (S.RUNNING, S.FINISHED),
]


@pytest.mark.parametrize(("start", "to"), ALLOWED, ids=[f"{a.value}-{b.value}" for a, b in ALLOWED])
def test_allowed_transitions_record_one_event(staff, make_cohort, centre, start, to):
    cohort = make_cohort(centre=centre, status=start)
    change_status(cohort, to, actor=staff)
    db.session.commit()
    assert cohort.status is to
    [event] = audit_events()
    assert (event.action, event.before, event.after, event.centre_id) == (
        "cohort.status",
        {"status": start.value},
        {"status": to.value},
        centre.id,
    )


REFUSED = [
    (S.DRAFT, S.CLOSED),
    (S.DRAFT, S.RUNNING),
    (S.OPEN, S.FINISHED),
    (S.OPEN, S.DRAFT),
    (S.RUNNING, S.OPEN),
    (S.FINISHED, S.RUNNING),
    (S.CANCELLED, S.OPEN),
]


@pytest.mark.parametrize(("start", "to"), REFUSED, ids=[f"{a.value}-{b.value}" for a, b in REFUSED])
def test_other_transitions_are_refused(staff, make_cohort, centre, row_counts, start, to):
    cohort = make_cohort(centre=centre, status=start)
    error = refused(lambda: change_status(cohort, to, actor=staff), row_counts)
    assert error.status == 409
    assert error.message == f"A cohort that is {start.value} cannot become {to.value}."
    assert db.session.get(Cohort, cohort.id).status is start


def test_cancelling_is_not_a_status_change_here(staff, make_cohort, centre, row_counts):
    cohort = make_cohort(centre=centre)
    error = refused(lambda: change_status(cohort, S.CANCELLED, actor=staff), row_counts)
    assert "Cancelling a cohort has its own page" in error.message


def test_staff_of_another_centre_cannot_change_the_status(other_staff, make_cohort, centre, row_counts):
    cohort = make_cohort(centre=centre, status=S.DRAFT)
    assert refused(lambda: change_status(cohort, S.OPEN, actor=other_staff), row_counts).status == 403


def test_next_statuses(make_cohort, centre):
    assert next_statuses(make_cohort(centre=centre, status=S.OPEN)) == (S.CLOSED, S.RUNNING)
    assert next_statuses(make_cohort(centre=centre, status=S.FINISHED)) == ()


# Pages ---------------------------------------------------------------------------------------------------


def new_cohort_form(course, **changes) -> dict:
    return {
        "code": "",
        "course_id": str(course.id),
        "kind": "regular",
        "women_only": "",
        "starts_on": STARTS.isoformat(),
        "ends_on": ENDS.isoformat(),
        "shift": "evening",
        "mode": "on_site",
        "seats": "24",
        "admission": "first_come",
        "applications_open_at": f"{TODAY.isoformat()}T09:00",
        "applications_close_at": f"{STARTS.isoformat()}T17:30",
        "venue": "",
        "eligible_province_id": "",
        "eligible_district_id": "",
    } | changes


NEW = "/courses/staff/PB-LHR-01/cohorts/new"


def test_staff_add_a_cohort_with_the_window_in_pakistan_time(client, sign_in, csrf_token, staff, centre, course):
    sign_in(staff)
    page = text(client.get(NEW))
    assert "Add a cohort at Arfa Tower Digital Centre" in page and "SWD-101 · Web Development Foundations" in page
    response = client.post(NEW, data=new_cohort_form(course, csrf_token=csrf_token(NEW)))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/courses/staff/cohorts/PB-LHR-01-C01/edit"
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.code == "PB-LHR-01-C01"))
    assert (cohort.status, cohort.shift, cohort.seats, cohort.centre_id) == (S.DRAFT, Shift.EVENING, 24, centre.id)
    # 09:00 and 17:30 in Karachi (UTC+5) are 04:00 and 12:30 UTC.
    assert cohort.applications_open_at == datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=4)
    assert cohort.applications_close_at == datetime.combine(STARTS, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=12, minutes=30
    )
    edit = text(client.get(response.headers["Location"]))
    assert "Cohort PB-LHR-01-C01 added as a draft" in flashed(edit)
    assert f'value="{TODAY.isoformat()}T09:00"' in edit  # shown again in Pakistan time
    assert 'href="/courses/staff/cohorts/PB-LHR-01-C01/status?to=open"' in edit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": (STARTS - timedelta(days=1)).isoformat()}, "ends_on", "The last day cannot be before"),
        ({"starts_on": "31/02/2026"}, "starts_on", "Not a valid date value."),
        ({"seats": "31"}, "seats", "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30."),
        ({"seats": ""}, "seats", "Enter the number of seats, from 1 to 1,000."),
        ({"course_id": ""}, "course_id", "Choose the course."),
        ({"applications_close_at": "tomorrow"}, "applications_close_at", "Not a valid datetime value."),
        ({"code": "no spaces please"}, "code", "A cohort code has 2 to 32 letters, digits and dashes"),
        ({"code": "SD-HYD-01-C99"}, "code", CODE_AT_CENTRE),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_written(
    client, sign_in, csrf_token, staff, centre, course, row_counts, changes, field, message
):
    sign_in(staff)
    before = row_counts()
    page = text(client.post(NEW, data=new_cohort_form(course, csrf_token=csrf_token(NEW), **changes)), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_staff_edit_a_cohort_and_raising_seats_promotes(
    client, sign_in, csrf_token, staff, centre, course, cohort, trainees
):
    fill(cohort, trainees[:3], staff)  # 2 enrolled, 1 waitlisted
    sign_in(staff)
    path = f"/courses/staff/cohorts/{cohort.code}/edit"
    page = text(client.get(path))
    assert 'value="2"' in page and "2 of 2 seats taken · 1 on the waitlist" in page
    response = client.post(path, data=new_cohort_form(course, csrf_token=csrf_token(path), seats="3", shift="morning"))
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert (cohort.seats, cohort.enrolled_count, cohort.waitlisted_count) == (3, 3, 0)
    assert "Saved cohort" in flashed(text(client.get(path)))


def test_seats_below_enrolled_are_refused_on_the_page(
    client, sign_in, csrf_token, staff, course, cohort, trainees, row_counts
):
    fill(cohort, trainees[:2], staff)
    sign_in(staff)
    path = f"/courses/staff/cohorts/{cohort.code}/edit"
    before = row_counts()
    page = text(client.post(path, data=new_cohort_form(course, csrf_token=csrf_token(path), seats="1")), 422)
    assert "2 trainees are enrolled: seats cannot go below that." in error_next_to(page, "seats")
    assert row_counts() == before


def test_a_status_change_is_confirmed_then_made(client, sign_in, csrf_token, staff, make_cohort, centre):
    cohort = make_cohort(centre=centre, status=S.DRAFT, code="PB-LHR-01-C05")
    sign_in(staff)
    path = "/courses/staff/cohorts/PB-LHR-01-C05/status"
    page = text(client.get(f"{path}?to=open"))
    assert "Open for applications: PB-LHR-01-C05?" in page and 'name="to" type="hidden" value="open"' in page
    assert db.session.get(Cohort, cohort.id).status is S.DRAFT  # a GET changes nothing
    response = client.post(path, data={"to": "open", "csrf_token": csrf_token(f"{path}?to=open")})
    assert urlsplit(response.headers["Location"]).path == "/courses/staff/cohorts/PB-LHR-01-C05/edit"
    db.session.refresh(cohort)
    assert cohort.status is S.OPEN
    assert [event.action for event in audit_events()] == ["cohort.status"]


def test_a_transition_not_allowed_is_refused_on_the_page(
    client, sign_in, csrf_token, staff, make_cohort, centre, row_counts
):
    make_cohort(centre=centre, status=S.DRAFT, code="PB-LHR-01-C05")
    sign_in(staff)
    path = "/courses/staff/cohorts/PB-LHR-01-C05/status"
    page = text(client.get(f"{path}?to=finished"))
    assert "A cohort that is draft cannot become finished." in page and "?to=open" in page
    before = row_counts()
    page = text(client.post(path, data={"to": "finished", "csrf_token": csrf_token(path)}), 409)
    assert "A cohort that is draft cannot become finished." in flashed(page)
    assert row_counts() == before


def test_staff_of_another_centre_get_403_and_write_nothing(
    client, sign_in, csrf_token, other_staff, cohort, course, row_counts
):
    sign_in(other_staff)
    token = csrf_token("/auth/password")  # a valid token of her own session: only the centre check may refuse
    before = row_counts()
    for path, data in (
        (NEW, new_cohort_form(course)),
        (f"/courses/staff/cohorts/{cohort.code}/edit", new_cohort_form(course)),
        (f"/courses/staff/cohorts/{cohort.code}/status", {"to": "closed"}),
    ):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert row_counts() == before


@pytest.mark.parametrize("role", [Role.OVERSEER, Role.TRAINEE])
def test_overseers_and_trainees_get_403_on_post(client, sign_in, make_user, cohort, course, row_counts, role):
    user = make_user(role)
    sign_in(user)
    client.application.config["WTF_CSRF_ENABLED"] = False  # the 403 must come from the access rule
    before = row_counts()
    for path, data in (
        (NEW, new_cohort_form(course)),
        (f"/courses/staff/cohorts/{cohort.code}/edit", new_cohort_form(course)),
        (f"/courses/staff/cohorts/{cohort.code}/status", {"to": "closed"}),
    ):
        assert client.post(path, data=data).status_code == 403, path
    assert row_counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    for path in (NEW, f"/courses/staff/cohorts/{cohort.code}/edit", f"/courses/staff/cohorts/{cohort.code}/status"):
        response = client.get(path)
        location = urlsplit(response.headers["Location"])
        assert response.status_code == 302 and location.path == "/auth/login", path
        assert parse_qs(location.query)["next"] == [path]


def test_a_post_without_a_csrf_token_is_refused(client, sign_in, staff, cohort, course, row_counts):
    sign_in(staff)
    before = row_counts()
    for path, data in (
        (NEW, new_cohort_form(course)),
        (f"/courses/staff/cohorts/{cohort.code}/edit", new_cohort_form(course, seats="1")),
        (f"/courses/staff/cohorts/{cohort.code}/status", {"to": "closed"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
    assert row_counts() == before


def test_admins_use_the_pages_of_any_centre(client, sign_in, csrf_token, admin, centre, course, cohort):
    sign_in(admin)
    assert client.get(NEW).status_code == 200
    path = f"/courses/staff/cohorts/{cohort.code}/status"
    response = client.post(path, data={"to": "closed", "csrf_token": csrf_token(path)})
    assert response.status_code == 302
    db.session.refresh(cohort)
    assert cohort.status is S.CLOSED


def test_unknown_cohorts_and_centres_are_404(client, sign_in, staff):
    sign_in(staff)
    assert client.get("/courses/staff/NO-SUCH-01/cohorts/new").status_code == 404
    assert client.get("/courses/staff/cohorts/NO-SUCH/edit").status_code == 404
