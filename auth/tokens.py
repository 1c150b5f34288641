"""API tokens: made from a password (``POST /api/v1/tokens``), by an admin's command (``flask users
token``) or on the account's token page; listed and revoked there.

A token is 32 random bytes, URL-safe, prefixed ``mkz_`` so that it is recognisable in a leaked log or
file. Only its SHA-256 digest is stored; expiry is ``API_TOKEN_DAYS`` after it was made. A revoked
or expired token, or one whose account is deactivated, authenticates nobody. A new password (changed, reset
or set by an admin) and a deactivation revoke all of the account's tokens (``revoke_all_tokens``), for
good: reactivating the account brings none back. Nothing commits here."""

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from audit.events import record
from auth.models import ApiToken, CentreMembership, UserAccount
from auth.permissions import can_revoke_token
from database import utcnow
from enrollments.models import Trainee
from extensions import db
from refusals import Refusal

TOKEN_PREFIX = "mkz_"


class TokenRefused(Refusal):
    code, status = "forbidden", 403


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: UserAccount, *, name: str = "", actor: UserAccount | None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the record and the token itself (shown once, never stored).
    One audit event. ``actor`` is who asked: the user herself, or an admin at the command line (None)."""
    if not user.active:
        raise TokenRefused(_("This account is deactivated: it cannot have API tokens."))
    name = " ".join((name or "").split())
    if len(name) > 100:
        raise Refusal(_("Keep the name under 100 characters."), "name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        name=name,
        digest=digest_of(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["API_TOKEN_DAYS"]),
    )
    db.session.add(token)
    db.session.flush()
    record(actor or user, "token.create", token, after={"user_id": user.id, "name": name, "prefix": token.prefix})
    return token, secret


def user_for_token(secret: str) -> UserAccount | None:
    """The account a presented token authenticates (None: unknown, revoked, expired or deactivated).

    One statement reads the token, its account and what the access rules ask of the account (her trainee
    record, a staff member's centres): every API request pays for it, so it is paid once. They are read as
    plain entities, one row per centre of a staff member, and joined up here: the ORM's eager loaders
    (and de-duplicating their rows) cost every request more than this (about 0.4 ms of CPU in
    ``bench/application_cost.py``)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    rows = db.session.execute(token_query(), {"digest": digest_of(secret)}).all()
    if not rows:
        return None
    token, user, trainee, _ = rows[0]
    set_committed_value(token, "user", user)
    set_committed_value(user, "trainee", trainee)
    centres = [row.CentreMembership for row in rows if row.CentreMembership is not None]
    set_committed_value(user, "memberships", centres)
    if not token.is_usable(utcnow()):
        return None
    return user


@functools.cache
def token_query() -> Select:
    """``user_for_token``'s query, built once (every API request runs it), for the token's ``digest``."""
    return (
        select(ApiToken, UserAccount, Trainee, CentreMembership)
        .join(UserAccount, ApiToken.user_id == UserAccount.id)
        .outerjoin(Trainee, Trainee.user_id == UserAccount.id)
        .outerjoin(CentreMembership, CentreMembership.user_id == UserAccount.id)
        .where(ApiToken.digest == bindparam("digest"))
    )


def tokens_of(user: UserAccount) -> list[ApiToken]:
    """Her tokens, newest first, revoked and expired ones too (so she can see what happened)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(token: ApiToken, *, actor: UserAccount) -> ApiToken:
    """Revoke ``token`` at once (its owner, or an admin). Revoking a revoked token changes nothing."""
    if not can_revoke_token(actor, token):
        raise TokenRefused(_("Only the token's owner or an admin can revoke it."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        record(actor, "token.revoke", token, after={"user_id": token.user_id, "prefix": token.prefix})
    return token


def revoke_all_tokens(user: UserAccount) -> int:
    """Revoke every token of ``user`` that still works (neither revoked nor expired: an expiry never moves);
    returns how many. No audit event of its own: the caller's event (a new password, a deactivation) says
    how many it revoked."""
    now = utcnow()
    revoked = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
        .values(revoked_at=now)
    )
    return revoked.rowcount
