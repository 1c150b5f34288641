"""The outbox: messages to trainees, written in the same transaction as the change they announce and
sent later by ``flask outbox send``. A change that rolls back therefore never announces itself, and a
slow mail server never holds up an enrollment."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database import UTCDateTime, enum_type, utcnow
from extensions import db
from vocabulary import Channel


class OutboxMessage(db.Model):
    """One message to one person on one channel; ``sent_at`` is set once it has gone out."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trainee_id: Mapped[int | None] = mapped_column(ForeignKey("trainee.id"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment.id"))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.channel.value}>"
