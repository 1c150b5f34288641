"""Notifications go through the outbox: queued with the change, sent by ``flask outbox send``."""

import logging

import sqlalchemy as sa

from enrollments.services import apply
from extensions import db
from notifications.models import OutboxMessage
from notifications.sender import SMS_SENDERS
from vocabulary import Channel, Role


def test_applying_queues_a_message_per_channel_and_the_command_sends_them(app, make_cohort, make_user, make_trainee):
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user, email="ayesha@example.com")
    apply(trainee, make_cohort(seats=1), actor=user)
    db.session.commit()
    queued = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.channel, m.recipient, m.kind) for m in queued] == [
        (Channel.SMS, trainee.phone, "enrollment.enrolled"),
        (Channel.EMAIL, "ayesha@example.com", "enrollment.enrolled"),
    ]
    sms_sent = []
    SMS_SENDERS["test"] = lambda recipient, body, key: sms_sent.append((recipient, body)) or ""
    app.config["SMS_BACKEND"] = "test"
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    finally:
        del SMS_SENDERS["test"]
    assert "Sent 2 messages; 0 failed" in result.output
    assert [message["To"] for message in app.extensions["mail_outbox"]] == ["ayesha@example.com"]
    assert sms_sent and sms_sent[0][0] == trainee.phone and "You have a place" in sms_sent[0][1]
    db.session.expire_all()
    assert all(m.sent_at is not None for m in db.session.scalars(sa.select(OutboxMessage)))
    app.config["SMS_BACKEND"] = "log"
    assert "Sent 0 messages" in app.test_cli_runner().invoke(args=["outbox", "send"]).output


def test_a_failing_sender_is_retried_later(app, make_cohort, make_user, make_trainee):
    user = make_user(Role.TRAINEE)
    apply(make_trainee(user=user), make_cohort(), actor=user)
    db.session.commit()

    def broken(recipient, body, key):
        raise ConnectionError("gateway down")

    SMS_SENDERS["broken"] = broken
    app.config["SMS_BACKEND"] = "broken"
    try:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    finally:
        del SMS_SENDERS["broken"]
    assert "Sent 0 messages; 1 failed" in result.output
    db.session.expire_all()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert (message.sent_at, message.attempts) == (None, 1)
    assert "gateway down" in message.last_error
    assert message.next_attempt_at is not None  # not before its backoff has passed
    app.config["SMS_BACKEND"] = "log"
    assert "Sent 0 messages" in app.test_cli_runner().invoke(args=["outbox", "send"]).output
    message.next_attempt_at = None
    db.session.commit()
    assert "Sent 1 messages" in app.test_cli_runner().invoke(args=["outbox", "send"]).output


def test_recount_reports_and_fixes_drift(app, make_cohort):
    cohort = make_cohort(seats=5, enrolled_count=3)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["oversight", "recount"])
    assert result.exit_code == 1 and f"{cohort.code}: enrolled_count stored 3, actual 0" in result.output
    assert "Fixed 1 counters." in runner.invoke(args=["oversight", "recount", "--fix"]).output
    assert runner.invoke(args=["oversight", "recount"]).output.strip() == "No drift."


def test_the_log_sender_masks_the_number(app, make_cohort, make_user, make_trainee, caplog):
    """SMS_BACKEND=log writes the text (for local use) but never the whole mobile number."""
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user, phone="+923001234567")
    apply(trainee, make_cohort(seats=1), actor=user)
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="markaz.sms"):
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent 1 messages" in result.output
    [record] = [record for record in caplog.records if record.name == "markaz.sms"]
    assert "+923001234567" not in record.getMessage() and "3001234567" not in record.getMessage()
    assert "to 0*** ****567:" in record.getMessage() and "You have a place" in record.getMessage()


def test_without_an_sms_sender_sms_stay_queued_and_the_command_says_so(app, make_cohort, make_user, make_trainee):
    """Production sets no SMS_BACKEND by default: email goes, SMS wait untouched, and the command fails
    loudly (cron mails its output) until someone chooses a sender."""
    user = make_user(Role.TRAINEE)
    apply(make_trainee(user=user, email="ayesha@example.com"), make_cohort(seats=1), actor=user)
    db.session.commit()
    app.config["SMS_BACKEND"] = ""
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "Sent 1 messages; 0 failed" in result.output
    assert "1 SMS not sent: SMS_BACKEND is not set, so no SMS sender is configured." in result.output
    assert [message["To"] for message in app.extensions["mail_outbox"]] == ["ayesha@example.com"]
    db.session.expire_all()
    sms = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.channel == Channel.SMS))
    assert (sms.sent_at, sms.attempts, sms.last_error) == (None, 0, "")

    app.config["SMS_BACKEND"] = "log"  # chosen on purpose
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "Sent 1 messages; 0 failed" in result.output
