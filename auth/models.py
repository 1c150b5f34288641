"""Accounts that sign in, and which centres each staff member works at."""

import enum
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import Role

if TYPE_CHECKING:
    from centres.models import Centre, Province
    from enrollments.models import Trainee


class UserAccount(UserMixin, db.Model):
    """A login. Overseers with a ``province`` see that province only; without one, the whole nation. A caller
    works for one province (``province``) or for the centres of her memberships, as staff do.

    Someone signs in with her email or her mobile number; an account has one of them at least. Emails are
    stored lower-case and numbers in E.164 (``enrollments.identity.normalise_phone``), so that uniqueness
    does not depend on how someone typed hers: one account per email, one per mobile number. A trainee
    signs up with her number (her email is optional) and may sign in only once she has typed the code we
    sent it by SMS (``confirmed``); accounts admins make, and those from before codes, are confirmed.
    """

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('overseer', 'caller') OR province_id IS NULL", name="province_only_for_overseers"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    province: Mapped["Province | None"] = relationship()
    memberships: Mapped[list["CentreMembership"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    trainee: Mapped["Trainee | None"] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated accounts
        return self.active

    @property
    def label(self) -> str:
        """How pages and the audit log name the account: its email, else its mobile number masked
        (``+92 *******567``), as logs and overseers' pages show numbers."""
        from enrollments.identity import mask_phone  # enrollments imports this module

        return self.email or mask_phone(self.phone or "")

    @property
    def session_version(self) -> str:
        """Changes whenever the password changes: a digest of the hash (never the hash itself). A
        password link carries it, so that the link stops working once the password has changed."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"<UserAccount {self.id}>"


class CentreMembership(db.Model):
    """Staff member ↔ centre: a staff member may work at several centres."""

    __tablename__ = "centre_membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[UserAccount] = relationship(back_populates="memberships")
    centre: Mapped["Centre"] = relationship()


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only a SHA-256 digest of the token is stored: the token itself
    is shown once, when it is made. ``prefix`` (its first characters) lets its owner tell tokens apart."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[UserAccount] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and self.user.active

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"


class UserSession(db.Model):
    """One signed-in browser: the server-side half of a session cookie (``auth/sessions.py``).

    The cookie carries a random key; only its SHA-256 ``digest`` is stored, so a copy of the table lets
    nobody in. A session ends when ``revoked_at`` is set (sign-out, "sign out everywhere", a new password,
    deactivation: reactivating the account does not undo it), or ``SESSION_MAX_HOURS`` after
    ``created_at``; the idle timeout lives in the signed cookie, so requests never write here.
    ``user_agent`` and ``address`` (at sign-in) let its owner tell her sessions apart."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")

    user: Mapped[UserAccount] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class CodePurpose(enum.StrEnum):
    """What an SMS code proves the number for."""

    CONFIRM = "confirm"  # a new account's number, before she may sign in
    RESET = "reset"  # a password reset, for an account without email


class PhoneCode(db.Model):
    """A 6-digit code sent by SMS to prove a mobile number: to confirm a sign-up or to reset a password
    (``purpose``). Only a keyed digest of the code is kept (HMAC with the secret key: six digits alone
    would be tried in a moment). A code works until ``expires_at``, for ``MAX_ATTEMPTS`` tries, once
    (``consumed_at``); asking for a new one ends the ones before it (``auth/codes.py``)."""

    __tablename__ = "phone_code"
    __table_args__ = (Index("ix_phone_code_user_purpose", "user_id", "purpose", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    purpose: Mapped[CodePurpose] = mapped_column(enum_type(CodePurpose, "code_purpose"))
    phone: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[UserAccount] = relationship()

    def __repr__(self) -> str:
        return f"<PhoneCode {self.id} {self.purpose.value} of user {self.user_id}>"
