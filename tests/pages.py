"""Helpers for tests that use the site's pages through the test client, as a browser would."""

import html
import re

from flask.testing import FlaskClient

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*\svalue="([^"]+)"')
ALERT = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)


def csrf_token(client: FlaskClient, path: str, **request) -> str:
    """GET ``path`` (``request``: more arguments of ``client.get``) and take the CSRF token out of its form."""
    response = client.get(path, **request)
    assert response.status_code == 200, f"GET {path}: {response.status_code}"
    match = CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, f"no csrf_token field on {path}"
    return match.group(1)


def sign_in_post(client: FlaskClient, email: str, password: str):
    """Submit the sign-in form (with its CSRF token) as ``email``."""
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, path: str, data: dict | None = None, *, form_path: str | None = None):
    """POST ``data`` to ``path`` with the CSRF token of the page at ``form_path`` (default ``path``)."""
    return client.post(path, data=(data or {}) | {"csrf_token": csrf_token(client, form_path or path)})


def is_signed_in(client: FlaskClient) -> bool:
    """Whether ``client``'s session cookie is a signed-in one (/auth/password is for anyone signed in)."""
    status = client.get("/auth/password").status_code
    assert status in (200, 302), status
    return status == 200


def alerts(page: str) -> list[tuple[str, str]]:
    """The flashed messages on ``page``: (kind, text)."""
    return [(kind, html.unescape(" ".join(text.split()))) for kind, text in ALERT.findall(page)]
