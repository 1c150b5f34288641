"""Links that leave the site are built from MARKAZ_BASE_URL, never from the request's Host header; in
production a request for a host that is not the site's is answered 400 (links.py, config.py)."""

import re

import pytest
from harness import password_hash
from pages import csrf_token_of as csrf_token
from pages import session_values

from auth.services import user_for_reset_token
from links import absolute_url
from vocabulary import Role

PASSWORD_HASH = password_hash("a-long-password")
EVIL = "http://evil.example"


def mailed_links(app) -> list[str]:
    return [
        link
        for message in app.extensions.get("mail_outbox", [])
        for link in re.findall(r"\S+/auth/reset/\S+", message.get_content())
    ]


def test_a_reset_link_asked_for_under_another_host_points_at_the_site(app, client, make_user):
    """The account takeover of issue 12: ``Host: evil.example`` on the reset request."""
    user = make_user(Role.STAFF, email="staff@markaz.test", password_hash=PASSWORD_HASH)
    token = csrf_token(client, "/auth/reset", base_url=EVIL)
    response = client.post("/auth/reset", data={"csrf_token": token, "email": user.email}, base_url=EVIL)
    assert response.status_code == 302
    [link] = mailed_links(app)
    assert link.startswith("http://markaz.test/auth/reset/"), link
    assert "evil.example" not in link
    assert user_for_reset_token(link.rsplit("/", 1)[1]) == user


def test_a_welcome_link_made_under_another_host_points_at_the_site(app, client, make_user, make_centre):
    admin = make_user(Role.ADMIN)
    centre = make_centre()
    with client.session_transaction(base_url=EVIL) as session:
        session.update(session_values(admin))
    data = {"email": "sara@example.pk", "full_name": "Sara Ahmed", "role": "staff", "province": ""}
    data |= {"centres": [str(centre.id)], "csrf_token": csrf_token(client, "/auth/admin/users/new", base_url=EVIL)}
    assert client.post("/auth/admin/users/new", data=data, base_url=EVIL).status_code == 302
    [link] = mailed_links(app)
    assert link.startswith("http://markaz.test/auth/reset/"), link


def test_absolute_urls_follow_the_base_url_with_its_path_and_need_no_request(app):
    app.config["BASE_URL"] = "https://gov.example.pk/markaz"
    assert absolute_url("auth.reset_password", token="abc") == "https://gov.example.pk/markaz/auth/reset/abc"
    assert absolute_url("centres.index", province="PB") == "https://gov.example.pk/markaz/centres/?province=PB"


@pytest.fixture
def production_hosts(app):
    """The hosts production trusts (config.trusted_hosts of https://markaz.example.pk plus one listed)."""
    app.config["TRUSTED_HOSTS"] = ["markaz.example.pk", "10.0.0.5"]


@pytest.mark.parametrize("host", ["https://markaz.example.pk", "http://10.0.0.5:8000", "https://MARKAZ.example.pk"])
def test_production_serves_its_own_hosts(client, production_hosts, host):
    assert client.get("/", base_url=host).status_code == 200


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page", "/api/v1/centres"])
def test_production_answers_another_host_with_400(client, production_hosts, path):
    response = client.get(path, base_url=EVIL)
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_production_sends_no_reset_mail_for_another_host(app, client, production_hosts, make_user, row_counts):
    user = make_user(Role.STAFF, email="staff@markaz.test", password_hash=PASSWORD_HASH)
    app.config["WTF_CSRF_ENABLED"] = False  # the refusal must come from the host alone
    before = row_counts()
    response = client.post("/auth/reset", data={"email": user.email}, base_url=EVIL)
    assert response.status_code == 400
    assert mailed_links(app) == [] and row_counts() == before
