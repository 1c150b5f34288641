"""NUL and the other control characters, wherever text comes in (issue 12, item 9): every page form
(``forms.Form``), every API request parsed by a schema (``api.parsing``) and every path segment
(``text_input.PlainTextConverter``). On PostgreSQL a NUL reaching a query was a 500; now a form shows the
reason next to the field (422), the API answers 422 naming the field in ``fields``, a path matches nothing
(404) — and nothing is written. Tab and line breaks are text in multi-line fields (reasons) only."""

import html
import inspect
import io
import json
import re

import pytest
import sqlalchemy as sa
from api_helpers import api_error, bearer
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import TextAreaField

from enrollments.models import Enrollment
from enrollments.services import apply
from extensions import db
from forms import Form
from vocabulary import EnrollmentStatus, Role

MESSAGE = "This holds an invisible control character (such as NUL) that text cannot have: type it again."
URDU_MESSAGE = "اس میں نظر نہ آنے والا کنٹرول حرف (جیسے NUL) ہے جو متن میں نہیں ہو سکتا: اسے دوبارہ ٹائپ کریں۔"
PASSWORD = "a-long-enough-password"
NUL, CONTROLS = "\x00", ["\x00", "\x01", "\x1b", "\x7f", "\x85"]


def error_next_to(page: str, field: str) -> str:
    match = re.search(rf'<div id="{field}-error" class="invalid-feedback d-block">(.*?)</div>', page, re.S)
    assert match, f"no error shown next to {field}"
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', page), f"{field} is not tied to its error"
    return html.unescape(match.group(1))


@pytest.fixture
def world(make_province, make_district, make_centre, make_cohort, make_user, make_trainee):
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01")
    cohort = make_cohort(centre, code="PB-LHR-01-C01")
    trainee = make_trainee(lahore, full_name="Ayesha Khan", user=make_user(Role.TRAINEE, email="ayesha@example.pk"))
    place = apply(trainee, cohort, actor=trainee.user).enrollment
    db.session.commit()
    return {
        "lahore": lahore,
        "centre": centre,
        "cohort": cohort,
        "trainee": trainee,
        "place": place,
        "staff": make_user(Role.STAFF, centres=(centre,), email="staff@example.pk"),
        "admin": make_user(Role.ADMIN),
    }


# Pages ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("field", ["email", "password"])
def test_sign_in_refuses_a_control_character_next_to_the_field(client, csrf_token, world, row_counts, field, control):
    data = {"email": "staff@example.pk", "password": PASSWORD, field: f"staff{control}@example.pk"}
    before = row_counts()
    response = client.post("/auth/login", data={"csrf_token": csrf_token("/auth/login"), **data})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), field) == MESSAGE
    assert row_counts() == before


def test_a_password_reset_request_refuses_a_nul_next_to_the_field(client, csrf_token, world, row_counts):
    before = row_counts()
    data = {"csrf_token": csrf_token("/auth/reset"), "email": f"staff{NUL}@example.pk"}
    response = client.post("/auth/reset", data=data)
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "email") == MESSAGE
    assert row_counts() == before


@pytest.mark.parametrize(
    "field", ["full_name", "cnic", "gender", "date_of_birth", "phone", "district_id", "email", "password", "consent"]
)
def test_sign_up_refuses_a_nul_in_any_field_and_says_only_that(client, csrf_token, world, row_counts, field):
    data = {
        "full_name": "Sana Bibi",
        "cnic": "35202-7654321-4",
        "gender": "female",
        "date_of_birth": "2001-03-15",
        "phone": "0300 7654321",
        "district_id": str(world["lahore"].id),
        "area": "urban",
        "education": "matric",
        "email": "sana@example.pk",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }
    data[field] += NUL
    before = row_counts()
    response = client.post("/auth/signup", data={"csrf_token": csrf_token("/auth/signup"), **data})
    assert response.status_code == 422
    # Not "Not a valid choice" or "Invalid email" beside it: the one reason there is.
    assert error_next_to(response.get_data(as_text=True), field) == MESSAGE
    assert row_counts() == before


@pytest.mark.parametrize("who", ["trainee", "staff"])
def test_a_withdrawal_reason_refuses_a_nul_next_to_the_field(client, sign_in, csrf_token, world, row_counts, who):
    sign_in(world["trainee"].user if who == "trainee" else world["staff"])
    path = f"/enrollments/{world['place'].id}/withdraw"
    before = row_counts()
    response = client.post(path, data={"csrf_token": csrf_token(path), "reason": f"Moving to Karachi{NUL}"})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "reason") == MESSAGE
    assert row_counts() == before
    assert db.session.get(Enrollment, world["place"].id).status is EnrollmentStatus.ENROLLED


def test_a_withdrawal_reason_keeps_its_tabs_and_line_breaks(client, sign_in, csrf_token, world):
    sign_in(world["staff"])
    path = f"/enrollments/{world['place'].id}/withdraw"
    reason = "Moving to Karachi.\r\nHer family:\tall of them."
    response = client.post(path, data={"csrf_token": csrf_token(path), "reason": reason})
    assert response.status_code == 302
    place = db.session.get(Enrollment, world["place"].id)
    assert place.status is EnrollmentStatus.WITHDRAWN and place.reason == reason


def test_a_single_line_field_refuses_a_tab(client, sign_in, csrf_token, world, row_counts):
    sign_in(world["staff"])
    before = row_counts()
    response = client.post("/auth/tokens", data={"csrf_token": csrf_token("/auth/tokens"), "name": "Punjab\tIT"})
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "name") == MESSAGE
    assert row_counts() == before


def every_form() -> list[type[Form]]:
    """Every form of the site: the subclasses of ``forms.Form``, once the app has imported its views."""
    found, todo = [], [Form]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.append(subclass)
            todo.append(subclass)
    return found


def build(form_class: type[Form], formdata: MultiDict, centre) -> Form:
    """``form_class`` filled with ``formdata`` (CSRF aside), given what its constructor needs."""
    constructors = [klass.__init__ for klass in form_class.__mro__ if "__init__" in vars(klass)]
    needs = {name for constructor in constructors for name in inspect.signature(constructor).parameters}
    args = (centre,) if "centre" in needs else ()
    kwargs = {"cohorts": []} if "cohorts" in needs else {}
    return form_class(*args, formdata=formdata, meta={"csrf": False}, **kwargs)


def test_every_form_refuses_control_characters_in_every_field(app, world):
    """The guard sits in the base of every form, so no form and no field can miss it."""
    forms = every_form()
    assert len(forms) >= 20, [form.__name__ for form in forms]
    for form_class in forms:
        with app.test_request_context(method="POST"):
            names = [name for name in build(form_class, MultiDict(), world["centre"])._fields if name != "csrf_token"]
            if not names:  # a confirmation: its one field is the CSRF token, which Flask-WTF checks
                continue
            sent = MultiDict(dict.fromkeys(names, f"value{NUL}"))
            for name in names:  # a file field is sent a file: its name holds the NUL
                if isinstance(build(form_class, MultiDict(), world["centre"])[name], FileField):
                    sent[name] = FileStorage(io.BytesIO(b"CNIC"), filename=f"list{NUL}.csv")
            form = build(form_class, sent, world["centre"])
            assert not form.validate(), form_class.__name__
            for name in names:
                assert form[name].errors == [MESSAGE], (form_class.__name__, name, form[name].errors)
            multi_line = [name for name in names if isinstance(form[name], TextAreaField)]
            if multi_line:
                kept = build(form_class, MultiDict(dict.fromkeys(multi_line, "one\r\ntwo\tthree")), world["centre"])
                kept.validate()
                assert all(MESSAGE not in kept[name].errors for name in multi_line), form_class.__name__


# Paths ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/centres/PB-LHR-01%00",
        "/courses/%00",
        "/courses/cohorts/PB-LHR-01-C01%00",
        "/enrollments/cohorts/%00/roster",
        "/enrollments/centres/%1b/walk-in",
        "/oversight/centres/%00",
        "/api/v1/centres/PB-LHR-01%00",
    ],
)
def test_a_path_with_a_control_character_is_404(client, sign_in, world, path):
    sign_in(world["admin"])
    assert client.get(path).status_code == 404


# API --------------------------------------------------------------------------------------------------------


def invalid(fields: dict) -> tuple:
    return 422, "invalid", "Some values are not valid: see fields.", fields


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("field", ["email", "password", "name"])
def test_api_token_request_refuses_a_control_character_naming_the_field(client, world, row_counts, field, control):
    body = {"email": "staff@example.pk", "password": PASSWORD, "name": "Punjab IT Board"}
    body[field] = body[field][:3] + control + body[field][3:]
    before = row_counts()
    response = client.post("/api/v1/tokens", json=body)
    assert api_error(response) == invalid({field: MESSAGE})
    assert row_counts() == before


def trainee_body(**changes) -> dict:
    return {
        "cnic": "35202-7654321-4",
        "full_name": "Sana Bibi",
        "gender": "female",
        "date_of_birth": "2002-05-14",
        "phone": "0300 7654321",
        "email": "sana@example.pk",
        "district": "Lahore",
        "area": "rural",
        "centre": "PB-LHR-01",
    } | changes


def test_api_trainee_refuses_nul_in_email_and_centre_naming_both(client, world, row_counts):
    headers = bearer(world["staff"])
    before = row_counts()
    body = trainee_body(email=f"sana{NUL}@example.pk", centre=f"PB-LHR-01{NUL}")
    response = client.post("/api/v1/trainees", json=body, headers=headers)
    assert api_error(response) == invalid({"email": MESSAGE, "centre": MESSAGE})
    assert row_counts() == before


@pytest.mark.parametrize("field", ["cnic", "full_name", "phone", "email", "district", "centre", "gender", "area"])
def test_api_trainee_refuses_a_control_character_in_any_string(client, world, row_counts, field):
    headers = bearer(world["staff"])
    before = row_counts()
    response = client.post(
        "/api/v1/trainees", json=trainee_body(**{field: f"x\x1b{trainee_body()[field]}"}), headers=headers
    )
    assert api_error(response) == invalid({field: MESSAGE})
    assert row_counts() == before


def test_api_refuses_half_a_surrogate_pair(client, world, row_counts):
    """JSON can spell a lone surrogate (``"\\ud800"``), which no database can store."""
    headers = bearer(world["staff"]) | {"Content-Type": "application/json"}
    body = json.dumps(trainee_body(email="EMAIL")).replace("EMAIL", "sana\\ud800@example.pk")
    before = row_counts()
    response = client.post("/api/v1/trainees", data=body, headers=headers)
    assert api_error(response) == invalid({"email": MESSAGE})
    assert row_counts() == before


def test_api_withdraw_refuses_a_nul_in_the_reason(client, world, row_counts):
    headers = bearer(world["trainee"].user)
    before = row_counts()
    path = f"/api/v1/enrollments/{world['place'].id}/withdraw"
    response = client.post(path, json={"reason": f"Moving{NUL}"}, headers=headers)
    assert api_error(response) == invalid({"reason": MESSAGE})
    assert row_counts() == before
    assert db.session.get(Enrollment, world["place"].id).status is EnrollmentStatus.ENROLLED


def test_api_reasons_keep_their_tabs_and_line_breaks(client, world):
    reason = "Moving to Karachi.\nHer family:\tall of them."
    path = f"/api/v1/enrollments/{world['place'].id}/withdraw"
    response = client.post(path, json={"reason": reason}, headers=bearer(world["trainee"].user))
    assert response.status_code == 200, response.get_json()
    assert db.session.get(Enrollment, world["place"].id).reason == reason


def test_api_refuses_a_control_character_in_a_query_string(client, world):
    response = client.get("/api/v1/cohorts?centre=PB-LHR-01%00&track=%01")
    assert api_error(response) == invalid({"centre": MESSAGE, "track": MESSAGE})


def test_api_names_a_nested_string(client, world, row_counts):
    headers = bearer(world["staff"])
    before = row_counts()
    path = f"/api/v1/cohorts/{world['cohort'].id}/enrollments"
    response = client.post(path, json={"cnic": {"nested": ["ok", f"no{NUL}"]}}, headers=headers)
    assert api_error(response) == invalid({"cnic.nested.1": MESSAGE})
    assert row_counts() == before


def test_the_message_is_in_the_readers_language(client, csrf_token, world):
    """Urdu for an Urdu reader, on pages and in the API (Accept-Language). Needs the Urdu of this new message
    in the catalogue (it comes with this change, in the translator's file)."""
    headers = {"Accept-Language": "ur"}
    response = client.post("/api/v1/tokens", json={"email": f"a{NUL}", "password": "x"}, headers=headers)
    assert api_error(response)[3] == {"email": URDU_MESSAGE}
    token = csrf_token("/auth/login")
    data = {"csrf_token": token, "email": f"a{NUL}@example.pk", "password": PASSWORD}
    page = client.post("/auth/login", data=data, headers=headers).get_data(as_text=True)
    # On the page the English word in it ("NUL") is isolated, so that it keeps its place in the Urdu sentence.
    shown = error_next_to(page, "email")
    assert '<bdi dir="ltr">NUL</bdi>' in shown and re.sub(r"</?bdi[^>]*>", "", shown) == URDU_MESSAGE


def test_every_operation_that_reads_a_body_or_a_query_documents_422(client):
    """A control character is answered 422, so every operation reading strings says it may answer 422."""
    spec = client.get("/api/v1/openapi.json").get_json()
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
        and (operation.get("requestBody") or any(p["in"] == "query" for p in operation.get("parameters", [])))
        and "422" not in operation["responses"]
    ]
    assert missing == []


def test_the_trainee_refusals_still_say_what_is_wrong_with_a_clean_value(client, world, row_counts):
    """The guard looks at control characters only: other bad values get the schema's or the rules' words."""
    headers = bearer(world["staff"])
    response = client.post("/api/v1/trainees", json=trainee_body(centre="XX-XXX-99"), headers=headers)
    assert api_error(response)[3] == {"centre": "There is no centre with the code XX-XXX-99."}
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 1
