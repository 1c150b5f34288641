"""``flask outbox send``: send the queued messages to trainees (run it every minute from cron or a timer)."""

import click
from flask.cli import AppGroup

from notifications.outbox import send_pending

outbox_cli = AppGroup("outbox", help="Send the messages queued for trainees.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Send at most this many messages.")
def send_command(limit: int) -> None:
    """Send queued email and SMS messages, oldest first; failures are kept and retried next time. Exits
    with 1 when SMS wait because no SMS sender is configured (SMS_BACKEND), so that cron tells someone."""
    result = send_pending(limit)
    click.echo(f"Sent {result.sent} messages; {result.failed} failed (they will be retried).")
    if result.held:
        raise click.ClickException(
            f"{result.held} SMS not sent: SMS_BACKEND is not set, so no SMS sender is configured. They stay "
            "queued: set SMS_BACKEND to the sender to use (`log` writes them to the log, unsent) and run this again."
        )
