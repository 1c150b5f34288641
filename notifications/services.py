"""What people (admins) and gateways (delivery receipts) do to outbox messages.

``retry_message`` and ``discard_message``: an admin's decision about a failed message, audited
(``outbox.retry``, ``outbox.discard``). ``apply_receipt``: a gateway's delivery receipt moving a message to
``delivered`` or ``failed``. All flush, none commits.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_administer
from database import utcnow
from enrollments.services.rules import NotAllowed
from extensions import db
from notifications.models import OutboxMessage
from refusals import Conflict
from vocabulary import MessageStatus

M = MessageStatus
# Delivery receipts' words for "delivered" and "failed" (Twilio's MessageStatus; the SMPP-style states most
# Pakistani gateways pass on: DELIVRD, UNDELIV, REJECTD, EXPIRED). Any other word (queued, sent, accepted)
# says nothing new: the receipt is acknowledged and changes nothing.
DELIVERED_WORDS = frozenset({"delivered", "delivrd", "success", "successful"})
FAILED_WORDS = frozenset({"failed", "undelivered", "undeliv", "rejected", "rejectd", "expired", "error"})


def require_admin(actor: UserAccount) -> None:
    if not can_administer(actor):
        raise NotAllowed(_("Only admins can retry or discard messages."))


def require_failed(message: OutboxMessage) -> None:
    if message.status is not M.FAILED:
        raise Conflict(
            _(
                "This message is no longer failed (it is now: %(status)s), so there is nothing to do.",
                status=message.status.label,
            )
        )


def retry_message(message: OutboxMessage, *, actor: UserAccount) -> OutboxMessage:
    """Put a failed message back in the queue with a fresh set of attempts, due at once; its last error
    stays for reference. Audited (``outbox.retry``). Refused: not an admin (``NotAllowed``), the message is
    not failed (``Conflict``: someone retried or discarded it meanwhile)."""
    require_admin(actor)
    require_failed(message)
    before = {"status": message.status.value, "attempts": message.attempts, "last_error": message.last_error}
    message.status = M.PENDING
    message.attempts = 0
    message.next_attempt_at = None
    record(actor, "outbox.retry", message, before=before, after={"status": M.PENDING.value, "kind": message.kind})
    return message


def discard_message(message: OutboxMessage, *, actor: UserAccount) -> OutboxMessage:
    """Give up a failed message for good: it is never sent. Audited (``outbox.discard``). Refused as
    ``retry_message`` is."""
    require_admin(actor)
    require_failed(message)
    before = {"status": message.status.value, "attempts": message.attempts, "last_error": message.last_error}
    message.status = M.DISCARDED
    record(actor, "outbox.discard", message, before=before, after={"status": M.DISCARDED.value, "kind": message.kind})
    return message


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt as read from a gateway's request: the message it names (the gateway's id, or our
    idempotency key), the gateway's word for its state, and the error it gave."""

    reference: str
    status: str
    error: str = ""


def apply_receipt(receipt: Receipt) -> OutboxMessage | None:
    """Move the message ``receipt`` names to ``delivered`` (from sent, or from failed: it did arrive) or to
    ``failed`` (from sent, with the gateway's error as ``last_error``). Returns the message changed, None
    when the receipt names no message of ours or says nothing new (a receipt for "queued", a second one).
    A discarded message stays discarded. Flushes."""
    word = receipt.status.strip().lower()
    if not receipt.reference or word not in DELIVERED_WORDS | FAILED_WORDS:
        return None
    message = db.session.scalar(
        select(OutboxMessage)
        .where(or_(OutboxMessage.provider_ref == receipt.reference, OutboxMessage.idempotency_key == receipt.reference))
        .limit(1)
        .with_for_update()
    )
    if message is None:
        return None
    if word in DELIVERED_WORDS and message.status in (M.SENT, M.FAILED):
        message.status = M.DELIVERED
        message.delivered_at = utcnow()
    elif word in FAILED_WORDS and message.status is M.SENT:
        message.status = M.FAILED
        message.last_error = f"Delivery receipt: {receipt.status} {receipt.error}".strip()[:2000]
    else:
        return None
    db.session.flush()
    return message
