"""Accounts: trainee sign-up, sign-in, passwords, reset links and the users CLI — services without HTTP,
then the pages through the client. Every refusal shows its reason and writes nothing."""

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from harness import password_hash
from werkzeug.security import check_password_hash

from audit.models import AuditEvent
from auth.models import UserAccount
from auth.services import (
    AccountDetails,
    SignUp,
    authenticate,
    change_password,
    password_reset_token,
    sign_up_trainee,
    update_account,
    user_for_reset_token,
)
from enrollments.models import Trainee
from extensions import db
from refusals import Refusal
from vocabulary import Area, Education, Gender, Role

PASSWORD = "a-long-enough-password"


@pytest.fixture
def district(make_district, make_province):
    return make_district(make_province(code="PB", name="Punjab"), code="LHR", name="Lahore")


def sign_up_details(district, **changes) -> SignUp:
    values = {
        "email": "Ayesha.Khan@Example.com",
        "password": PASSWORD,
        "cnic": "35202-1234567-2",
        "full_name": "عائشہ خان",
        "gender": Gender.FEMALE,
        "date_of_birth": date(2001, 3, 9),
        "phone": "0300 1234567",
        "district_id": district.id,
        "area": Area.RURAL,
        "education": Education.MATRIC,
    }
    return SignUp(**(values | changes))


# Services --------------------------------------------------------------------------------------------


def test_sign_up_creates_account_and_trainee_record_normalised(district):
    user = sign_up_trainee(sign_up_details(district))
    db.session.commit()
    assert user.role is Role.TRAINEE and user.email == "ayesha.khan@example.com"
    assert check_password_hash(user.password_hash, PASSWORD) and user.password_hash.startswith("scrypt:")
    trainee = user.trainee
    assert (trainee.cnic, trainee.phone, trainee.full_name) == ("3520212345672", "+923001234567", "عائشہ خان")
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert actions == {"account.sign_up", "trainee.create"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password": "short"}, "password", "at least 10 characters"),
        ({"password": "ayesha.khan@example.com"}, "password", "must not be your email"),
        ({"district_id": 999999}, "district_id", "Choose your district"),
    ],
)
def test_sign_up_refusals_write_nothing(district, row_counts, changes, field, message):
    before = row_counts()
    with pytest.raises(Refusal, match=message) as refused:
        sign_up_trainee(sign_up_details(district, **changes))
    db.session.rollback()
    assert refused.value.field == field
    assert row_counts() == before


def test_sign_up_refuses_a_cnic_with_an_account(district, row_counts):
    sign_up_trainee(sign_up_details(district))
    db.session.commit()
    before = row_counts()
    with pytest.raises(Refusal, match="An account already exists for this CNIC") as refused:
        sign_up_trainee(sign_up_details(district, email="other@example.com", phone="0301 7654321"))
    db.session.rollback()
    assert refused.value.field == "cnic"
    assert row_counts() == before


def test_sign_up_refuses_a_used_email(district, row_counts):
    sign_up_trainee(sign_up_details(district))
    db.session.commit()
    before = row_counts()
    with pytest.raises(Refusal, match="An account with this email already exists"):
        sign_up_trainee(
            sign_up_details(district, cnic="35202-7654321-2", email="AYESHA.KHAN@example.com", phone="0301 7654321")
        )
    db.session.rollback()
    assert row_counts() == before


def test_sign_up_links_a_walk_in_record_when_the_date_of_birth_matches(district, make_trainee, row_counts):
    walk_in = make_trainee(district, cnic="3520212345672", date_of_birth=date(2001, 3, 9), full_name="Ayesha Khan")
    user = sign_up_trainee(sign_up_details(district))
    db.session.commit()
    assert user.trainee.id == walk_in.id
    assert walk_in.full_name == "Ayesha Khan"  # the centre's record is kept as it was
    assert db.session.scalar(sa.select(sa.func.count(Trainee.id))) == 1


def test_sign_up_does_not_hand_over_a_record_with_another_birth_date(district, make_trainee, row_counts):
    make_trainee(district, cnic="3520212345672", date_of_birth=date(1999, 1, 1))
    before = row_counts()
    with pytest.raises(Refusal, match="another date of birth"):
        sign_up_trainee(sign_up_details(district))
    db.session.rollback()
    assert row_counts() == before


def test_authenticate(make_user):
    user = make_user(Role.STAFF, email="staff@markaz.test", password_hash=password_hash(PASSWORD))
    assert authenticate(" Staff@Markaz.test ", PASSWORD) is user
    assert authenticate("staff@markaz.test", "wrong password") is None
    assert authenticate("nobody@markaz.test", PASSWORD) is None
    user.active = False
    assert authenticate("staff@markaz.test", PASSWORD) is None


def test_change_password(make_user):
    user = make_user(password_hash=password_hash(PASSWORD))
    with pytest.raises(Refusal, match="current password is not correct"):
        change_password(user, "not it", "another-long-password")
    with pytest.raises(Refusal, match="at least 10"):
        change_password(user, PASSWORD, "short")
    change_password(user, PASSWORD, "another-long-password")
    assert check_password_hash(user.password_hash, "another-long-password")


def test_reset_tokens_work_once_and_expire(app, make_user):
    user = make_user(password_hash=password_hash(PASSWORD))
    token = password_reset_token(user)
    assert user_for_reset_token(token) is user
    # Damage a character of the signature that carries all its six bits: the last one of a base64 string may
    # carry unused bits only, and a token that already ended "xx" was not damaged at all by the old "xx".
    damaged = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(Refusal, match="not valid"):
        user_for_reset_token(damaged)
    user.password_hash = password_hash("a-brand-new-password")
    with pytest.raises(Refusal, match="already been used"):
        user_for_reset_token(token)
    fresh = password_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    with pytest.raises(Refusal, match="expired"):
        user_for_reset_token(fresh)


# Pages -----------------------------------------------------------------------------------------------


def sign_up_form(district, token: str, **changes) -> dict:
    values = {
        "csrf_token": token,
        "full_name": "Ayesha Khan",
        "cnic": "35202 1234567 2",
        "gender": "female",
        "date_of_birth": "2001-03-09",
        "phone": "+92 300 1234567",
        "district_id": str(district.id),
        "area": "rural",
        "education": "matric",
        "email": "ayesha@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }
    return values | changes


def test_sign_up_page_creates_account_and_signs_in_once_the_code_is_typed(client, district, csrf_token, sms_code):
    response = client.post("/auth/signup", data=sign_up_form(district, csrf_token("/auth/signup")))
    assert response.status_code == 302 and response.headers["Location"] == "/auth/confirm"
    assert client.get("/auth/profile").status_code == 302  # not signed in yet
    confirmed = client.post(
        "/auth/confirm", data={"csrf_token": csrf_token("/auth/confirm"), "code": sms_code("+923001234567")}
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/auth/profile"
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert "Ayesha Khan" in profile and "35202-1234567-2" in profile and "0300 1234567" in profile
    assert "You have not applied to any course yet." in profile


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cnic": "35202-123456"}, "A CNIC has 13 digits; this one has 11."),
        ({"phone": "12345"}, "This phone number does not exist"),
        ({"full_name": ""}, "Enter your full name."),
        ({"full_name": "R2D2"}, "letters only"),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com, or leave it empty."),
        ({"confirm": "something-else-entirely"}, "The two passwords differ."),
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters."),
        ({"gender": ""}, "Choose your gender."),
        ({"gender": "robot"}, "Not a valid choice"),
        ({"date_of_birth": "31/02/2001"}, "Not a valid date value"),
        ({"date_of_birth": (date.today() + timedelta(days=3)).isoformat()}, "The date of birth is in the future."),
        ({"district_id": "999999"}, "Choose your district from the list."),
        ({"district_id": "abc"}, "Choose your district from the list."),
        ({"consent": ""}, "You need to agree before you can apply."),
    ],
)
def test_sign_up_page_refuses_with_the_reason_next_to_the_field(
    client, district, csrf_token, row_counts, changes, message
):
    before = row_counts()
    response = client.post("/auth/signup", data=sign_up_form(district, csrf_token("/auth/signup"), **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.replace("&#39;", "'")
    assert 'aria-invalid="true"' in page
    assert row_counts() == before


def test_sign_up_page_for_a_cnic_that_has_an_account(client, district, csrf_token, row_counts):
    sign_up_trainee(sign_up_details(district, cnic="3520212345672"))
    db.session.commit()
    before = row_counts()
    response = client.post(
        "/auth/signup",
        data=sign_up_form(district, csrf_token("/auth/signup"), email="new@example.com", phone="0301 7654321"),
    )
    assert response.status_code == 422
    assert "An account already exists for this CNIC." in response.get_data(as_text=True)
    assert row_counts() == before


def test_sign_in_lands_each_role_on_its_home(client, csrf_token, make_user, make_centre, make_trainee):
    centre, second = make_centre(code="PB-LHR-01"), make_centre(code="PB-LHR-02")
    trainee_user = make_user(Role.TRAINEE)
    make_trainee(user=trainee_user)
    homes = [
        (trainee_user, "/auth/profile"),
        (make_user(Role.STAFF, centres=(centre,)), "/centres/PB-LHR-01/dashboard"),
        (make_user(Role.STAFF, centres=(centre, second)), "/centres/mine"),
        (make_user(Role.OVERSEER), "/oversight/"),
    ]
    for user, home in homes:
        user.password_hash = password_hash(PASSWORD)
        db.session.commit()
        token = csrf_token("/auth/login")
        response = client.post("/auth/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
        assert response.status_code == 302 and response.headers["Location"] == home, user.role
        assert client.get(home).status_code == 200
        signed_out = client.post("/auth/logout", data={"csrf_token": csrf_token("/")})
        assert signed_out.status_code == 302


def test_wrong_password_keeps_you_on_the_sign_in_page(client, csrf_token, make_user):
    user = make_user(password_hash=password_hash(PASSWORD))
    response = client.post(
        "/auth/login", data={"csrf_token": csrf_token("/auth/login"), "email": user.email, "password": "nope"}
    )
    assert response.status_code == 401
    assert "The email, mobile number or password is not correct." in response.get_data(as_text=True)


def test_change_password_page(client, sign_in, csrf_token, make_user, row_counts):
    user = make_user(Role.OVERSEER, password_hash=password_hash(PASSWORD))
    sign_in(user)
    before = row_counts()
    refused = client.post(
        "/auth/password",
        data={
            "csrf_token": csrf_token("/auth/password"),
            "current_password": "wrong",
            "new_password": "another-long-password",
            "confirm": "another-long-password",
        },
    )
    assert refused.status_code == 422 and "The current password is not correct." in refused.get_data(as_text=True)
    assert row_counts() == before
    done = client.post(
        "/auth/password",
        data={
            "csrf_token": csrf_token("/auth/password"),
            "current_password": PASSWORD,
            "new_password": "another-long-password",
            "confirm": "another-long-password",
        },
    )
    assert done.status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "another-long-password")


def test_password_reset_by_email_link(app, client, csrf_token, make_user):
    user = make_user(email="staff@markaz.test", password_hash=password_hash(PASSWORD))
    for email in ("staff@markaz.test", "nobody@markaz.test"):
        response = client.post("/auth/reset", data={"csrf_token": csrf_token("/auth/reset"), "email": email})
        assert response.status_code == 302
        # The same answer whether or not the account exists.
        assert "If an account exists for that email" in client.get("/auth/login").get_data(as_text=True)
    outbox = app.extensions["mail_outbox"]
    assert [message["To"] for message in outbox] == ["staff@markaz.test"]
    link = re.search(r"http://markaz.test(/auth/reset/\S+)", outbox[0].get_content()).group(1)  # BASE_URL

    form = {"csrf_token": csrf_token(link), "new_password": "a-fresh-password!", "confirm": "a-fresh-password!"}
    assert client.post(link, data=form).status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "a-fresh-password!")
    used = client.get(link)
    assert used.status_code == 302 and used.headers["Location"] == "/auth/reset"
    assert "already been used" in client.get("/auth/reset").get_data(as_text=True)


def test_profile_lists_applications(
    client, sign_in, make_user, make_trainee, make_cohort, make_course, make_enrollment
):
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user)
    make_enrollment(trainee, make_cohort(course=make_course(title="Content Writing and Copywriting")))
    sign_in(user)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Content Writing and Copywriting" in page and "Enrolled" in page


# CLI -------------------------------------------------------------------------------------------------


def test_cli_creates_accounts_and_sets_passwords(app, make_centre, make_province):
    make_centre(code="PB-LHR-01")
    make_province(code="PB", name="Punjab")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Zara@Markaz.test",
            "--role",
            "staff",
            "--centre",
            "pb-lhr-01",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created staff zara@markaz.test (PB-LHR-01)." in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "p@markaz.test",
            "--role",
            "overseer",
            "--province",
            "Punjab",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0 and "(Punjab)" in result.output
    result = runner.invoke(args=["users", "set-password", "zara@markaz.test"], input="new-long-password\n" * 2)
    assert result.exit_code == 0, result.output
    staff = db.session.scalar(sa.select(UserAccount).where(UserAccount.email == "zara@markaz.test"))
    assert check_password_hash(staff.password_hash, "new-long-password")
    assert [m.centre.code for m in staff.memberships] == ["PB-LHR-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "staff", "--password", PASSWORD], "Staff must work at one centre at least"),
        (["--role", "staff", "--centre", "XX-XXX-99", "--password", PASSWORD], "No centre has the code"),
        (["--role", "overseer", "--province", "Atlantis", "--password", PASSWORD], "No province is called"),
        (["--role", "admin", "--password", "short"], "Use at least 10 characters."),
    ],
)
def test_cli_refusals_write_nothing(app, row_counts, args, message):
    before = row_counts()
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "x@markaz.test", *args])
    assert result.exit_code != 0 and message in result.output
    assert row_counts() == before


def test_cli_refuses_an_existing_email(app, make_user, row_counts):
    make_user(Role.ADMIN, email="admin@markaz.test")
    before = row_counts()
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "ADMIN@markaz.test", "--role", "admin", "--password", PASSWORD]
    )
    assert result.exit_code != 0 and "already exists" in result.output
    assert row_counts() == before


# Accounts admins manage: the rules the admin pages rest on ----------------------------------------------


def test_welcome_links_last_longer_than_reset_links(app, make_user):
    user = make_user(password_hash=password_hash(PASSWORD))
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every reset link has expired
    with pytest.raises(Refusal, match="expired"):
        user_for_reset_token(password_reset_token(user, "reset"))
    assert user_for_reset_token(password_reset_token(user, "welcome")) is user


def test_a_trainee_account_takes_no_scope(make_user, make_province, make_trainee, row_counts):
    admin = make_user(Role.ADMIN)
    trainee_user = make_user(Role.TRAINEE)
    make_trainee(user=trainee_user)
    details = AccountDetails(
        email=trainee_user.email, full_name="Ayesha Khan", role=Role.TRAINEE, province=make_province()
    )
    before = row_counts()
    with pytest.raises(Refusal, match="Trainee accounts have no province or centres") as refused:
        update_account(trainee_user, details, actor=admin)
    db.session.rollback()
    assert refused.value.field == "role"
    assert row_counts() == before


def test_deactivation_is_its_own_audit_action(make_user):
    admin = make_user(Role.ADMIN, full_name="Admin Person")
    staff = make_user(Role.OVERSEER, full_name="Nadia Baig")
    details = AccountDetails(email=staff.email, full_name=staff.full_name, role=Role.OVERSEER, active=False)
    update_account(staff, details, actor=admin)
    update_account(staff, replace(details, active=True), actor=admin)
    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["account.deactivate", "account.reactivate"]


def test_an_admin_cannot_lock_themselves_out(make_user, row_counts):
    admin = make_user(Role.ADMIN, full_name="Admin Person")
    before = row_counts()
    for changes, field, message in (
        ({"active": False}, "active", "You cannot deactivate your own account."),
        ({"role": Role.OVERSEER}, "role", "You cannot remove your own admin rights."),
    ):
        details = replace(AccountDetails(email=admin.email, full_name=admin.full_name, role=Role.ADMIN), **changes)
        with pytest.raises(Refusal, match=message) as refused:
            update_account(admin, details, actor=admin)
        db.session.rollback()
        assert refused.value.field == field
    assert row_counts() == before


def test_a_stored_name_is_not_rejudged_when_something_else_changes(make_user):
    admin = make_user(Role.ADMIN, full_name="Admin Person")
    legacy = make_user(Role.OVERSEER, full_name="Imported 2019")  # a name today's rules would refuse
    details = AccountDetails(email=legacy.email, full_name=legacy.full_name, role=Role.OVERSEER, active=False)
    update_account(legacy, details, actor=admin)
    assert legacy.active is False and legacy.full_name == "Imported 2019"
