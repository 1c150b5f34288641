"""``flask outbox send``: send the queued messages to trainees, for those who run it from cron or a timer
(every minute) instead of ``flask worker``; safe on several hosts at once (``notifications.sender``)."""

import click
from flask.cli import AppGroup

from notifications.sender import send_pending

outbox_cli = AppGroup("outbox", help="Send the messages queued for trainees.")


@outbox_cli.command("send")
@click.option("--limit", default=500, show_default=True, help="Send at most this many messages.")
def send_command(limit: int) -> None:
    """Send the queued email and SMS messages that are due, oldest first; a failure is retried later
    (backoff), and after the last attempt the message is failed, for an admin to retry or discard. Exits
    with 1 when SMS wait because no SMS sender is configured (SMS_BACKEND), so that cron tells someone."""
    result = send_pending(limit)
    click.echo(f"Sent {result.sent} messages; {result.failed} failed (retried later unless failed for good).")
    if result.given_up:
        click.echo(f"{result.given_up} messages failed for good: see the outbox page to retry or discard them.")
    if result.held:
        raise click.ClickException(
            f"{result.held} SMS not sent: SMS_BACKEND is not set, so no SMS sender is configured. They stay "
            "queued: set SMS_BACKEND to the sender to use (`http` for the SMS gateway, `log` writes them to the "
            "log, unsent) and run this again."
        )
