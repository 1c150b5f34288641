"""The API speaks the client's language (``Accept-Language``), its own messages as well as the services'
refusals it passes on: the generic 401/403/404/405/422/429 bodies, what its operations refuse themselves
(``abort`` and refusals), and what the schemas say of each field, marshmallow's own words included. Codes stay
English: programs read them. Without ``Accept-Language: ur`` every message is the English it always was.

One test per kind of message. Each asserts the catalogue's Urdu for the English message the API answers
otherwise, and that this Urdu is Urdu (they need the Urdu of issue 13's new messages in the catalogue)."""

import re

import pytest
from flask_babel import force_locale, gettext

from api.errors import library_message
from extensions import limiter
from tests.api_helpers import api_error, bearer
from vocabulary import CohortStatus, Role

URDU = {"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"}
URDU_LETTERS = re.compile(r"[\u0600-\u06FF]")


def urdu(message: str, **values) -> str:
    """The catalogue's Urdu for ``message`` (with ``values`` filled in); fails when there is none."""
    with force_locale("ur"):
        translated = gettext(message, **values)
    assert URDU_LETTERS.search(translated), f"the catalogue has no Urdu for {message!r}"
    return translated


@pytest.fixture
def world(make_province, make_district, make_centre, make_course, make_cohort, make_user):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    make_district(sindh, code="KHS", name="Karachi South")
    centre = make_centre(lahore, code="PB-LHR-01")
    course = make_course(code="WEB-101")
    cohort = make_cohort(centre=centre, course=course, code="PB-LHR-01-C01")
    staff = make_user(Role.STAFF, centres=[centre])
    return {
        "cohort": cohort,
        "staff": staff,
        "admin": make_user(Role.ADMIN),
        "trainee": make_user(Role.TRAINEE),
        "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
    }


def test_without_accept_language_the_api_answers_in_english(client, world):
    assert api_error(client.get("/api/v1/no-such-thing")) == (404, "not_found", "There is nothing here.", None)
    french = {"Accept-Language": "fr"}
    assert api_error(client.get("/api/v1/no-such-thing", headers=french))[2] == "There is nothing here."


@pytest.mark.parametrize(
    ("method", "path", "caller", "status", "code", "english"),
    [
        (
            "GET",
            "/api/v1/me",
            None,
            401,
            "unauthorized",
            "Send a valid token: Authorization: Bearer <token> (get one from POST /api/v1/tokens).",
        ),
        ("GET", "/api/v1/no-such-thing", None, 404, "not_found", "There is nothing here."),
        ("DELETE", "/api/v1/centres", None, 405, "method_not_allowed", "This method is not allowed here."),
    ],
    ids=["401", "404", "405"],
)
def test_the_generic_error_bodies_are_in_urdu(client, world, method, path, caller, status, code, english):
    headers = URDU | (bearer(world[caller]) if caller else {})
    assert api_error(client.open(path, method=method, headers=headers, json={})) == (status, code, urdu(english), None)


def test_a_refusal_says_why_in_urdu(client, world, row_counts):
    """A 403 names who the operation is for and the reader's role, both in her language."""
    headers = URDU | bearer(world["trainee"])
    before = row_counts()
    answer = api_error(client.post("/api/v1/cohorts", headers=headers, json={}))
    who, role = urdu("centre staff and admins"), urdu("Trainee")
    assert answer == (
        403,
        "forbidden",
        urdu("This is for %(who)s; your account's role is %(role)s.", who=who, role=role),
        None,
    )
    assert row_counts() == before


def test_the_throttle_is_in_urdu(client, world, row_counts):
    limiter.reset()
    before = row_counts()
    for attempt in range(5):
        client.post("/api/v1/tokens", json={"email": world["staff"].email, "password": f"wrong {attempt}"})
    answer = api_error(
        client.post("/api/v1/tokens", json={"email": world["staff"].email, "password": "x"}, headers=URDU)
    )
    assert answer == (429, "too_many_requests", urdu("Too many attempts. Wait a few minutes, then try again."), None)
    assert row_counts() == before


def test_what_an_operation_refuses_itself_is_in_urdu(client, world, row_counts):
    """``abort`` with the operation's own words (a token that is not valid, a province outside hers) and its own
    refusals (a wrong password, a trainee named twice)."""
    overseer, staff = URDU | bearer(world["punjab_overseer"]), URDU | bearer(world["staff"])
    before = row_counts()
    bad_token = URDU | {"Authorization": "Bearer mkz_not-a-token"}
    assert api_error(client.get("/api/v1/me", headers=bad_token)) == (
        401,
        "unauthorized",
        urdu("This token is not valid (wrong, revoked or expired): get a new one from POST /api/v1/tokens."),
        None,
    )
    assert api_error(
        client.post("/api/v1/tokens", json={"email": "nobody@markaz.test", "password": "x"}, headers=URDU)
    ) == (
        401,
        "unauthorized",
        urdu("Wrong email, mobile number or password."),
        None,
    )
    assert api_error(client.get("/api/v1/reports/capacity?province=SD", headers=overseer)) == (
        403,
        "forbidden",
        urdu("Your reports cover %(name)s (%(code)s) only.", name="پنجاب", code="PB"),
        None,
    )
    path = f"/api/v1/cohorts/{world['cohort'].id}/enrollments"
    message = urdu("Give trainee_id or cnic, not both.")
    assert api_error(client.post(path, json={"trainee_id": 1, "cnic": "35202-1234567-1"}, headers=staff)) == (
        422,
        "refused",
        message,
        {"cnic": message},
    )
    assert row_counts() == before


def test_the_services_refusals_it_passes_on_are_in_urdu(client, world, row_counts):
    admin = URDU | bearer(world["admin"])
    before = row_counts()
    response = client.patch(f"/api/v1/cohorts/{world['cohort'].id}", json={"status": "finished"}, headers=admin)
    status, code, message, fields = api_error(response)
    with force_locale("ur"):
        now, to = CohortStatus.OPEN.label.lower(), CohortStatus.FINISHED.label.lower()
    expected = urdu("A cohort that is %(now)s cannot become %(to)s.", now=now, to=to)
    assert (status, code, message, fields) == (409, "not_possible", expected, None)
    assert row_counts() == before


def test_what_the_schemas_say_of_each_field_is_in_urdu(client, world, row_counts):
    """marshmallow's own messages (required, one of, a range, a date, unknown), and the schemas' own (a code)."""
    admin = URDU | bearer(world["admin"])
    before = row_counts()
    body = {"course": "NO-SUCH", "kind": "bootcamp", "starts_on": "01/02/2030", "seats": 1001, "colour": "green"}
    status, code, message, fields = api_error(client.post("/api/v1/cohorts", json=body, headers=admin))
    assert (status, code, message) == (422, "invalid", urdu("Some values are not valid: see fields."))
    required = urdu("Missing data for required field.")
    assert fields == {
        "course": urdu("No course has the code %(code)s.", code="NO-SUCH"),
        "kind": urdu("Must be one of: %(choices)s.", choices="regular, camp"),
        "starts_on": urdu("Not a valid date."),
        "seats": urdu("Must be greater than or equal to %(min)s and less than or equal to %(max)s.", min=1, max=1000),
        "colour": urdu("Unknown field."),
    } | dict.fromkeys(("centre", "ends_on", "shift", "mode"), required)
    statuses = ", ".join(status.value for status in CohortStatus)
    assert api_error(client.get("/api/v1/cohorts?status=paused&page=two", headers=URDU))[3] == {
        "status": urdu("Must be one of: %(choices)s.", choices=statuses),
        "page": urdu("Not a valid integer."),
    }
    assert row_counts() == before


def test_marshmallows_messages_keep_their_values_and_ours_pass_unchanged(app):
    with app.app_context(), app.test_request_context("/api/v1/cohorts", headers=URDU):
        assert library_message("Longer than maximum length 40.") == urdu("Longer than maximum length %(max)s.", max=40)
        assert library_message("Must be greater than or equal to 1.") == urdu(
            "Must be greater than or equal to %(min)s.", min=1
        )
        assert library_message("Something a library never said.") == "Something a library never said."
    with app.app_context(), app.test_request_context("/api/v1/cohorts"):
        assert library_message("Longer than maximum length 40.") == "Longer than maximum length 40."
