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

from flask import g, request
from flask_babel import gettext as _

from auth.services import normalise_email
from extensions import limiter

View = TypeVar("View", bound=Callable)

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
    """The account an attempt is for: the email of the sign-in form or of the API's JSON body, normalised
    as accounts are stored (so ``Ayesha@…`` and ``ayesha@…`` are one count)."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email", "")
    return "account:" + normalise_email(email if isinstance(email, str) else "")[:254]


def throttle_sign_in(view: View) -> View:
    """Put ``view`` under the shared sign-in limits (POST only)."""
    common = {"methods": ["POST"], "deduct_when": sign_in_failed, "error_message": throttled_message}
    per_address = limiter.shared_limit(ADDRESS_LIMIT, scope="sign-in-address", **common)
    per_account = limiter.shared_limit(ACCOUNT_LIMIT, scope="sign-in-account", key_func=submitted_email, **common)
    return per_address(per_account(view))
