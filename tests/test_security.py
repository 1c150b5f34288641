"""Request security, as a reviewer would check it: CSRF on every form, no open redirect after sign-in,
throttled guessing, fresh sessions, cookie flags, security headers on every kind of response, error
pages without internals, and passwords stored only as scrypt hashes."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from harness import password_hash
from pages import act_as, alert_text, code_sent_to, csrf_token_of, every_stored_value

from auth.models import UserAccount
from auth.permissions import PUBLIC, allow
from auth.services import password_reset_token
from extensions import db, limiter
from vocabulary import Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)  # scrypt is slow on purpose: hash once for the module
WRONG_CREDENTIALS = "The email, mobile number or password is not correct."


@pytest.fixture
def web(client) -> FlaskClient:
    return client


def new_client(app) -> FlaskClient:
    return app.test_client()


def is_signed_in(client: FlaskClient) -> bool:
    """Whether ``client``'s session is a signed-in one: /auth/password is for any signed-in user."""
    status = client.get("/auth/password").status_code
    assert status in (200, 302), status
    return status == 200


def sign_in_post(
    client: FlaskClient, email: str, password: str, *, path: str = "/auth/login", token: str | None = None
):
    token = token or csrf_token_of(client, path)
    return client.post(path, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def account(make_user):
    """A trainee account that can sign in with ``PASSWORD`` (lands on /auth/profile)."""
    return make_user(Role.TRAINEE, email="ayesha@markaz.test", password_hash=PASSWORD_HASH)


@pytest.fixture
def signup_form(make_province, make_district):
    district = make_district(make_province(code="PB", name="Punjab"), name="Lahore")
    return {
        "full_name": "عائشہ خان",
        "cnic": "35202-1234567-2",  # even: a woman's CNIC
        "gender": "female",
        "date_of_birth": "2001-03-15",
        "phone": "0300 1234567",
        "district_id": str(district.id),
        "area": "urban",
        "education": "intermediate",
        "email": "aisha@example.pk",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }


# CSRF ---------------------------------------------------------------------------------------------------


def test_sign_in_without_a_csrf_token_is_refused(web, account, row_counts):
    before = row_counts()
    response = web.post("/auth/login", data={"email": account.email, "password": PASSWORD})
    assert response.status_code == 400
    assert row_counts() == before
    assert not is_signed_in(web)
    db.session.refresh(account)
    assert account.last_login_at is None


def test_sign_in_with_another_sessions_csrf_token_is_refused(app, web, account):
    token = csrf_token_of(new_client(app), "/auth/login")
    web.get("/auth/login")
    assert sign_in_post(web, account.email, PASSWORD, token=token).status_code == 400
    assert not is_signed_in(web)


def test_sign_up_without_a_csrf_token_writes_nothing(web, signup_form, row_counts):
    limiter.reset()
    before = row_counts()
    response = web.post("/auth/signup", data=signup_form)
    assert response.status_code == 400
    assert row_counts() == before


def test_sign_out_without_a_csrf_token_is_refused(web, account, row_counts):
    act_as(web, account)
    before = row_counts()
    assert web.post("/auth/logout").status_code == 400
    assert row_counts() == before
    assert is_signed_in(web)


def test_password_change_without_a_csrf_token_is_refused(web, account, row_counts):
    act_as(web, account)
    before = row_counts()
    data = {"current_password": PASSWORD, "new_password": "another-long-password", "confirm": "another-long-password"}
    assert web.post("/auth/password", data=data).status_code == 400
    assert row_counts() == before
    db.session.refresh(account)
    assert account.password_hash == PASSWORD_HASH


def test_forms_with_their_csrf_token_are_accepted(web, account):
    """The other side of the CSRF tests: the same requests with the page's token go through."""
    assert sign_in_post(web, account.email, PASSWORD).status_code == 302
    data = {"current_password": PASSWORD, "new_password": "another-long-password", "confirm": "another-long-password"}
    assert (
        web.post("/auth/password", data=data | {"csrf_token": csrf_token_of(web, "/auth/password")}).status_code == 302
    )
    assert web.post("/auth/logout", data={"csrf_token": csrf_token_of(web, "/auth/password")}).status_code == 302
    assert not is_signed_in(web)


# Open redirects ---------------------------------------------------------------------------------------

# The query string as sent (already URL-encoded where a browser would encode it).
FOREIGN_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/%5Cevil.example",  # /\evil.example: browsers read the backslash as a slash
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "///evil.example",
    "/%09/evil.example",  # a tab, which browsers drop
    "%5C%5Cevil.example",
    "http:evil.example",
    "https:%2F%2Fevil.example",
]


@pytest.mark.parametrize("raw_next", FOREIGN_NEXT)
def test_sign_in_never_redirects_off_the_site(web, account, raw_next):
    path = f"/auth/login?next={raw_next}"
    response = sign_in_post(web, account.email, PASSWORD, path=path)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http") and parts.netloc in ("", "localhost"), location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert location == "/auth/profile"  # her home, as if no next had been given


@pytest.mark.parametrize("raw_next", ["/centres/", "/courses/?track=it_support&women_only=1"])
def test_sign_in_follows_a_next_on_the_site(web, account, raw_next):
    response = sign_in_post(web, account.email, PASSWORD, path=f"/auth/login?next={raw_next.replace('&', '%26')}")
    assert response.status_code == 302
    assert response.headers["Location"] == raw_next


def test_a_protected_page_sends_anonymous_visitors_to_sign_in_and_back(web, account):
    response = web.get("/auth/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/auth/password"
    assert sign_in_post(web, account.email, PASSWORD, path=response.headers["Location"]).headers["Location"] == (
        "/auth/password"
    )


# Throttling -------------------------------------------------------------------------------------------


def test_failed_sign_ins_for_one_account_are_throttled_after_five(web, account, make_user):
    limiter.reset()
    token = csrf_token_of(web, "/auth/login")
    for attempt in range(5):
        response = sign_in_post(web, account.email, f"wrong password {attempt}", token=token)
        assert response.status_code == 401, attempt
        assert alert_text(response) == WRONG_CREDENTIALS
    assert sign_in_post(web, account.email, "wrong password 6", token=token).status_code == 429
    # The right password does not get through either while the account is throttled...
    assert sign_in_post(web, account.email.upper(), PASSWORD, token=token).status_code == 429
    assert not is_signed_in(web)
    # ... but another account from the same address still can.
    other = make_user(Role.TRAINEE, password_hash=PASSWORD_HASH)
    assert sign_in_post(web, other.email, PASSWORD, token=token).status_code == 302


def test_an_unknown_email_gets_the_same_answer_and_throttle_as_a_wrong_password(web, account):
    limiter.reset()
    token = csrf_token_of(web, "/auth/login")
    wrong_password = sign_in_post(web, account.email, "not her password", token=token)
    unknown = sign_in_post(web, "nobody@markaz.test", "not her password", token=token)
    assert wrong_password.status_code == unknown.status_code == 401
    assert alert_text(wrong_password) == alert_text(unknown) == WRONG_CREDENTIALS
    for _ in range(4):
        assert sign_in_post(web, "nobody@markaz.test", "guess", token=token).status_code == 401
    assert sign_in_post(web, "nobody@markaz.test", "guess", token=token).status_code == 429


def test_failed_sign_ins_from_one_address_are_throttled_after_twenty(web, account):
    limiter.reset()
    token = csrf_token_of(web, "/auth/login")
    for number in range(20):
        response = sign_in_post(web, f"guess{number}@markaz.test", "guess", token=token)
        assert response.status_code == 401, number
    assert sign_in_post(web, "guess-21@markaz.test", "guess", token=token).status_code == 429
    assert sign_in_post(web, account.email, PASSWORD, token=token).status_code == 429


# Sessions ----------------------------------------------------------------------------------------------


def test_signing_in_starts_a_fresh_session_and_records_the_time(web, account):
    limiter.reset()
    token = csrf_token_of(web, "/auth/login")
    with web.session_transaction() as session:
        session["planted_before_sign_in"] = "attacker's value"
    assert sign_in_post(web, account.email, PASSWORD, token=token).status_code == 302
    with web.session_transaction() as session:
        assert "planted_before_sign_in" not in session
        assert session.get("csrf_token") is None  # the token of the anonymous session is gone too
        assert session["_user_id"] == account.get_id()
    db.session.refresh(account)
    assert account.last_login_at is not None


def test_a_deactivated_account_cannot_sign_in(web, make_user):
    limiter.reset()
    user = make_user(Role.STAFF, password_hash=PASSWORD_HASH, active=False)
    response = sign_in_post(web, user.email, PASSWORD)
    assert response.status_code == 401
    assert alert_text(response) == WRONG_CREDENTIALS
    assert not is_signed_in(web)
    db.session.refresh(user)
    assert user.last_login_at is None


def test_deactivating_an_account_ends_the_sessions_it_already_has(web, make_user, make_centre):
    """An admin deactivates a staff member who is signed in: her next request must be anonymous."""
    staff = make_user(Role.STAFF, centres=(make_centre(),))
    act_as(web, staff)
    assert web.get("/centres/mine").status_code == 200
    staff.active = False
    db.session.commit()
    response = web.get("/centres/mine")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), (
        f"a deactivated account still reaches staff pages: {response.status_code}"
    )


def test_a_password_reset_ends_sessions_signed_in_before(app, web, account):
    """Someone who took over an account keeps no session once the owner resets the password."""
    limiter.reset()
    assert sign_in_post(web, account.email, PASSWORD).status_code == 302
    owner = new_client(app)
    path = f"/auth/reset/{password_reset_token(account)}"
    data = {"new_password": "a-brand-new-password", "confirm": "a-brand-new-password"}
    assert owner.post(path, data=data | {"csrf_token": csrf_token_of(owner, path)}).status_code == 302
    assert not is_signed_in(web), "a session from before the password reset still works"


def test_a_password_reset_link_works_once(web, account):
    limiter.reset()
    path = f"/auth/reset/{password_reset_token(account)}"
    data = {"new_password": "a-brand-new-password", "confirm": "a-brand-new-password"}
    assert web.post(path, data=data | {"csrf_token": csrf_token_of(web, path)}).status_code == 302
    db.session.refresh(account)
    changed = account.password_hash
    token = csrf_token_of(web, "/auth/reset")  # she is signed in now: the sign-in page sends her on
    again = web.post(
        path,
        data={"new_password": "the-attackers-password", "confirm": "the-attackers-password"} | {"csrf_token": token},
    )
    assert again.status_code == 302 and again.headers["Location"] == "/auth/reset"
    db.session.refresh(account)
    assert account.password_hash == changed


def session_cookie(response) -> str:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(web, account):
    limiter.reset()
    cookie = session_cookie(web.get("/auth/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test config serves plain HTTP
    cookie = session_cookie(sign_in_post(web, account.email, PASSWORD))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_when_configured(app, web):
    app.config["SESSION_COOKIE_SECURE"] = True
    cookie = session_cookie(web.get("/auth/login", base_url="https://localhost"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# Security headers -----------------------------------------------------------------------------------


def add_failing_route(app) -> None:
    @app.get("/boom-for-test")
    @allow(PUBLIC)
    def boom_for_test():
        raise RuntimeError("secret internal detail at /srv/markaz/app.py line 42")


def response_of_kind(kind: str, app, web, user) -> object:
    if kind == "page":
        return web.get("/")
    if kind == "404":
        return web.get("/no-such-page")
    if kind == "403":
        return act_as(web, user).get("/oversight/")
    if kind == "static":
        return web.get("/static/css/markaz.css", buffered=True)
    if kind == "redirect":
        return web.get("/oversight/")
    if kind == "400":
        return web.post("/auth/login", data={"email": "x@markaz.test", "password": "x"})
    if kind == "405":
        return web.get("/auth/logout")
    if kind == "429":
        token = csrf_token_of(web, "/auth/reset")
        for _ in range(3):
            web.post("/auth/reset", data={"email": "x@markaz.test", "csrf_token": token})
        return web.post("/auth/reset", data={"email": "x@markaz.test", "csrf_token": token})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return web.get("/boom-for-test")


RESPONSE_KINDS = {
    "page": 200,
    "404": 404,
    "403": 403,
    "static": 200,
    "redirect": 302,
    "400": 400,
    "405": 405,
    "500": 500,
}


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        if part.strip():
            name, *values = part.split()
            directives[name] = values
    return directives


@pytest.mark.parametrize("kind", RESPONSE_KINDS)
def test_security_headers_on_every_kind_of_response(fresh_app, web, account, kind):
    add_failing_route(fresh_app)
    limiter.reset()
    response = response_of_kind(kind, fresh_app, web, account)
    assert response.status_code == RESPONSE_KINDS[kind]
    directives = csp_directives(response)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, "no script-src (nor default-src) in the Content-Security-Policy"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src and "*" not in script_src
    assert directives.get("frame-ancestors") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("Referrer-Policy")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored, or worse


@pytest.mark.parametrize("path", ["/", "/static/css/markaz.css", "/oversight/", "/no-such-page"])
def test_hsts_only_over_https(web, path):
    hsts = web.get(path, base_url="https://localhost", buffered=True).headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= 180 * 24 * 3600, hsts
    assert "Strict-Transport-Security" not in web.get(path, buffered=True).headers


FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_forwarded_headers_are_ignored_without_a_proxy(web):
    """PROXY_COUNT=0 (the default): anyone can send X-Forwarded-*; nothing trusts them."""
    response = web.get("/", headers=FORWARDED_HTTPS)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.app_config(PROXY_COUNT=1)
def test_behind_one_proxy_its_forwarded_scheme_is_trusted(fresh_app, web):
    """PROXY_COUNT is read when the app is built (security.register wraps the app in ProxyFix)."""
    assert fresh_app.config["PROXY_COUNT"] == 1
    hsts = web.get("/", headers=FORWARDED_HTTPS).headers.get("Strict-Transport-Security", "")
    assert hsts.startswith("max-age="), hsts


def test_pages_are_not_kept_in_shared_caches(web, account):
    assert "no-store" in act_as(web, account).get("/auth/password").headers.get("Cache-Control", "")


# Error pages -------------------------------------------------------------------------------------------


def test_an_error_page_shows_no_stack_trace(fresh_app, web):
    add_failing_route(fresh_app)
    fresh_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = web.get("/boom-for-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    for internal in ("Traceback", "RuntimeError", "secret internal detail", 'File "', "/srv/markaz", "werkzeug"):
        assert internal not in page, internal
    assert response.mimetype == "text/html"


# Passwords ----------------------------------------------------------------------------------------------


def test_passwords_are_stored_as_scrypt_hashes_only(web, signup_form):
    limiter.reset()
    token = csrf_token_of(web, "/auth/signup")
    response = web.post("/auth/signup", data=signup_form | {"csrf_token": token})
    assert response.status_code == 302, alert_text(response)
    assert response.headers["Location"] == "/auth/confirm"
    user = db.session.scalar(sa.select(UserAccount).where(UserAccount.email == "aisha@example.pk"))
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in every_stored_value()
    code = code_sent_to("+923001234567")
    response = web.post("/auth/confirm", data={"code": code, "csrf_token": csrf_token_of(web, "/auth/confirm")})
    assert response.headers["Location"] == "/auth/profile"

    new_password = "chai-and-paratha-at-nine"
    data = {"current_password": PASSWORD, "new_password": new_password, "confirm": new_password}
    response = web.post("/auth/password", data=data | {"csrf_token": csrf_token_of(web, "/auth/password")})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("scrypt:")
    stored = every_stored_value()
    assert new_password not in stored and PASSWORD not in stored
