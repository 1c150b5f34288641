"""The outbox: messages to trainees, written in the same transaction as the change they announce and
sent later by the sender (``flask worker``, or ``flask outbox send`` from cron). A change that rolls back
therefore never announces itself, and a slow mail server or SMS gateway never holds up an enrollment."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import Channel, MessageStatus


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class OutboxMessage(db.Model):
    """One message to one person on one channel.

    ``status`` says where it is (``MessageStatus``). A sender claims a pending message for a while
    (``claimed_by``, ``claimed_until``: a lease) before sending it, so that senders on several hosts never
    send one message at the same time, and a claim left by a host that crashed runs out and the message is
    sent by another. ``idempotency_key`` never changes: it goes to the gateway with every attempt, so that a
    message sent again after a crash between sending and recording it is recognised there as the same one.
    ``attempts``, ``next_attempt_at`` and ``last_error`` hold the retries (exponential backoff);
    ``provider_ref`` is the gateway's id of the message, which its delivery receipts name.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The sender's claim and the metrics read pending messages by status, oldest first.
        Index("ix_outbox_message_status_id", "status", "id"),
        # The failed-messages page, newest first, and the receipts' look-up by the gateway's id.
        Index("ix_outbox_message_provider_ref", "provider_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        enum_type(MessageStatus, "message_status"), default=MessageStatus.PENDING, server_default="pending"
    )
    idempotency_key: Mapped[str] = mapped_column(String(64), default=new_idempotency_key, unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_ref: Mapped[str] = mapped_column(String(100), default="", server_default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.channel.value} {self.status.value}>"
