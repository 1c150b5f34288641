"""Sessions end when they should, server-side (auth/sessions.py): at sign-out, "sign out everywhere", after
the role's idle timeout and the absolute lifetime; a new password or a deactivation ends sessions and revokes
API tokens, and reactivating an account brings none of them back. GET requests write nothing to keep a
session alive."""

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from harness import password_hash
from pages import alerts, is_signed_in, post_form, session_values, sign_in_post
from pages import csrf_token_of as csrf_token

from audit.models import AuditEvent
from auth.admin import details_as_they_are
from auth.models import ApiToken, UserSession
from auth.services import password_reset_token, set_password, update_account
from auth.sessions import SEEN_KEY, SESSION_KEY, sign_in
from database import utcnow
from extensions import db, limiter
from tests.api_helpers import token_for
from vocabulary import Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)
NEW_PASSWORD = "a-brand-new-password"
TOKENS_REVOKED = "Your API token has been revoked: make a new one for the program that used it."


@pytest.fixture
def staff(make_user, make_centre):
    return make_user(Role.STAFF, centres=(make_centre(),), password_hash=PASSWORD_HASH)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, password_hash=PASSWORD_HASH)


def browser(app) -> FlaskClient:
    """Another browser: a client with its own cookies."""
    return app.test_client()


def signed_in_browser(app, user) -> FlaskClient:
    """A browser signed in through the sign-in form."""
    limiter.reset()
    client = browser(app)
    assert sign_in_post(client, user.email, PASSWORD).status_code == 302
    return client


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def browser_with_cookie(app, value: str) -> FlaskClient:
    """A browser holding a copy of a saved session cookie (stolen, or left on a shared computer)."""
    client = browser(app)
    client.set_cookie("session", value)
    return client


def with_session(app, values: dict) -> FlaskClient:
    client = browser(app)
    with client.session_transaction() as session:
        session.update(values)
    return client


def api_status(client: FlaskClient, secret: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# Sign-out ----------------------------------------------------------------------------------------------


def test_a_cookie_saved_before_sign_out_is_refused_after_it(app, staff):
    client = signed_in_browser(app, staff)
    saved = saved_cookie(client)
    assert is_signed_in(browser_with_cookie(app, saved))
    assert post_form(client, "/auth/logout", form_path="/auth/password").status_code == 302
    assert not is_signed_in(client)
    assert not is_signed_in(browser_with_cookie(app, saved)), "the cookie of a signed-out session still works"
    record = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == staff.id))
    assert record.revoked_at is not None


def sessions_recorded() -> int:
    return db.session.scalar(sa.select(sa.func.count(UserSession.id)))


def test_only_a_successful_sign_in_records_a_session(app, staff):
    client = browser(app)
    limiter.reset()
    assert sign_in_post(client, staff.email, "not the password").status_code == 401
    assert sign_in_post(client, "nobody@markaz.test", PASSWORD).status_code == 401
    assert client.post("/auth/login", data={"email": staff.email, "password": PASSWORD}).status_code == 400  # no CSRF
    assert sessions_recorded() == 0
    assert sign_in_post(client, staff.email, PASSWORD).status_code == 302
    [record] = db.session.scalars(sa.select(UserSession))
    assert (record.user_id, record.revoked_at, record.address) == (staff.id, None, "127.0.0.1")
    with client.session_transaction() as session:
        key = session[SESSION_KEY]
    assert record.digest == hashlib.sha256(key.encode()).hexdigest() != key  # only a digest is stored


def test_a_cookie_without_a_session_record_is_refused(app, staff):
    """Cookies of the kind made before sessions were recorded (only the account's id), and ones naming a
    session that does not exist or belongs to another account, sign nobody in."""
    assert not is_signed_in(with_session(app, {"_user_id": str(staff.id), "_fresh": True}))
    values = session_values(staff)
    assert is_signed_in(with_session(app, values))
    assert not is_signed_in(with_session(app, values | {SESSION_KEY: "made-up"}))
    assert not is_signed_in(with_session(app, values | {"_user_id": str(staff.id + 1000)}))
    assert not is_signed_in(with_session(app, values | {SEEN_KEY: "recently"}))


def test_sign_out_everywhere_ends_every_session_of_the_account(app, staff, make_user):
    phone, laptop = signed_in_browser(app, staff), signed_in_browser(app, staff)
    someone_else = with_session(app, session_values(make_user(Role.TRAINEE)))
    token = token_for(staff)
    page = laptop.get("/auth/sessions").get_data(as_text=True)
    assert page.count("<tr>") == 1 + 2 and "This browser" in page and "Sign out everywhere" in page

    response = post_form(laptop, "/auth/sessions/sign-out-everywhere", form_path="/auth/sessions")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert ("success", "You have signed out on every device and browser.") in alerts(laptop.get("/").get_data(True))
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(someone_else)
    assert api_status(laptop, token) == 200  # tokens are revoked on their own page, and said so
    [event] = events("account.sign_out_everywhere")
    assert (event.actor_id, event.object_id, event.after) == (staff.id, staff.id, {"sessions_ended": 2})


# Idle timeout and absolute lifetime ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "idle_minutes", "still_signed_in"),
    [
        (Role.STAFF, 29, True),
        (Role.STAFF, 31, False),
        (Role.OVERSEER, 31, False),
        (Role.ADMIN, 31, False),
        (Role.TRAINEE, 31, True),
        (Role.TRAINEE, 119, True),
        (Role.TRAINEE, 121, False),
    ],
)
def test_a_session_ends_after_its_roles_idle_timeout(app, make_user, role, idle_minutes, still_signed_in):
    """Staff, overseers and admins: 30 minutes without a request; trainees: 2 hours (the defaults)."""
    values = session_values(make_user(role))
    last_seen = utcnow() - timedelta(minutes=idle_minutes)
    assert is_signed_in(with_session(app, values | {SEEN_KEY: int(last_seen.timestamp())})) is still_signed_in


def test_the_idle_timeouts_are_settings(app, make_user):
    app.config["STAFF_IDLE_MINUTES"], app.config["TRAINEE_IDLE_MINUTES"] = 5, 600
    six_minutes_ago = int((utcnow() - timedelta(minutes=6)).timestamp())
    assert not is_signed_in(with_session(app, session_values(make_user(Role.STAFF)) | {SEEN_KEY: six_minutes_ago}))
    five_hours_ago = int((utcnow() - timedelta(hours=5)).timestamp())
    assert is_signed_in(with_session(app, session_values(make_user(Role.TRAINEE)) | {SEEN_KEY: five_hours_ago}))


@pytest.mark.parametrize(
    ("age", "still_signed_in"), [(timedelta(hours=11, minutes=59), True), (timedelta(hours=12), False)]
)
def test_a_session_ends_at_its_absolute_lifetime_however_busy(app, staff, age, still_signed_in):
    values = session_values(staff)
    db.session.execute(sa.update(UserSession).values(created_at=utcnow() - age))
    db.session.commit()
    assert is_signed_in(with_session(app, values)) is still_signed_in  # its cookie was seen just now


def test_the_cookie_signature_expires_with_the_absolute_lifetime(app):
    assert app.permanent_session_lifetime == timedelta(hours=app.config["SESSION_MAX_HOURS"])


def test_requests_keep_the_idle_clock_in_the_cookie_and_gets_write_nothing(app, staff):
    client = with_session(app, session_values(staff) | {SEEN_KEY: int((utcnow() - timedelta(minutes=25)).timestamp())})
    writes: list[str] = []

    def note_writes(_connection, _cursor, statement, *_args) -> None:
        if (
            not statement.lstrip()
            .upper()
            .startswith(("SELECT", "BEGIN", "PRAGMA", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))
        ):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note_writes)
    try:
        response = client.get("/centres/mine")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note_writes)
    assert response.status_code == 200
    assert writes == [], "a GET wrote to the database"
    with client.session_transaction() as session:
        assert utcnow().timestamp() - session[SEEN_KEY] < 5  # the clock moved on: 25 more minutes from now
    # Within the minute the cookie is left as it is: no Set-Cookie on every request.
    assert "Set-Cookie" not in client.get("/centres/mine").headers


# New passwords and deactivation: tokens and sessions ---------------------------------------------------------


def test_changing_the_password_ends_other_sessions_and_revokes_api_tokens(app, staff):
    here, elsewhere = signed_in_browser(app, staff), signed_in_browser(app, staff)
    token = token_for(staff)
    form = here.get("/auth/password").get_data(as_text=True)
    assert "revokes your API tokens" in form  # said before she changes it

    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = post_form(here, "/auth/password", data)
    assert response.status_code == 302
    flashed = alerts(here.get(response.headers["Location"]).get_data(as_text=True))
    assert (
        "success",
        "Your password has been changed. Other devices signed in to your account are signed out. " + TOKENS_REVOKED,
    ) in flashed
    assert is_signed_in(here) and not is_signed_in(elsewhere)
    assert api_status(here, token) == 401
    [event] = events("account.password_change")
    assert event.after == {"sessions_ended": 1, "tokens_revoked": 1}


def test_a_password_reset_ends_every_session_and_revokes_api_tokens(app, staff):
    attacker = signed_in_browser(app, staff)
    token = token_for(staff)
    owner = browser(app)
    path = f"/auth/reset/{password_reset_token(staff)}"
    assert "revokes your API tokens" in owner.get(path).get_data(as_text=True)
    response = post_form(owner, path, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/centres/mine"  # signed in with it, on the list of her centres
    flashed = alerts(owner.get("/centres/mine").get_data(as_text=True))
    assert ("success", "Your new password is set, and you are signed in. " + TOKENS_REVOKED) in flashed
    assert is_signed_in(owner) and not is_signed_in(attacker)
    assert api_status(owner, token) == 401
    [event] = events("account.password_set")
    assert event.after == {"sessions_ended": 1, "tokens_revoked": 1}
    assert staff.last_login_at is not None


def test_a_password_set_from_the_command_line_revokes_tokens_and_sessions(app, staff):
    signed_in = with_session(app, session_values(staff))
    token = token_for(staff)
    set_password(staff, NEW_PASSWORD, actor=None, reason="cli")
    db.session.commit()
    assert not is_signed_in(signed_in) and api_status(signed_in, token) == 401


def test_tokens_made_after_a_new_password_work(app, client, staff):
    set_password(staff, NEW_PASSWORD, actor=None)
    db.session.commit()
    assert api_status(client, token_for(staff)) == 200


def test_deactivation_ends_sessions_and_tokens_for_good(app, staff, admin, client):
    signed_in = with_session(app, session_values(staff))
    saved = saved_cookie(signed_in)
    token = token_for(staff)
    update_account(staff, replace(details_as_they_are(staff), active=False), actor=admin)
    db.session.commit()
    assert not is_signed_in(signed_in) and api_status(client, token) == 401
    [event] = events("account.deactivate")
    assert event.after["sessions_ended"] == 1 and event.after["tokens_revoked"] == 1

    update_account(staff, replace(details_as_they_are(staff), active=True), actor=admin)
    db.session.commit()
    assert not is_signed_in(browser_with_cookie(app, saved)), "reactivation brought an old session back"
    assert api_status(client, token) == 401, "reactivation brought an old API token back"
    assert db.session.scalar(sa.select(sa.func.count()).where(ApiToken.revoked_at.is_(None))) == 0
    assert is_signed_in(signed_in_browser(app, staff))  # she signs in afresh


def test_the_admin_pages_say_what_deactivation_and_reactivation_do(app, staff, admin):
    client = with_session(app, session_values(admin))
    path = f"/auth/admin/users/{staff.id}/deactivate"
    assert "API tokens are revoked, for good" in client.get(path).get_data(as_text=True)
    response = post_form(client, path)
    assert response.status_code == 302
    assert (
        "success",
        f"{staff.email} is deactivated: they can no longer sign in, their sessions have ended and their "
        "API tokens are revoked.",
    ) in alerts(client.get(response.headers["Location"]).get_data(as_text=True))
    response = client.post(
        f"/auth/admin/users/{staff.id}/reactivate", data={"csrf_token": csrf_token(client, "/auth/password")}
    )
    assert response.status_code == 302
    assert (
        "success",
        f"{staff.email} is active again and can sign in. Their old sessions and API tokens stay revoked.",
    ) in alerts(client.get(response.headers["Location"]).get_data(as_text=True))


@pytest.mark.parametrize("role", list(Role))
def test_signing_in_notes_the_time_for_every_role(app, make_user, role):
    """``sign_in`` is the one way in (the sign-in form, sign-up, a new password): each notes the last sign-in,
    so that a trainee who uses the site never reads "Last sign-in: Never" on her account's admin page."""
    user = make_user(role)
    assert user.last_login_at is None
    with app.test_request_context("/"):
        sign_in(user)
    assert user.last_login_at is not None
