"""Places in cohorts through the API: applying, registering, rosters, a trainee's own places, and staff
decisions (``/api/v1/cohorts/<id>/enrollments``, ``/api/v1/me/enrollments``, ``/api/v1/enrollments/...``).

Places are made with the services (so the cohort counters are right); every refusal is checked for its
exact JSON and for leaving every table as it was."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from api_helpers import FORBIDDEN, UNAUTHORIZED, api_error, bearer, refused_by_api

from audit.models import AuditEvent
from courses.models import Cohort
from database import utcnow
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import apply, register, waitlist_position
from extensions import db
from vocabulary import Admission, CohortStatus, EnrollmentStatus, Gender, Role, Shift

S = EnrollmentStatus
NOT_FOUND = (404, "not_found", "There is nothing here.", None)
SAY_WHICH = "Say which trainee to register: trainee_id or cnic."
NO_SUCH_CNIC = "No trainee has this CNIC: create the trainee's record first (POST /trainees)."
ONLY_HERSELF = "Trainees apply only for their own place: leave out trainee_id and cnic."


def no_such_id(trainee_id: int) -> str:
    """The answer to staff naming an id that does not exist or that they may not see: the same words."""
    return (
        f"There is no trainee with the id {trainee_id} among your centres' records: "
        "register the trainee by CNIC instead."
    )


@pytest.fixture
def world(make_province, make_district, make_centre):
    """Two centres in Punjab: ``own`` (where ``staff`` work) and ``other``."""
    punjab = make_province(code="PB", name="Punjab")
    district = make_district(punjab, code="LHR", name="Lahore")
    return {
        "punjab": punjab,
        "district": district,
        "own": make_centre(district, code="PB-LHR-01"),
        "other": make_centre(district, code="PB-LHR-02"),
    }


@pytest.fixture
def cohort(make_cohort, world):
    """``cohort(**fields)``: an open first-come cohort at the own centre."""

    def make(**fields) -> Cohort:
        return make_cohort(world["own"], **fields)

    return make


@pytest.fixture
def applicant(make_user, make_trainee, world):
    """``applicant(**fields)``: a trainee with her own account."""

    def make(**fields):
        return make_trainee(world["district"], user=make_user(Role.TRAINEE), **fields)

    return make


@pytest.fixture
def people(make_user, world):
    """Everyone who is not a trainee: staff of each centre, overseers, an admin."""
    return {
        "staff": make_user(Role.STAFF, centres=(world["own"],)),
        "other_staff": make_user(Role.STAFF, centres=(world["other"],)),
        "overseer": make_user(Role.OVERSEER),
        "provincial_overseer": make_user(Role.OVERSEER, province=world["punjab"]),
        "admin": make_user(Role.ADMIN),
    }


def placed(trainee, cohort) -> Enrollment:
    """Her application, made as she would make it, committed."""
    enrollment = apply(trainee, cohort, actor=trainee.user).enrollment
    db.session.commit()
    return enrollment


def answer_of(enrollment: Enrollment, **changes) -> dict:
    """``GET /enrollments/<id>``'s answer for ``enrollment`` as it is in the database now."""
    db.session.refresh(enrollment)
    return {
        "id": enrollment.id,
        "trainee_id": enrollment.trainee_id,
        "cohort_id": enrollment.cohort_id,
        "status": enrollment.status.value,
        "waitlist_position": waitlist_position(enrollment),
        "source": enrollment.source.value,
        "applied_at": enrollment.applied_at.isoformat(),
        "decided_at": enrollment.decided_at.isoformat() if enrollment.decided_at else None,
        "reason": enrollment.reason,
        "pool": enrollment.pool.value if enrollment.pool else None,
        "offer_expires_at": enrollment.offer_expires_at.isoformat() if enrollment.offer_expires_at else None,
    } | changes


def actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# Applying ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, {}])
def test_a_trainee_applies_for_herself_with_an_empty_body(client, cohort, applicant, body):
    trainee, open_cohort = applicant(), cohort(seats=3)
    kwargs = {} if body is None else {"json": body}
    response = client.post(f"/api/v1/cohorts/{open_cohort.id}/enrollments", headers=bearer(trainee.user), **kwargs)
    assert response.status_code == 201
    enrollment = db.session.scalar(sa.select(Enrollment))
    assert response.get_json() == answer_of(enrollment)
    assert (enrollment.trainee_id, enrollment.status, enrollment.source.value) == (trainee.id, S.ENROLLED, "online")
    assert response.get_json()["waitlist_position"] is None
    assert actions()[-1] == "enrollment.apply"
    assert recount() == []


def test_seats_then_the_waitlist_in_order_of_application(client, cohort, applicant):
    open_cohort = cohort(seats=2)
    answers = [
        client.post(f"/api/v1/cohorts/{open_cohort.id}/enrollments", headers=bearer(applicant().user)).get_json()
        for _ in range(5)
    ]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("enrolled", None),
        ("enrolled", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
        ("waitlisted", 3),
    ]
    db.session.refresh(open_cohort)
    assert (open_cohort.enrolled_count, open_cohort.waitlisted_count) == (2, 3)
    assert recount() == []


def test_reviewed_admission_waits_for_staff(client, cohort, applicant):
    reviewed = cohort(admission=Admission.REVIEWED)
    response = client.post(f"/api/v1/cohorts/{reviewed.id}/enrollments", headers=bearer(applicant().user))
    assert (response.status_code, response.get_json()["status"]) == (201, "pending")


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_and_admins_register_a_trainee_by_id(client, cohort, make_trainee, world, people, who):
    walk_in, open_cohort = make_trainee(world["district"], registered_centre_id=world["own"].id), cohort()
    response = client.post(
        f"/api/v1/cohorts/{open_cohort.id}/enrollments", json={"trainee_id": walk_in.id}, headers=bearer(people[who])
    )
    assert response.status_code == 201
    enrollment = db.session.scalar(sa.select(Enrollment))
    assert response.get_json() == answer_of(enrollment)
    assert (enrollment.trainee_id, enrollment.source.value) == (walk_in.id, "walk_in")
    assert actions()[-1] == "enrollment.register"


def test_a_trainee_may_name_herself(client, cohort, applicant):
    trainee, open_cohort = applicant(), cohort()
    response = client.post(
        f"/api/v1/cohorts/{open_cohort.id}/enrollments", json={"trainee_id": trainee.id}, headers=bearer(trainee.user)
    )
    assert (response.status_code, response.get_json()["trainee_id"]) == (201, trainee.id)


def test_applying_twice_is_409_with_the_existing_place(client, cohort, applicant, row_counts):
    trainee, open_cohort = applicant(), cohort(seats=1)
    placed(applicant(), open_cohort)
    enrollment = placed(trainee, open_cohort)
    headers = bearer(trainee.user)
    before = row_counts()
    response = client.post(f"/api/v1/cohorts/{open_cohort.id}/enrollments", headers=headers)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "already_applied",
            "message": "You have applied to this cohort already: your place is waitlisted.",
            "enrollment_id": enrollment.id,
        }
    }
    assert row_counts() == before


def test_registering_her_twice_is_409_even_after_she_withdrew(client, cohort, applicant, people, row_counts):
    trainee, open_cohort = applicant(), cohort()
    enrollment = placed(trainee, open_cohort)
    client.post(f"/api/v1/enrollments/{enrollment.id}/withdraw", headers=bearer(trainee.user))
    headers = bearer(people["staff"])
    before = row_counts()
    response = client.post(
        f"/api/v1/cohorts/{open_cohort.id}/enrollments", json={"trainee_id": trainee.id}, headers=headers
    )
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "already_applied",
            "message": "This trainee is in this cohort already: the place is withdrawn.",
            "enrollment_id": enrollment.id,
        }
    }
    assert row_counts() == before


def test_refusals_of_the_rules(client, cohort, applicant, row_counts):
    """Each of the rules' refusals, with its own status and words, and nothing written."""
    starts = utcnow().date() + timedelta(days=14)
    busy = applicant()
    placed(busy, cohort(shift=Shift.EVENING, starts_on=starts))
    placed(busy, cohort(shift=Shift.WEEKEND, starts_on=starts))
    clashing = applicant()
    placed(clashing, cohort(shift=Shift.MORNING, starts_on=starts))
    man = applicant(gender=Gender.MALE)
    cases = [
        (cohort(status=CohortStatus.CLOSED), applicant(), 409, "applications_closed", "This cohort is not taking "
         "applications (closed)."),
        (cohort(applications_close_at=utcnow() - timedelta(hours=1)), applicant(), 409, "applications_closed",
         "Applications have closed."),
        (cohort(applications_open_at=utcnow() + timedelta(days=1)), applicant(), 409, "applications_closed",
         "Applications have not opened yet."),
        (cohort(women_only=True), man, 422, "not_eligible", "This is a women-only cohort."),
        (cohort(shift=Shift.AFTERNOON), busy, 409, "too_many_places",
         "You already hold 2 places (the most anyone may hold at once is 2). Withdraw from one to apply here."),
    ]  # fmt: skip
    clash = cohort(shift=Shift.MORNING, starts_on=starts + timedelta(days=7))
    held = db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == clashing.id)).cohort
    cases.append(
        (
            clash,
            clashing,
            409,
            "overlapping_place",
            f"This clashes with your place in {held.course.title} ({held.code}): same morning shift, overlapping "
            "dates.",
        )
    )
    for target, trainee, status, code, message in cases:
        path = f"/api/v1/cohorts/{target.id}/enrollments"
        error = refused_by_api(client, "POST", path, bearer(trainee.user), row_counts)
        assert error == (status, code, message, None)


def test_refusals_said_to_staff(client, cohort, make_trainee, world, people, row_counts):
    man = make_trainee(world["district"], gender=Gender.MALE, registered_centre_id=world["own"].id)
    camp = cohort(women_only=True)
    error = refused_by_api(
        client,
        "POST",
        f"/api/v1/cohorts/{camp.id}/enrollments",
        bearer(people["staff"]),
        row_counts,
        json={"trainee_id": man.id},
    )
    assert error == (422, "not_eligible", "This is a women-only cohort.", None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (422, "refused", SAY_WHICH)),
        ({"trainee_id": None}, (422, "refused", SAY_WHICH)),
        ({"trainee_id": None, "cnic": None}, (422, "refused", SAY_WHICH)),
        ({"trainee_id": 999999}, (422, "unknown_trainee", no_such_id(999999))),
        ({"trainee_id": 2**40}, (422, "unknown_trainee", no_such_id(2**40))),
    ],
)
def test_staff_name_an_existing_trainee(client, cohort, people, row_counts, body, expected):
    open_cohort = cohort()
    error = refused_by_api(
        client, "POST", f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(people["staff"]), row_counts, body
    )
    assert error == (*expected, {"trainee_id": expected[2]})


@pytest.mark.parametrize("link", ["none", "registered_elsewhere", "applied_elsewhere"])
def test_staff_naming_by_id_a_trainee_of_another_centre_are_told_there_is_none(
    client, cohort, make_cohort, make_trainee, world, people, row_counts, link
):
    """A record staff may not see is answered exactly like an id nobody has: ids cannot be tried one
    after another to find other centres' trainees (the national record is found by CNIC)."""
    fields = {"registered_centre_id": world["other"].id} if link == "registered_elsewhere" else {}
    stranger, open_cohort = make_trainee(world["district"], **fields), cohort()
    if link == "applied_elsewhere":
        register(stranger, make_cohort(world["other"]), actor=people["other_staff"])
        db.session.commit()
    path, headers = f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(people["staff"])
    for trainee_id in (stranger.id, stranger.id + 1000):  # hers, and an id nobody has
        error = refused_by_api(client, "POST", path, headers, row_counts, {"trainee_id": trainee_id})
        assert error == (422, "unknown_trainee", no_such_id(trainee_id), {"trainee_id": no_such_id(trainee_id)})


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_register_by_id_a_trainee_they_may_see(client, cohort, make_cohort, make_trainee, world, people, who):
    """Staff see a trainee who applied at their centre (no registration needed); admins see everyone."""
    trainee, open_cohort = make_trainee(world["district"]), cohort(shift=Shift.EVENING)
    if who == "staff":
        register(trainee, make_cohort(world["own"], shift=Shift.MORNING), actor=people["staff"])
        db.session.commit()
    response = client.post(
        f"/api/v1/cohorts/{open_cohort.id}/enrollments", json={"trainee_id": trainee.id}, headers=bearer(people[who])
    )
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["trainee_id"], response.get_json()["source"]) == (trainee.id, "walk_in")


@pytest.mark.parametrize("typed", ["35202-7654321-8", " 35202 7654321 8 ", "3520276543218", "۳۵۲۰۲-۷۶۵۴۳۲۱-۸"])
@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_register_by_cnic_typed_any_way(client, cohort, make_trainee, world, people, typed, who):
    """The national record, found by her CNIC even when another centre registered her; the lookup is kept
    in the audit trail (who looked, at which centre) besides the place's own event."""
    walk_in = make_trainee(world["district"], cnic="3520276543218", registered_centre_id=world["other"].id)
    open_cohort, actor = cohort(), people[who]
    headers = bearer(actor)
    last_event = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    response = client.post(f"/api/v1/cohorts/{open_cohort.id}/enrollments", json={"cnic": typed}, headers=headers)
    assert response.status_code == 201, response.get_json()
    enrollment = db.session.scalar(sa.select(Enrollment))
    assert response.get_json() == answer_of(enrollment)
    assert (enrollment.trainee_id, enrollment.source.value) == (walk_in.id, "walk_in")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > last_event).order_by(AuditEvent.id))
    assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in events] == [
        ("trainee.lookup", actor.id, "trainee", walk_in.id),
        ("enrollment.register", actor.id, "enrollment", enrollment.id),
    ]
    lookup = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "trainee.lookup"))
    assert lookup.centre_id == open_cohort.centre_id == world["own"].id
    assert recount() == []


@pytest.mark.parametrize("typed", ["35202-0000000-9", " 3520200000009 "])
def test_an_unknown_cnic_writes_nothing(client, cohort, make_trainee, world, people, row_counts, typed):
    make_trainee(world["district"], registered_centre_id=world["own"].id)  # someone else has a record
    open_cohort = cohort()
    error = refused_by_api(
        client,
        "POST",
        f"/api/v1/cohorts/{open_cohort.id}/enrollments",
        bearer(people["staff"]),
        row_counts,
        {"cnic": typed},
    )
    assert error == (422, "unknown_trainee", NO_SUCH_CNIC, {"cnic": NO_SUCH_CNIC})


def test_a_trainee_may_not_send_a_cnic(client, cohort, applicant, row_counts):
    """Not even her own: a trainee applies for herself, and looks nobody up (no lookup is recorded)."""
    trainee, other, open_cohort = applicant(), applicant(), cohort()
    path, headers = f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(trainee.user)
    for body in ({"cnic": other.cnic}, {"cnic": trainee.cnic}, {"trainee_id": trainee.id, "cnic": trainee.cnic}):
        assert refused_by_api(client, "POST", path, headers, row_counts, body) == (403, "forbidden", ONLY_HERSELF, None)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"trainee_id": "seven"}, {"trainee_id": "Not a valid integer."}),
        ({"trainee_id": 0}, {"trainee_id": "Must be greater than or equal to 1."}),
        ({"cohort": 1}, {"cohort": "Unknown field."}),
        ({"cnic": 3520212345671}, {"cnic": "Not a valid string."}),
        ({"cnic": "3" * 41}, {"cnic": "Longer than maximum length 40."}),
    ],
)
def test_a_body_that_does_not_match_the_schema(client, cohort, people, row_counts, body, fields):
    open_cohort = cohort()
    error = refused_by_api(
        client, "POST", f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(people["staff"]), row_counts, body
    )
    assert error == (422, "invalid", "Some values are not valid: see fields.", fields)


def test_who_may_not_take_places(client, cohort, applicant, make_user, world, people, row_counts):
    # Her record is the other centre's: its staff may see her, and are refused because the cohort is not theirs.
    open_cohort, trainee, other = cohort(), applicant(registered_centre_id=world["other"].id), applicant()
    path = f"/api/v1/cohorts/{open_cohort.id}/enrollments"
    body = {"trainee_id": trainee.id}
    assert refused_by_api(client, "POST", path, {}, row_counts, body) == UNAUTHORIZED
    for overseer in ("overseer", "provincial_overseer"):
        assert refused_by_api(client, "POST", path, bearer(people[overseer]), row_counts, body) == FORBIDDEN
    assert refused_by_api(client, "POST", path, bearer(people["other_staff"]), row_counts, body) == (
        403,
        "forbidden",
        "Only staff of this centre can register trainees here.",
        None,
    )
    refusal = refused_by_api(client, "POST", path, bearer(other.user), row_counts, body)
    assert refusal == (403, "forbidden", ONLY_HERSELF, None)
    no_record = make_user(Role.TRAINEE)
    assert refused_by_api(client, "POST", path, bearer(no_record), row_counts) == (
        403,
        "forbidden",
        "This account has no trainee record: ask your centre to link it.",
        None,
    )


def test_unknown_and_draft_cohorts(client, cohort, applicant, world, people, row_counts):
    trainee, draft = applicant(registered_centre_id=world["own"].id), cohort(status=CohortStatus.DRAFT)
    for path in ("/api/v1/cohorts/999999/enrollments", f"/api/v1/cohorts/{2**40}/enrollments"):
        assert refused_by_api(client, "POST", path, bearer(trainee.user), row_counts) == NOT_FOUND
    path = f"/api/v1/cohorts/{draft.id}/enrollments"
    assert refused_by_api(client, "POST", path, bearer(trainee.user), row_counts) == NOT_FOUND
    body = {"trainee_id": trainee.id}
    assert refused_by_api(client, "POST", path, bearer(people["other_staff"]), row_counts, body) == NOT_FOUND
    # Its own centre's staff see the draft, and are told why it takes nobody.
    assert refused_by_api(client, "POST", path, bearer(people["staff"]), row_counts, {"trainee_id": trainee.id}) == (
        409,
        "applications_closed",
        "This cohort is not taking applications (draft).",
        None,
    )


# The roster ----------------------------------------------------------------------------------------


@pytest.fixture
def full_cohort(cohort, applicant):
    """A cohort with 2 seats and 7 applications: 2 enrolled, then 5 waitlisted; one of them withdrawn."""
    target = cohort(seats=2)
    enrollments = [placed(applicant(), target) for _ in range(7)]
    return target, enrollments


def test_roster_in_waitlist_order_with_positions(client, full_cohort, people):
    target, enrollments = full_cohort
    leaving = enrollments[3]
    client.post(f"/api/v1/enrollments/{leaving.id}/withdraw", headers=bearer(leaving.trainee.user))
    response = client.get(f"/api/v1/cohorts/{target.id}/enrollments", headers=bearer(people["staff"]))
    assert response.status_code == 200
    page = response.get_json()
    assert (page["page"], page["per_page"], page["total"]) == (1, 20, 7)
    assert [item["id"] for item in page["items"]] == [e.id for e in enrollments]
    assert [(item["status"], item["waitlist_position"]) for item in page["items"]] == [
        ("enrolled", None),
        ("enrolled", None),
        ("waitlisted", 1),
        ("withdrawn", None),
        ("waitlisted", 2),
        ("waitlisted", 3),
        ("waitlisted", 4),
    ]
    first = enrollments[2]
    db.session.refresh(first)
    assert page["items"][2] == {
        "id": first.id,
        "trainee_id": first.trainee_id,
        "full_name": first.trainee.full_name,
        "status": "waitlisted",
        "source": "online",
        "applied_at": first.applied_at.isoformat(),
        "decided_at": None,
        "waitlist_position": 1,
    }
    for item, enrollment in zip(page["items"], enrollments, strict=True):
        db.session.refresh(enrollment)
        assert item["waitlist_position"] == waitlist_position(enrollment)


def test_roster_by_status_and_page(client, full_cohort, people):
    target, enrollments = full_cohort
    headers = bearer(people["admin"])
    path = f"/api/v1/cohorts/{target.id}/enrollments"
    page = client.get(f"{path}?status=waitlisted&per_page=2&page=2", headers=headers).get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 5)
    assert [(item["id"], item["waitlist_position"]) for item in page["items"]] == [
        (enrollments[4].id, 3),
        (enrollments[5].id, 4),
    ]
    page = client.get(f"{path}?status=enrolled", headers=headers).get_json()
    assert [item["id"] for item in page["items"]] == [enrollments[0].id, enrollments[1].id]
    page = client.get(f"{path}?status=completed&page=3", headers=headers).get_json()
    assert page == {"items": [], "page": 3, "per_page": 20, "total": 0}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("status=waiting", {"status": "Must be one of: pending, waitlisted, offered, enrolled, rejected, declined, "
                            "withdrawn, dropped, completed, not_completed, cancelled."}),
        ("per_page=101", {"per_page": "Must be greater than or equal to 1 and less than or equal to 100."}),
        ("page=0", {"page": "Must be greater than or equal to 1 and less than or equal to 1000000."}),
    ],
)  # fmt: skip
def test_roster_arguments_that_are_not_valid(client, cohort, people, query, fields):
    path = f"/api/v1/cohorts/{cohort().id}/enrollments?{query}"
    error = api_error(client.get(path, headers=bearer(people["staff"])))
    assert error == (422, "invalid", "Some values are not valid: see fields.", fields)


def test_who_may_read_the_roster(client, full_cohort, applicant, people):
    target, enrollments = full_cohort
    path = f"/api/v1/cohorts/{target.id}/enrollments"
    assert api_error(client.get(path)) == UNAUTHORIZED
    for user in (enrollments[0].trainee.user, people["other_staff"], people["overseer"], people["provincial_overseer"]):
        assert api_error(client.get(path, headers=bearer(user))) == FORBIDDEN
    for user in (people["staff"], people["admin"]):
        assert client.get(path, headers=bearer(user)).status_code == 200
    assert api_error(client.get("/api/v1/cohorts/999999/enrollments", headers=bearer(people["admin"]))) == NOT_FOUND


# A trainee's own places ----------------------------------------------------------------------------


def test_my_enrollments(client, cohort, applicant, world):
    trainee = applicant()
    first = cohort(seats=0, shift=Shift.EVENING)
    placed(applicant(), cohort(seats=1, shift=Shift.EVENING))  # someone else's place is not hers
    waiting = [placed(applicant(), first) for _ in range(2)]
    second = cohort(seats=5, shift=Shift.MORNING)
    mine = [placed(trainee, first), placed(trainee, second)]
    response = client.get("/api/v1/me/enrollments", headers=bearer(trainee.user))
    assert response.status_code == 200
    page = response.get_json()
    assert (page["page"], page["per_page"], page["total"]) == (1, 20, 2)
    latest = mine[1]
    db.session.refresh(latest)
    assert page["items"][0] == {
        "id": latest.id,
        "cohort_id": second.id,
        "cohort_code": second.code,
        "course_title": second.course.title,
        "centre_code": "PB-LHR-01",
        "centre_name": world["own"].name,
        "starts_on": second.starts_on.isoformat(),
        "ends_on": second.ends_on.isoformat(),
        "shift": "morning",
        "mode": "on_site",
        "status": "enrolled",
        "waitlist_position": None,
        "applied_at": latest.applied_at.isoformat(),
        "decided_at": latest.decided_at.isoformat(),
        "reason": "",
    }
    assert [(item["id"], item["status"], item["waitlist_position"]) for item in page["items"]] == [
        (mine[1].id, "enrolled", None),
        (mine[0].id, "waitlisted", len(waiting) + 1),
    ]
    page = client.get("/api/v1/me/enrollments?per_page=1&page=2", headers=bearer(trainee.user)).get_json()
    assert ([item["id"] for item in page["items"]], page["total"]) == ([mine[0].id], 2)


def test_a_trainee_without_a_record_has_no_places(client, make_user):
    response = client.get("/api/v1/me/enrollments", headers=bearer(make_user(Role.TRAINEE)))
    assert response.get_json() == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_only_trainees_have_places_of_their_own(client, people):
    assert api_error(client.get("/api/v1/me/enrollments")) == UNAUTHORIZED
    for user in people.values():
        assert api_error(client.get("/api/v1/me/enrollments", headers=bearer(user))) == FORBIDDEN


# One place and its changes: who may, and what happens ------------------------------------------------

# Who gets what: the trainee of the place ("own"), another trainee, each kind of staff, overseers.
ROLES = ("anonymous", "own", "other_trainee", "staff", "other_staff", "overseer", "provincial_overseer", "admin")
READERS = {"own", "staff", "admin"}
WITHDRAWERS = {"own", "staff", "admin"}
DECIDERS = {"staff", "admin"}


@pytest.fixture
def scene(cohort, applicant):
    """``scene(state)``: a place of a fresh trainee in ``state``, made the way it would really come
    about; for ``running``, an enrolled place in a cohort that started last week."""

    def make(state: str) -> Enrollment:
        if state == "pending":
            return placed(applicant(), cohort(admission=Admission.REVIEWED))
        if state == "running":
            started = cohort(starts_on=utcnow().date() - timedelta(days=7), applications_close_at=None)
            enrollment = placed(applicant(), started)
            started.status = CohortStatus.RUNNING
            db.session.commit()
            return enrollment
        target = cohort(seats=1)
        first = placed(applicant(), target)
        if state == "enrolled":
            placed(applicant(), target)  # someone in line for the seat
            return first
        return placed(applicant(), target)  # waitlisted

    return make


OPERATIONS = {
    # name: (state of the place, path suffix, body, roles that may, status on success)
    "get": ("enrolled", "", None, READERS),
    "withdraw": ("enrolled", "/withdraw", {}, WITHDRAWERS),
    "approve": ("pending", "/approve", None, DECIDERS),
    "reject": ("pending", "/reject", {"reason": "Seats are for Lahore residents."}, DECIDERS),
    "drop": ("enrolled", "/drop", {"reason": "Absent for three weeks."}, DECIDERS),
}


def user_as(role: str, enrollment: Enrollment, people: dict, applicant) -> dict:
    if role == "anonymous":
        return {}
    if role == "own":
        return bearer(enrollment.trainee.user)
    if role == "other_trainee":
        return bearer(applicant().user)
    return bearer(people[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_on_a_place_by_every_role(client, scene, people, applicant, row_counts, operation, role):
    state, suffix, body, allowed = OPERATIONS[operation]
    enrollment = scene(state)
    headers = user_as(role, enrollment, people, applicant)
    method = "GET" if operation == "get" else "POST"
    path = f"/api/v1/enrollments/{enrollment.id}{suffix}"
    if role in allowed:
        response = client.open(path, method=method, headers=headers, json=body)
        assert response.status_code == 200, response.get_json()
        expected_status = {
            "get": state,
            "withdraw": "withdrawn",
            "approve": "enrolled",
            "reject": "rejected",
            "drop": "dropped",
        }[operation]
        assert response.get_json()["status"] == expected_status
        assert recount() == []
    else:
        expected = UNAUTHORIZED if role == "anonymous" else FORBIDDEN
        assert refused_by_api(client, method, path, headers, row_counts, body) == expected


@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_unknown_place_is_404(client, people, operation):
    _, suffix, body, _ = OPERATIONS[operation]
    method = "GET" if operation == "get" else "POST"
    for enrollment_id in (999999, 2**40):
        response = client.open(
            f"/api/v1/enrollments/{enrollment_id}{suffix}", method=method, headers=bearer(people["admin"]), json=body
        )
        assert api_error(response) == NOT_FOUND


def test_reading_a_place(client, scene, people):
    enrollment = scene("waitlisted")
    response = client.get(f"/api/v1/enrollments/{enrollment.id}", headers=bearer(enrollment.trainee.user))
    assert response.get_json() == answer_of(enrollment)
    assert response.get_json()["waitlist_position"] == 1


# Withdrawing and dropping: the seat goes to the next in line ------------------------------------------


def test_withdrawing_gives_the_seat_to_the_next_in_line(client, cohort, applicant):
    target = cohort(seats=1)
    holder, first, second = (placed(applicant(), target) for _ in range(3))
    response = client.post(f"/api/v1/enrollments/{holder.id}/withdraw", headers=bearer(holder.trainee.user))
    assert response.status_code == 200
    assert response.get_json() == answer_of(holder, promoted_enrollment_id=first.id)
    assert (response.get_json()["status"], response.get_json()["reason"]) == ("withdrawn", "")
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status.value, waitlist_position(second)) == ("enrolled", 1)
    assert actions()[-2:] == ["enrollment.withdrawn", "enrollment.promote"]
    assert recount() == []


def test_withdrawing_from_the_waitlist_promotes_nobody(client, cohort, applicant, people):
    target = cohort(seats=1)
    placed(applicant(), target)
    waiting, behind = placed(applicant(), target), placed(applicant(), target)
    response = client.post(
        f"/api/v1/enrollments/{waiting.id}/withdraw", json={"reason": "She moved."}, headers=bearer(people["staff"])
    )
    assert response.get_json() == answer_of(waiting, promoted_enrollment_id=None)
    assert response.get_json()["reason"] == "She moved."
    db.session.refresh(behind)
    assert waitlist_position(behind) == 1


def test_dropping_gives_the_seat_to_the_next_in_line(client, scene, people):
    enrollment = scene("enrolled")
    next_in_line = db.session.scalar(sa.select(Enrollment).where(Enrollment.id != enrollment.id))
    response = client.post(
        f"/api/v1/enrollments/{enrollment.id}/drop", json={"reason": "Absent."}, headers=bearer(people["staff"])
    )
    assert response.get_json() == answer_of(enrollment, promoted_enrollment_id=next_in_line.id)
    assert (response.get_json()["status"], response.get_json()["reason"]) == ("dropped", "Absent.")
    db.session.refresh(next_in_line)
    assert next_in_line.status.value == "enrolled"


def test_approving_when_full_waitlists(client, cohort, applicant, people):
    reviewed = cohort(admission=Admission.REVIEWED, seats=1)
    first, second = placed(applicant(), reviewed), placed(applicant(), reviewed)
    headers = bearer(people["staff"])
    assert client.post(f"/api/v1/enrollments/{first.id}/approve", headers=headers).get_json() == answer_of(first)
    response = client.post(f"/api/v1/enrollments/{second.id}/approve", headers=headers)
    assert response.get_json() == answer_of(second)
    assert (response.get_json()["status"], response.get_json()["waitlist_position"]) == ("waitlisted", 1)


def test_rejecting_keeps_the_reason(client, scene, people):
    enrollment = scene("pending")
    path = f"/api/v1/enrollments/{enrollment.id}/reject"
    response = client.post(path, json={"reason": " Not a resident. "}, headers=bearer(people["admin"]))
    assert response.get_json() == answer_of(enrollment)
    assert (response.get_json()["status"], response.get_json()["reason"]) == ("rejected", "Not a resident.")


def test_completing_by_hand_is_gone(client, scene, people, row_counts):
    """The manual "complete" answers 410 Gone, pointing to marks and finishing; nothing is changed."""
    enrollment = scene("running")
    headers = bearer(people["staff"])
    before = row_counts()
    for enrollment_id in (enrollment.id, 999999):
        response = client.post(f"/api/v1/enrollments/{enrollment_id}/complete", headers=headers)
        assert response.status_code == 410
        assert response.get_json()["error"] == {
            "code": "gone",
            "message": "Completing one trainee by hand is no longer possible: enter the marks and finish the cohort, "
            "and every trainee is decided by the rule.",
        }
    assert row_counts() == before
    assert client.post(f"/api/v1/enrollments/{enrollment.id}/complete").status_code == 401


REASON = "Give a reason: the trainee will see it."
INVALID = "Some values are not valid: see fields."


@pytest.mark.parametrize(
    ("state", "suffix", "body", "expected"),
    [
        ("enrolled", "/approve", None, (409, "not_possible", "You cannot approve an application that is enrolled.")),
        ("enrolled", "/reject", {"reason": "No."}, (409, "not_possible", "You cannot reject an application that is "
                                                   "enrolled.")),
        ("waitlisted", "/drop", {"reason": "No."}, (409, "not_possible", "You cannot drop an application that is "
                                                   "waitlisted.")),
        ("pending", "/reject", {}, (422, "invalid", INVALID, {"reason": REASON})),
        ("pending", "/reject", {"reason": "   "}, (422, "invalid", INVALID, {"reason": REASON})),
        ("enrolled", "/drop", None, (422, "invalid", INVALID, {"reason": REASON})),
        ("enrolled", "/drop", {"reason": ""}, (422, "invalid", INVALID, {"reason": REASON})),
        ("enrolled", "/drop", {"reason": "x" * 2001}, (422, "invalid", INVALID,
                                                       {"reason": "Longer than maximum length 2000."})),
        ("enrolled", "/drop", {"reason": 7}, (422, "invalid", "Some values are not valid: see fields.",
                                              {"reason": "Not a valid string."})),
        ("enrolled", "/withdraw", {"why": "x"}, (422, "invalid", "Some values are not valid: see fields.",
                                                 {"why": "Unknown field."})),
    ],
)  # fmt: skip
def test_decisions_the_state_does_not_allow(client, scene, people, row_counts, state, suffix, body, expected):
    enrollment = scene(state)
    path = f"/api/v1/enrollments/{enrollment.id}{suffix}"
    error = refused_by_api(client, "POST", path, bearer(people["staff"]), row_counts, body)
    assert error == (expected if len(expected) == 4 else (*expected, None))


def test_withdrawing_twice(client, scene, row_counts):
    enrollment = scene("waitlisted")
    headers = bearer(enrollment.trainee.user)
    path = f"/api/v1/enrollments/{enrollment.id}/withdraw"
    assert client.post(path, headers=headers).status_code == 200
    assert refused_by_api(client, "POST", path, headers, row_counts) == (
        409,
        "not_possible",
        "You cannot withdraw an application that is withdrawn.",
        None,
    )


def test_registered_places_go_through_the_same_rules(client, cohort, make_trainee, world, people):
    """Staff registering through the API and through the page's service give the same place."""
    target = cohort(seats=1)
    first, second = (make_trainee(world["district"], registered_centre_id=world["own"].id) for _ in range(2))
    register(first, target, actor=people["staff"])
    db.session.commit()
    response = client.post(
        f"/api/v1/cohorts/{target.id}/enrollments", json={"trainee_id": second.id}, headers=bearer(people["staff"])
    )
    assert (response.get_json()["status"], response.get_json()["waitlist_position"]) == ("waitlisted", 1)


def test_a_cnic_that_cannot_be_one_is_said_so(client, cohort, people, row_counts):
    open_cohort = cohort()
    error = refused_by_api(
        client, "POST", f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(people["staff"]), row_counts,
        {"cnic": "35202-123456-1"},
    )  # fmt: skip
    message = "A CNIC has 13 digits; this one has 12."
    assert error == (422, "refused", message, {"cnic": message})


def test_naming_her_twice_over_is_refused(client, cohort, make_trainee, world, people, row_counts):
    known = make_trainee(world["district"], registered_centre_id=world["own"].id)
    open_cohort = cohort()
    error = refused_by_api(
        client, "POST", f"/api/v1/cohorts/{open_cohort.id}/enrollments", bearer(people["staff"]), row_counts,
        {"trainee_id": known.id, "cnic": known.cnic},
    )  # fmt: skip
    assert error == (
        422,
        "refused",
        "Give trainee_id or cnic, not both.",
        {"cnic": "Give trainee_id or cnic, not both."},
    )


def test_a_lookup_is_kept_in_the_audit_trail_even_when_registering_her_is_refused(
    client, cohort, make_trainee, world, people, row_counts
):
    man = make_trainee(world["district"], gender=Gender.MALE, registered_centre_id=world["other"].id)
    camp, headers = cohort(women_only=True), bearer(people["staff"])
    before = row_counts()
    response = client.post(f"/api/v1/cohorts/{camp.id}/enrollments", json={"cnic": man.cnic}, headers=headers)
    assert api_error(response)[:2] == (422, "not_eligible")
    after = row_counts()
    assert {table: after[table] - count for table, count in before.items() if after[table] != count} == {
        "audit_event": 1
    }
    lookup = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (lookup.action, lookup.object_id, lookup.actor_id, lookup.centre_id) == (
        "trainee.lookup",
        man.id,
        people["staff"].id,
        world["own"].id,
    )
