"""Sign-in throttling: one count of failed sign-ins per account and one per address, whichever door the
password is tried at — the sign-in page (``/auth/login``) or the API (``POST /api/v1/tokens``).

Both doors wear ``throttle_sign_in``: two Flask-Limiter *shared* limits, whose counters are keyed by their
scope (``sign-in-account``, ``sign-in-address``) and not by the endpoint, so five wrong passwords for one
account are five whether they came through the page, the API or both. Only failures count (the view calls
``count_failure``); once a limit is reached every attempt is refused with 429 before the password is
even checked, the right password included, until the window has passed.

The counters live where ``RATELIMIT_STORAGE_URI`` says: ``memory://`` counts in each process (local use
only: with two workers each would count alone), so production refuses to start without a shared store
(Redis; ``config.py``).
"""

from collections.abc import Callable
from typing import TypeVar

from flask import g, request, session
from flask_babel import gettext as _

from auth.models import UserAccount
from auth.services import sign_in_key
from extensions import db, limiter

View = TypeVar("View", bound=Callable)
# The session key naming the account whose sign-up waits for its code (``auth.routes.confirm``).
CONFIRMING = "confirming_account"

ACCOUNT_LIMIT = "5 per 10 minutes"
ADDRESS_LIMIT = "20 per 10 minutes"


def throttled_message() -> str:
    """What a throttled visitor (or program) is told, in her language."""
    return _("Too many attempts. Wait a few minutes, then try again.")


def count_failure() -> None:
    """The view's word that this attempt failed (wrong email or password): it counts towards the limits."""
    g.sign_in_failed = True


def sign_in_failed(_response) -> bool:
    """Only failed attempts count towards the sign-in limits."""
    return g.get("sign_in_failed", False)


def submitted_email() -> str:
    """The account an attempt is for: the email or mobile number of the sign-in form (its ``email`` field
    takes either) or of the API's JSON body (``email`` or ``phone``), normalised as accounts are stored (so
    ``Ayesha@…`` and ``ayesha@…`` are one count, and ``0300 1234567`` and ``+92 300 1234567``)."""
    body = request.get_json(silent=True) if request.is_json else None
    name = (body.get("email") or body.get("phone")) if isinstance(body, dict) else request.form.get("email", "")
    return "account:" + sign_in_key(name if isinstance(name, str) else "")


# Codes by SMS: each costs money and reaches someone's phone, so sending one is limited per number (a
# stranger must not flood hers) and per address (one machine must not flood many). Shared across the pages
# that send codes (sign-up, a new code, a password reset by SMS).
CODE_NUMBER_LIMIT = "3 per 10 minutes"
CODE_ADDRESS_LIMIT = "10 per hour"


def count_code_sent() -> None:
    """The view's word that it sent a code by SMS: it counts towards the limits of codes."""
    g.code_sent = True


def code_was_sent(_response) -> bool:
    """Only requests that sent a code count (a sign-up refused for a mistyped CNIC sends none)."""
    return g.get("code_sent", False)


def submitted_number() -> str:
    """The mobile number a code would go to: the form's ``phone`` (sign-up) or ``email`` (a reset asks for
    either), else the number of the account waiting for its code (``CONFIRMING``), normalised."""
    typed = request.form.get("phone") or request.form.get("email") or ""
    if not typed and isinstance(session.get(CONFIRMING), int):
        user = db.session.get(UserAccount, session[CONFIRMING])
        typed = user.phone if user is not None and user.phone else ""
    return "number:" + sign_in_key(typed)


def throttle_codes(view: View) -> View:
    """Put ``view`` (a page whose POST may send a code) under the shared limits of codes sent by SMS; only
    the requests that did send one count (``count_code_sent``)."""
    common = {"methods": ["POST"], "deduct_when": code_was_sent, "error_message": throttled_message}
    per_address = limiter.shared_limit(CODE_ADDRESS_LIMIT, scope="code-address", **common)
    per_number = limiter.shared_limit(CODE_NUMBER_LIMIT, scope="code-number", key_func=submitted_number, **common)
    return per_address(per_number(view))


def throttle_sign_in(view: View) -> View:
    """Put ``view`` under the shared sign-in limits (POST only)."""
    common = {"methods": ["POST"], "deduct_when": sign_in_failed, "error_message": throttled_message}
    per_address = limiter.shared_limit(ADDRESS_LIMIT, scope="sign-in-address", **common)
    per_account = limiter.shared_limit(ACCOUNT_LIMIT, scope="sign-in-account", key_func=submitted_email, **common)
    return per_address(per_account(view))
