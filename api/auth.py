"""Who is calling the API: the bearer token's account, or nobody. The cookie session is never used
under /api/v1 — so a page open in a browser cannot be made to change anything through the API (no
CSRF to guard against), and the API needs no CSRF token.

A request with an ``Authorization`` header that is not a usable token (malformed, unknown, revoked,
expired, deactivated account) is answered 401 at once, even on public operations: a program with a
broken token should find out, not be served as anonymous."""

from flask import Flask, abort, request
from flask_babel import gettext as _

from auth.permissions import is_api_request
from auth.tokens import user_for_token
from extensions import csrf, login_manager


def bearer_token() -> str | None:
    """The token in ``Authorization: Bearer <token>`` (None without the header; "" when malformed)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def register(app: Flask) -> None:
    from api import bp

    csrf.exempt(bp)

    @app.before_request
    def _authenticate_api_request():
        # Registered before the access gate (``auth.permissions.register_gate``), which then sees
        # the token's account as ``current_user``.
        if not is_api_request():
            return
        secret = bearer_token()
        user = None
        if secret is not None and (user := user_for_token(secret)) is None:
            abort(
                401, _("This token is not valid (wrong, revoked or expired): get a new one from POST /api/v1/tokens.")
            )
        # Flask-Login's own way of setting the request's user; the session is not consulted.
        login_manager._update_request_context_with_user(user)
