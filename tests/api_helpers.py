"""Helpers for calling the JSON API in tests (the API ignores the cookie session of ``sign_in``): the
API's half of ``tests/pages.py``.

client.get("/api/v1/me", headers=bearer(staff))
status, code, message, fields = api_error(response)
assert api_error(response) == UNAUTHORIZED
"""

from auth.models import UserAccount
from auth.tokens import issue_token
from extensions import db


def token_for(user: UserAccount) -> str:
    """A new API token for ``user``, committed so that requests (their own sessions) can see it."""
    _, secret = issue_token(user, name="test", actor=user)
    db.session.commit()
    return secret


# ``api_error`` of the answers to a request without a valid token, and to one the rules refuse.
UNAUTHORIZED = (
    401,
    "unauthorized",
    "Send a valid token: Authorization: Bearer <token> (get one from POST /api/v1/tokens).",
    None,
)


class SaysWhy:
    """Equal to the ``api_error`` of a 403 whose message says why in a sentence of its own (a
    ``auth.permissions.Denied``), not the stock "You may not do this.". Tests of one refusal's exact
    words compare with ``forbidden("...")``."""

    def __eq__(self, other) -> bool:
        if not (isinstance(other, tuple) and len(other) == 4):
            return NotImplemented
        status, code, message, fields = other
        return (status, code, fields) == (403, "forbidden", None) and len(message) > 20 and message != STOCK_403

    def __repr__(self) -> str:
        return "(403, 'forbidden', <a reason>, None)"


STOCK_403 = "You may not do this."
FORBIDDEN = SaysWhy()


def forbidden(reason: str) -> tuple[int, str, str, None]:
    """``api_error`` of a 403 refused with ``reason``."""
    return (403, "forbidden", reason, None)


def with_token(secret: str) -> dict[str, str]:
    """Headers sending the token ``secret``."""
    return {"Authorization": f"Bearer {secret}"}


def bearer(user: UserAccount) -> dict[str, str]:
    """Headers authenticating a request as ``user`` with a new token."""
    return with_token(token_for(user))


def api_error(response) -> tuple[int, str, str, dict | None]:
    """An error answer as ``(status, code, message, fields)``; ``fields`` is None when absent. Fails if
    the body is not the API's error shape ``{"error": {"code", "message", "fields"?}}``."""
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not an API error: {response.status} {body!r}"
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, f"unexpected keys in error: {error!r}"
    return response.status_code, error["code"], error["message"], error.get("fields")


def refused_by_api(client, method: str, path: str, headers: dict, row_counts, json=None):
    """Send a request that must be refused; check that nothing was written; return ``api_error`` of it."""
    before = row_counts()
    response = client.open(path, method=method, headers=headers, json=json)
    assert row_counts() == before
    return api_error(response)
