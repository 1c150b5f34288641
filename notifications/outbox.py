"""Queueing messages to trainees.

``queue`` adds a message per channel the trainee can be reached on (email when she gave one, SMS to
her phone) in the caller's transaction. The sender (``notifications.sender``: ``flask worker``, or
``flask outbox send`` from cron) sends what is queued.
"""

from dataclasses import dataclass

from sqlalchemy import insert

from database import utcnow
from enrollments.models import Enrollment, Trainee
from extensions import db
from notifications.models import OutboxMessage, new_idempotency_key
from vocabulary import Channel


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
    if rows := queued_rows(messages):
        db.session.execute(insert(OutboxMessage), rows)


def queued_rows(messages: list[Message]) -> list[dict]:
    """The ``outbox_message`` rows ``queue_many`` inserts for ``messages`` (with their time and idempotency
    key), for a writer that inserts them itself (``enrollments.services.changes.write_open_place``)."""
    rows = [row for message in messages for row in outbox_rows(message)]
    now = utcnow()
    return [{**row, "created_at": now, "idempotency_key": new_idempotency_key()} for row in rows]


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
