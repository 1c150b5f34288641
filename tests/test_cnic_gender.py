"""A CNIC's last digit and the gender on the record (issue 12, item 16): odd for men, even for women. A
disagreement is never refused (records have errors, and so do cards), but staff see a "CNIC and gender
disagree" flag on her record and on rosters, and at sign-up she confirms both before her account is made.
Transgender: never a disagreement. The rule is written once, ``enrollments.models.cnic_disagrees_with_gender``."""

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa
from api_helpers import bearer

from auth.models import UserAccount
from auth.services import SignUp, sign_up_trainee
from enrollments.models import Trainee, cnic_disagrees_with_gender
from enrollments.services import register
from extensions import db
from refusals import Refusal
from vocabulary import Area, Education, Gender, Role

PASSWORD = "a-long-enough-password"
FLAG = "CNIC and gender disagree"
ASK = (
    "The last digit of a CNIC is odd for men and even for women, and yours does not match the gender you chose. "
    "Check both; if they are right, tick this box."
)


@pytest.mark.parametrize(
    ("cnic", "gender", "disagree"),
    [
        ("3520212345672", Gender.FEMALE, False),
        ("3520212345670", Gender.FEMALE, False),  # 0 is even
        ("3520212345671", Gender.FEMALE, True),
        ("3520212345679", Gender.FEMALE, True),
        ("3520212345671", Gender.MALE, False),
        ("3520212345678", Gender.MALE, True),
        ("3520212345671", Gender.TRANSGENDER, False),
        ("3520212345672", Gender.TRANSGENDER, False),
        ("3520212345671", "female", True),  # the stored value, as forms give it
    ],
)
def test_the_rule(cnic, gender, disagree):
    assert cnic_disagrees_with_gender(cnic, gender) is disagree


def test_the_record_says_it_with_the_same_rule(make_trainee):
    assert make_trainee(cnic="3520212345671", gender=Gender.FEMALE).cnic_gender_disagree is True
    assert make_trainee(cnic="3520212345673", gender=Gender.MALE).cnic_gender_disagree is False
    assert make_trainee(cnic="3520212345675", gender=Gender.TRANSGENDER).cnic_gender_disagree is False


# Sign-up: she confirms ------------------------------------------------------------------------------------


@pytest.fixture
def lahore(make_district, make_province):
    return make_district(make_province(code="PB", name="Punjab"), code="LHR", name="Lahore")


def sign_up(lahore, **changes) -> SignUp:
    values = {
        "email": "ayesha@example.pk",
        "password": PASSWORD,
        "cnic": "35202-1234567-1",  # odd: a man's
        "full_name": "Ayesha Khan",
        "gender": Gender.FEMALE,
        "date_of_birth": date(2001, 3, 9),
        "phone": "0300 1234567",
        "district_id": lahore.id,
        "area": Area.RURAL,
        "education": Education.MATRIC,
    }
    return SignUp(**(values | changes))


@pytest.mark.parametrize(("cnic", "gender"), [("35202-1234567-1", Gender.FEMALE), ("35202-1234567-4", Gender.MALE)])
def test_sign_up_asks_her_to_confirm_a_disagreement_and_writes_nothing(lahore, row_counts, cnic, gender):
    before = row_counts()
    with pytest.raises(Refusal) as asked:
        sign_up_trainee(sign_up(lahore, cnic=cnic, gender=gender))
    db.session.rollback()
    assert (asked.value.message, asked.value.field) == (ASK, "gender_confirmed")
    assert row_counts() == before


def test_confirmed_the_sign_up_is_accepted_as_she_typed_it(lahore):
    user = sign_up_trainee(sign_up(lahore, gender_confirmed=True))
    db.session.commit()
    assert (user.trainee.cnic, user.trainee.gender, user.trainee.cnic_gender_disagree) == (
        "3520212345671",
        Gender.FEMALE,
        True,
    )


@pytest.mark.parametrize(
    ("cnic", "gender"),
    [("35202-1234567-2", Gender.FEMALE), ("35202-1234567-3", Gender.MALE), ("35202-1234567-3", Gender.TRANSGENDER)],
)
def test_sign_up_asks_nothing_when_they_agree(lahore, cnic, gender):
    user = sign_up_trainee(sign_up(lahore, cnic=cnic, gender=gender))
    db.session.commit()
    assert user.trainee.gender is gender


def test_sign_up_linking_her_walk_in_record_asks_nothing(lahore, make_trainee):
    """Her record is the centre's (its gender stays as staff entered it): nothing she types is stored."""
    walk_in = make_trainee(lahore, cnic="3520212345671", date_of_birth=date(2001, 3, 9), gender=Gender.FEMALE)
    user = sign_up_trainee(sign_up(lahore))
    db.session.commit()
    assert user.trainee == walk_in


def form_of(lahore, token: str, **changes) -> dict:
    return {
        "csrf_token": token,
        "full_name": "Ayesha Khan",
        "cnic": "35202 1234567 1",
        "gender": "female",
        "date_of_birth": "2001-03-09",
        "phone": "0300 1234567",
        "district_id": str(lahore.id),
        "area": "rural",
        "education": "matric",
        "email": "ayesha@example.pk",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    } | changes


def checkbox(page: str) -> str | None:
    found = re.search(r'<input[^>]*name="gender_confirmed"[^>]*>', page)
    return found.group(0) if found else None


def test_the_sign_up_page_shows_the_checkbox_with_the_question_then_accepts(client, lahore, csrf_token, row_counts):
    assert checkbox(client.get("/auth/signup").get_data(as_text=True)) is None  # not asked of everyone
    before = row_counts()
    response = client.post("/auth/signup", data=form_of(lahore, csrf_token("/auth/signup")))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    box = checkbox(page)
    assert box is not None and 'type="checkbox"' in box and "checked" not in box
    assert 'aria-describedby="gender_confirmed-error"' in box
    error = re.search(r'<div id="gender_confirmed-error" class="invalid-feedback d-block">(.*?)</div>', page, re.S)
    assert html.unescape(error.group(1)) == ASK
    assert row_counts() == before

    response = client.post("/auth/signup", data=form_of(lahore, csrf_token("/auth/signup"), gender_confirmed="y"))
    assert response.status_code == 302 and response.headers["Location"] == "/auth/confirm"
    trainee = db.session.scalar(sa.select(Trainee))
    assert (trainee.cnic, trainee.gender) == ("3520212345671", Gender.FEMALE)
    assert db.session.scalar(sa.select(sa.func.count(UserAccount.id))) == 1


def test_the_sign_up_page_does_not_ask_when_they_agree(client, lahore, csrf_token):
    response = client.post("/auth/signup", data=form_of(lahore, csrf_token("/auth/signup"), cnic="35202 1234567 2"))
    assert response.status_code == 302


# Staff see the flag ---------------------------------------------------------------------------------------


@pytest.fixture
def camp(make_centre, make_cohort, lahore, make_user):
    """A women-only camp at a Lahore centre, and its staff."""
    centre = make_centre(lahore, code="PB-LHR-01")
    return make_cohort(centre, code="PB-LHR-01-K01", women_only=True), make_user(Role.STAFF, centres=(centre,))


def flags_in(page: str) -> int:
    return page.count(FLAG)


def test_her_record_shows_the_flag_to_staff(client, sign_in, camp, make_trainee, lahore):
    cohort, staff = camp
    odd = make_trainee(lahore, cnic="3520212345671", full_name="Ayesha Khan", gender=Gender.FEMALE)
    even = make_trainee(lahore, cnic="3520212345672", full_name="Sana Bibi", gender=Gender.FEMALE)
    for trainee in (odd, even):
        register(trainee, cohort, actor=staff)  # never refused: the flag is for staff to check
    db.session.commit()
    sign_in(staff)
    page = client.get(f"/enrollments/trainees/{odd.id}").get_data(as_text=True)
    assert flags_in(page) == 1
    assert "A CNIC's last digit is odd for men and even for women: check the card." in html.unescape(page)
    assert flags_in(client.get(f"/enrollments/trainees/{even.id}").get_data(as_text=True)) == 0


def test_the_roster_flags_the_rows_that_disagree(client, sign_in, camp, make_trainee, make_cohort, lahore):
    staff = camp[1]
    cohort = make_cohort(camp[0].centre, code="PB-LHR-01-C01")  # open to all
    names = {
        "Ayesha Khan": ("3520212345671", Gender.FEMALE),  # disagrees
        "Sana Bibi": ("3520212345672", Gender.FEMALE),
        "Zara Ali": ("3520212345673", Gender.TRANSGENDER),
    }
    for name, (cnic, gender) in names.items():
        register(make_trainee(lahore, cnic=cnic, full_name=name, gender=gender), cohort, actor=staff)
    db.session.commit()
    sign_in(staff)
    page = client.get(f"/enrollments/cohorts/{cohort.code}/roster").get_data(as_text=True)
    rows = {name: re.search(rf"<tr>(?:(?!</tr>).)*{name}(?:(?!</tr>).)*</tr>", page, re.S).group(0) for name in names}
    assert [name for name, row in rows.items() if FLAG in row] == ["Ayesha Khan"]


def test_the_api_registers_a_disagreeing_record_without_a_word(client, camp, lahore, row_counts):
    """Staff type what the card says; the record is made, and flagged on the pages."""
    _cohort, staff = camp
    body = {
        "cnic": "35202-7654321-3",
        "full_name": "Sana Bibi",
        "gender": "female",
        "date_of_birth": "2002-05-14",
        "phone": "0300 7654321",
        "district": "Lahore",
        "area": "rural",
    }
    response = client.post("/api/v1/trainees", json=body, headers=bearer(staff))
    assert response.status_code == 201
    assert db.session.get(Trainee, response.get_json()["id"]).cnic_gender_disagree is True
