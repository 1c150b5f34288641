"""outbox sender: status, claims, retries, idempotency key; request id on audit events

Revision ID: 7d40e10676e8
Revises: 2ff05a53689e
Create Date: 2026-12-03 11:17:36.910022

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7d40e10676e8"
down_revision = "2ff05a53689e"
branch_labels = None
depends_on = None


def upgrade():
    """New columns with server defaults, so existing rows keep working: a message already sent becomes
    ``sent``, one that had used up its 5 attempts ``failed`` (shown to admins to retry or discard), every other
    one stays ``pending``; each existing row gets a stable idempotency key made from its id."""
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "pending",
                    "sent",
                    "delivered",
                    "failed",
                    "discarded",
                    name="message_status",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="pending",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_ref", sa.String(length=100), server_default="", nullable=False))

    op.execute("UPDATE outbox_message SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute("UPDATE outbox_message SET status = 'failed' WHERE sent_at IS NULL AND attempts >= 5")
    op.execute("UPDATE outbox_message SET idempotency_key = 'outbox-' || CAST(id AS VARCHAR(20))")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("idempotency_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index(batch_op.f("ix_outbox_message_unsent"))
        batch_op.create_index("ix_outbox_message_provider_ref", ["provider_ref"], unique=False)
        batch_op.create_index("ix_outbox_message_status_id", ["status", "id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_message_idempotency_key"), ["idempotency_key"])


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_idempotency_key"), type_="unique")
        batch_op.drop_index("ix_outbox_message_status_id")
        batch_op.drop_index("ix_outbox_message_provider_ref")
        batch_op.create_index(batch_op.f("ix_outbox_message_unsent"), ["sent_at", "id"], unique=False)
        batch_op.drop_column("provider_ref")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("idempotency_key")
        batch_op.drop_constraint(op.f("ck_outbox_message_message_status"), type_="check")
        batch_op.drop_column("status")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("request_id")
