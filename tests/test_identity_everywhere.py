"""CNICs and phone numbers typed in any script's digits, through every field that takes one (issue 12, item 2):
sign-up, the walk-in desk, an imported list, the API (``POST /trainees``, registering by CNIC) and a trainee's
corrected record. Full-width (``３５２０２－…``), Devanagari (``३५२०२-…``) and mathematical digits are the
same CNIC as ASCII ones: they find her record, and never make a second one (nor a second account). Only 13
ASCII digits are ever stored. A phone number with an extension is refused, not cut short."""

import csv
import html
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from api_helpers import api_error, bearer

from audit.models import AuditEvent
from auth.models import UserAccount
from auth.services import SignUp, sign_up_trainee
from enrollments.imports.checks import check_rows
from enrollments.imports.reading import read_sheet
from enrollments.models import Enrollment, Trainee
from enrollments.trainees import TraineeDetails, TraineeExists, update_trainee
from extensions import db
from refusals import Refusal
from vocabulary import Area, Education, Gender, Role

PASSWORD = "a-long-enough-password"
HER_CNIC = "3520212345672"
# Her CNIC as other keyboards type it.
FULL_WIDTH = "３５２０２－１２３４５６７－２"
DEVANAGARI = "३५२०२-१२३४५६७-२"
MATHEMATICAL = "𝟑𝟓𝟐𝟎𝟐 𝟏𝟐𝟑𝟒𝟓𝟔𝟕 𝟐"
OTHER_SCRIPTS = [FULL_WIDTH, DEVANAGARI, MATHEMATICAL]
EXTENSION = "Mobile numbers have no extension: enter the number without “ext …”."


@pytest.fixture
def world(make_province, make_district, make_centre, make_cohort, make_user):
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01")
    return {
        "lahore": lahore,
        "centre": centre,
        "cohort": make_cohort(centre),
        "staff": make_user(Role.STAFF, centres=(centre,)),
    }


@pytest.fixture
def ayesha(make_trainee, world):
    """On record (registered at a walk-in desk: no account)."""
    return make_trainee(world["lahore"], cnic=HER_CNIC, full_name="Ayesha Khan", user=None)


def assert_only_a_lookup_of(trainee, before: dict[str, int], after: dict[str, int], *, by) -> None:
    """Nothing was written but the ``trainee.lookup`` event that showing her record to ``by`` keeps."""
    assert {table: after[table] - before[table] for table in after if after[table] != before[table]} == {
        "audit_event": 1
    }
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.object_id, event.actor_id) == ("trainee.lookup", trainee.id, by.id)


def trainees() -> list[Trainee]:
    return list(db.session.scalars(sa.select(Trainee).order_by(Trainee.id)))


def error_next_to(page: str, field: str) -> str:
    match = re.search(rf'<div id="{field}-error" class="invalid-feedback d-block">(.*?)</div>', page, re.S)
    assert match, f"no error shown next to {field}"
    return html.unescape(match.group(1))


# Sign-up ---------------------------------------------------------------------------------------------------


def sign_up_form(world, token: str, **changes) -> dict:
    return {
        "csrf_token": token,
        "full_name": "Ayesha Khan",
        "cnic": "35202 1234567 2",
        "gender": "female",
        "date_of_birth": "2000-01-15",
        "phone": "0300 1234567",
        "district_id": str(world["lahore"].id),
        "area": "urban",
        "education": "matric",
        "email": "ayesha@example.pk",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    } | changes


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_sign_up_stores_a_cnic_and_phone_of_other_digits_as_ascii(client, world, csrf_token, typed):
    phone = "٠٣٠٠ ١٢٣٤٥٦٧" if typed == FULL_WIDTH else "０３００－１２３４５６７"
    data = sign_up_form(world, csrf_token("/auth/signup"), cnic=typed, phone=phone)
    response = client.post("/auth/signup", data=data)
    assert response.status_code == 302, error_next_to(response.get_data(as_text=True), "cnic")
    [trainee] = trainees()
    assert (trainee.cnic, trainee.phone) == (HER_CNIC, "+923001234567")


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_sign_up_with_her_cnic_in_other_digits_is_no_second_account(world, row_counts, typed):
    sign_up_trainee(
        SignUp(
            email="ayesha@example.pk",
            password=PASSWORD,
            cnic=HER_CNIC,
            full_name="Ayesha Khan",
            gender=Gender.FEMALE,
            date_of_birth=date(2000, 1, 15),
            phone="0300 1234567",
            district_id=world["lahore"].id,
            area=Area.URBAN,
            education=Education.MATRIC,
        )
    )
    db.session.commit()
    before = row_counts()
    second = SignUp(
        email="someone.else@example.pk",
        password=PASSWORD,
        cnic=typed,
        full_name="Ayesha Khan",
        gender=Gender.FEMALE,
        date_of_birth=date(2000, 1, 15),
        phone="0300 7654321",
        district_id=world["lahore"].id,
        area=Area.URBAN,
        education=Education.MATRIC,
    )
    with pytest.raises(Refusal) as refused:
        sign_up_trainee(second)
    db.session.rollback()
    assert (refused.value.message, refused.value.field) == (
        "An account already exists for this CNIC. Sign in, or reset your password.",
        "cnic",
    )
    assert row_counts() == before
    assert db.session.scalar(sa.select(sa.func.count(UserAccount.id)).where(UserAccount.role == Role.TRAINEE)) == 1


def test_sign_up_page_refuses_a_phone_extension_next_to_the_field(client, world, csrf_token, row_counts):
    before = row_counts()
    data = sign_up_form(world, csrf_token("/auth/signup"), phone="0300 1234567 ext 12")
    response = client.post("/auth/signup", data=data)
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "phone") == EXTENSION
    assert row_counts() == before


# Walk-in desk ----------------------------------------------------------------------------------------------


WALK_IN = "/enrollments/centres/PB-LHR-01/walk-in"


@pytest.fixture
def desk(client, sign_in, csrf_token, world):
    sign_in(world["staff"])
    token = csrf_token(WALK_IN)

    def post(data: dict):
        return client.post(WALK_IN, data={"csrf_token": token, **data})

    return post


def new_walk_in(world, **changes) -> dict:
    return {
        "step": "create",
        "cnic": "35202 7654321 4",
        "full_name": "Sana Bibi",
        "gender": "female",
        "date_of_birth": "2002-05-14",
        "phone": "0300 7654321",
        "district_id": str(world["lahore"].id),
        "area": "rural",
        "education": "intermediate",
        "cohort_id": str(world["cohort"].id),
    } | changes


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_walk_in_lookup_in_other_digits_finds_her_record(desk, ayesha, typed):
    response = desk({"step": "lookup", "cnic": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 class="h2">Ayesha Khan</h1>' in page and f'name="cnic" type="hidden" value="{HER_CNIC}"' in page


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_walk_in_record_in_other_digits_is_her_record_not_a_second(desk, ayesha, world, row_counts, typed):
    before = row_counts()
    response = desk(new_walk_in(world, cnic=typed))
    assert response.status_code == 409
    assert "A trainee with this CNIC is on record already: here is the record." in response.get_data(as_text=True)
    assert_only_a_lookup_of(ayesha, before, row_counts(), by=world["staff"])


def test_walk_in_stores_digits_of_any_script_as_ascii(desk, world):
    response = desk(new_walk_in(world, cnic="३५२०२ ७६५४३२१ ४", phone="＋９２ ３００ ７６５４３２１"))
    assert response.status_code == 302
    [trainee] = trainees()
    assert (trainee.cnic, trainee.phone) == ("3520276543214", "+923007654321")


def test_walk_in_refuses_a_phone_extension_next_to_the_field(desk, world, row_counts):
    before = row_counts()
    response = desk(new_walk_in(world, phone="0300 7654321 x 5"))
    assert response.status_code == 422
    assert error_next_to(response.get_data(as_text=True), "phone") == EXTENSION
    assert row_counts() == before


# Imported lists --------------------------------------------------------------------------------------------


def csv_bytes(*rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["CNIC", "Name", "Gender", "DOB", "Phone", "District", "Area", "Education", "Email"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_an_imported_row_with_her_cnic_in_full_width_digits_is_her_record(world, ayesha):
    rows = [
        [FULL_WIDTH, "Ayesha Khan", "F", "15/01/2000", "０３００ １２３４５６７", "Lahore", "", "Matric", ""],
        ["३५२०२-७६५४३२१-४", "Sana Bibi", "F", "14/05/2002", "0300 7654321", "Lahore", "", "Matric", ""],
        ["3520111111112", "Hina Shah", "F", "01/12/1998", "0321 2223334 ext 9", "Lahore", "", "Matric", ""],
    ]
    preview = check_rows(read_sheet(csv_bytes(*rows), "list.csv"), world["centre"], None)
    assert [(problem.row, problem.column, problem.message) for problem in preview.problems] == [(4, "Phone", EXTENSION)]
    first, second = preview.rows[:2]
    assert first.existing == ayesha and first.details.phone == "+923001234567"
    assert (second.existing, second.details.cnic) == (None, "3520276543214")
    assert preview.counts() == {"rows": 3, "new": 1, "existing": 1, "problems": 1}


# API -------------------------------------------------------------------------------------------------------


def api_details(**changes) -> dict:
    return {
        "cnic": "35202 7654321 4",
        "full_name": "Sana Bibi",
        "gender": "female",
        "date_of_birth": "2002-05-14",
        "phone": "0300 7654321",
        "district": "Lahore",
        "area": "rural",
    } | changes


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_api_answers_409_with_her_id_for_her_cnic_in_other_digits(client, world, ayesha, row_counts, typed):
    headers = bearer(world["staff"])
    before = row_counts()
    response = client.post("/api/v1/trainees", json=api_details(cnic=typed), headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["trainee_id"] == ayesha.id
    assert_only_a_lookup_of(ayesha, before, row_counts(), by=world["staff"])


def test_api_stores_digits_of_any_script_as_ascii(client, world):
    body = api_details(cnic="𝟑𝟓𝟐𝟎𝟐-𝟕𝟔𝟓𝟒𝟑𝟐𝟏-𝟒", phone="०३०० ७६५४३२१")
    response = client.post("/api/v1/trainees", json=body, headers=bearer(world["staff"]))
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["cnic"], response.get_json()["phone"]) == ("35202-7654321-4", "+923007654321")
    [trainee] = trainees()
    assert (trainee.cnic, trainee.phone) == ("3520276543214", "+923007654321")


def test_api_refuses_a_phone_extension_naming_the_field(client, world, row_counts):
    headers = bearer(world["staff"])
    before = row_counts()
    response = client.post("/api/v1/trainees", json=api_details(phone="+92 300 7654321;ext=12"), headers=headers)
    assert api_error(response) == (422, "refused", EXTENSION, {"phone": EXTENSION})
    assert row_counts() == before


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_api_registers_her_by_her_cnic_in_other_digits(client, world, ayesha, typed):
    path = f"/api/v1/cohorts/{world['cohort'].id}/enrollments"
    response = client.post(path, json={"cnic": typed}, headers=bearer(world["staff"]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["trainee_id"] == ayesha.id
    assert [enrollment.trainee_id for enrollment in db.session.scalars(sa.select(Enrollment))] == [ayesha.id]
    assert len(trainees()) == 1


# Corrections of a record -----------------------------------------------------------------------------------


def corrected(trainee: Trainee, **changes) -> TraineeDetails:
    values = {
        "cnic": trainee.cnic,
        "full_name": trainee.full_name,
        "gender": trainee.gender,
        "date_of_birth": trainee.date_of_birth,
        "phone": trainee.phone,
        "district_id": trainee.district_id,
        "area": trainee.area,
        "education": trainee.education,
    }
    return TraineeDetails(**(values | changes))


def test_a_correction_stores_digits_of_any_script_as_ascii(world, make_trainee, make_enrollment):
    sana = make_trainee(world["lahore"], cnic="3520276543210", full_name="Sana Bibi")
    make_enrollment(sana, world["cohort"])
    details = corrected(sana, cnic="３５２０２ ７６５４３２１ ４", phone="۰۳۰۰ ۷۶۵۴۳۲۱")
    update_trainee(sana, details, actor=world["staff"])
    db.session.commit()
    db.session.refresh(sana)
    assert (sana.cnic, sana.phone) == ("3520276543214", "+923007654321")


@pytest.mark.parametrize("typed", OTHER_SCRIPTS)
def test_a_correction_to_her_cnic_in_other_digits_clashes_with_her_record(
    world, ayesha, make_trainee, make_enrollment, row_counts, typed
):
    sana = make_trainee(world["lahore"], cnic="3520276543210", full_name="Sana Bibi")
    make_enrollment(sana, world["cohort"])
    before = row_counts()
    with pytest.raises(TraineeExists) as refused:
        update_trainee(sana, corrected(sana, cnic=typed), actor=world["staff"])
    db.session.rollback()
    assert (refused.value.code, refused.value.field) == ("trainee_exists", "cnic")
    assert row_counts() == before
    assert db.session.get(Trainee, sana.id).cnic == "3520276543210"


def test_a_correction_with_a_phone_extension_is_refused(world, make_trainee, make_enrollment, row_counts):
    sana = make_trainee(world["lahore"], cnic="3520276543210", full_name="Sana Bibi")
    make_enrollment(sana, world["cohort"])
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        update_trainee(sana, corrected(sana, phone="0300 7654321 ext. 3"), actor=world["staff"])
    db.session.rollback()
    assert (refused.value.message, refused.value.field) == (EXTENSION, "phone")
    assert row_counts() == before
