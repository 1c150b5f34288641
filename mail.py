"""Sending email, by the ``MAIL_BACKEND`` setting: ``log`` writes the whole message to the log (local
use: the reset link appears in the terminal), ``smtp`` sends it through ``MAIL_SERVER``, ``memory``
keeps it in ``app.extensions["mail_outbox"]`` (tests)."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger("markaz.mail")


def send_email(to: str, subject: str, body: str, *, message_id: str | None = None) -> None:
    """Send a plain-text message to ``to``. Failures of the SMTP server propagate to the caller.
    ``message_id`` (the outbox message's idempotency key) becomes the Message-ID header, the same at every
    attempt, so that a copy sent again after a crash can be recognised as the same message."""
    config = current_app.config
    message = EmailMessage()
    if message_id:
        message["Message-ID"] = f"<{message_id}@markaz>"
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    backend = config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("mail_outbox", []).append(message)
    elif backend == "smtp":
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as server:
            if config["MAIL_USE_TLS"]:
                server.starttls()
            if config["MAIL_USERNAME"]:
                server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            server.send_message(message)
    else:
        log.warning("Email (MAIL_BACKEND=log, not sent) to %s: %s\n%s", to, subject, body)
