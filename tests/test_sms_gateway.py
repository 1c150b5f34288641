"""The SMS gateway (notifications/sms.py) against a fake gateway on 127.0.0.1 that fails, times out and
answers slowly; segments of GSM-7 and Urdu (UCS-2) texts."""

import base64
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from database import utcnow
from extensions import db
from notifications.models import OutboxMessage
from notifications.outbox import queue_sms
from notifications.segments import count_segments
from notifications.sender import send_pending
from notifications.sms import Gateway, GatewayError, gateway_from_config
from tests.fake_gateway import FakeGateway
from vocabulary import MessageStatus

URDU = "آپ کی جگہ پکی ہو گئی ہے"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "gsm7", 0, 1),
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("{" * 80, "gsm7", 160, 1),  # the extension table's characters take two septets
        ("{" * 81, "gsm7", 162, 2),
        ("ب" * 70, "ucs2", 70, 1),
        ("ب" * 71, "ucs2", 71, 2),
        ("ب" * 134, "ucs2", 134, 2),
        ("ب" * 135, "ucs2", 135, 3),
        ("a" * 69 + "ب", "ucs2", 70, 1),  # one Urdu letter makes the whole text Unicode
        ("😀" * 35, "ucs2", 70, 1),  # outside the BMP: two units each
        ("Don’t", "ucs2", 5, 1),  # a curly apostrophe is not GSM-7
    ],
)
def test_segments(text, encoding, units, count):
    segments = count_segments(text)
    assert (segments.encoding, segments.units, segments.count) == (encoding, units, count)


def test_fields_of_a_pakistani_bulk_gateway_with_the_unicode_flag_for_urdu_only():
    gateway = Gateway(
        url="http://x",
        template="api_key={password}&to={to}&msg={text}&mask={sender}",
        password="s3cret",
        sender_id="MARKAZ",
        phone_format="digits",
    )
    assert gateway.fields("+923001234567", "Your place is confirmed", "k1") == [
        ("api_key", "s3cret"),
        ("to", "923001234567"),
        ("msg", "Your place is confirmed"),
        ("mask", "MARKAZ"),
    ]
    assert gateway.fields("+923001234567", URDU, "k1")[-1] == ("unicode", "1")
    local = Gateway(url="http://x", phone_format="local", template="to={to}&msg={text}")
    # a text holding & and = stays one field: the template is split before it is filled in
    assert local.fields("+923001234567", "a&b=c", "k") == [("to", "03001234567"), ("msg", "a&b=c")]


@pytest.fixture
def gateway(app):
    """A running fake gateway the app sends SMS through (SMS_BACKEND=http), quick to time out."""
    with FakeGateway(hang=1.5) as fake:
        app.config.update(
            SMS_BACKEND="http",
            SMS_URL=fake.url,
            SMS_METHOD="GET",
            SMS_TIMEOUT_SECONDS=0.5,
            SMS_SENDER_ID="MARKAZ",
            SMS_ID_FIELD="sid",
            OUTBOX_MAX_ATTEMPTS=3,
        )
        yield fake


def queue(n: int, body: str = "Your place is confirmed") -> list[int]:
    ids = [queue_sms(f"+92300{number:07d}", "test", body).id for number in range(n)]
    db.session.commit()
    return ids


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def due_now(message: OutboxMessage) -> None:
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_an_urdu_sms_goes_to_the_gateway_as_unicode_with_its_key(app, gateway):
    queue(1, URDU)
    assert send_pending().sent == 1
    [request] = gateway.received
    [message] = rows()
    assert request.method == "GET" and request.path == "/api/send"
    assert request.fields == {
        "to": "+923000000000",
        "msg": URDU,
        "mask": "MARKAZ",
        "id": message.idempotency_key,
        "unicode": "1",
    }
    assert request.headers["Idempotency-Key"] == message.idempotency_key
    assert (message.status, message.provider_ref) == (MessageStatus.SENT, "SM000001")


def test_twilio_style_post_with_basic_auth(app, gateway):
    app.config.update(
        SMS_METHOD="POST",
        SMS_TEMPLATE="To={to}&From={sender}&Body={text}",
        SMS_UNICODE_PARAM="",
        SMS_AUTH="basic",
        SMS_USERNAME="AC123",
        SMS_PASSWORD="token",
        SMS_SENDER_ID="+15005550006",
    )
    queue(1, URDU)
    assert send_pending().sent == 1
    [request] = gateway.received
    assert request.method == "POST"
    assert request.fields == {"To": "+923000000000", "From": "+15005550006", "Body": URDU}
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:token").decode()


def test_failures_and_timeouts_are_retried_with_the_same_key_then_the_message_fails(app, gateway):
    gateway.behaviours = ["fail", "timeout", "fail"]
    queue(1)
    result = send_pending()
    assert (result.sent, result.failed) == (0, 1)
    [message] = rows()
    assert message.last_error.startswith("GatewayError: HTTP 503") and message.status is MessageStatus.PENDING
    first_wait = message.next_attempt_at - utcnow()
    due_now(message)
    assert send_pending().failed == 1
    [message] = rows()
    assert message.last_error == "GatewayError: no answer within 0.5 s"
    assert message.next_attempt_at - utcnow() > first_wait  # the wait doubles
    due_now(message)
    assert send_pending().given_up == 1
    [message] = rows()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert gateway.keys() == [message.idempotency_key] * 3


def test_a_slow_answer_within_the_timeout_is_a_success(app, gateway):
    gateway.behaviours = ["slow"]
    queue(1)
    assert send_pending().sent == 1 and rows()[0].status is MessageStatus.SENT


def test_an_invalid_number_fails_at_once(app, gateway):
    gateway.behaviours = ["reject"]
    queue(1)
    assert send_pending().given_up == 1
    [message] = rows()
    assert message.status is MessageStatus.FAILED and message.attempts == 1
    assert message.last_error.startswith("PermanentFailure: HTTP 400")


def test_a_gateway_that_answers_200_to_everything_needs_its_success_text(app, gateway):
    app.config["SMS_SUCCESS"] = "Message Sent Successfully"
    queue(1)
    assert send_pending().failed == 1
    assert "does not say the message was accepted" in rows()[0].last_error


def test_settings_that_cannot_work_are_named(app):
    app.config.update(SMS_URL="")
    with pytest.raises(RuntimeError, match="MARKAZ_SMS_URL"):
        gateway_from_config(app.config)
    app.config.update(SMS_URL="http://x", SMS_METHOD="PUT")
    with pytest.raises(RuntimeError, match="MARKAZ_SMS_METHOD='PUT'"):
        gateway_from_config(app.config)


def test_an_unreachable_gateway_is_retried(app):
    gateway = Gateway(url="http://127.0.0.1:1/send", timeout=0.5)
    with pytest.raises(GatewayError, match="could not reach the gateway"):
        gateway.send("+923001234567", "hello", "k")


def test_four_senders_at_once_get_each_message_accepted_once(app, gateway):
    """Counted at the gateway: 200 messages, four senders in their own threads and connections."""
    # A generous timeout: on a busy machine a request timing out would be retried later, by design, and the
    # count below would miss it.
    app.config.update(OUTBOX_BATCH_SIZE=15, SMS_TIMEOUT_SECONDS=10)
    queue(200)
    barrier = threading.Barrier(4)

    def sender():
        with app.app_context():
            barrier.wait()
            send_pending(1000)
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    accepted = gateway.accepted()
    assert len(accepted) == 200 and set(accepted.values()) == {1}
    assert Counter(message.status for message in rows()) == {MessageStatus.SENT: 200}
