"""Queueing messages to trainees and sending them.

``queue`` adds a message per channel the trainee can be reached on (email when she gave one, SMS to
her phone) in the caller's transaction. ``send_pending`` (``flask outbox send``) sends what is queued:
email through ``mail.send_email``; SMS through the sender named by ``SMS_BACKEND`` — no provider is
wired yet, so the ``log`` sender (the default outside production) writes each SMS to the log, with the
number masked. In production ``SMS_BACKEND`` has no default: until it is set (to ``log`` on purpose, or
to a real sender), SMS stay queued, untouched, and ``flask outbox send`` says so and exits with 1.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, insert, select

from database import utcnow
from enrollments.identity import mask_phone
from enrollments.models import Enrollment, Trainee
from extensions import db
from mail import send_email
from notifications.models import OutboxMessage
from vocabulary import Channel

log = logging.getLogger("markaz.sms")
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Message:
    """One message for one trainee (sent on each channel she has)."""

    trainee: Trainee
    kind: str
    subject: str
    body: str
    enrollment_id: int | None = None


def outbox_rows(message: Message) -> list[dict]:
    """The outbox rows of ``message``: SMS to her phone, and email when she gave an address."""
    trainee = message.trainee
    channels = [(Channel.SMS, trainee.phone)]
    if trainee.email:
        channels.append((Channel.EMAIL, trainee.email))
    return [
        {
            "trainee_id": trainee.id,
            "enrollment_id": message.enrollment_id,
            "kind": message.kind,
            "channel": channel,
            "recipient": recipient,
            "subject": message.subject,
            "body": message.body,
        }
        for channel, recipient in channels
    ]


def queue(trainee: Trainee, kind: str, subject: str, body: str, *, enrollment: Enrollment | None = None) -> None:
    """Queue ``body`` for ``trainee`` on each channel she has; flushes, never commits."""
    message = Message(trainee, kind, subject, body, enrollment.id if enrollment is not None else None)
    for row in outbox_rows(message):
        db.session.add(OutboxMessage(**row))
    db.session.flush()


def queue_many(messages: list[Message]) -> None:
    """Queue many messages in one multi-row INSERT (work on a whole list at once); never commits."""
    rows = [row for message in messages for row in outbox_rows(message)]
    if rows:
        now = utcnow()
        db.session.execute(insert(OutboxMessage), [{**row, "created_at": now} for row in rows])


def queue_sms(recipient: str, kind: str, body: str, *, trainee: Trainee | None = None) -> OutboxMessage:
    """Queue one SMS to ``recipient`` alone (a code for the number typed, not a message for every channel
    she has); flushes, never commits. Returns the row, for ``send_now``."""
    message = OutboxMessage(
        trainee_id=trainee.id if trainee is not None else None,
        kind=kind,
        channel=Channel.SMS,
        recipient=recipient,
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    return message


def log_sms(recipient: str, body: str) -> None:
    """The ``log`` sender: the text goes to the log (for local use), the number masked (``0*** ****567``):
    logs are kept and read more widely than the trainee records they would otherwise copy numbers from."""
    log.warning("SMS (SMS_BACKEND=log, not sent) to %s: %s", mask_phone(recipient), body)


SMS_SENDERS: dict[str, Callable[[str, str], None]] = {"log": log_sms}


@dataclass(frozen=True)
class Sent:
    """What a run of ``send_pending`` did: messages sent, failed (kept for a retry), and SMS held back
    because no SMS sender is configured."""

    sent: int
    failed: int
    held: int = 0


def sms_sender() -> Callable[[str, str], None] | None:
    """The SMS sender named by ``SMS_BACKEND``; None when it is not set (production until someone chooses).
    ``RuntimeError`` for a name no sender has."""
    backend = current_app.config.get("SMS_BACKEND", "")
    if not backend:
        return None
    if backend not in SMS_SENDERS:
        raise RuntimeError(f"SMS_BACKEND={backend!r} names no SMS sender; known: {', '.join(SMS_SENDERS)}")
    return SMS_SENDERS[backend]


def send_pending(limit: int = 500) -> Sent:
    """Send up to ``limit`` queued messages, oldest first. A failure is recorded on the message and
    retried on the next run, up to ``MAX_ATTEMPTS``. Without an SMS sender (``SMS_BACKEND`` unset) SMS are
    left queued, not attempted, and counted as held. Commits after each message, so a crash re-sends at
    most one: delivery is at least once. A message a sender accepted just before a crash (or a lost
    connection) that kept its "sent" from being committed is still queued, and the next run sends it again."""
    sms = sms_sender()
    waiting = (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
    query = select(OutboxMessage).where(*waiting)
    held = 0
    if sms is None:
        query = query.where(OutboxMessage.channel != Channel.SMS)
        held = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(*waiting, OutboxMessage.channel == Channel.SMS)
        )
    pending = db.session.scalars(query.order_by(OutboxMessage.id).limit(limit)).all()
    return sent_one_by_one(pending, sms, held)


def send_now(message_id: int) -> Sent:
    """Send one queued message at once, after the request that queued it has committed: an SMS code must
    not wait for the next run of ``flask outbox send`` (it expires in minutes), and in development, where
    nothing runs that command, it reaches the log at once, as emails do. Without an SMS sender it stays
    queued (held). Commits; a failure is left for ``flask outbox send`` to retry."""
    sms = sms_sender()
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        return Sent(0, 0)
    if message.channel is Channel.SMS and sms is None:
        return Sent(0, 0, held=1)
    return sent_one_by_one([message], sms, 0)


def sent_one_by_one(pending: list[OutboxMessage], sms: Callable[[str, str], None] | None, held: int) -> Sent:
    """Send ``pending`` in order, committing after each (see ``send_pending``)."""
    sent = failed = 0
    for message in pending:
        message.attempts += 1
        try:
            if message.channel is Channel.EMAIL:
                send_email(message.recipient, message.subject, message.body)
            else:
                sms(message.recipient, message.body)
        except Exception as error:  # any sender failure is recorded and retried
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            failed += 1
        else:
            message.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return Sent(sent, failed, held)
