"""``flask outbox send``: send the queued messages to trainees (run it every minute from cron or a timer)."""

import click
from flask.cli import AppGroup

from notifications.outbox import send_pending

outbox_cli = AppGroup("outbox", help="Send the messages queued for trainees.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Send at most this many messages.")
def send_command(limit: int) -> None:
    """Send queued email and SMS messages, oldest first; failures are kept and retried next time."""
    sent, failed = send_pending(limit)
    click.echo(f"Sent {sent} messages; {failed} failed (they will be retried).")
