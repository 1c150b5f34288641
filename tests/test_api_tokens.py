"""API tokens and the API's edges: getting a token (``POST /api/v1/tokens``, throttled like the sign-in
form), what a bearer token is worth (revoked, expired, deactivated, malformed → 401; the cookie session
never counts), ``GET /me`` for each role, ``DELETE /tokens/current``, JSON errors for 404/405/500, the
account's API tokens page (list, make, revoke after a confirmation) and ``flask users token``.

Every refusal shows its exact message and leaves every table as it was."""

import hashlib
import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from harness import password_hash
from pages import audit_events, every_stored_value, flashed, row_for, text

from api.errors import MESSAGES
from auth.models import ApiToken, UserAccount
from auth.tokens import issue_token
from database import utcnow
from extensions import db, limiter
from tests.api_helpers import api_error, bearer, token_for, with_token
from vocabulary import Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)  # scrypt is slow on purpose: hash once for the module
WRONG_CREDENTIALS = "Wrong email, mobile number or password."
THROTTLED = "Too many attempts. Wait a few minutes, then try again."
INVALID_TOKEN = "This token is not valid (wrong, revoked or expired): get a new one from POST /api/v1/tokens."
NO_TOKEN = MESSAGES[401]
INVALID_INPUT = "Some values are not valid: see fields."
NOT_HERS = "This token belongs to another account: only its owner or an admin can revoke it."
TOKEN_PATTERN = re.compile(r"mkz_[A-Za-z0-9_-]{43}")


def new_token(client, email: str, password: str = PASSWORD, **more):
    return client.post("/api/v1/tokens", json={"email": email, "password": password, **more})


def stored_token(secret: str) -> ApiToken:
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.digest == hashlib.sha256(secret.encode()).hexdigest()))


@pytest.fixture
def ayesha(make_user):
    """A trainee account that can get tokens with ``PASSWORD``."""
    return make_user(Role.TRAINEE, email="ayesha@markaz.test", full_name="Ayesha Khan", password_hash=PASSWORD_HASH)


# POST /tokens ---------------------------------------------------------------------------------------------


def test_a_password_gets_a_token_that_is_stored_only_as_a_digest(client, ayesha):
    before = utcnow()
    response = new_token(client, "Ayesha@Markaz.test", name="  Punjab   IT Board ")
    after = utcnow()

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    secret = body["token"]
    assert TOKEN_PATTERN.fullmatch(secret)
    token = stored_token(secret)
    assert token is not None and token.user_id == ayesha.id
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() != secret
    assert token.prefix == secret[:8]
    assert token.name == "Punjab IT Board"
    assert secret not in every_stored_value()
    days = timedelta(days=client.application.config["API_TOKEN_DAYS"])
    assert before + days <= token.expires_at <= after + days
    assert body["expires_at"] == token.expires_at.isoformat()
    [event] = audit_events("token.create")
    assert (event.actor_id, event.object_id, event.after["prefix"]) == (ayesha.id, token.id, token.prefix)

    me = client.get("/api/v1/me", headers=with_token(secret))
    assert me.status_code == 200 and me.get_json()["email"] == "ayesha@markaz.test"


def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client, ayesha, row_counts):
    before = row_counts()
    wrong = new_token(client, ayesha.email, "not her password")
    unknown = new_token(client, "nobody@markaz.test", "not her password")
    for response in (wrong, unknown):
        assert api_error(response) == (401, "unauthorized", WRONG_CREDENTIALS, None)
        assert response.get_json() == {"error": {"code": "unauthorized", "message": WRONG_CREDENTIALS}}
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="markaz"'
        assert response.mimetype == "application/json"
    assert row_counts() == before


def test_a_deactivated_account_gets_no_token(client, make_user, row_counts):
    user = make_user(Role.STAFF, email="gone@markaz.test", password_hash=PASSWORD_HASH, active=False)
    before = row_counts()
    assert api_error(new_token(client, user.email)) == (401, "unauthorized", WRONG_CREDENTIALS, None)
    assert row_counts() == before


def test_failed_attempts_for_one_account_are_throttled_after_five(client, ayesha, make_user, row_counts):
    limiter.reset()
    before = row_counts()
    for attempt in range(5):
        response = new_token(client, ayesha.email, f"wrong password {attempt}")
        assert api_error(response) == (401, "unauthorized", WRONG_CREDENTIALS, None), attempt
    assert api_error(new_token(client, ayesha.email, "wrong password 6")) == (
        429,
        "too_many_requests",
        THROTTLED,
        None,
    )
    # The right password does not get through either while the account is throttled (whatever the case)...
    assert api_error(new_token(client, ayesha.email.upper())) == (429, "too_many_requests", THROTTLED, None)
    assert row_counts() == before
    # ... but another account from the same address still can.
    other = make_user(Role.TRAINEE, password_hash=PASSWORD_HASH)
    assert new_token(client, other.email).status_code == 201


def test_failed_attempts_from_one_address_are_throttled_after_twenty(client, ayesha, row_counts):
    limiter.reset()
    before = row_counts()
    for number in range(20):
        assert new_token(client, f"guess{number}@markaz.test", "guess").status_code == 401, number
    assert api_error(new_token(client, "guess-21@markaz.test", "guess")) == (429, "too_many_requests", THROTTLED, None)
    assert api_error(new_token(client, ayesha.email)) == (429, "too_many_requests", THROTTLED, None)
    assert row_counts() == before
    # Another address is not held back by this one's guesses.
    elsewhere = client.post(
        "/api/v1/tokens", json={"email": ayesha.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"password": PASSWORD}, {"email": "Give the account's email or its mobile number (phone)."}),
        ({"email": 42, "password": PASSWORD}, {"email": "Not a valid string."}),
        ({"email": "ayesha@markaz.test", "password": ["a", "b"]}, {"password": "Not a valid string."}),
        ({"email": "", "password": PASSWORD}, {"email": "Length must be between 1 and 254."}),
        (
            {"email": "ayesha@markaz.test", "password": PASSWORD, "name": "x" * 101},
            {"name": "Longer than maximum length 100."},
        ),
        ([], {"_schema": "Invalid input type."}),
    ],
    ids=["missing-email", "number-email", "list-password", "empty-email", "long-name", "not-an-object"],
)
def test_a_malformed_token_request_is_422_with_each_field(client, ayesha, row_counts, body, fields):
    before = row_counts()
    response = client.post("/api/v1/tokens", json=body)
    assert api_error(response) == (422, "invalid", INVALID_INPUT, fields)
    assert row_counts() == before


def test_invalid_json_is_400(client, ayesha, row_counts):
    before = row_counts()
    response = client.post("/api/v1/tokens", data='{"email": "ayesha@markaz.test",', content_type="application/json")
    assert api_error(response) == (400, "bad_request", MESSAGES[400], None)
    assert row_counts() == before


# Bearer tokens ----------------------------------------------------------------------------------------------


def test_a_revoked_token_is_refused(client, ayesha, row_counts):
    secret = token_for(ayesha)
    token = stored_token(secret)
    token.revoked_at = utcnow()
    db.session.commit()
    before = row_counts()
    response = client.get("/api/v1/me", headers=with_token(secret))
    assert api_error(response) == (401, "unauthorized", INVALID_TOKEN, None)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="markaz"'
    assert row_counts() == before


def test_an_expired_token_is_refused(client, ayesha, row_counts):
    secret = token_for(ayesha)
    assert client.get("/api/v1/me", headers=with_token(secret)).status_code == 200
    stored_token(secret).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    before = row_counts()
    assert api_error(client.get("/api/v1/me", headers=with_token(secret))) == (401, "unauthorized", INVALID_TOKEN, None)
    assert row_counts() == before


def test_a_deactivated_accounts_token_is_refused(client, ayesha, row_counts):
    secret = token_for(ayesha)
    ayesha.active = False
    db.session.commit()
    before = row_counts()
    assert api_error(client.get("/api/v1/me", headers=with_token(secret))) == (401, "unauthorized", INVALID_TOKEN, None)
    assert row_counts() == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic YXllc2hhQG1hcmthei50ZXN0OmEtbG9uZy1wYXNzd29yZA==",
        "Token mkz_abc",
        "Bearer mkz_not-a-token-anyone-was-given",
        "Bearer not-even-our-prefix",
        "Bearer mkz_" + "a" * 300,
    ],
    ids=["no-token", "blank-token", "basic", "other-scheme", "unknown", "foreign", "overlong"],
)
def test_a_malformed_or_unknown_authorization_header_is_refused(client, ayesha, row_counts, header):
    token_for(ayesha)  # she has a token: none of these headers is it
    before = row_counts()
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert api_error(response) == (401, "unauthorized", INVALID_TOKEN, None)
    # Even on a public operation: a program with a broken token should find out.
    public = client.post(
        "/api/v1/tokens", json={"email": ayesha.email, "password": PASSWORD}, headers={"Authorization": header}
    )
    assert api_error(public) == (401, "unauthorized", INVALID_TOKEN, None)
    assert row_counts() == before


def test_without_a_token_me_is_401_and_says_how_to_authenticate(client, row_counts):
    before = row_counts()
    response = client.get("/api/v1/me")
    assert api_error(response) == (401, "unauthorized", NO_TOKEN, None)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="markaz"'
    assert row_counts() == before


def test_the_cookie_session_is_not_accepted_on_the_api(client, sign_in, ayesha, row_counts):
    sign_in(ayesha)
    assert client.get("/auth/tokens").status_code == 200  # the session is good on the pages
    secret = token_for(ayesha)
    before = row_counts()
    assert api_error(client.get("/api/v1/me")) == (401, "unauthorized", NO_TOKEN, None)
    assert api_error(client.delete("/api/v1/tokens/current")) == (401, "unauthorized", NO_TOKEN, None)
    assert row_counts() == before
    assert stored_token(secret).revoked_at is None


def test_the_api_needs_no_csrf_token_but_the_pages_do(client, sign_in, ayesha, row_counts):
    sign_in(ayesha)
    before = row_counts()
    # A page's form without its CSRF token is refused (so CSRF protection is on in this app)...
    assert client.post("/auth/tokens", data={"name": "page"}).status_code == 400
    assert row_counts() == before
    # ... while API calls with a token need none.
    secret = token_for(ayesha)
    response = client.post(
        "/api/v1/tokens", json={"email": ayesha.email, "password": PASSWORD}, headers=with_token(secret)
    )
    assert response.status_code == 201
    assert client.delete("/api/v1/tokens/current", headers=with_token(secret)).status_code == 204


# GET /me -----------------------------------------------------------------------------------------------------


@pytest.fixture
def people(make_province, make_district, make_centre, make_trainee, make_user):
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, name="Lahore")
    centre_2 = make_centre(lahore, code="PB-LHR-02")
    centre_1 = make_centre(lahore, code="PB-LHR-01")
    trainee_user = make_user(Role.TRAINEE, email="t@markaz.test", full_name="Sana Iqbal")
    trainee = make_trainee(lahore, user=trainee_user)
    return {
        "trainee": (trainee_user, {"role": "trainee", "province": None, "centres": [], "trainee_id": trainee.id}),
        "staff": (
            make_user(Role.STAFF, centres=(centre_2, centre_1), email="s@markaz.test", full_name="Bilal Ahmed"),
            {"role": "staff", "province": None, "centres": ["PB-LHR-01", "PB-LHR-02"], "trainee_id": None},
        ),
        "national_overseer": (
            make_user(Role.OVERSEER, email="o@markaz.test", full_name="Omar Farooq"),
            {"role": "overseer", "province": None, "centres": [], "trainee_id": None},
        ),
        "punjab_overseer": (
            make_user(Role.OVERSEER, email="p@markaz.test", full_name="Parveen Akhtar", province=punjab),
            {"role": "overseer", "province": "PB", "centres": [], "trainee_id": None},
        ),
        "admin": (
            make_user(Role.ADMIN, email="a@markaz.test", full_name="Amina Admin"),
            {"role": "admin", "province": None, "centres": [], "trainee_id": None},
        ),
    }


@pytest.mark.parametrize("who", ["trainee", "staff", "national_overseer", "punjab_overseer", "admin"])
def test_me_says_who_the_token_belongs_to(client, people, who):
    user, expected = people[who]
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "phone": user.phone,
        "full_name": user.full_name,
        **expected,
    }


# DELETE /tokens/current ---------------------------------------------------------------------------------------


def test_a_program_revokes_its_own_token_and_only_that_one(client, ayesha):
    secret, other = token_for(ayesha), token_for(ayesha)
    response = client.delete("/api/v1/tokens/current", headers=with_token(secret))
    assert response.status_code == 204 and response.data == b""
    token = stored_token(secret)
    assert token.revoked_at is not None
    [event] = audit_events("token.revoke")
    assert (event.actor_id, event.object_id) == (ayesha.id, token.id)

    assert api_error(client.get("/api/v1/me", headers=with_token(secret))) == (401, "unauthorized", INVALID_TOKEN, None)
    assert api_error(client.delete("/api/v1/tokens/current", headers=with_token(secret))) == (
        401,
        "unauthorized",
        INVALID_TOKEN,
        None,
    )
    assert client.get("/api/v1/me", headers=with_token(other)).status_code == 200


def test_revoking_without_a_token_is_401(client, row_counts):
    before = row_counts()
    assert api_error(client.delete("/api/v1/tokens/current")) == (401, "unauthorized", NO_TOKEN, None)
    assert row_counts() == before


def test_the_description_documents_token_revocation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/tokens/current"]["delete"]
    assert operation["summary"] == "Revoke the token making this request."
    assert {"204", "401"} <= set(operation["responses"])
    assert operation["security"] == [{"bearer": []}]
    assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


# JSON errors, never HTML -------------------------------------------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(client, ayesha):
    for headers in ({}, bearer(ayesha)):
        response = client.get("/api/v1/no-such-thing", headers=headers)
        assert api_error(response) == (404, "not_found", MESSAGES[404], None)
        assert response.mimetype == "application/json"


def test_a_wrong_method_is_a_json_405(client, ayesha, row_counts):
    headers = bearer(ayesha)
    before = row_counts()
    for response in (client.get("/api/v1/tokens"), client.put("/api/v1/me", headers=headers, json={})):
        assert api_error(response) == (405, "method_not_allowed", MESSAGES[405], None)
        assert response.mimetype == "application/json"
    assert row_counts() == before


def test_a_crash_is_a_json_500_that_says_nothing_of_the_inside(app, client, ayesha, monkeypatch):
    headers = bearer(ayesha)

    def broken(user):
        raise RuntimeError("secret internals: table user_account is on fire")

    monkeypatch.setattr("api.tokens.staff_centre_ids", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.get_json() == {"error": {"code": "server_error", "message": MESSAGES[500]}}
    assert "fire" not in response.get_data(as_text=True)


# The account's API tokens page ------------------------------------------------------------------------------


def revoke_link(token: ApiToken) -> str:
    return f'href="/auth/tokens/{token.id}/revoke"'


def test_the_page_asks_anonymous_visitors_to_sign_in(client):
    for response in (client.get("/auth/tokens"), client.get("/auth/tokens/1/revoke")):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=/auth/tokens")


def test_the_page_lists_her_tokens_with_their_status(client, sign_in, ayesha, make_user):
    active, _ = issue_token(ayesha, name="Dashboard", actor=ayesha)
    revoked, _ = issue_token(ayesha, name="Old laptop", actor=ayesha)
    revoked.revoked_at = utcnow()
    expired, _ = issue_token(ayesha, name="Last year's sync", actor=ayesha)
    expired.expires_at = utcnow() - timedelta(days=1)
    someone_elses, _ = issue_token(make_user(Role.STAFF), name="Someone else's", actor=None)
    db.session.commit()

    page = text(sign_in(ayesha).get("/auth/tokens"))
    assert "You have no API tokens" not in page
    row = row_for(page, "Dashboard")
    assert f"{active.prefix}…" in row and "Active" in row and revoke_link(active) in row
    row = row_for(page, "Old laptop")
    assert f"{revoked.prefix}…" in row and "Revoked" in row and revoke_link(revoked) not in row
    row = row_for(page, "Last year's sync")
    assert f"{expired.prefix}…" in row and "Expired" in row and revoke_link(expired) not in row
    assert "Someone else's" not in page and someone_elses.prefix not in page
    assert 'href="/api/docs"' in page
    # Newest first.
    assert page.index("Last year") < page.index("Old laptop") < page.index("Dashboard")


def test_the_page_says_when_she_has_no_tokens(client, sign_in, ayesha):
    page = text(sign_in(ayesha).get("/auth/tokens"))
    assert "You have no API tokens" in page and "<table" not in page


def test_the_menu_links_to_the_tokens_page_and_the_api_docs(client, sign_in, ayesha):
    page = text(sign_in(ayesha).get("/auth/password"))
    assert 'href="/auth/tokens"' in page and 'href="/api/docs"' in page


def test_a_new_token_is_shown_once_and_never_again(client, sign_in, csrf_token, ayesha):
    sign_in(ayesha)
    response = client.post("/auth/tokens", data={"name": "Punjab IT Board", "csrf_token": csrf_token("/auth/tokens")})
    page = text(response, 201)
    [secret] = TOKEN_PATTERN.findall(page)
    token = stored_token(secret)
    assert token.user_id == ayesha.id and token.name == "Punjab IT Board"
    assert "it is shown only this once" in html.unescape(page)
    assert secret not in every_stored_value()
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))  # not kept in the session cookie either
    assert client.get("/api/v1/me", headers=with_token(secret)).status_code == 200

    page = text(client.get("/auth/tokens"))
    assert secret not in page and not TOKEN_PATTERN.search(page)
    assert f"{token.prefix}…" in row_for(page, "Punjab IT Board")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Name the token after what will use it, so that you can tell your tokens apart."),
        ("x" * 101, "Keep the name under 100 characters."),
    ],
    ids=["empty", "too-long"],
)
def test_a_token_needs_a_sensible_name(client, sign_in, csrf_token, ayesha, row_counts, name, message):
    sign_in(ayesha)
    token = csrf_token("/auth/tokens")
    before = row_counts()
    page = text(client.post("/auth/tokens", data={"name": name, "csrf_token": token}), 422)
    error = re.search(r'<div id="name-error" class="invalid-feedback d-block">(.*?)</div>', page, re.S)
    assert error and html.unescape(error.group(1)) == message
    assert not TOKEN_PATTERN.search(page)
    assert row_counts() == before


def test_revoking_asks_first_then_revokes(client, sign_in, csrf_token, ayesha):
    secret = token_for(ayesha)
    token = stored_token(secret)
    sign_in(ayesha)
    page = text(client.get(f"/auth/tokens/{token.id}/revoke"))
    assert "Revoke this token?" in page and f"{token.prefix}…" in page
    assert f'<form method="post" action="/auth/tokens/{token.id}/revoke"' in page
    db.session.refresh(token)
    assert token.revoked_at is None  # asking changed nothing
    assert client.get("/api/v1/me", headers=with_token(secret)).status_code == 200

    form_token = csrf_token(f"/auth/tokens/{token.id}/revoke")
    response = client.post(f"/auth/tokens/{token.id}/revoke", data={"csrf_token": form_token})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/tokens"
    db.session.refresh(token)
    assert token.revoked_at is not None
    [event] = audit_events("token.revoke")
    assert (event.actor_id, event.object_id) == (ayesha.id, token.id)
    page = text(client.get("/auth/tokens"))
    assert f"The token “test” ({token.prefix}…) is revoked: nothing can use it any more." in flashed(page)
    assert "Revoked" in row_for(page, f"{token.prefix}…")
    assert api_error(client.get("/api/v1/me", headers=with_token(secret))) == (401, "unauthorized", INVALID_TOKEN, None)

    # Revoking it again changes nothing and says why.
    response = client.post(f"/auth/tokens/{token.id}/revoke", data={"csrf_token": form_token})
    assert response.headers["Location"] == "/auth/tokens"
    assert "is revoked: nothing can use it any more." in flashed(text(client.get("/auth/tokens")))
    assert len(audit_events("token.revoke")) == 1


def test_revoking_without_the_csrf_token_is_refused(client, sign_in, ayesha, row_counts):
    token = stored_token(token_for(ayesha))
    sign_in(ayesha)
    before = row_counts()
    assert client.post(f"/auth/tokens/{token.id}/revoke").status_code == 400
    assert row_counts() == before
    db.session.refresh(token)
    assert token.revoked_at is None


def test_she_cannot_revoke_someone_elses_token(client, sign_in, csrf_token, ayesha, make_user, row_counts):
    other = make_user(Role.STAFF, email="bilal@markaz.test")
    theirs = stored_token(token_for(other))
    sign_in(ayesha)
    form_token = csrf_token("/auth/tokens")
    before = row_counts()
    for response in (
        client.get(f"/auth/tokens/{theirs.id}/revoke"),
        client.post(f"/auth/tokens/{theirs.id}/revoke", data={"csrf_token": form_token}),
    ):
        page = text(response, 403)
        assert NOT_HERS in html.unescape(page) and "bilal@markaz.test" not in page
    assert row_counts() == before
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_a_token_that_does_not_exist_is_404(client, sign_in, csrf_token, ayesha, row_counts):
    sign_in(ayesha)
    form_token = csrf_token("/auth/tokens")
    before = row_counts()
    for token_id in (987654, 99999999999999):
        assert client.get(f"/auth/tokens/{token_id}/revoke").status_code == 404
        assert client.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": form_token}).status_code == 404
    assert row_counts() == before


def test_an_admin_may_revoke_anyones_token(client, sign_in, csrf_token, ayesha, make_user):
    admin = make_user(Role.ADMIN, email="amina.admin@markaz.test")
    hers = stored_token(token_for(ayesha))
    sign_in(admin)
    page = text(client.get(f"/auth/tokens/{hers.id}/revoke"))
    assert "ayesha@markaz.test" in page  # whose token it is, since it is not her own
    response = client.post(f"/auth/tokens/{hers.id}/revoke", data={"csrf_token": csrf_token("/auth/tokens")})
    assert response.status_code == 302
    db.session.refresh(hers)
    assert hers.revoked_at is not None
    [event] = audit_events("token.revoke")
    assert event.actor_id == admin.id


# flask users token ----------------------------------------------------------------------------------------


def test_the_command_prints_a_token_once_with_its_expiry(app, ayesha):
    result = app.test_cli_runner().invoke(args=["users", "token", "Ayesha@Markaz.test", "--name", "Nightly sync"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert TOKEN_PATTERN.fullmatch(secret)  # stdout holds the token alone: TOKEN=$(flask users token ...)
    token = stored_token(secret)
    assert token.user_id == ayesha.id and token.name == "Nightly sync"
    assert f"valid until {token.expires_at:%Y-%m-%d %H:%M} UTC" in result.stderr
    assert "shown only this once" in result.stderr
    assert secret not in every_stored_value()
    [event] = audit_events("token.create")
    assert event.actor_id == ayesha.id  # no one is signed in at the command line: the owner asked


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@markaz.test", "No account has the email 'nobody@markaz.test'."),
        ("gone@markaz.test", "This account is deactivated: it cannot have API tokens."),
    ],
    ids=["unknown", "deactivated"],
)
def test_the_command_refuses_unknown_and_deactivated_accounts(app, make_user, row_counts, email, message):
    make_user(Role.STAFF, email="gone@markaz.test", active=False)
    before = row_counts()
    result = app.test_cli_runner().invoke(args=["users", "token", email])
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert not TOKEN_PATTERN.search(result.output)
    assert row_counts() == before


def test_the_command_names_a_token_by_default(app, ayesha):
    result = app.test_cli_runner().invoke(args=["users", "token", ayesha.email])
    assert result.exit_code == 0, result.output
    assert stored_token(result.stdout.strip()).name == "command line"
    assert db.session.scalar(sa.select(sa.func.count(UserAccount.id))) == 1
