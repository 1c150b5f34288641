"""Selection (issue 16) through HTTP: reserved seats and offers on the cohort form and the API, the offer's
page at its signed link, her applications, the roster's Offered tab and the public cohort page."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from pages import audit_actions, error_next_to, flashed, text

from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment
from enrollments.offer_links import offer_token
from enrollments.services import apply, withdraw
from extensions import db
from tests.api_helpers import api_error, bearer
from vocabulary import EnrollmentStatus, Gender, Pool, Role

S = EnrollmentStatus
TODAY = utcnow().date()
STARTS = TODAY + timedelta(days=30)


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01", lab_seats=30)


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def course(make_course):
    return make_course()


@pytest.fixture
def person(make_user, make_trainee):
    def make(gender=Gender.FEMALE, **fields):
        return make_trainee(user=make_user(Role.TRAINEE), gender=gender, **fields)

    return make


def cohort_form(course, **changes) -> dict:
    return {
        "code": "",
        "course_id": str(course.id),
        "kind": "regular",
        "women_only": "",
        "starts_on": STARTS.isoformat(),
        "ends_on": (STARTS + timedelta(days=55)).isoformat(),
        "shift": "evening",
        "mode": "on_site",
        "seats": "20",
        "admission": "first_come",
        "applications_open_at": "",
        "applications_close_at": "",
        "venue": "",
        "eligible_province_id": "",
        "eligible_district_id": "",
        "reserved_women": "6",
        "reserved_rural": "2",
        "reserved_district": "",
        "reserved_disability": "1",
        "release_at": "",
        "offers": "y",
        "offer_hours": "48",
    } | changes


NEW = "/courses/staff/PB-LHR-01/cohorts/new"


def test_staff_reserve_seats_and_choose_offers_on_the_cohort_form(client, sign_in, csrf_token, staff, course):
    sign_in(staff)
    response = client.post(NEW, data=cohort_form(course, csrf_token=csrf_token(NEW)))
    assert response.status_code == 302, text(response, response.status_code)
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.code == "PB-LHR-01-C01"))
    assert (cohort.reserved_women, cohort.reserved_rural, cohort.reserved_district, cohort.reserved_disability) == (
        6,
        2,
        0,
        1,
    )
    assert (cohort.offers, cohort.offer_hours, cohort.release_at) == (True, 48, None)
    edit = text(client.get(urlsplit(response.headers["Location"]).path))
    assert 'id="reserved_women" inputmode="numeric" min="0" name="reserved_women" type="number" value="6"' in edit


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reserved_women": "15", "reserved_rural": "6"}, "reserved_women", "22 seats reserved, but the cohort has 20"),
        ({"reserved_rural": "-1"}, "reserved_rural", "Reserved seats are a number from 0 to the cohort's seats."),
        ({"offer_hours": "0"}, "offer_hours", "An offer is held from 1 to 720 hours (30 days)."),
        ({"release_at": f"{(STARTS + timedelta(days=1)).isoformat()}T09:00"}, "release_at", "released at the latest"),
    ],
)
def test_bad_reserved_seats_are_shown_next_to_their_field_and_nothing_is_written(
    client, sign_in, csrf_token, staff, course, row_counts, changes, field, message
):
    sign_in(staff)
    before = row_counts()
    page = text(client.post(NEW, data=cohort_form(course, csrf_token=csrf_token(NEW), **changes)), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_the_api_creates_and_changes_reserved_seats(client, staff, centre, course, row_counts):
    body = {
        "course": course.code,
        "centre": centre.code,
        "kind": "regular",
        "starts_on": STARTS.isoformat(),
        "ends_on": (STARTS + timedelta(days=55)).isoformat(),
        "shift": "morning",
        "mode": "on_site",
        "seats": 10,
        "reserved": {"women": 4, "district": 1},
        "offers": True,
        "offer_hours": 24,
    }
    headers = bearer(staff)
    response = client.post("/api/v1/cohorts", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["reserved"]["women"] == {"reserved": 4, "held": 0, "free": 4}
    assert answer["reserved"]["district"] == {"reserved": 1, "held": 0, "free": 1}
    assert (answer["offers"], answer["offer_hours"], answer["offered"], answer["released_at"]) == (True, 24, 0, None)
    assert answer["release_at"].startswith((STARTS - timedelta(days=8)).isoformat() + "T19:00:00")  # 00:00 in PKT
    cohort_id = answer["id"]
    before = row_counts()
    refused = client.patch(f"/api/v1/cohorts/{cohort_id}", json={"reserved": {"rural": 7}}, headers=headers)
    assert api_error(refused)[2:] == (
        "12 seats reserved, but the cohort has 10: reserve no more than its seats.",
        {"reserved.women": "12 seats reserved, but the cohort has 10: reserve no more than its seats."},
    )
    assert row_counts() == before
    changed = client.patch(f"/api/v1/cohorts/{cohort_id}", json={"reserved": {"women": 2}}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["reserved"]["women"]["reserved"] == 2
    assert "cohort.reserves" in audit_actions()


def test_an_offer_is_accepted_through_the_api_by_her(client, make_cohort, centre, person):
    cohort = make_cohort(centre=centre, seats=1, offers=True)
    holder, waiting = person(), person()
    apply(holder, cohort, actor=holder.user)
    place = apply(waiting, cohort, actor=waiting.user).enrollment
    withdraw(db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == holder.id)), actor=holder.user)
    db.session.commit()
    answer = client.post(f"/api/v1/enrollments/{place.id}/accept", headers=bearer(waiting.user))
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["status"], answer.get_json()["pool"]) == ("enrolled", "open")
    again = client.post(f"/api/v1/enrollments/{place.id}/decline", headers=bearer(waiting.user))
    assert api_error(again)[:3] == (409, "not_possible", "There is no open offer here: the place is enrolled.")


def test_a_declined_offer_through_the_api_names_who_is_offered_next(client, make_cohort, centre, person):
    cohort = make_cohort(centre=centre, seats=1, offers=True)
    holder, first, second = person(), person(), person()
    for trainee in (holder, first, second):
        apply(trainee, cohort, actor=trainee.user)
    withdraw(db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == holder.id)), actor=holder.user)
    db.session.commit()
    first_place = db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == first.id))
    answer = client.post(f"/api/v1/enrollments/{first_place.id}/decline", headers=bearer(first.user))
    second_place = db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == second.id))
    assert (answer.get_json()["status"], answer.get_json()["promoted_enrollment_id"]) == ("declined", second_place.id)
    assert second_place.status is S.OFFERED


@pytest.fixture
def offered(make_cohort, centre, person):
    """A place offered a seat (a women's seat freed in a cohort that offers seats)."""
    cohort = make_cohort(centre=centre, seats=2, reserved_women=1, offers=True, code="PB-LHR-01-C09")
    man, woman_holder = person(Gender.MALE), person()
    waiting_man, waiting_woman = person(Gender.MALE), person(full_name="Sana Bibi")
    for trainee in (man, woman_holder, waiting_man, waiting_woman):
        apply(trainee, cohort, actor=trainee.user)
    withdraw(
        db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == woman_holder.id)),
        actor=woman_holder.user,
    )
    db.session.commit()
    place = db.session.scalar(sa.select(Enrollment).where(Enrollment.trainee_id == waiting_woman.id))
    assert place.status is S.OFFERED
    return place


def test_the_signed_link_shows_the_offer_and_accepts_it_without_signing_in(client, offered):
    path = f"/enrollments/offers/{offer_token(offered)}"
    page = text(client.get(path))
    assert "Sana Bibi, a seat in" in page and "is held for you until" in page
    assert 'name="answer" value="accept"' in page and 'name="answer" value="decline"' in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(path, data={"csrf_token": token, "answer": "accept"})
    assert urlsplit(response.headers["Location"]).path == "/enrollments/offers/answered"
    assert "You accepted: you have a place in" in flashed(text(client.get("/enrollments/offers/answered")))
    db.session.refresh(offered)
    assert (offered.status, offered.pool) == (S.ENROLLED, Pool.WOMEN)
    assert audit_actions()[-1] == "enrollment.accept"
    # Spent: the link now says the offer has ended.
    assert "This offer has ended" in text(client.get(path), 404)


def test_a_bad_answer_or_a_forged_link_changes_nothing(client, offered, row_counts):
    path = f"/enrollments/offers/{offer_token(offered)}"
    page = text(client.get(path))
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    before = row_counts()
    assert client.post(path, data={"csrf_token": token, "answer": "maybe"}).status_code == 400
    assert "This offer has ended" in text(client.get(path + "x"), 404)
    assert row_counts() == before


def test_her_applications_say_until_when_and_offer_accept_and_decline(client, sign_in, offered):
    sign_in(offered.trainee.user)
    page = text(client.get("/auth/profile"))
    assert "Offered until " in page
    assert f'action="/enrollments/offers/{offer_token(offered)}"' in page


def test_the_roster_lists_offers_in_their_own_tab(client, sign_in, staff, offered):
    sign_in(staff)
    page = text(client.get(f"/enrollments/cohorts/{offered.cohort.code}/roster?tab=offered"))
    assert "Offered (1)" in page and "Sana Bibi" in page and "Reserved for women" in page
    assert "Reserved for women: 1 of 1 held" in page


def test_the_cohort_page_says_how_reserved_seats_are_given(client, offered):
    page = text(client.get(f"/courses/cohorts/{offered.cohort.code}"))
    assert "1 seat is reserved for women. Seats reserved for women are offered to the first woman in line." in page
