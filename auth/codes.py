"""Codes sent by SMS: a new account's mobile number is confirmed with one, and an account without email
resets its password with one.

A code is 6 random digits. It is sent through the outbox (``notifications.outbox``) as an SMS in the
trainee's language, and only a keyed digest of it is stored (``PhoneCode``): an HMAC with the secret key,
so that a copy of the table does not give the codes away (six digits alone are tried in a moment). It
works for ``CODE_MINUTES`` minutes, for ``MAX_ATTEMPTS`` tries, once; asking for a new code ends the ones
before it. Sending is throttled per number and per address in the views (``auth/throttling.py``).

Trying a code takes two steps, because a wrong try must count even though the request is then refused
(and rolled back): ``spend_attempt`` takes one try from the live code with one conditional UPDATE (so
that tries made at the same moment cannot pass the limit together) and the view commits it; then
``check_code`` compares. Like every service here, none of these commits.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from auth.models import CodePurpose, PhoneCode, UserAccount
from database import utcnow
from enrollments.identity import DECIMAL_DIGITS, without_separators
from extensions import db
from language import message_language
from notifications.outbox import queue_sms
from refusals import Refusal

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5


class WrongCode(Refusal):
    """The code typed is not the one sent (or none is live): the refusal names the ``code`` field."""


def code_digest(purpose: CodePurpose, user_id: int, code: str) -> str:
    """The keyed digest stored for ``code``: it names the account and the purpose, so that a code sent for
    one cannot pass for another."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"markaz.phone-code:{purpose}:{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def code_message(purpose: CodePurpose, code: str) -> str:
    """The SMS that carries ``code``, in the current locale (the trainee's: ``message_language``)."""
    if purpose is CodePurpose.CONFIRM:
        return _(
            "Markaz: your code is %(code)s. Type it on the sign-up page within %(minutes)s minutes. "
            "Do not share it with anyone.",
            code=code,
            minutes=format_number(CODE_MINUTES),
        )
    return _(
        "Markaz: your code to choose a new password is %(code)s. It works for %(minutes)s minutes. "
        "If you did not ask for it, ignore this SMS.",
        code=code,
        minutes=format_number(CODE_MINUTES),
    )


def issue_code(user: UserAccount, purpose: CodePurpose) -> int:
    """Make a new code for ``user``'s mobile number, end the ones sent before it for the same purpose, and
    queue the SMS that carries it, in her language (``trainee.language``; the reader's for an account
    without a trainee record). Returns the outbox message's id, for ``send_now`` once the request has
    committed. Flushes, never commits."""
    now = utcnow()
    db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose, PhoneCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    db.session.add(
        PhoneCode(
            user_id=user.id,
            purpose=purpose,
            phone=user.phone,
            digest=code_digest(purpose, user.id, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
    )
    trainee = user.trainee
    with message_language(trainee.language if trainee is not None else None):
        body = code_message(purpose, code)
    return queue_sms(user.phone, f"code.{purpose}", body, trainee=trainee).id


def live_code(user: UserAccount, purpose: CodePurpose) -> PhoneCode | None:
    """The code of ``user`` for ``purpose`` that has not been used or replaced (it may have expired)."""
    return db.session.scalar(
        select(PhoneCode)
        .where(PhoneCode.user_id == user.id, PhoneCode.purpose == purpose, PhoneCode.consumed_at.is_(None))
        .order_by(PhoneCode.id.desc())
        .limit(1)
    )


def ask_for_a_new_one() -> str:
    return _("This code is not right, or no longer works: ask for a new code.")


def spend_attempt(user: UserAccount | None, purpose: CodePurpose) -> PhoneCode:
    """Take one try from ``user``'s live code for ``purpose``: the caller commits it before ``check_code``,
    so that a wrong code counts. Raises ``WrongCode`` when there is no account (an unknown number reads
    like a wrong code), no live code, the code has expired, or its ``MAX_ATTEMPTS`` tries are spent."""
    code = live_code(user, purpose) if user is not None else None
    if code is None:
        raise WrongCode(ask_for_a_new_one(), "code")
    if code.expires_at <= utcnow():
        raise WrongCode(_("This code has expired: ask for a new code."), "code")
    taken = db.session.execute(
        update(PhoneCode)
        .where(PhoneCode.id == code.id, PhoneCode.attempts < MAX_ATTEMPTS, PhoneCode.consumed_at.is_(None))
        .values(attempts=PhoneCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise WrongCode(
            _("This code was typed wrong %(count)s times: ask for a new code.", count=format_number(MAX_ATTEMPTS)),
            "code",
        )
    db.session.refresh(code)
    return code


def check_code(code: PhoneCode, typed: str) -> None:
    """Use ``code`` (a try already spent on it) if ``typed`` is it: marks it consumed. Raises ``WrongCode``
    saying how many tries are left otherwise. Digits of any script and spaces are read as typed on a
    phone (``normalise_code``)."""
    typed = normalise_code(typed)
    if not hmac.compare_digest(code.digest, code_digest(code.purpose, code.user_id, typed)):
        left = MAX_ATTEMPTS - code.attempts
        if left <= 0:
            raise WrongCode(
                _("This code was typed wrong %(count)s times: ask for a new code.", count=format_number(MAX_ATTEMPTS)),
                "code",
            )
        raise WrongCode(
            ngettext(
                "This is not the code we sent. You can try %(num)d more time.",
                "This is not the code we sent. You can try %(num)d more times.",
                left,
            ),
            "code",
        )
    code.consumed_at = utcnow()
    db.session.flush()


def normalise_code(typed: str | None) -> str:
    """The digits of a typed code, in ASCII (an Urdu keyboard types ۱۲۳), without spaces or dashes."""
    return without_separators((typed or "").translate(DECIMAL_DIGITS))
