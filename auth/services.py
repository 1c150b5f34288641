"""Accounts: signing in, trainee sign-up, passwords, and the accounts admins manage.

Every function that changes something takes the acting user, writes one audit event per change,
flushes and never commits: the request (or CLI command) commits once. Refusals are raised before
anything is written.
"""

import functools
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from audit.events import record, snapshot
from auth.codes import check_code
from auth.models import CentreMembership, PhoneCode, UserAccount, UserSession
from auth.sessions import end_sessions
from auth.tokens import revoke_all_tokens
from centres.models import Centre, District, Province
from database import utcnow
from enrollments.identity import InvalidInput, checked, normalise_name, normalise_phone
from enrollments.models import Trainee, cnic_disagrees_with_gender
from enrollments.trainees import TraineeDetails, normalised
from extensions import db
from language import current_language
from refusals import Conflict, Refusal
from vocabulary import Area, Education, Gender, Role

MIN_PASSWORD_LENGTH = 10
ACCOUNT_FIELDS = ("email", "full_name", "role", "active", "province_id")
SIGN_UP_FIELDS = ("email", "phone", "full_name", "role", "active")
RESET_SALT = "markaz.password-reset"


def hash_password(password: str) -> str:
    """``password`` hashed as the settings say (``PASSWORD_HASH_METHOD``: werkzeug's scrypt at its full
    cost, n=2^15; the test suite uses the same scrypt, cheaper)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def unknown_user_hash(method: str) -> str:
    """Compared against when the email is unknown, so that a wrong email costs as much time as a wrong
    password and timing does not tell which accounts exist (one per hashing method, made once)."""
    return generate_password_hash("markaz: no such account", method=method)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_strength(password: str, *, email: str = "", field: str = "password") -> None:
    """Refuse passwords that are short or are the email address itself."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal(_("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH), field)
    if email and password.strip().lower() == email:
        raise Refusal(_("The password must not be your email address."), field)


def account_by_sign_in_name(name: str) -> UserAccount | None:
    """The account someone names when signing in: by email when ``name`` holds an ``@``, else by mobile
    number however typed (``normalise_phone``). None when there is none, or when ``name`` is neither."""
    if "@" in (name or ""):
        return db.session.scalar(select(UserAccount).where(UserAccount.email == normalise_email(name)))
    try:
        phone = normalise_phone(name)
    except InvalidInput:
        return None
    return db.session.scalar(select(UserAccount).where(UserAccount.phone == phone))


def sign_in_key(name: str) -> str:
    """``name`` (an email or a mobile number) as the sign-in throttle counts it: one account, one count,
    however it was typed (``Ayesha@…`` and ``ayesha@…``; ``0300 1234567`` and ``+92 300 1234567``)."""
    if "@" not in (name or ""):
        try:
            return normalise_phone(name)
        except InvalidInput:
            pass
    return normalise_email(name)[:254]


def authenticate(name: str, password: str) -> UserAccount | None:
    """The active account with this email or mobile number (``account_by_sign_in_name``) and password, or
    None. Unknown email or number, wrong password and a deactivated account are indistinguishable to the
    caller (and take the same time). An account still waiting for its SMS code is returned: the caller
    sends her to the code step instead of signing her in (``UserAccount.confirmed``)."""
    user = account_by_sign_in_name(name)
    if user is None:
        check_password_hash(unknown_user_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@dataclass(frozen=True)
class SignUp:
    """What a trainee typed on the sign-up form, before normalisation."""

    email: str | None
    password: str
    cnic: str
    full_name: str
    gender: Gender
    date_of_birth: date
    phone: str
    district_id: int
    area: Area
    education: Education
    # She ticked "my CNIC and gender are right" after being told that they disagree.
    gender_confirmed: bool = False
    # She may be asked about her work after a course (DESIGN.md, "Outcomes"): ticked unless she says no.
    outcome_consent: bool = True


def sign_up_trainee(details: SignUp) -> UserAccount:
    """Create a trainee's account and her trainee record together; the account waits for the code sent to
    her mobile number (``confirmed`` False: ``auth.codes.issue_code``, by the caller) before she can sign in.

    Her mobile number is her sign-in; her email is optional. One account per number, as per CNIC and per
    email: each already held is refused, including by a sign-up with the same number at the same moment
    (the database's unique constraint, answered with the same message). A CNIC that already has a trainee
    record without an account (a walk-in or an imported trainee) gets this account linked to it when the
    date of birth matches; otherwise she is told to ask her centre, so nobody can claim another's record by
    typing her CNIC. A new record whose CNIC's last digit disagrees with the gender she chose
    (``cnic_disagrees_with_gender``) needs her confirmation (``gender_confirmed``), so that a slip on
    either is caught while she can still correct it; confirmed, it is accepted. Raises
    ``Refusal``/``Conflict`` naming the field; writes ``account.sign_up`` and ``trainee.create`` (or
    ``trainee.link_account``)."""
    email = normalise_email(details.email) or None
    phone = checked("phone", normalise_phone, details.phone)
    check_password_strength(details.password, email=email or "")
    if db.session.scalar(select(UserAccount.id).where(UserAccount.phone == phone)):
        raise Conflict(phone_taken(), "phone")
    if email and db.session.scalar(select(UserAccount.id).where(UserAccount.email == email)):
        raise Conflict(email_taken(), "email")
    if db.session.get(District, details.district_id) is None:
        raise Refusal(_("Choose your district from the list."), "district_id")
    values = normalised(
        TraineeDetails(
            cnic=details.cnic,
            full_name=details.full_name,
            gender=details.gender,
            date_of_birth=details.date_of_birth,
            phone=details.phone,
            district_id=details.district_id,
            area=details.area,
            education=details.education,
            email=email,
        )
    )
    existing = db.session.scalar(select(Trainee).where(Trainee.cnic == values["cnic"]))
    if existing is not None and existing.user_id is not None:
        raise Conflict(cnic_taken(), "cnic")
    if existing is not None and existing.date_of_birth != details.date_of_birth:
        raise Conflict(
            _(
                "A trainee record with this CNIC exists with another date of birth. "
                "Ask your training centre to check it."
            ),
            "cnic",
        )
    if existing is None and not details.gender_confirmed and cnic_disagrees_with_gender(values["cnic"], details.gender):
        raise Refusal(
            _(
                "The last digit of a CNIC is odd for men and even for women, and yours does not match the gender "
                "you chose. Check both; if they are right, tick this box."
            ),
            "gender_confirmed",
        )
    user = UserAccount(
        email=email,
        phone=phone,
        confirmed=False,
        password_hash=hash_password(details.password),
        full_name=values["full_name"],
        role=Role.TRAINEE,
        active=True,
    )
    trainee = existing if existing is not None else Trainee(**values)
    trainee.language = current_language()  # she reads the site in it: her messages follow
    if existing is None:
        trainee.outcome_consent = details.outcome_consent
    elif existing.outcome_consent is not details.outcome_consent:  # her own answer, given now, counts
        trainee.outcome_consent = details.outcome_consent
        trainee.outcome_consent_changed_at = utcnow()
    try:
        # A savepoint: the same number, email or CNIC signed up at the same moment by another request
        # passes the checks above and is stopped here, by the unique constraints.
        with db.session.begin_nested():
            db.session.add(user)
            db.session.add(trainee)
            trainee.user = user
    except IntegrityError as error:
        raise taken_at_the_same_moment(error) from None
    record(user, "account.sign_up", user, after=snapshot(user, SIGN_UP_FIELDS))
    record(user, "trainee.link_account" if existing else "trainee.create", trainee, after={"user_id": user.id})
    return user


def phone_taken() -> str:
    return _("An account with this mobile number already exists. Sign in, or reset your password.")


def email_taken() -> str:
    return _("An account with this email already exists. Sign in, or reset your password.")


def cnic_taken() -> str:
    return _("An account already exists for this CNIC. Sign in, or reset your password.")


def taken_at_the_same_moment(error: IntegrityError) -> Conflict:
    """The refusal for a sign-up stopped by a unique constraint: the same words as the checks before it,
    next to the field whose constraint it was (the number unless the database names another)."""
    said = str(error.orig).lower()
    if "email" in said:
        return Conflict(email_taken(), "email")
    if "cnic" in said or "user_id" in said:
        return Conflict(cnic_taken(), "cnic")
    return Conflict(phone_taken(), "phone")


def confirm_account(user: UserAccount, code: PhoneCode, typed: str) -> UserAccount:
    """Confirm ``user``'s sign-up with the code sent to her number (a try already spent on ``code``:
    ``auth.codes``): she may sign in from now on. Raises ``WrongCode`` for a wrong code; writes
    ``account.confirm``."""
    check_code(code, typed)
    user.confirmed = True
    record(user, "account.confirm", user, after={"phone": user.phone})
    return user


def reset_with_code(user: UserAccount, code: PhoneCode, typed: str, new: str) -> "Revoked":
    """Set ``user``'s password with the code sent to her number (a try already spent on ``code``), for an
    account without email. The code proves her number, so an account still waiting for its sign-up code
    is confirmed too. Ends every session and revokes every API token (``set_password``). Raises
    ``WrongCode`` or a password refusal."""
    check_password_strength(new, email=user.email or "", field="new_password")
    check_code(code, typed)
    if not user.confirmed:
        user.confirmed = True
        record(user, "account.confirm", user, after={"phone": user.phone})
    return set_password(user, new, actor=user, reason="SMS code")


@dataclass(frozen=True)
class Revoked:
    """What a new password or a deactivation ended: other sessions and API tokens that still worked."""

    sessions: int
    tokens: int


def revoke_access(user: UserAccount, *, keep: UserSession | None = None) -> Revoked:
    """End ``user``'s sessions (all but ``keep``) and revoke her API tokens: whoever held a copy of either
    (a stolen cookie, a leaked token) is out. Writes no audit event: the caller's event records the counts."""
    return Revoked(sessions=end_sessions(user, keep=keep), tokens=revoke_all_tokens(user))


def change_password(user: UserAccount, current: str, new: str, *, keep: UserSession | None = None) -> Revoked:
    """Change ``user``'s own password after checking the current one. Ends her other sessions (``keep``: the
    one she changed it in) and revokes her API tokens; one audit event, with how many of each."""
    if not check_password_hash(user.password_hash, current):
        raise Refusal(_("The current password is not correct."), "current_password")
    check_password_strength(new, email=user.email or "", field="new_password")
    user.password_hash = hash_password(new)
    revoked = revoke_access(user, keep=keep)
    record(user, "account.password_change", user, after=revoked_counts(revoked))
    return revoked


def set_password(user: UserAccount, new: str, *, actor: UserAccount | None, reason: str = "") -> Revoked:
    """Set ``user``'s password (a reset link, an admin or the CLI; ``actor`` None means the CLI). Ends every
    session of hers and revokes her API tokens: whoever had the old password may have used it."""
    check_password_strength(new, email=user.email or "", field="new_password")
    user.password_hash = hash_password(new)
    revoked = revoke_access(user)
    record(actor, "account.password_set", user, after=revoked_counts(revoked), reason=reason)
    return revoked


def end_every_session(user: UserAccount) -> int:
    """Sign out everywhere: end every session of ``user``, the one asking included (its cookie is cleared
    by the caller). API tokens stay: they are listed and revoked on their own page. One audit event."""
    ended = end_sessions(user)
    record(user, "account.sign_out_everywhere", user, after={"sessions_ended": ended})
    return ended


def revoked_counts(revoked: Revoked) -> dict[str, int]:
    return {"sessions_ended": revoked.sessions, "tokens_revoked": revoked.tokens}


# Two kinds of link set a password: a reset someone asked for (short-lived) and the welcome link of an
# account an admin made (it may sit in an inbox for days). Different salts keep one from passing as
# the other.
LINK_PURPOSES = {"reset": "PASSWORD_RESET_MAX_AGE", "welcome": "ACCOUNT_WELCOME_MAX_AGE"}


def _link_serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"{RESET_SALT}.{purpose}")


def link_max_age(purpose: str) -> int:
    """Seconds a ``purpose`` link works (settings ``PASSWORD_RESET_MAX_AGE``, ``ACCOUNT_WELCOME_MAX_AGE``)."""
    return current_app.config[LINK_PURPOSES[purpose]]


def password_reset_token(user: UserAccount, purpose: str = "reset") -> str:
    """A signed token for a link that sets ``user``'s password. It carries a digest of the current
    password, so it stops working as soon as the password changes (used once), and it expires after
    ``link_max_age(purpose)`` seconds."""
    return _link_serializer(purpose).dumps({"user": user.id, "version": user.session_version})


def user_for_reset_token(token: str) -> UserAccount:
    """The account a reset or welcome token was made for; ``Refusal`` when it is forged, used or expired."""
    data, expired = None, False
    for purpose in LINK_PURPOSES:
        try:
            data = _link_serializer(purpose).loads(token, max_age=link_max_age(purpose))
            break
        except SignatureExpired:
            expired = True
        except BadSignature:
            continue
    if data is None:
        if expired:
            raise Refusal(_("This link has expired. Ask for a new one."))
        raise Refusal(_("This link is not valid. Ask for a new one."))
    user = db.session.get(UserAccount, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or user.session_version != data.get("version"):
        raise Refusal(_("This link has already been used or is no longer valid. Ask for a new one."))
    return user


def active_user_by_email(email: str) -> UserAccount | None:
    return db.session.scalar(
        select(UserAccount).where(UserAccount.email == normalise_email(email), UserAccount.active.is_(True))
    )


def active_user_by_phone(phone: str) -> UserAccount | None:
    """The active account whose mobile number is ``phone`` (stored form, E.164)."""
    return db.session.scalar(select(UserAccount).where(UserAccount.phone == phone, UserAccount.active.is_(True)))


# Accounts that admins manage -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountDetails:
    """An account as an admin (or the CLI) describes it. ``province`` only for overseers (None:
    national) and callers; ``centres`` only for staff (at least one) and callers (a province or centres)."""

    email: str
    full_name: str
    role: Role
    province: Province | None = None
    centres: tuple[Centre, ...] = ()
    active: bool = True


def _check_scope(details: AccountDetails) -> None:
    """Staff work at one centre at least; a caller covers one province or some centres (one or the other);
    overseers may have a province (none: national); nobody else has a scope."""
    if details.role is Role.STAFF and not details.centres:
        raise Refusal(_("Staff must work at one centre at least: choose their centres."), "centres")
    if details.role is Role.CALLER:
        if details.province is None and not details.centres:
            raise Refusal(_("A caller covers one province or some centres: choose one or the other."), "province")
        if details.province is not None and details.centres:
            raise Refusal(
                _("A caller covers one province or some centres, not both: leave the other empty."), "centres"
            )
    elif details.role is not Role.STAFF and details.centres:
        raise Refusal(_("Only staff and callers work at centres: remove the centres or change the role."), "centres")
    if details.role not in (Role.OVERSEER, Role.CALLER) and details.province is not None:
        raise Refusal(_("Only overseers and callers have a province: leave it empty for other roles."), "province")
    if details.role is Role.TRAINEE:
        raise Refusal(_("Trainee accounts are made by signing up, with the trainee's CNIC."), "role")


def create_account(details: AccountDetails, password: str, *, actor: UserAccount | None) -> UserAccount:
    """Create a staff, overseer, caller or admin account. ``actor`` None means the CLI."""
    email = normalise_email(details.email)
    _check_scope(details)
    if db.session.scalar(select(func.count(UserAccount.id)).where(UserAccount.email == email)):
        raise Conflict(_("An account with this email already exists."), "email")
    check_password_strength(password, email=email)
    user = UserAccount(
        email=email,
        full_name=checked("full_name", normalise_name, details.full_name),
        role=details.role,
        province=details.province,
        active=details.active,
        password_hash=hash_password(password),
    )
    user.memberships = [CentreMembership(centre=centre) for centre in details.centres]
    db.session.add(user)
    record(actor, "account.create", user, after=_account_snapshot(user))
    return user


def update_account(user: UserAccount, details: AccountDetails, *, actor: UserAccount) -> UserAccount:
    """Change an account's name, email, role, province, centres or active flag.

    A trainee account stays a trainee's, with no province or centres. An admin cannot demote or
    deactivate their own account (someone must stay able to manage accounts). A deactivation ends every
    session of the account and revokes its API tokens for good: a reactivation brings none of them back.
    Writes one audit event: ``account.deactivate`` (with how many sessions and tokens it ended) /
    ``account.reactivate`` when the active flag changes, else ``account.update`` (nothing when nothing
    changed)."""
    email = normalise_email(details.email) or None
    if email is None and user.phone is None:
        raise Refusal(_("Enter the email address: this account has no mobile number to sign in with."), "email")
    if user.role is Role.TRAINEE and details.role is not Role.TRAINEE:
        raise Refusal(_("A trainee account cannot be given another role."), "role")
    if details.role is Role.TRAINEE:
        if details.province is not None or details.centres:
            raise Refusal(_("Trainee accounts have no province or centres."), "role")
    else:
        _check_scope(details)
    if user.id == actor.id and not details.active:
        raise Refusal(_("You cannot deactivate your own account."), "active")
    if user.id == actor.id and details.role is not Role.ADMIN:
        raise Refusal(_("You cannot remove your own admin rights."), "role")
    clash = email and db.session.scalar(
        select(UserAccount.id).where(UserAccount.email == email, UserAccount.id != user.id)
    )
    if clash:
        raise Conflict(_("An account with this email already exists."), "email")
    before = _account_snapshot(user)
    user.email = email
    if details.full_name != user.full_name:  # a stored name is not re-judged by today's rules
        user.full_name = checked("full_name", normalise_name, details.full_name)
    user.role = details.role
    user.province = details.province
    user.active = details.active
    wanted = {centre.id for centre in details.centres}
    user.memberships = [m for m in user.memberships if m.centre_id in wanted] + [
        CentreMembership(centre=centre)
        for centre in details.centres
        if centre.id not in {m.centre_id for m in user.memberships}
    ]
    db.session.flush()
    after = _account_snapshot(user)
    if before["active"] and not after["active"]:
        revoked = revoke_access(user)
        record(actor, "account.deactivate", user, before=before, after=after | revoked_counts(revoked))
    elif before["active"] != after["active"]:
        record(actor, "account.reactivate", user, before=before, after=after)
    elif after != before:
        record(actor, "account.update", user, before=before, after=after)
    return user


def _account_snapshot(user: UserAccount) -> dict:
    data = snapshot(user, ACCOUNT_FIELDS)
    data["centres"] = sorted(m.centre.code if m.centre else m.centre_id for m in user.memberships)
    return data
