"""Trainee records through the API: ``POST /api/v1/trainees`` and ``GET /api/v1/trainees/<id>``."""

from datetime import date

import pytest
import sqlalchemy as sa
from api_helpers import FORBIDDEN, api_error, bearer
from pages import audit_actions

from audit.models import AuditEvent
from enrollments.models import Trainee
from extensions import db
from vocabulary import Area, Education, Gender, Role

UNAUTHORIZED = (
    401,
    "unauthorized",
    "Send a valid token: Authorization: Bearer <token> (get one from POST /api/v1/tokens).",
)


@pytest.fixture
def places(make_province, make_district, make_centre):
    """Punjab (Lahore, and a Hyderabad) and Sindh (a Hyderabad too), with a centre in Lahore and one in
    Sindh."""
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور")
    hyderabad_pb = make_district(punjab, code="HYP", name="Hyderabad")
    hyderabad_sd = make_district(sindh, code="HYD", name="Hyderabad")
    karachi = make_district(sindh, code="KHI", name="Karachi")
    return {
        "punjab": punjab,
        "sindh": sindh,
        "lahore": lahore,
        "hyderabad_pb": hyderabad_pb,
        "hyderabad_sd": hyderabad_sd,
        "karachi": karachi,
        "lahore_centre": make_centre(lahore, code="PB-LHR-01"),
        "karachi_centre": make_centre(karachi, code="SD-KHI-01"),
    }


@pytest.fixture
def staff(make_user, places):
    return make_user(Role.STAFF, centres=(places["lahore_centre"],))


def details(**changes) -> dict:
    """A walk-in as staff type her in; ``changes`` replace values (None removes one)."""
    body = {
        "cnic": "35202-1234567-1",
        "full_name": "  عائشہ   بی بی ",
        "gender": "female",
        "date_of_birth": "2001-04-23",
        "phone": "0300 1234567",
        "email": "Ayesha@Example.PK",
        "district": "Lahore",
        "area": "semi_urban",
        "education": "intermediate",
    } | changes
    return {name: value for name, value in body.items() if value is not None}


def post_trainee(client, user, body):
    return client.post("/api/v1/trainees", json=body, headers=bearer(user) if user else {})


# Creating ------------------------------------------------------------------------------------------


def test_staff_register_a_trainee_typed_as_people_type(client, staff, places):
    response = post_trainee(client, staff, details())
    assert response.status_code == 201
    trainee = db.session.scalar(sa.select(Trainee))
    assert response.get_json() == {
        "id": trainee.id,
        "cnic": "35202-1234567-1",
        "full_name": "عائشہ بی بی",
        "gender": "female",
        "date_of_birth": "2001-04-23",
        "phone": "+923001234567",
        "email": "ayesha@example.pk",
        "district": {"id": places["lahore"].id, "code": "LHR", "name": "Lahore", "province": "PB"},
        "area": "semi_urban",
        "education": "intermediate",
        "disability": False,
        "outcome_consent": True,
    }
    assert trainee.cnic == "3520212345671"
    assert trainee.registered_centre_id == places["lahore_centre"].id
    assert trainee.user_id is None
    assert audit_actions()[-1] == "trainee.create"


@pytest.mark.parametrize(
    "cnic", ["3520212345671", "35202 1234567 1", " 35202–1234567–1 ", "۳۵۲۰۲-۱۲۳۴۵۶۷-۱", "35202.1234567.1"]
)
@pytest.mark.parametrize("phone", ["+92 300 1234567", "92-300-1234567", "03001234567", "0092 300 1234567"])
def test_cnic_and_phone_in_any_common_form(client, staff, places, cnic, phone):
    response = post_trainee(client, staff, details(cnic=cnic, phone=phone))
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["cnic"], response.get_json()["phone"]) == ("35202-1234567-1", "+923001234567")
    assert db.session.scalar(sa.select(Trainee.cnic)) == "3520212345671"


def test_defaults_and_optional_values(client, staff, places):
    body = details(email=None, education=None, district=places["lahore"].id)
    response = post_trainee(client, staff, body | {"disability": True})
    assert response.status_code == 201
    answer = response.get_json()
    assert (answer["email"], answer["education"], answer["disability"]) == (None, "matric", True)
    assert answer["district"]["name"] == "Lahore"


def test_district_by_its_urdu_name(client, staff, places):
    response = post_trainee(client, staff, details(district="لاہور"))
    assert response.status_code == 201
    assert response.get_json()["district"]["id"] == places["lahore"].id


def test_admin_registers_without_a_centre_or_at_any(client, make_user, places):
    admin = make_user(Role.ADMIN)
    response = post_trainee(client, admin, details())
    assert response.status_code == 201
    assert db.session.get(Trainee, response.get_json()["id"]).registered_centre_id is None
    response = post_trainee(client, admin, details(cnic="35202-7654321-3", centre="sd-khi-01"))
    assert response.status_code == 201
    assert db.session.get(Trainee, response.get_json()["id"]).registered_centre_id == places["karachi_centre"].id


def test_a_name_in_two_provinces_is_settled_by_the_centres_province(client, staff, make_user, places):
    response = post_trainee(client, staff, details(district="hyderabad"))
    assert response.status_code == 201
    assert response.get_json()["district"] == {
        "id": places["hyderabad_pb"].id,
        "code": "HYP",
        "name": "Hyderabad",
        "province": "PB",
    }
    sindh_staff = make_user(Role.STAFF, centres=(places["karachi_centre"],))
    response = post_trainee(client, sindh_staff, details(cnic="35202-7654321-3", district="Hyderabad"))
    assert response.get_json()["district"]["province"] == "SD"


def test_a_name_with_its_province_is_not_ambiguous(client, make_user, places):
    response = post_trainee(client, make_user(Role.ADMIN), details(district="Hyderabad, Sindh"))
    assert response.status_code == 201
    assert response.get_json()["district"]["id"] == places["hyderabad_sd"].id


def test_staff_of_several_centres_name_the_registering_centre(client, make_user, places, row_counts):
    staff = make_user(Role.STAFF, centres=(places["lahore_centre"], places["karachi_centre"]))
    headers = bearer(staff)
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(), headers=headers)
    assert api_error(response) == (
        422,
        "refused",
        "You work at several centres (PB-LHR-01, SD-KHI-01): say which one registers the trainee.",
        {"centre": "You work at several centres (PB-LHR-01, SD-KHI-01): say which one registers the trainee."},
    )
    assert row_counts() == before
    response = client.post("/api/v1/trainees", json=details(centre="SD-KHI-01"), headers=headers)
    assert response.status_code == 201
    assert db.session.get(Trainee, response.get_json()["id"]).registered_centre_id == places["karachi_centre"].id


# Refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_a_cnic_on_record_is_409_with_the_existing_id_and_the_lookup_kept(
    client, staff, make_user, make_trainee, places, row_counts, who
):
    """Her id is all the answer shows of another centre's trainee; showing it is a lookup, kept in the audit
    trail like a registration by CNIC (committed, though the request is refused)."""
    existing = make_trainee(
        cnic="3520212345671", full_name="Ayesha Khan", registered_centre_id=places["karachi_centre"].id
    )
    actor = staff if who == "staff" else make_user(Role.ADMIN)
    headers = bearer(actor)
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(cnic="35202 1234567 1"), headers=headers)
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {
            "code": "trainee_exists",
            "message": "A trainee with this CNIC is registered already.",
            "fields": {"cnic": "A trainee with this CNIC is registered already."},
            "trainee_id": existing.id,
        }
    }
    after = row_counts()
    assert {table: after[table] - count for table, count in before.items() if after[table] != count} == {
        "audit_event": 1
    }
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    centre_id = places["lahore_centre"].id if who == "staff" else None
    assert (event.action, event.object_type, event.object_id, event.actor_id, event.centre_id) == (
        "trainee.lookup",
        "trainee",
        existing.id,
        actor.id,
        centre_id,
    )
    # The id leads nowhere for staff of another centre: her record stays theirs to see.
    if who == "staff":
        assert client.get(f"/api/v1/trainees/{existing.id}", headers=headers).status_code == 403


AMBIGUOUS = (
    "There is a district called “Hyderabad” in Punjab and Sindh: write the province too, e.g. “Hyderabad, Punjab”."
)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cnic": "35202-123456-1"}, "cnic", "A CNIC has 13 digits; this one has 12."),
        ({"cnic": "35202-12345X7-1"}, "cnic", "A CNIC has digits only, e.g. 35202-1234567-1."),
        ({"cnic": " "}, "cnic", "Enter the 13-digit CNIC number, e.g. 35202-1234567-1."),
        (
            {"full_name": "Ayesha 2"},
            "full_name",
            "A name has letters only (Urdu or English), with spaces, dots or dashes.",
        ),
        ({"phone": "0300 12345"}, "phone", "This phone number does not exist; check the digits, e.g. 0300 1234567."),
        ({"date_of_birth": "2030-01-01"}, "date_of_birth", "The date of birth is in the future."),
        ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com, or leave it empty."),
        ({"district": "Lahor"}, "district", "There is no district called “Lahor”. Did you mean Lahore?"),
        ({"district": "Hyderabad", "centre": None}, "district", AMBIGUOUS),
        ({"district": 999999}, "district", "There is no district with the id 999999."),
        ({"district": 2**40}, "district", f"There is no district with the id {2**40}."),
        ({"centre": "XX-NOPE-01"}, "centre", "There is no centre with the code XX-NOPE-01."),
    ],
)
def test_wrong_values_are_refused_naming_the_field(client, make_user, places, row_counts, changes, field, message):
    headers = bearer(make_user(Role.ADMIN))
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(**changes), headers=headers)
    assert api_error(response) == (422, "refused", message, {field: message})
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {},
            dict.fromkeys(
                ("cnic", "full_name", "gender", "date_of_birth", "phone", "district", "area"),
                "Missing data for required field.",
            ),
        ),
        (details(gender="woman"), {"gender": "Must be one of: female, male, transgender."}),
        (details(date_of_birth="23/04/2001"), {"date_of_birth": "Not a valid date."}),
        (details(district=True), {"district": "Give the district's id (a number) or its name."}),
        (details(district="  "), {"district": "Enter the district."}),
        (details(area="city"), {"area": "Must be one of: urban, semi_urban, rural."}),
        (details(nickname="Ashi"), {"nickname": "Unknown field."}),
    ],
)
def test_input_that_does_not_match_the_schema(client, staff, row_counts, body, fields):
    headers = bearer(staff)
    before = row_counts()
    response = client.post("/api/v1/trainees", json=body, headers=headers)
    assert api_error(response) == (422, "invalid", "Some values are not valid: see fields.", fields)
    assert row_counts() == before


def test_staff_may_not_register_at_another_centre(client, staff, row_counts):
    headers = bearer(staff)
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(centre="SD-KHI-01"), headers=headers)
    assert api_error(response) == (403, "forbidden", "You can register trainees only at your own centres.", None)
    assert row_counts() == before


def test_staff_of_no_centre_may_not_register(client, make_user, places, row_counts):
    headers = bearer(make_user(Role.STAFF))
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(), headers=headers)
    assert api_error(response) == (
        403,
        "forbidden",
        "You work at no centre: an admin must add you to one before you can register trainees.",
        None,
    )
    assert row_counts() == before


@pytest.mark.parametrize("role", [None, Role.TRAINEE, Role.OVERSEER])
def test_only_staff_and_admins_register(client, make_user, places, row_counts, role):
    headers = bearer(make_user(role)) if role else {}
    before = row_counts()
    response = client.post("/api/v1/trainees", json=details(), headers=headers)
    assert api_error(response) == ((*UNAUTHORIZED, None) if role is None else FORBIDDEN)
    assert row_counts() == before


# Reading -------------------------------------------------------------------------------------------


@pytest.fixture
def walk_in(make_trainee, places):
    """A trainee registered by the Lahore centre's staff, with an account of her own."""

    def make(user=None):
        return make_trainee(
            places["lahore"],
            cnic="3520212345671",
            full_name="Ayesha Bibi",
            phone="+923001234567",
            email="ayesha@example.pk",
            gender=Gender.FEMALE,
            date_of_birth=date(2001, 4, 23),
            area=Area.RURAL,
            education=Education.BACHELOR,
            registered_centre_id=places["lahore_centre"].id,
            user=user,
        )

    return make


def trainee_answer(trainee: Trainee, cnic: str, phone: str) -> dict:
    return {
        "id": trainee.id,
        "cnic": cnic,
        "full_name": "Ayesha Bibi",
        "gender": "female",
        "date_of_birth": "2001-04-23",
        "phone": phone,
        "email": "ayesha@example.pk",
        "district": {"id": trainee.district_id, "code": "LHR", "name": "Lahore", "province": "PB"},
        "area": "rural",
        "education": "bachelor",
        "disability": False,
        "outcome_consent": True,
    }


def test_who_sees_a_trainee_record(client, make_user, walk_in, staff, places):
    account = make_user(Role.TRAINEE)
    trainee = walk_in(user=account)
    path = f"/api/v1/trainees/{trainee.id}"
    full = trainee_answer(trainee, "35202-1234567-1", "+923001234567")
    masked = trainee_answer(trainee, "35202-*******-1", "0*** ****567")
    for user in (account, staff, make_user(Role.ADMIN)):
        response = client.get(path, headers=bearer(user))
        assert (response.status_code, response.get_json()) == (200, full), user.role
    overseers = (make_user(Role.OVERSEER), make_user(Role.OVERSEER, province=places["punjab"]))
    for overseer in overseers:
        response = client.get(path, headers=bearer(overseer))
        assert (response.status_code, response.get_json()) == (200, masked)


def test_who_does_not_see_a_trainee_record(client, make_user, walk_in, places):
    trainee = walk_in()
    path = f"/api/v1/trainees/{trainee.id}"
    assert api_error(client.get(path)) == (*UNAUTHORIZED, None)
    strangers = (
        make_user(Role.TRAINEE),
        make_user(Role.STAFF, centres=(places["karachi_centre"],)),
        make_user(Role.OVERSEER, province=places["sindh"]),
    )
    for user in strangers:
        assert api_error(client.get(path, headers=bearer(user))) == FORBIDDEN, user.role


@pytest.mark.parametrize("trainee_id", [999999, 2**31, 2**63])
def test_unknown_trainee_is_404(client, staff, trainee_id):
    response = client.get(f"/api/v1/trainees/{trainee_id}", headers=bearer(staff))
    assert api_error(response) == (404, "not_found", "There is nothing here.", None)
