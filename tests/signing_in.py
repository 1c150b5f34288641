"""Signing a test client (or a browser) in without the sign-in form: a session as ``auth.sessions.sign_in``
makes it, its record committed so that requests (their own database sessions) can see it.

    with client.session_transaction() as session:
        session.update(session_values(user))
"""

from auth.models import UserAccount
from auth.sessions import cookie_values, open_session
from database import utcnow
from extensions import db


def session_values(user: UserAccount) -> dict:
    """What the session cookie of a new session of ``user`` holds (its server-side record is committed)."""
    key = open_session(user, user_agent="test", address="127.0.0.1")
    db.session.commit()
    return cookie_values(user, key, utcnow())
