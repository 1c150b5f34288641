"""Signing up with a mobile number alone (issue 14, items 1 and 2): the code sent by SMS through the outbox,
its limits (10 minutes, 5 tries, one live code, throttled per number and address), one account per number,
sign-in and password reset by number, ``POST /api/v1/tokens`` by phone, ``next`` carried through sign-up,
the code step and a password reset — the services without HTTP, then the pages and the API through the
client. Every refusal shows its reason and writes nothing (but the try it cost)."""

import threading
from datetime import date, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from harness import password_hash
from pages import audit_actions, code_sent_to, csrf_token_of, error_next_to, flashed, is_signed_in
from werkzeug.security import check_password_hash

from auth.codes import MAX_ATTEMPTS, WrongCode, issue_code, spend_attempt
from auth.models import CodePurpose, PhoneCode, UserAccount
from auth.services import SignUp, authenticate, confirm_account, sign_up_trainee
from database import utcnow
from extensions import db
from notifications.models import OutboxMessage
from refusals import Conflict
from vocabulary import Area, Channel, Education, Gender, Role

PASSWORD = "a-long-enough-password"
HER_NUMBER = "+923001234567"


@pytest.fixture
def district(make_district, make_province):
    return make_district(make_province(code="PB", name="Punjab"), code="LHR", name="Lahore")


def details(district, **changes) -> SignUp:
    values = {
        "email": None,
        "password": PASSWORD,
        "cnic": "35202-1234567-2",
        "full_name": "Sakina Bibi",
        "gender": Gender.FEMALE,
        "date_of_birth": date(2001, 3, 9),
        "phone": "0300 1234567",
        "district_id": district.id,
        "area": Area.RURAL,
        "education": Education.MATRIC,
    }
    return SignUp(**(values | changes))


def location(response) -> str:
    """Where ``response`` redirects to, query string included."""
    assert response.status_code in (302, 303), response.status_code
    return response.headers["Location"]


def code_messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind.like("code.%")).order_by(OutboxMessage.id))
    )


def signed_up(district, **changes) -> tuple[UserAccount, str]:
    """A phone-only account waiting for its code, and the code sent to it."""
    user = sign_up_trainee(details(district, **changes))
    issue_code(user, CodePurpose.CONFIRM)
    db.session.commit()
    return user, code_sent_to(user.phone)


def tried(user: UserAccount, typed: str) -> None:
    """Type ``typed`` at the code step as the page does: the try is committed, then the code compared."""
    code = spend_attempt(user, CodePurpose.CONFIRM)
    db.session.commit()
    confirm_account(user, code, typed)
    db.session.commit()


# Services ------------------------------------------------------------------------------------------------


def test_a_phone_only_sign_up_waits_for_its_code_which_is_stored_only_as_a_keyed_digest(district):
    user, code = signed_up(district)
    assert (user.email, user.phone, user.confirmed, user.role) == (None, HER_NUMBER, False, Role.TRAINEE)
    assert user.trainee.phone == HER_NUMBER and user.trainee.email is None
    [stored] = db.session.scalars(sa.select(PhoneCode))
    assert code not in stored.digest and len(stored.digest) == 64
    assert stored.expires_at - stored.created_at == timedelta(minutes=10)
    [sms] = code_messages()
    assert (sms.channel, sms.recipient, sms.kind, sms.trainee_id) == (
        Channel.SMS,
        HER_NUMBER,
        "code.confirm",
        user.trainee.id,
    )
    assert code in sms.body and "10 minutes" in sms.body
    # Her password is right, but she cannot sign in before typing the code (the pages send her to it).
    assert authenticate("0300-1234567", PASSWORD) is user and not user.confirmed


def test_the_right_code_confirms_the_account_once(district):
    user, code = signed_up(district)
    tried(user, f" {code[:3]} {code[3:]} ")  # as typed on a phone, with spaces
    assert user.confirmed
    assert audit_actions() == ["account.sign_up", "trainee.create", "account.confirm"]
    with pytest.raises(WrongCode, match="ask for a new code"):
        spend_attempt(user, CodePurpose.CONFIRM)  # used: no live code is left


def test_a_code_typed_in_urdu_digits_is_read(district):
    user, code = signed_up(district)
    tried(user, code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    assert user.confirmed


def test_five_wrong_codes_and_the_right_one_no_longer_works(district):
    user, code = signed_up(district)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        with pytest.raises(WrongCode, match=f"You can try {left} more time"):
            tried(user, wrong)
        db.session.rollback()
    with pytest.raises(WrongCode, match="typed wrong 5 times"):
        tried(user, wrong)
    db.session.rollback()
    with pytest.raises(WrongCode, match="typed wrong 5 times"):
        tried(user, code)
    db.session.rollback()
    assert not db.session.get(UserAccount, user.id).confirmed
    assert db.session.scalar(sa.select(PhoneCode.attempts)) == MAX_ATTEMPTS


def test_an_expired_code_is_refused(district):
    user, code = signed_up(district)
    db.session.execute(sa.update(PhoneCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(WrongCode, match=r"This code has expired: ask for a new code\."):
        tried(user, code)


def test_a_new_code_ends_the_one_before(district):
    user, first = signed_up(district)
    issue_code(user, CodePurpose.CONFIRM)
    db.session.commit()
    second = code_sent_to(HER_NUMBER)
    if first != second:  # one chance in a million that they are equal
        with pytest.raises(WrongCode):
            tried(user, first)
        db.session.rollback()
    tried(user, second)
    assert user.confirmed


def test_a_code_for_one_purpose_does_not_pass_for_another(district):
    user, code = signed_up(district)
    issue_code(user, CodePurpose.RESET)  # a reset code, whatever its digits, is not the sign-up's
    db.session.commit()
    reset = db.session.scalar(sa.select(PhoneCode).where(PhoneCode.purpose == CodePurpose.RESET))
    assert reset.digest != db.session.scalar(
        sa.select(PhoneCode.digest).where(PhoneCode.purpose == CodePurpose.CONFIRM)
    )
    tried(user, code)
    assert user.confirmed


def test_her_code_comes_in_her_language(app, district):
    with app.test_request_context(headers={"Accept-Language": "ur"}):
        user = sign_up_trainee(details(district))
        issue_code(user, CodePurpose.CONFIRM)
        db.session.commit()
    [sms] = code_messages()
    assert user.trainee.language == "ur"
    assert "Type it on the sign-up page" not in sms.body
    assert any("\u0600" <= char <= "\u06ff" for char in sms.body)


@pytest.mark.parametrize("typed", ["+92 300 1234567", "92-300-1234567", "0300 1234567", "۰۳۰۰ ۱۲۳۴۵۶۷"])
def test_one_account_per_number_however_it_is_typed(district, row_counts, typed):
    signed_up(district)
    before = row_counts()
    with pytest.raises(Conflict, match="An account with this mobile number already exists") as refused:
        sign_up_trainee(details(district, cnic="35202-7654321-2", phone=typed))
    db.session.rollback()
    assert refused.value.field == "phone"
    assert row_counts() == before


def test_a_number_taken_after_the_check_is_refused_with_the_same_message(district, row_counts):
    """Two sign-ups with one number at the same moment: both pass the check, the database's unique
    constraint stops the second, and she reads the same sentence as when the number was taken before."""
    rival = UserAccount(phone=HER_NUMBER, password_hash="!", role=Role.TRAINEE, full_name="Rival")
    db.session.add(rival)
    with db.session.no_autoflush, pytest.raises(Conflict, match="An account with this mobile number") as refused:
        sign_up_trainee(details(district))  # the rival is written only as her account is
    db.session.rollback()
    assert refused.value.field == "phone"
    assert db.session.scalar(sa.select(sa.func.count(UserAccount.id))) == 0


def test_an_email_taken_after_the_check_is_refused_next_to_the_email(district):
    rival = UserAccount(email="sakina@example.pk", password_hash="!", role=Role.TRAINEE, full_name="Rival")
    db.session.add(rival)
    with db.session.no_autoflush, pytest.raises(Conflict, match="An account with this email") as refused:
        sign_up_trainee(details(district, email="sakina@example.pk"))
    db.session.rollback()
    assert refused.value.field == "email"


# Pages: sign-up, the code step and `next` ------------------------------------------------------------------


def sign_up_form(district, token: str, **changes) -> dict:
    values = {
        "csrf_token": token,
        "full_name": "Sakina Bibi",
        "cnic": "35202 1234567 2",
        "gender": "female",
        "date_of_birth": "2001-03-09",
        "phone": "0300 1234567",
        "district_id": str(district.id),
        "area": "rural",
        "education": "matric",
        "email": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }
    return values | changes


def post_sign_up(client, district, path="/auth/signup", **changes):
    return client.post(path, data=sign_up_form(district, csrf_token_of(client, path), **changes))


def type_code(client, code: str, path: str = "/auth/confirm"):
    return client.post(path, data={"csrf_token": csrf_token_of(client, path), "code": code})


def test_sign_up_by_phone_carries_next_through_the_code_step_to_the_cohort(client, district, make_cohort):
    cohort = make_cohort()
    course_page = f"/courses/cohorts/{cohort.code}"
    signup = f"/auth/signup?next={quote(course_page)}"
    # The cohort page's "Create an account" link carries where she was.
    assert f'href="{signup}"' in client.get(course_page).get_data(as_text=True).replace("&amp;", "&")

    response = post_sign_up(client, district, path=signup)
    assert response.status_code == 302
    confirm = location(response)
    assert confirm == f"/auth/confirm?next={course_page}"
    page = client.get(confirm).get_data(as_text=True)
    assert "We have sent a 6-digit code by SMS to" in page and "0300 1234567" in page
    assert not is_signed_in(client)

    done = type_code(client, code_sent_to(HER_NUMBER), confirm)
    assert done.status_code == 302 and location(done) == course_page
    page = client.get(course_page).get_data(as_text=True)
    assert "Your account is ready" in flashed(page)
    assert is_signed_in(client)


@pytest.mark.parametrize("unsafe", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_a_next_that_leaves_the_site_is_dropped(client, district, unsafe):
    response = post_sign_up(client, district, path=f"/auth/signup?next={quote(unsafe)}")
    assert location(response) == "/auth/confirm"
    done = type_code(client, code_sent_to(HER_NUMBER), f"/auth/confirm?next={quote(unsafe)}")
    assert location(done) == "/auth/profile"


def test_a_wrong_code_is_said_next_to_the_field_and_counts(client, district, row_counts):
    post_sign_up(client, district)
    code = code_sent_to(HER_NUMBER)
    before = row_counts()
    refused = type_code(client, f"{(int(code) + 1) % 1_000_000:06d}")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert error_next_to(page, "code") == "This is not the code we sent. You can try 4 more times."
    assert row_counts() == before
    assert db.session.scalar(sa.select(PhoneCode.attempts)) == 1  # the try is kept
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Type the 6-digit code from the SMS."), ("12345", "The code has 6 digits"), ("abcdef", "The code has 6")],
)
def test_a_code_of_the_wrong_shape_costs_no_try(client, district, row_counts, typed, message):
    post_sign_up(client, district)
    before = row_counts()
    refused = type_code(client, typed)
    assert refused.status_code == 422 and message in error_next_to(refused.get_data(as_text=True), "code")
    assert row_counts() == before and db.session.scalar(sa.select(PhoneCode.attempts)) == 0


def test_a_sign_up_with_a_number_that_has_an_account_is_refused_next_to_the_number(client, district, row_counts):
    signed_up(district)
    before = row_counts()
    refused = post_sign_up(client, district, cnic="35202-7654321-2", phone="+92 300 1234567")
    assert refused.status_code == 422
    assert error_next_to(refused.get_data(as_text=True), "phone") == (
        "An account with this mobile number already exists. Sign in, or reset your password."
    )
    assert row_counts() == before


def test_two_sign_ups_with_one_number_at_the_same_moment_give_one_account_and_no_error(app, district):
    clients = [app.test_client() for _ in range(2)]
    forms = [
        sign_up_form(district, csrf_token_of(client, "/auth/signup"), cnic=cnic, email=email)
        for client, cnic, email in zip(
            clients, ("35202-1111111-2", "35202-2222222-2"), ("a@example.pk", "b@example.pk"), strict=True
        )
    ]
    db.session.commit()
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    errors: list[BaseException] = []

    def sign_up(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                answers[index] = clients[index].post("/auth/signup", data=forms[index])
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    assert errors == []
    assert sorted(answer.status_code for answer in answers) == [302, 422]
    [refused] = [answer for answer in answers if answer.status_code == 422]
    assert "An account with this mobile number already exists." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(UserAccount.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(PhoneCode.id))) == 1


def test_the_code_step_without_a_sign_up_sends_her_to_sign_in(client):
    response = client.get("/auth/confirm?next=/courses/")
    assert location(response) == "/auth/login?next=/courses/"


def test_a_new_code_replaces_the_old_and_codes_are_throttled_per_number(client, district, row_counts):
    post_sign_up(client, district)
    first = code_sent_to(HER_NUMBER)
    for _ in range(2):  # the sign-up's code and two more: three in ten minutes
        response = client.post("/auth/confirm/new-code", data={"csrf_token": csrf_token_of(client, "/auth/confirm")})
        assert location(response) == "/auth/confirm"
    assert len(code_messages()) == 3
    assert "We have sent you a new code by SMS." in flashed(client.get("/auth/confirm").get_data(as_text=True))
    before = row_counts()
    throttled = client.post("/auth/confirm/new-code", data={"csrf_token": csrf_token_of(client, "/auth/confirm")})
    assert throttled.status_code == 429
    assert row_counts() == before
    latest = code_sent_to(HER_NUMBER)
    if first != latest:
        assert type_code(client, first).status_code == 422
    assert location(type_code(client, latest)) == "/auth/profile"


def test_the_pages_that_send_codes_count_together_per_number(client, district, row_counts):
    """Sign-up, a new code and a reset by SMS share one count per number: a stranger cannot flood her phone by
    going from one page to the other."""
    post_sign_up(client, district)
    for _ in range(2):
        client.post("/auth/confirm/new-code", data={"csrf_token": csrf_token_of(client, "/auth/confirm")})
    before = row_counts()
    assert ask_reset(client, "+92 300 1234567").status_code == 429
    assert row_counts() == before and len(code_messages()) == 3


def test_the_code_reaches_the_log_at_once_number_masked(client, district, caplog):
    with caplog.at_level("WARNING", logger="markaz.sms"):
        post_sign_up(client, district)
    code = code_sent_to(HER_NUMBER)
    [line] = [record.getMessage() for record in caplog.records if record.name == "markaz.sms"]
    assert code in line and "0*** ****567" in line and HER_NUMBER not in line
    [sms] = code_messages()
    assert sms.sent_at is not None  # sent at once, not left for `flask outbox send`


# Pages: signing in by number ---------------------------------------------------------------------------------


def sign_in(client, name: str, password: str = PASSWORD, path: str = "/auth/login"):
    return client.post(path, data={"csrf_token": csrf_token_of(client, path), "email": name, "password": password})


@pytest.fixture
def sakina(district) -> UserAccount:
    """A confirmed phone-only trainee account."""
    user, code = signed_up(district)
    tried(user, code)
    return user


@pytest.mark.parametrize("typed", ["0300 1234567", "+92 300 1234567", "92-300-1234567", "۰۳۰۰۱۲۳۴۵۶۷"])
def test_she_signs_in_with_her_number_however_typed(client, sakina, typed):
    response = sign_in(client, typed, path="/auth/login?next=/courses/")
    assert location(response) == "/courses/"
    assert is_signed_in(client)


def test_a_wrong_password_for_a_number_reads_like_any_other(client, sakina):
    for name in ("0300 1234567", "0301 9999999", "not a number"):
        refused = sign_in(client, name, "wrong-password-here")
        assert refused.status_code == 401
        assert "The email, mobile number or password is not correct." in refused.get_data(as_text=True)


def test_failed_sign_ins_by_number_count_as_one_account_however_typed(client, sakina):
    for typed in ("0300 1234567", "+92 300 1234567", "92-300-1234567", "03001234567", "0300-1234567"):
        assert sign_in(client, typed, "wrong-password-here").status_code == 401
    assert sign_in(client, "+923001234567").status_code == 429  # the right password too, for now


def test_signing_in_before_the_code_leads_to_the_code_step_carrying_next(client, district):
    _user, code = signed_up(district)
    response = sign_in(client, "0300 1234567", path="/auth/login?next=/courses/")
    assert location(response) == "/auth/confirm?next=/courses/"
    assert not is_signed_in(client)
    assert "Your account is waiting for the code we sent by SMS" in flashed(
        client.get("/auth/confirm").get_data(as_text=True)
    )
    assert location(type_code(client, code, "/auth/confirm?next=/courses/")) == "/courses/"
    assert is_signed_in(client)


def test_the_profile_of_a_phone_only_account_shows_no_empty_email(client, sakina):
    sign_in(client, "0300 1234567")
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "0300 1234567" in page and ">Email<" not in page


# Pages: password reset by SMS code ---------------------------------------------------------------------------


def ask_reset(client, name: str, path: str = "/auth/reset"):
    return client.post(path, data={"csrf_token": csrf_token_of(client, path), "email": name})


def reset_form(client, code: str, password: str = "a-brand-new-password", path: str = "/auth/reset/code") -> dict:
    return {"csrf_token": csrf_token_of(client, path), "code": code, "new_password": password, "confirm": password}


def test_reset_by_sms_code_for_an_account_without_email(app, client, sakina):
    asked = ask_reset(client, "0300-1234567", path="/auth/reset?next=/courses/")
    assert location(asked) == "/auth/reset/code?next=/courses/"
    page = client.get("/auth/reset/code").get_data(as_text=True)
    assert "If an account has this mobile number, we have sent it a code by SMS" in flashed(page)
    [_confirm, reset] = code_messages()
    assert reset.kind == "code.reset" and reset.recipient == HER_NUMBER
    assert app.extensions.get("mail_outbox", []) == []

    path = "/auth/reset/code?next=/courses/"
    done = client.post(path, data=reset_form(client, code_sent_to(HER_NUMBER), path=path))
    assert location(done) == "/auth/login?next=/courses/"
    db.session.refresh(sakina)
    assert check_password_hash(sakina.password_hash, "a-brand-new-password")
    assert audit_actions()[-1] == "account.password_set"
    assert location(sign_in(client, "0300 1234567", "a-brand-new-password")) == "/auth/profile"


def test_a_wrong_reset_code_changes_no_password(client, sakina, row_counts):
    ask_reset(client, "0300 1234567")
    code = code_sent_to(HER_NUMBER)
    before, old_hash = row_counts(), sakina.password_hash
    refused = client.post("/auth/reset/code", data=reset_form(client, f"{(int(code) + 1) % 1_000_000:06d}"))
    assert refused.status_code == 422
    assert error_next_to(refused.get_data(as_text=True), "code") == (
        "This is not the code we sent. You can try 4 more times."
    )
    assert row_counts() == before
    db.session.refresh(sakina)
    assert sakina.password_hash == old_hash


def test_a_weak_new_password_is_refused_next_to_it(client, sakina, row_counts):
    ask_reset(client, "0300 1234567")
    before = row_counts()
    refused = client.post("/auth/reset/code", data=reset_form(client, code_sent_to(HER_NUMBER), "short"))
    assert refused.status_code == 422
    assert error_next_to(refused.get_data(as_text=True), "new_password") == "Use at least 10 characters."
    assert row_counts() == before


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, district, row_counts):
    before = row_counts()
    asked = ask_reset(client, "0301 7654321")
    assert location(asked) == "/auth/reset/code"
    assert "If an account has this mobile number" in flashed(client.get("/auth/reset/code").get_data(as_text=True))
    assert row_counts() == before
    refused = client.post("/auth/reset/code", data=reset_form(client, "123456"))
    assert refused.status_code == 422
    assert error_next_to(refused.get_data(as_text=True), "code") == (
        "This code is not right, or no longer works: ask for a new code."
    )


def test_a_number_whose_account_has_an_email_gets_the_link_by_email(app, client, make_user, make_trainee):
    user = make_user(email="zara@example.pk", phone="+923011234567", password_hash=password_hash(PASSWORD))
    make_trainee(user=user, phone="+923011234567")
    ask_reset(client, "0301 1234567", path="/auth/reset?next=/courses/")
    [mail] = app.extensions["mail_outbox"]
    assert mail["To"] == "zara@example.pk" and "?next=/courses/" in mail.get_content()
    assert code_messages() == []


def test_a_reset_request_with_a_number_that_cannot_be_one_is_refused(client, row_counts):
    before = row_counts()
    refused = ask_reset(client, "12345")
    assert refused.status_code == 422
    assert "This phone number does not exist" in error_next_to(refused.get_data(as_text=True), "email")
    assert row_counts() == before


def test_a_reset_by_sms_also_confirms_a_sign_up_that_waited(client, district):
    user, _code = signed_up(district)
    ask_reset(client, "0300 1234567")
    client.post("/auth/reset/code", data=reset_form(client, code_sent_to(HER_NUMBER)))
    db.session.refresh(user)
    assert user.confirmed


# The API -------------------------------------------------------------------------------------------------------


def test_a_token_by_phone(client, sakina):
    response = client.post("/api/v1/tokens", json={"phone": "0300 1234567", "password": PASSWORD})
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.get_json()['token']}"})
    assert me.get_json()["phone"] == HER_NUMBER and me.get_json()["email"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"phone": "0300 1234567", "email": "a@example.pk"}, {"phone": "Give email or phone, not both."}),
        ({}, {"email": "Give the account's email or its mobile number (phone)."}),
    ],
)
def test_a_token_request_names_one_account(client, sakina, row_counts, body, fields):
    before = row_counts()
    response = client.post("/api/v1/tokens", json=body | {"password": PASSWORD})
    assert response.status_code == 422 and response.get_json()["error"]["fields"] == fields
    assert row_counts() == before


def test_no_token_before_the_code(client, district, row_counts):
    signed_up(district)
    before = row_counts()
    response = client.post("/api/v1/tokens", json={"phone": "0300 1234567", "password": PASSWORD})
    assert response.status_code == 401
    assert "waiting for the code" in response.get_json()["error"]["message"]
    assert row_counts() == before


def test_the_openapi_description_offers_phone(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["TokenRequest"]["properties"]
    assert "phone" in schema and "email" in schema


# Who is who: the audit log and the admin pages --------------------------------------------------------------------


def test_the_audit_log_names_a_phone_only_account_by_its_number_masked(client, sign_in, make_user, sakina):
    sign_in(make_user(Role.ADMIN))
    page = client.get("/oversight/audit/").get_data(as_text=True)
    assert "0*** ****567" in page  # who did it: her, by her number
    assert "None" not in page.split("<main", 1)[1]


def test_an_admin_saves_a_phone_only_account_without_inventing_an_email(client, sign_in, make_user, sakina):
    sign_in(make_user(Role.ADMIN))
    path = f"/auth/admin/users/{sakina.id}/edit"
    form = {"csrf_token": csrf_token_of(client, path), "email": "", "full_name": "Sakina Bibi", "role": "trainee"}
    form["active"] = "y"
    response = client.post(path, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(sakina)
    assert sakina.email is None and sakina.full_name == "Sakina Bibi"
