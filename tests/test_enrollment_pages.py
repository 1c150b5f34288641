"""The enrollment pages through the client: the cohort page's apply box, applying, My applications,
withdrawing, the roster and the staff decisions on it (approve, reject, drop, complete, seats, cancel).

The rules themselves are ``enrollments.services``' (tested without HTTP elsewhere); here each page shows
exactly what its visitor can do, every action reaches its service for the right people only, and every
refusal is shown with nothing written. CSRF protection stays on: POSTs carry the token of the page that
holds the form (``csrf_token(path)``).
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from pages import audit_actions, decoded, error_next_to, flashed, redirected_to, text

from courses.models import Cohort
from database import utcnow
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import Admission, CohortKind, CohortStatus, EnrollmentStatus, Gender, Role

S = EnrollmentStatus


# Helpers ------------------------------------------------------------------------------------------------

# A row of the waitlist tab: the box that chooses her for a bulk decision, her position, her name.
WAITLIST_ROW = r'<tr>\s*<td><input [^>]*name="selected".*?</td>\s*<td>(\d+)</td>\s*<td><a [^>]*>([^<]+)</a>'


def apply_form_on(page: str, cohort: Cohort) -> bool:
    return f'action="/enrollments/cohorts/{cohort.code}/apply"' in page


def status_of(enrollment: Enrollment) -> EnrollmentStatus:
    return db.session.scalar(sa.select(Enrollment.status).where(Enrollment.id == enrollment.id))


def enrollments_of(cohort: Cohort) -> list[Enrollment]:
    return list(db.session.scalars(sa.select(Enrollment).where(Enrollment.cohort_id == cohort.id)))


def messages_to(trainee, kind: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.trainee_id == trainee.id, OutboxMessage.kind == kind)
        )
    )


# The world ----------------------------------------------------------------------------------------------


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-01", name="Lahore Digital Centre")


@pytest.fixture
def other_centre(make_centre):
    return make_centre(code="SD-KHS-01", name="Karachi Digital Centre")


@pytest.fixture
def people(make_user, centre, other_centre):
    return {
        "staff": make_user(Role.STAFF, centres=(centre,), full_name="Staff of Lahore"),
        "other staff": make_user(Role.STAFF, centres=(other_centre,), full_name="Staff of Karachi"),
        "overseer": make_user(Role.OVERSEER),
        "admin": make_user(Role.ADMIN),
    }


@pytest.fixture
def make_applicant(make_user, make_trainee):
    """``make_applicant(gender=Gender.MALE)``: a trainee who signed up online (an account and a record)."""

    def make(**fields):
        user = make_user(Role.TRAINEE)
        trainee = make_trainee(user=user, **fields)
        return trainee

    return make


@pytest.fixture
def place(app):
    """``place(trainee, cohort)``: she applies through the service (as the apply page does), committed."""

    def make(trainee, cohort) -> Enrollment:
        enrollment = services.apply(trainee, cohort, actor=trainee.user).enrollment
        db.session.commit()
        return enrollment

    return make


@pytest.fixture
def cohort(make_cohort, centre):
    return make_cohort(centre=centre, code="PB-LHR-01-WEB-1", seats=2)


# The cohort page: exactly what she can do ---------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_sign_in_with_a_way_back(client, cohort):
    page = decoded(client.get(f"/courses/cohorts/{cohort.code}"))
    assert "Sign in to apply" in page and "Create an account" in page
    links = re.findall(r'href="(/auth/(?:login|signup)\?[^"]+)"', page)
    assert {parse_qs(urlsplit(link).query)["next"][0] for link in links} == {f"/courses/cohorts/{cohort.code}"}
    assert not apply_form_on(page, cohort)


@pytest.mark.parametrize(
    ("admission", "button"), [(Admission.FIRST_COME, "Apply"), (Admission.REVIEWED, "Apply for review")]
)
def test_a_trainee_with_a_free_seat_sees_the_apply_button(
    client, sign_in, make_cohort, centre, make_applicant, admission, button
):
    cohort = make_cohort(centre=centre, admission=admission)
    page = decoded(sign_in(make_applicant().user).get(f"/courses/cohorts/{cohort.code}"))
    assert apply_form_on(page, cohort)
    assert re.search(rf'<button type="submit" class="btn btn-markaz">{button}</button>', page)
    assert "Join the waitlist" not in page


def test_a_full_first_come_cohort_offers_the_waitlist_with_her_position(
    client, sign_in, make_cohort, centre, make_applicant, place
):
    cohort = make_cohort(centre=centre, seats=1)
    for _ in range(3):  # one place, then two in line
        place(make_applicant(), cohort)
    page = decoded(sign_in(make_applicant().user).get(f"/courses/cohorts/{cohort.code}"))
    assert "Join the waitlist" in page and "You would be number 3 on the waitlist" in page
    assert apply_form_on(page, cohort)
    assert ">Apply</button>" not in page


def test_a_trainee_who_applied_sees_her_status_and_position(
    client, sign_in, make_cohort, centre, make_applicant, place
):
    cohort = make_cohort(centre=centre, seats=1)
    place(make_applicant(), cohort)
    waiting = make_applicant()
    place(waiting, cohort)
    page = decoded(sign_in(waiting.user).get(f"/courses/cohorts/{cohort.code}"))
    assert "You have applied" in page and "<strong>Waitlisted</strong>" in page
    assert "You are number 1 on the waitlist." in page
    assert 'href="/auth/profile"' in page and "See My applications" in page
    assert not apply_form_on(page, cohort)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"applications_close_at": utcnow() - timedelta(days=1)}, "Applications have closed."),
        ({"applications_open_at": utcnow() + timedelta(days=3)}, "Applications have not opened yet."),
        ({"status": CohortStatus.CLOSED}, "This cohort is not taking applications (closed)."),
    ],
    ids=["window closed", "window not open yet", "cohort closed"],
)
def test_a_closed_cohort_says_why_to_everyone(client, sign_in, make_cohort, centre, make_applicant, fields, reason):
    cohort = make_cohort(centre=centre, **fields)
    for page in (
        decoded(client.get(f"/courses/cohorts/{cohort.code}")),
        decoded(sign_in(make_applicant().user).get(f"/courses/cohorts/{cohort.code}")),
    ):
        assert "Not taking applications" in page and reason in page
        assert not apply_form_on(page, cohort) and "Sign in to apply" not in page


def test_a_women_only_camp_tells_a_man_why_he_cannot_apply(client, sign_in, make_cohort, centre, make_applicant):
    camp = make_cohort(centre=centre, kind=CohortKind.CAMP, women_only=True)
    page = decoded(sign_in(make_applicant(gender=Gender.MALE).user).get(f"/courses/cohorts/{camp.code}"))
    assert "You cannot apply here" in page and "This is a women-only camp." in page
    assert not apply_form_on(page, camp)
    woman = decoded(sign_in(make_applicant(gender=Gender.FEMALE).user).get(f"/courses/cohorts/{camp.code}"))
    assert apply_form_on(woman, camp)


def test_a_trainee_at_her_limit_of_places_is_told_so(client, sign_in, make_cohort, centre, make_applicant, place):
    trainee = make_applicant()
    today = utcnow().date()
    for offset in (21, 120):  # two places that do not clash with each other
        place(trainee, make_cohort(centre=centre, starts_on=today + timedelta(days=offset), applications_open_at=None))
    third = make_cohort(centre=centre, starts_on=today + timedelta(days=250), applications_open_at=None)
    page = decoded(sign_in(trainee.user).get(f"/courses/cohorts/{third.code}"))
    assert "You cannot apply here" in page and "You already hold 2 places" in page
    assert not apply_form_on(page, third)


@pytest.mark.parametrize("person", ["staff", "other staff", "overseer", "admin"])
def test_staff_overseers_and_admins_see_no_apply_box(client, sign_in, people, cohort, person):
    page = decoded(sign_in(people[person]).get(f"/courses/cohorts/{cohort.code}"))
    assert not apply_form_on(page, cohort) and "Sign in to apply" not in page
    roster_link = f'href="/enrollments/cohorts/{cohort.code}/roster"' in page
    assert roster_link is (person in ("staff", "admin"))


# Applying -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats", "admission", "status", "message"),
    [
        (2, Admission.FIRST_COME, S.ENROLLED, "You have a place in"),
        (0, Admission.FIRST_COME, S.WAITLISTED, "You are number 1 on the waitlist for"),
        (2, Admission.REVIEWED, S.PENDING, "Your application is waiting for review by Lahore Digital Centre."),
    ],
)
def test_applying_says_what_happened_on_my_applications(
    client, sign_in, csrf_token, make_cohort, centre, make_applicant, seats, admission, status, message
):
    cohort = make_cohort(centre=centre, seats=seats, admission=admission)
    trainee = make_applicant()
    sign_in(trainee.user)
    response = client.post(
        f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": csrf_token(f"/courses/cohorts/{cohort.code}")}
    )
    assert redirected_to(response) == "/auth/profile"
    page = decoded(client.get("/auth/profile"))
    assert message in flashed(page)
    [enrollment] = enrollments_of(cohort)
    assert (enrollment.trainee_id, enrollment.status) == (trainee.id, status)
    assert audit_actions() == ["enrollment.apply"]


def test_applying_twice_keeps_one_place_and_says_so(client, sign_in, csrf_token, cohort, make_applicant, row_counts):
    sign_in(make_applicant().user)
    token = csrf_token(f"/courses/cohorts/{cohort.code}")
    first = client.post(f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": token}, follow_redirects=True)
    assert "You have a place in" in flashed(decoded(first))
    before = row_counts()
    again = client.post(f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": token}, follow_redirects=True)
    assert flashed(decoded(again)).startswith("You applied already: you have a place in")
    assert row_counts() == before
    assert len(enrollments_of(cohort)) == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("window closed", "Applications have closed."),
        ("women-only camp", "This is a women-only camp."),
        ("too old", "Age 16–40 on the day the course starts"),
        ("limit reached", "You already hold 2 places"),
        ("clashing dates", "This clashes with your place in"),
    ],
)
def test_a_refused_application_shows_why_on_the_cohort_page_and_writes_nothing(
    client, sign_in, csrf_token, make_cohort, centre, make_applicant, place, row_counts, case, message
):
    today = utcnow().date()
    trainee = make_applicant(gender=Gender.MALE)
    fields = {
        "window closed": {"applications_close_at": utcnow() - timedelta(hours=1)},
        "women-only camp": {"kind": CohortKind.CAMP, "women_only": True},
        "too old": {},
        "limit reached": {"starts_on": today + timedelta(days=250), "applications_open_at": None},
        "clashing dates": {},
    }[case]
    cohort = make_cohort(centre=centre, **fields)
    if case == "too old":
        trainee.date_of_birth = trainee.date_of_birth.replace(year=1960)
        db.session.commit()
    if case == "limit reached":
        place(trainee, make_cohort(centre=centre))
        place(trainee, make_cohort(centre=centre, starts_on=today + timedelta(days=120), applications_open_at=None))
    if case == "clashing dates":
        place(trainee, make_cohort(centre=centre))
    sign_in(trainee.user)
    token = csrf_token("/auth/profile")
    before = row_counts()
    response = client.post(f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": token})
    assert redirected_to(response) == f"/courses/cohorts/{cohort.code}"
    assert row_counts() == before
    page = decoded(client.get(f"/courses/cohorts/{cohort.code}"))
    assert message in flashed(page)


def test_a_draft_or_unknown_cohort_cannot_be_applied_to(client, sign_in, csrf_token, make_cohort, make_applicant):
    draft = make_cohort(status=CohortStatus.DRAFT)
    sign_in(make_applicant().user)
    token = csrf_token("/auth/profile")
    for code in (draft.code, "NO-SUCH-COHORT"):
        assert client.post(f"/enrollments/cohorts/{code}/apply", data={"csrf_token": token}).status_code == 404
    assert enrollments_of(draft) == []


@pytest.mark.parametrize("person", ["staff", "other staff", "overseer", "admin"])
def test_only_trainees_apply(client, sign_in, csrf_token, people, cohort, person, row_counts):
    sign_in(people[person])
    token = csrf_token("/auth/password")
    before = row_counts()
    assert client.post(f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": token}).status_code == 403
    assert row_counts() == before


def test_anonymous_visitors_applying_are_sent_to_sign_in(client, csrf_token, cohort, row_counts):
    token = csrf_token("/auth/login")
    before = row_counts()
    response = client.post(f"/enrollments/cohorts/{cohort.code}/apply", data={"csrf_token": token})
    assert redirected_to(response) == "/auth/login"
    assert row_counts() == before


# My applications ----------------------------------------------------------------------------------------


def test_my_applications_show_status_position_reason_and_withdraw(
    client, sign_in, make_cohort, centre, make_applicant, place, people
):
    today = utcnow().date()
    full = make_cohort(centre=centre, seats=1, starts_on=today + timedelta(days=21))
    reviewed = make_cohort(
        centre=centre, admission=Admission.REVIEWED, starts_on=today + timedelta(days=120), applications_open_at=None
    )
    place(make_applicant(), full)
    trainee = make_applicant()
    waiting = place(trainee, full)
    refused = place(trainee, reviewed)
    services.reject(refused, actor=people["staff"], reason="The course needs a laptop at home.")
    db.session.commit()
    page = decoded(sign_in(trainee.user).get("/auth/profile"))
    assert "Waitlisted" in page and "You are number 1 on the waitlist." in page
    assert "Rejected" in page and "Reason: <bdi>The course needs a laptop at home.</bdi>" in page
    withdraw_links = re.findall(r'href="/enrollments/(\d+)/withdraw"', page)
    assert withdraw_links == [str(waiting.id)]  # nothing to withdraw from a rejected application


# Withdrawing --------------------------------------------------------------------------------------------


@pytest.fixture
def full_cohort(make_cohort, centre, make_applicant, place):
    """One seat, held by the first; the second and third wait in line."""
    cohort = make_cohort(centre=centre, seats=1, code="PB-LHR-01-CAMP-1")
    first, second, third = (make_applicant(full_name=name) for name in ("Ayesha Ali", "Bushra Baig", "Chanda Cheema"))
    return cohort, [place(first, cohort), place(second, cohort), place(third, cohort)]


def test_withdrawing_an_enrolled_place_gives_the_seat_to_the_first_waiting(
    client, sign_in, csrf_token, full_cohort, row_counts
):
    _, (enrolled, second, third) = full_cohort
    sign_in(enrolled.trainee.user)
    path = f"/enrollments/{enrolled.id}/withdraw"
    confirm = decoded(client.get(path))
    assert "Withdraw from" in confirm and "The seat goes at once to the first person on the waitlist." in confirm
    response = client.post(path, data={"csrf_token": csrf_token(path), "reason": "  I found a job.  "})
    assert redirected_to(response) == "/auth/profile"
    assert "You have withdrawn from" in flashed(decoded(client.get("/auth/profile")))
    assert [status_of(e) for e in (enrolled, second, third)] == [S.WITHDRAWN, S.ENROLLED, S.WAITLISTED]
    assert db.session.get(Enrollment, enrolled.id).reason == "I found a job."
    assert len(messages_to(second.trainee, "enrollment.promoted")) >= 1
    assert messages_to(third.trainee, "enrollment.promoted") == []
    assert services.waitlist_position(db.session.get(Enrollment, third.id)) == 1
    assert audit_actions()[-2:] == ["enrollment.withdrawn", "enrollment.promote"]


def test_staff_withdraw_a_place_from_the_roster(client, sign_in, csrf_token, full_cohort, people):
    cohort, (enrolled, second, _) = full_cohort
    sign_in(people["staff"])
    path = f"/enrollments/{second.id}/withdraw"
    assert "Withdraw Bushra Baig?" in decoded(client.get(path))
    response = client.post(path, data={"csrf_token": csrf_token(path)})
    assert redirected_to(response) == f"/enrollments/cohorts/{cohort.code}/roster"
    page = decoded(client.get(response.headers["Location"]))
    assert "Bushra Baig is withdrawn from PB-LHR-01-CAMP-1." in flashed(page)
    assert (status_of(enrolled), status_of(second)) == (S.ENROLLED, S.WITHDRAWN)


def test_withdrawing_twice_is_refused_with_nothing_written(client, sign_in, csrf_token, full_cohort, row_counts):
    _, (_, second, _) = full_cohort
    sign_in(second.trainee.user)
    path = f"/enrollments/{second.id}/withdraw"
    token = csrf_token(path)
    assert client.post(path, data={"csrf_token": token}).status_code == 302
    page = decoded(client.get(path))
    assert "there is nothing to withdraw" in page and '<form method="post" action="/enrollments/' not in page
    before = row_counts()
    again = decoded(client.post(path, data={"csrf_token": token}), 409)
    assert "You cannot withdraw an application that is withdrawn." in again
    assert row_counts() == before


@pytest.mark.parametrize("person", ["another trainee", "other staff", "overseer"])
def test_nobody_else_withdraws_her_place(
    client, sign_in, csrf_token, full_cohort, people, make_applicant, person, row_counts
):
    _, (enrolled, _, _) = full_cohort
    user = make_applicant().user if person == "another trainee" else people[person]
    sign_in(user)
    token = csrf_token("/auth/password")
    path = f"/enrollments/{enrolled.id}/withdraw"
    before = row_counts()
    assert client.get(path).status_code == 403
    assert client.post(path, data={"csrf_token": token}).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("enrollment_id", ["987654", str(2**31), "99999999999999999999"])
def test_unknown_enrollments_are_404(client, sign_in, people, enrollment_id):
    sign_in(people["admin"])
    for action in ("withdraw", "approve", "reject", "drop", "override"):
        assert client.get(f"/enrollments/{enrollment_id}/{action}").status_code == 404


# The roster ---------------------------------------------------------------------------------------------


def test_the_roster_shows_counts_tabs_and_the_waitlist_in_order(client, sign_in, full_cohort, people):
    cohort, (enrolled, second, _) = full_cohort
    sign_in(people["staff"])
    page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster"))
    figures = dict(re.findall(r'<dt class="[^"]*">([^<]+)</dt><dd class="stat-figure mb-0">(\d+)</dd>', page))
    assert figures == {"seats": "1", "enrolled": "1", "on the waitlist": "2", "waiting for review": "0"}
    for tab in ("enrolled", "waitlist", "pending", "others"):
        assert f"/enrollments/cohorts/{cohort.code}/roster?tab={tab}" in page
    assert "Ayesha Ali" in page and "Bushra Baig" not in page
    assert f'href="/enrollments/trainees/{enrolled.trainee_id}"' in page
    cnic = enrolled.trainee.cnic
    assert f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}" in page  # through the |cnic filter, whole for staff
    assert f'href="/enrollments/{enrolled.id}/drop"' in page and f'href="/enrollments/{enrolled.id}/withdraw"' in page
    assert f'href="/enrollments/{enrolled.id}/override"' not in page  # no result to override before the end

    waitlist = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=waitlist"))
    rows = re.findall(WAITLIST_ROW, waitlist)
    assert rows == [("1", "Bushra Baig"), ("2", "Chanda Cheema")]
    assert f'href="/enrollments/{second.id}/reject"' in waitlist

    second_page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=waitlist&per_page=1&page=2"))
    assert re.findall(WAITLIST_ROW, second_page) == [("2", "Chanda Cheema")]


def test_the_roster_lists_ended_places_under_others_with_their_reasons(client, sign_in, full_cohort, people):
    cohort, (_, _, third) = full_cohort
    services.reject(third, actor=people["staff"], reason="Applied twice under two names.")
    db.session.commit()
    sign_in(people["staff"])
    page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=others"))
    assert "Chanda Cheema" in page and "Rejected" in page and "Applied twice under two names." in page
    assert "Ayesha Ali" not in page
    nonsense = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=<script>&page=-3&per_page=abc"))
    assert "Ayesha Ali" in nonsense


def test_the_roster_shows_pending_applications_with_approve(
    client, sign_in, make_cohort, centre, make_applicant, place, people
):
    cohort = make_cohort(centre=centre, admission=Admission.REVIEWED)
    pending = place(make_applicant(full_name="Durdana Dar"), cohort)
    sign_in(people["staff"])
    page = decoded(client.get(f"/enrollments/cohorts/{cohort.code}/roster?tab=pending"))
    assert "Durdana Dar" in page and f'href="/enrollments/{pending.id}/approve"' in page


@pytest.mark.parametrize(
    ("person", "status"), [("staff", 200), ("admin", 200), ("other staff", 403), ("overseer", 403)]
)
def test_the_roster_is_for_the_centres_staff_and_admins(
    client, sign_in, people, cohort, make_applicant, person, status
):
    assert sign_in(people[person]).get(f"/enrollments/cohorts/{cohort.code}/roster").status_code == status
    assert sign_in(make_applicant().user).get(f"/enrollments/cohorts/{cohort.code}/roster").status_code == 403
    assert sign_in(people["staff"]).get("/enrollments/cohorts/NO-SUCH/roster").status_code == 404


# Staff decisions ----------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(make_cohort, centre, make_applicant, place):
    """A reviewed cohort with one seat and two applications waiting for review."""
    cohort = make_cohort(centre=centre, seats=1, admission=Admission.REVIEWED, code="PB-LHR-01-REV-1")
    return cohort, [place(make_applicant(full_name=name), cohort) for name in ("Erum Ejaz", "Farah Fazal")]


def test_approving_gives_the_seat_then_the_waitlist(client, sign_in, csrf_token, reviewed, people):
    cohort, (first, second) = reviewed
    sign_in(people["staff"])
    path = f"/enrollments/{first.id}/approve"
    assert "Approve Erum Ejaz's application?" in decoded(client.get(path))
    response = client.post(path, data={"csrf_token": csrf_token(path)})
    assert response.headers["Location"].endswith(f"/enrollments/cohorts/{cohort.code}/roster?tab=pending")
    assert "Approved: Erum Ejaz has a place." in flashed(decoded(client.get(response.headers["Location"])))
    path = f"/enrollments/{second.id}/approve"
    response = client.post(path, data={"csrf_token": csrf_token(path)}, follow_redirects=True)
    assert "No seat was free: Farah Fazal is number 1 on the waitlist." in flashed(decoded(response))
    assert (status_of(first), status_of(second)) == (S.ENROLLED, S.WAITLISTED)
    assert messages_to(first.trainee, "enrollment.enrolled")


def test_approving_what_is_not_pending_is_refused(client, sign_in, csrf_token, full_cohort, people, row_counts):
    _, (enrolled, _, _) = full_cohort
    sign_in(people["staff"])
    path = f"/enrollments/{enrolled.id}/approve"
    token = csrf_token(path)
    before = row_counts()
    page = decoded(client.post(path, data={"csrf_token": token}), 409)
    assert "You cannot approve an application that is enrolled." in page
    assert row_counts() == before


def test_rejecting_needs_a_reason_the_trainee_is_told(client, sign_in, csrf_token, reviewed, people, row_counts):
    _, (first, _) = reviewed
    sign_in(people["staff"])
    path = f"/enrollments/{first.id}/reject"
    token = csrf_token(path)
    before = row_counts()
    page = decoded(client.post(path, data={"csrf_token": token, "reason": "   "}), 422)
    assert error_next_to(page, "reason") == "Give a reason: the trainee will see it."
    assert row_counts() == before
    too_long = decoded(client.post(path, data={"csrf_token": token, "reason": "x" * 1001}), 422)
    assert "1000" in error_next_to(too_long, "reason")
    assert row_counts() == before
    response = client.post(path, data={"csrf_token": token, "reason": "The course is for residents of Lahore."})
    assert redirected_to(response).endswith("/roster")
    rejected = db.session.get(Enrollment, first.id)
    assert (rejected.status, rejected.reason) == (S.REJECTED, "The course is for residents of Lahore.")
    [message] = [m for m in messages_to(first.trainee, "enrollment.rejected") if m.channel.value == "sms"]
    assert "The course is for residents of Lahore." in message.body


def test_dropping_needs_a_reason_and_frees_the_seat_for_the_waitlist(
    client, sign_in, csrf_token, full_cohort, people, row_counts
):
    _, (enrolled, second, _) = full_cohort
    sign_in(people["staff"])
    path = f"/enrollments/{enrolled.id}/drop"
    token = csrf_token(path)
    before = row_counts()
    page = decoded(client.post(path, data={"csrf_token": token}), 422)
    assert error_next_to(page, "reason") == "Give a reason: the trainee will see it."
    assert row_counts() == before
    response = client.post(path, data={"csrf_token": token, "reason": "Missed the first three weeks."})
    assert "Ayesha Ali is dropped" in flashed(decoded(client.get(response.headers["Location"])))
    assert (status_of(enrolled), status_of(second)) == (S.DROPPED, S.ENROLLED)
    assert messages_to(second.trainee, "enrollment.promoted")


def test_the_manual_complete_is_gone_and_an_open_place_cannot_be_overridden(
    client, sign_in, csrf_token, make_cohort, centre, make_applicant, place, people, row_counts
):
    started = make_cohort(centre=centre, applications_open_at=None, applications_close_at=None)
    due = place(make_applicant(), started)
    started.starts_on = utcnow().date() - timedelta(days=30)
    started.status = CohortStatus.RUNNING
    db.session.commit()
    sign_in(people["staff"])
    roster = decoded(client.get(f"/enrollments/cohorts/{started.code}/roster"))
    assert "/complete" not in roster and f'href="/courses/staff/cohorts/{started.code}/status?to=finished"' in roster
    assert client.get(f"/enrollments/{due.id}/complete").status_code == 404
    path = f"/enrollments/{due.id}/override"
    token = csrf_token(path)
    before = row_counts()
    page = decoded(client.post(path, data={"csrf_token": token, "reason": "Her mark was entered wrongly."}), 409)
    assert "Only the result of a trainee of a finished cohort (completed or not completed) can be overridden" in page
    assert row_counts() == before and status_of(due) is S.ENROLLED


def test_changing_seats_previews_then_promotes_from_the_waitlist(
    client, sign_in, csrf_token, full_cohort, make_applicant, place, people, row_counts
):
    cohort, (_, second, third) = full_cohort
    fourth = place(make_applicant(full_name="Ghazala Gul"), cohort)
    sign_in(people["staff"])
    path = f"/enrollments/cohorts/{cohort.code}/seats"
    token = csrf_token(path)
    before = row_counts()
    preview = decoded(client.post(path, data={"csrf_token": token, "seats": "3", "preview": "1"}))
    assert "With 3 seats, up to 2 trainees would be promoted from the waitlist." in preview
    assert row_counts() == before
    response = client.post(path, data={"csrf_token": token, "seats": "3"})
    assert redirected_to(response) == f"/enrollments/cohorts/{cohort.code}/roster"
    page = decoded(client.get(response.headers["Location"]))
    assert "PB-LHR-01-CAMP-1 has 3 seats. Promoted from the waitlist: Bushra Baig, Chanda Cheema." in flashed(page)
    assert [status_of(e) for e in (second, third, fourth)] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]
    assert db.session.get(Cohort, cohort.id).seats == 3


SEAT_RANGE = "A cohort has from 1 to 1,000 seats."
LAB_LIMIT = "PB-LHR-01 has 30 lab seats: an on-site cohort there can have at most 30."


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        ("0", SEAT_RANGE),
        ("-4", SEAT_RANGE),
        ("5000", SEAT_RANGE),
        ("2147483647", SEAT_RANGE),
        ("31", LAB_LIMIT),
        ("twelve", "Enter a whole number, such as 25."),
        ("", "Enter the number of seats."),
        ("99999999999", "That is more seats than any cohort can have."),
    ],
)
@pytest.mark.parametrize("preview", [False, True])
def test_seat_changes_that_cannot_be_are_shown_next_to_the_field(
    client, sign_in, csrf_token, full_cohort, people, row_counts, seats, message, preview
):
    """The page applies the API's rule (``services.check_seats``): 1 to 1,000 seats, no more than the centre's
    lab seats on-site; the preview says the same instead of counting who would be promoted."""
    cohort, _ = full_cohort
    sign_in(people["staff"])
    path = f"/enrollments/cohorts/{cohort.code}/seats"
    token = csrf_token(path)
    before = row_counts()
    data = {"csrf_token": token, "seats": seats} | ({"preview": "1"} if preview else {})
    page = decoded(client.post(path, data=data), 422)
    assert message in error_next_to(page, "seats")
    assert "would be promoted" not in page
    assert row_counts() == before
    assert db.session.get(Cohort, cohort.id).seats == 1


@pytest.mark.parametrize("status", [CohortStatus.FINISHED, CohortStatus.CANCELLED])
@pytest.mark.parametrize("seats", ["999", "5", "1"])
def test_an_ended_cohort_keeps_its_seats(client, sign_in, csrf_token, full_cohort, people, row_counts, status, seats):
    cohort, _ = full_cohort
    cohort.status = status
    db.session.commit()
    sign_in(people["staff"])
    path = f"/enrollments/cohorts/{cohort.code}/seats"
    token = csrf_token(path)
    before = row_counts()
    for data in ({"seats": seats}, {"seats": seats, "preview": "1"}):
        page = text(client.post(path, data={"csrf_token": token, **data}), 409)
        assert error_next_to(page, "seats") == f"This cohort is {status.label.lower()}: its seats can no longer change."
    assert row_counts() == before
    assert db.session.get(Cohort, cohort.id).seats == 1


def test_the_seats_preview_warns_below_the_enrolled_instead_of_promising_nobody(
    client, sign_in, csrf_token, make_cohort, centre, make_applicant, place, people, row_counts
):
    cohort = make_cohort(centre=centre, seats=3, code="PB-LHR-01-C09")
    for _ in range(3):
        place(make_applicant(), cohort)
    sign_in(people["staff"])
    path = f"/enrollments/cohorts/{cohort.code}/seats"
    assert re.search(r'Lab seats</dt><dd class="col-5">30<', text(client.get(path)))  # the on-site limit, shown
    token = csrf_token(path)
    before = row_counts()
    page = text(client.post(path, data={"csrf_token": token, "seats": "2", "preview": "1"}), 422)
    assert error_next_to(page, "seats") == (
        "3 trainees are enrolled: seats cannot go below that. Withdraw or drop places first."
    )
    assert "would be promoted" not in page
    # A number the rule allows that promotes nobody says so in words, not "up to 0 trainees".
    page = text(client.post(path, data={"csrf_token": token, "seats": "3", "preview": "1"}))
    assert "With 3 seats, nobody would be promoted from the waitlist." in page and "up to 0" not in page
    assert row_counts() == before


def test_cancelling_a_cohort_needs_a_reason_and_ends_every_place(
    client, sign_in, csrf_token, full_cohort, people, row_counts
):
    cohort, places = full_cohort
    sign_in(people["admin"])
    path = f"/enrollments/cohorts/{cohort.code}/cancel"
    page = decoded(client.get(path))
    assert "1 enrolled, 2 on the waitlist and 0 waiting for review" in page
    token = csrf_token(path)
    before = row_counts()
    refused = decoded(client.post(path, data={"csrf_token": token, "reason": ""}), 422)
    assert error_next_to(refused, "reason") == "Give a reason: every trainee with a place will be told it."
    assert row_counts() == before
    response = client.post(path, data={"csrf_token": token, "reason": "The venue flooded."})
    assert response.headers["Location"].endswith(f"/enrollments/cohorts/{cohort.code}/roster?tab=others")
    assert "3 places were cancelled" in flashed(decoded(client.get(response.headers["Location"])))
    assert db.session.get(Cohort, cohort.id).status is CohortStatus.CANCELLED
    assert {status_of(enrollment) for enrollment in places} == {S.CANCELLED}
    assert "This cohort is cancelled already." in decoded(client.get(path))
    before = row_counts()
    assert "This cohort is cancelled already." in decoded(
        client.post(path, data={"csrf_token": token, "reason": "x"}), 409
    )
    assert row_counts() == before


# Who may do what ----------------------------------------------------------------------------------------

ENROLLMENT_ACTIONS = ("approve", "reject", "drop", "override", "withdraw")
COHORT_ACTIONS = ("roster", "seats", "cancel")


def action_paths(cohort: Cohort, enrollment: Enrollment) -> list[str]:
    return [f"/enrollments/{enrollment.id}/{action}" for action in ENROLLMENT_ACTIONS] + [
        f"/enrollments/cohorts/{cohort.code}/{action}" for action in COHORT_ACTIONS
    ]


def test_staff_of_another_centre_get_403_on_the_roster_and_every_action(
    client, sign_in, csrf_token, full_cohort, people, row_counts
):
    cohort, (enrolled, _, _) = full_cohort
    sign_in(people["other staff"])
    token = csrf_token("/auth/password")
    before = row_counts()
    data = {"csrf_token": token, "reason": "Because.", "seats": "5"}
    for path in action_paths(cohort, enrolled):
        assert client.get(path).status_code == 403, path
        if not path.endswith("/roster"):
            assert client.post(path, data=data).status_code == 403, path
    assert row_counts() == before


@pytest.mark.parametrize("person", ["overseer", "provincial overseer"])
def test_overseers_get_403_on_every_post(
    client, sign_in, csrf_token, full_cohort, people, make_user, make_province, person, row_counts
):
    cohort, (enrolled, _, _) = full_cohort
    user = people["overseer"] if person == "overseer" else make_user(Role.OVERSEER, province=make_province())
    sign_in(user)
    token = csrf_token("/auth/password")
    before = row_counts()
    data = {"csrf_token": token, "reason": "Because.", "seats": "5"}
    for path in action_paths(cohort, enrolled):
        if not path.endswith("/roster"):
            assert client.post(path, data=data).status_code == 403, path
    assert client.post(f"/enrollments/cohorts/{cohort.code}/apply", data=data).status_code == 403
    assert row_counts() == before


def test_posts_without_a_csrf_token_are_refused(client, sign_in, full_cohort, people, row_counts):
    cohort, (enrolled, _, _) = full_cohort
    paths = [path for path in action_paths(cohort, enrolled) if not path.endswith("/roster")]
    before = row_counts()
    for user in (people["staff"], people["admin"], enrolled.trainee.user):
        sign_in(user)
        for path in [*paths, f"/enrollments/cohorts/{cohort.code}/apply"]:
            assert client.post(path, data={"reason": "Because.", "seats": "5"}).status_code == 400, path
            assert client.post(path, data={"csrf_token": "forged", "reason": "x"}).status_code == 400, path
    assert row_counts() == before


def test_enrollment_pages_render_without_inline_script_or_style(client, sign_in, full_cohort, people):
    cohort, (enrolled, _, _) = full_cohort
    pages = [(people["staff"], path) for path in action_paths(cohort, enrolled)]
    pages += [(enrolled.trainee.user, "/auth/profile"), (enrolled.trainee.user, f"/courses/cohorts/{cohort.code}")]
    for user, path in pages:
        page = decoded(sign_in(user).get(path))
        assert "<script>" not in page and " style=" not in page and "onclick=" not in page, path
        for form in re.findall(r'<form method="post".*?</form>', page, re.S):
            assert 'name="csrf_token"' in form, path
