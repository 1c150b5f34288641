"""Sending the outbox, safe on every host at once.

A sender (``flask worker`` on each host, or ``flask outbox send`` from cron) works in batches:

1. **Claim** up to ``OUTBOX_BATCH_SIZE`` pending messages that are due (``next_attempt_at`` passed) and not
   claimed by a live lease: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``, so that senders on
   other hosts skip the rows this one is claiming instead of waiting for them; SQLite serialises writers
   (``BEGIN IMMEDIATE``), so there the claim is atomic anyway, and one host is all SQLite serves. The claim
   (``claimed_by``, ``claimed_until`` = now + ``OUTBOX_LEASE_SECONDS``) is committed at once: it is a lease,
   and a host that dies holding it only delays its messages until it runs out.
2. **Send** the claimed messages ``OUTBOX_CONCURRENCY`` at a time (threads waiting for the gateway
   together), each with its idempotency key (``OutboxMessage.idempotency_key``, the same at every attempt),
   then **record** the group's outcomes and commit. Delivery is at least once: a crash after the gateway
   accepted a message but before its "sent" was committed leaves it pending, and the next sender sends it
   again under the same key, which the gateway (or the reader's mail client, by Message-ID) recognises.
   A sender stops taking messages from its batch before its lease could run out during the next send,
   and hands the rest back.
3. A failure is recorded (``attempts``, ``last_error``) and retried after an exponential backoff
   (``OUTBOX_BACKOFF_SECONDS`` × 2^(attempts−1), at most ``OUTBOX_BACKOFF_MAX_SECONDS``); after
   ``OUTBOX_MAX_ATTEMPTS`` attempts, or at once when the gateway refuses the message for good
   (``PermanentFailure``: a number it will never deliver to), the message is ``failed``, and admins see it
   on the outbox page (``notifications.admin``) to retry or discard.

Email goes through ``mail.send_email``; SMS through the sender named by ``SMS_BACKEND`` (``SMS_SENDERS``):
``http`` is the SMS gateway (``notifications.sms``), ``log`` writes each SMS to the log with the number masked.
In production ``SMS_BACKEND`` has no default: until it is set, SMS stay queued, untouched ("held"), and
``flask outbox send`` says so and exits with 1.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, or_, select, update

from database import utcnow
from enrollments.identity import mask_phone
from extensions import db
from mail import send_email
from notifications.models import OutboxMessage
from vocabulary import Channel, MessageStatus

log = logging.getLogger("markaz.sms")
sender_log = logging.getLogger("markaz.sender")

# An SMS sender takes the number, the text and the message's idempotency key, and returns the gateway's id
# for the message ("" when it gives none); it raises to say the message was not accepted.
SmsSender = Callable[[str, str, str], str]


class PermanentFailure(Exception):
    """The gateway refused a message for good (an invalid number, a barred recipient): retrying would
    only be refused again, so the message fails at once."""


def log_sms(recipient: str, body: str, key: str) -> str:
    """The ``log`` sender: the text goes to the log (for local use), the number masked (``0*** ****567``):
    logs are kept and read more widely than the trainee records they would otherwise copy numbers from."""
    log.warning("SMS (SMS_BACKEND=log, not sent) to %s: %s", mask_phone(recipient), body)
    return ""


def http_sms(recipient: str, body: str, key: str) -> str:
    """The ``http`` sender: the SMS gateway configured by the ``MARKAZ_SMS_*`` settings."""
    from notifications.sms import gateway_from_config

    return gateway_from_config(current_app.config).send(recipient, body, key)


SMS_SENDERS: dict[str, SmsSender] = {"log": log_sms, "http": http_sms}


@dataclass(frozen=True)
class Sent:
    """What a run of the sender did: messages sent, attempts that failed (of which ``given_up`` were the
    last ones: those messages are now ``failed``), and SMS held back because no SMS sender is configured."""

    sent: int
    failed: int
    held: int = 0
    given_up: int = 0

    def __add__(self, other: "Sent") -> "Sent":
        return Sent(
            self.sent + other.sent,
            self.failed + other.failed,
            max(self.held, other.held),
            self.given_up + other.given_up,
        )


def sms_sender() -> SmsSender | None:
    """The SMS sender named by ``SMS_BACKEND``; None when it is not set (production until someone chooses).
    ``RuntimeError`` for a name no sender has."""
    backend = current_app.config.get("SMS_BACKEND", "")
    if not backend:
        return None
    if backend not in SMS_SENDERS:
        raise RuntimeError(f"SMS_BACKEND={backend!r} names no SMS sender; known: {', '.join(SMS_SENDERS)}")
    return SMS_SENDERS[backend]


def sender_name() -> str:
    """Who claims: host, process and a random part (two senders in one process, as the tests run, differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: doubling from ``OUTBOX_BACKOFF_SECONDS``,
    capped at ``OUTBOX_BACKOFF_MAX_SECONDS``."""
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_MAX_SECONDS"]))


def due_messages(now: datetime, *, with_sms: bool):
    """The conditions of a message a sender may claim at ``now``: pending, due, no live lease on it."""
    conditions = [
        OutboxMessage.status == MessageStatus.PENDING,
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    ]
    if not with_sms:
        conditions.append(OutboxMessage.channel != Channel.SMS)
    return conditions


def claim_batch(claimer: str, limit: int, *, with_sms: bool, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for ``claimer``, oldest first, and commit the claim. Returns
    their ids. On PostgreSQL rows other senders are claiming right now are skipped (SKIP LOCKED); a row
    whose claim another sender committed a moment ago no longer matches (PostgreSQL re-checks a locked row's
    conditions against its newest version), so no two senders ever hold one message."""
    now = now or utcnow()
    stmt = select(OutboxMessage.id).where(*due_messages(now, with_sms=with_sms)).order_by(OutboxMessage.id)
    stmt = stmt.limit(limit)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stmt))
    if ids:
        lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(claimed_by=claimer, claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def release(claimer: str, ids: list[int]) -> None:
    """Hand back the claims of ``ids`` still held by ``claimer`` (a sender stopping before it sent them):
    other senders may take them at once instead of waiting for the lease to run out. Commits."""
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == claimer)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def held_sms() -> int:
    """SMS waiting because no SMS sender is configured."""
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.channel == Channel.SMS
        )
    )


@dataclass(frozen=True)
class Outgoing:
    """What a send needs, read from the row once before the send (threads never touch the session, and the
    group's outcomes are written without loading the rows again)."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    key: str
    attempts: int
    last_error: str
    claimed_until: datetime

    @classmethod
    def of(cls, message: OutboxMessage) -> "Outgoing":
        return cls(
            message.id,
            message.channel,
            message.recipient,
            message.subject,
            message.body,
            message.idempotency_key,
            message.attempts,
            message.last_error,
            message.claimed_until,
        )


def deliver(outgoing: Outgoing, sms: SmsSender | None) -> str | Exception:
    """Hand one message to its channel, with its idempotency key. Returns the gateway's reference for it, or
    the exception that says it was not accepted. Touches no database: it runs in the sender's threads."""
    try:
        if outgoing.channel is Channel.EMAIL:
            send_email(outgoing.recipient, outgoing.subject, outgoing.body, message_id=outgoing.key)
            return ""
        return sms(outgoing.recipient, outgoing.body, outgoing.key) or ""
    except Exception as error:  # any sender failure is recorded on the message and retried
        return error


def outcome_values(outgoing: Outgoing, outcome: str | Exception) -> dict:
    """The row's new values after one attempt: sent with the gateway's reference, or the error kept and the
    message retried after ``backoff`` — ``failed`` after the last attempt or a ``PermanentFailure``. The
    claim ends either way."""
    attempts, now = outgoing.attempts + 1, utcnow()
    values = {
        "id": outgoing.id,
        "attempts": attempts,
        "status": MessageStatus.PENDING,
        "sent_at": None,
        "next_attempt_at": None,
        "last_error": outgoing.last_error,
        "provider_ref": "",
        "claimed_by": None,
        "claimed_until": None,
    }
    if isinstance(outcome, Exception):
        values["last_error"] = f"{type(outcome).__name__}: {outcome}"[:2000]
        if isinstance(outcome, PermanentFailure) or attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            values["status"] = MessageStatus.FAILED
            sender_log.error("Message %s failed after %s attempts: %s", outgoing.id, attempts, outcome)
        else:
            values["next_attempt_at"] = now + backoff(attempts)
    else:
        values |= {"status": MessageStatus.SENT, "sent_at": now, "provider_ref": outcome[:100]}
    return values


def attempt(message: OutboxMessage, sms: SmsSender | None) -> None:
    """Send ``message`` once and record the outcome on it (no commit)."""
    for name, value in outcome_values(Outgoing.of(message), deliver(Outgoing.of(message), sms)).items():
        setattr(message, name, value)


def sending_pool(app: Flask) -> ThreadPoolExecutor:
    """The process's threads for sending (``OUTBOX_CONCURRENCY``), kept for its life: each keeps its HTTP
    connection to the gateway alive between batches."""
    pool = app.extensions.get("outbox_pool")
    if pool is None:
        pool = app.extensions["outbox_pool"] = ThreadPoolExecutor(
            max_workers=app.config["OUTBOX_CONCURRENCY"], thread_name_prefix="outbox"
        )
    return pool


def deliver_all(outgoing: list[Outgoing], sms: SmsSender | None) -> list[str | Exception]:
    """``deliver`` each of ``outgoing`` at the same time (one thread each, up to ``OUTBOX_CONCURRENCY``), in
    the app's context (mail and gateway settings); the outcomes in the same order."""
    if len(outgoing) == 1:
        return [deliver(outgoing[0], sms)]
    app = current_app._get_current_object()

    def in_context(item: Outgoing) -> str | Exception:
        with app.app_context():
            return deliver(item, sms)

    return list(sending_pool(app).map(in_context, outgoing))


def send_claimed(claimer: str, ids: list[int], sms: SmsSender | None, *, stop: threading.Event | None = None) -> Sent:
    """Send the messages ``claimer`` claimed, oldest first, ``OUTBOX_CONCURRENCY`` at a time (the gateway's
    answers are waited for together), and write each group's outcomes in one statement and commit: a crash
    re-sends at most one group, under the same keys. Stops taking messages when ``stop`` is set (SIGTERM: the
    group in hand is finished and recorded) or when the lease could run out during the next send (a gateway
    timing out again and again), and hands back the claims it did not use."""
    sent = failed = given_up = 0
    margin = timedelta(seconds=current_app.config["SMS_TIMEOUT_SECONDS"] + 5)
    group_size = max(1, current_app.config["OUTBOX_CONCURRENCY"])
    # Read as plain rows, in Outgoing's order (no objects in the session): outcomes are written by primary key.
    M = OutboxMessage
    rows = db.session.execute(
        select(M.id, M.channel, M.recipient, M.subject, M.body, M.idempotency_key, M.attempts, M.last_error)
        .add_columns(M.claimed_until)
        .where(M.id.in_(ids), M.claimed_by == claimer)
        .order_by(M.id)
    ).all()
    claimed = [Outgoing(*row) for row in rows]
    done: set[int] = set()
    for start in range(0, len(claimed), group_size):
        group = claimed[start : start + group_size]
        if (stop is not None and stop.is_set()) or utcnow() + margin > min(item.claimed_until for item in group):
            break
        outcomes = [outcome_values(item, outcome) for item, outcome in zip(group, deliver_all(group, sms), strict=True)]
        db.session.execute(update(OutboxMessage), outcomes)
        db.session.commit()
        for values in outcomes:
            done.add(values["id"])
            if values["status"] is MessageStatus.SENT:
                sent += 1
            else:
                failed += 1
                given_up += values["status"] is MessageStatus.FAILED
    left = [message_id for message_id in ids if message_id not in done]
    if left:
        release(claimer, left)
    return Sent(sent, failed, 0, given_up)


def send_batch(claimer: str, *, limit: int | None = None, stop: threading.Event | None = None) -> tuple[Sent, int]:
    """Claim one batch and send it. Returns what was done and how many messages were claimed (a full batch
    means more are probably waiting). Without an SMS sender, SMS are not claimed, only counted as held."""
    sms = sms_sender()
    size = min(limit or current_app.config["OUTBOX_BATCH_SIZE"], current_app.config["OUTBOX_BATCH_SIZE"])
    ids = claim_batch(claimer, size, with_sms=sms is not None)
    result = send_claimed(claimer, ids, sms, stop=stop) if ids else Sent(0, 0)
    held = held_sms() if sms is None else 0
    db.session.commit()
    return Sent(result.sent, result.failed, held, result.given_up), len(ids)


def send_pending(limit: int = 500, *, stop: threading.Event | None = None) -> Sent:
    """Send up to ``limit`` due messages, batch after batch (``flask outbox send``). See the module's
    docstring for claims, retries and what "at least once" means here."""
    claimer = sender_name()
    total = Sent(0, 0)
    while limit > 0 and not (stop is not None and stop.is_set()):
        asked = min(limit, current_app.config["OUTBOX_BATCH_SIZE"])
        result, claimed = send_batch(claimer, limit=asked, stop=stop)
        total, limit = total + result, limit - claimed
        if claimed < asked:  # nothing more is due now
            break
    return total


def send_now(message_id: int) -> Sent:
    """Send one queued message at once, after the request that queued it has committed: an SMS code must
    not wait for the next run of the sender (it expires in minutes), and in development, where no worker
    may run, it reaches the log at once, as emails do. The message is claimed like any other, so a worker
    running at the same moment does not send it too. Without an SMS sender it stays queued (held). Commits;
    a failure is left for the sender to retry."""
    sms = sms_sender()
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status is not MessageStatus.PENDING:
        return Sent(0, 0)
    if message.channel is Channel.SMS and sms is None:
        return Sent(0, 0, held=1)
    claimer, now = sender_name(), utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == MessageStatus.PENDING,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .values(claimed_by=claimer, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:  # a sender has it in hand
        return Sent(0, 0)
    return send_claimed(claimer, [message_id], sms)
