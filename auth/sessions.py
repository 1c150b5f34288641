"""Signed-in sessions: a signed cookie that names a server-side record.

Why both halves. A signed cookie alone cannot be taken back: a copy saved before sign-out (or before a
password change, or on a shared computer) keeps working for as long as its signature does. So signing in
makes a ``user_session`` row (``auth.models.UserSession``) with a random key, of which only the SHA-256
digest is stored; the cookie (signed with ``SECRET_KEY``, readable by whoever holds it) carries

- ``_user_id``: the account's id (Flask-Login's own key),
- ``_sid``: the session's key,
- ``_seen``: when this session last made a request (seconds since the epoch).

On every request ``load_user`` reads the row by the key's digest (one SELECT, with its account) and treats
the cookie as signed out when the row is missing or revoked, names another account, is older than
``SESSION_MAX_HOURS`` (the absolute lifetime, also the signature's own expiry), when the account is
deactivated, or when ``_seen`` is older than the idle timeout of the account's role
(``STAFF_IDLE_MINUTES`` for staff, overseers and admins, ``TRAINEE_IDLE_MINUTES`` for trainees).

The idle clock lives in the cookie, refreshed at most once a minute as requests come, so that GET requests
never write to the database (they only read: see ``database.py``). A copy of an older cookie cannot be
made fresher without the secret key, so replaying it gains nothing. The row is the only thing a session can
be ended by, and any worker on any host reads it: the app keeps no state in its processes.

Sessions end (``revoked_at``) at sign-out (this one), "sign out everywhere" (all of the account's), a
password change (all but the one that changed it), a reset or an admin's new password (all), and a
deactivation (all, for good: reactivating the account brings none back). Signing in and out are not
audited (as before: they change no record anyone oversees); ending other sessions is part of the audited
change that caused it. API tokens are separate (``auth.tokens``), bearer-only and never read the cookie.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from auth.models import UserAccount, UserSession
from database import utcnow
from extensions import db, login_manager
from vocabulary import Role

SESSION_KEY, SEEN_KEY = "_sid", "_seen"
# The idle clock in the cookie is moved on at most this often: one Set-Cookie a minute, not every request.
SEEN_RESOLUTION_SECONDS = 60


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_timeout(user: UserAccount) -> timedelta:
    """How long ``user``'s session lasts without a request: trainees see only their own record, everyone
    else the personal data of many people, so they get the shorter time."""
    minutes = current_app.config["TRAINEE_IDLE_MINUTES" if user.role is Role.TRAINEE else "STAFF_IDLE_MINUTES"]
    return timedelta(minutes=minutes)


def session_lifetime() -> timedelta:
    """How long any session lasts after sign-in, however busy (``SESSION_MAX_HOURS``)."""
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


# Services (flush, never commit) -------------------------------------------------------------------------


def open_session(user: UserAccount, *, user_agent: str = "", address: str = "") -> str:
    """Start a session for ``user`` and return its key (for the cookie; only its digest is stored). The
    account's sessions that have outlived ``session_lifetime`` are deleted on the way: nothing can use them."""
    now = utcnow()
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < now - session_lifetime())
    )
    key = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(user=user, digest=digest_of(key), created_at=now, user_agent=user_agent[:200], address=address[:45])
    )
    db.session.flush()
    return key


def end_sessions(user: UserAccount, *, keep: UserSession | None = None) -> int:
    """End every live session of ``user`` except ``keep``; returns how many were ended."""
    now = utcnow()
    statement = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return db.session.execute(statement.values(revoked_at=now)).rowcount


def live_sessions(user: UserAccount) -> list[UserSession]:
    """``user``'s sessions that are neither ended nor past their lifetime, newest first. A session that has
    sat idle past its timeout is listed until then: its idle clock is in its cookie, not here."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.created_at > utcnow() - session_lifetime(),
            )
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        )
    )


# The cookie --------------------------------------------------------------------------------------------


def cookie_values(user: UserAccount, key: str, now: datetime) -> dict:
    """What the session cookie holds for a session of ``user`` with ``key``, last seen at ``now``."""
    return {"_user_id": str(user.id), "_fresh": True, SESSION_KEY: key, SEEN_KEY: int(now.timestamp())}


def sign_in(user: UserAccount) -> None:
    """Sign ``user`` in on this browser: a fresh cookie (nothing from before sign-in survives it) naming a
    new session, and the time noted as her last sign-in (every role, every way in: the sign-in form, sign-up,
    a new password). The caller commits."""
    user.last_login_at = utcnow()
    session.clear()
    key = open_session(user, user_agent=request.user_agent.string or "", address=request.remote_addr or "")
    login_user(user)
    session.update(cookie_values(user, key, utcnow()))


def sign_out() -> None:
    """End this browser's session, server-side too: a copy of its cookie is worth nothing from now on."""
    current = current_session()
    if current is not None and current.revoked_at is None:
        current.revoked_at = utcnow()
        db.session.flush()
    logout_user()
    session.clear()


def current_session() -> UserSession | None:
    """The session record of this request's cookie (None when not signed in by cookie, e.g. the API)."""
    return g.get("user_session")


def forget_cookie() -> None:
    for name in ("_user_id", "_fresh", SESSION_KEY, SEEN_KEY):
        session.pop(name, None)


@login_manager.user_loader
def load_user(user_id: str) -> UserAccount | None:
    """The account of this request's session cookie, or None (signed out) by the rules of the module
    docstring. Keeps the cookie's idle clock running; writes nothing to the database."""
    key, seen = session.get(SESSION_KEY), session.get(SEEN_KEY)
    if not isinstance(key, str) or not isinstance(seen, int) or len(key) > 100:
        forget_cookie()  # a cookie from before server-side sessions, or not one of ours
        return None
    record = db.session.scalar(
        select(UserSession).where(UserSession.digest == digest_of(key)).options(joinedload(UserSession.user))
    )
    now = utcnow()
    if (
        record is None
        or record.revoked_at is not None
        or str(record.user_id) != user_id
        or not record.user.active
        or now - record.created_at >= session_lifetime()
        or now.timestamp() - seen >= idle_timeout(record.user).total_seconds()
    ):
        forget_cookie()
        return None
    g.user_session = record
    if now.timestamp() - seen >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_KEY] = int(now.timestamp())
    return record.user
