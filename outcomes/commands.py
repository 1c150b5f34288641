"""``flask outcomes send``: the outcome timer, for cron or a systemd timer (daily is enough; more often does no
harm). Idempotent and safe on several hosts at once (``outcomes.jobs``)."""

import click
from flask.cli import AppGroup

from database import utcnow
from outcomes.jobs import send_due_waves

outcomes_cli = AppGroup("outcomes", help="Outcome follow-ups: make due waves, queue their messages and reminders.")


@outcomes_cli.command("send")
def send_command() -> None:
    """Make the waves that have fallen due and queue their SMS and email (and reminders) in the outbox."""
    done = send_due_waves(utcnow())
    click.echo(
        f"{done['created']} waves made, {done['sent']} messages queued, {done['reminded']} reminders queued "
        "(sent by `flask outbox send`)."
    )
