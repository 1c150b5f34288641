"""Queueing messages to trainees and sending them.

``queue`` adds a message per channel the trainee can be reached on (email when she gave one, SMS to
her phone) in the caller's transaction. ``send_pending`` (``flask outbox send``) sends what is queued:
email through ``mail.send_email``; SMS through the sender named by ``SMS_BACKEND`` — no provider is
wired yet, so the default ``log`` sender writes each SMS to the log.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import insert, select

from database import utcnow
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


def log_sms(recipient: str, body: str) -> None:
    log.warning("SMS (SMS_BACKEND=log, not sent) to %s: %s", recipient, body)


SMS_SENDERS: dict[str, Callable[[str, str], None]] = {"log": log_sms}


def send_pending(limit: int = 500) -> tuple[int, int]:
    """Send up to ``limit`` queued messages, oldest first. A failure is recorded on the message and
    retried on the next run, up to ``MAX_ATTEMPTS``. Returns (sent, failed). Commits after each message,
    so that a crash never sends a message twice."""
    backend = current_app.config.get("SMS_BACKEND", "log")
    if backend not in SMS_SENDERS:
        raise RuntimeError(f"SMS_BACKEND={backend!r} names no SMS sender; known: {', '.join(SMS_SENDERS)}")
    sms = SMS_SENDERS[backend]
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
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
    return sent, failed
