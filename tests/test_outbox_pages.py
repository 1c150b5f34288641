"""Admins' outbox page (failed messages: retry or discard, confirmed and audited), delivery receipts on the
signed webhook, and the segment count and cost estimate staff see before messaging a cohort."""

import hashlib
import hmac
import json

import pytest
import sqlalchemy as sa
from pages import audit_events, decoded, flashed, post, redirected_to, shown, text

from enrollments.services import preview_message
from extensions import db
from notifications.models import OutboxMessage
from notifications.webhooks import twilio_signature
from vocabulary import Channel, EnrollmentStatus, MessageStatus, Role


@pytest.fixture
def make_message(app, make_trainee):
    def make(status=MessageStatus.FAILED, **fields) -> OutboxMessage:
        trainee = make_trainee()
        values = {
            "trainee_id": trainee.id,
            "kind": "enrollment.enrolled",
            "channel": Channel.SMS,
            "recipient": trainee.phone,
            "body": "You have a place",
            "status": status,
            "attempts": 6,
            "last_error": "GatewayError: HTTP 503: service unavailable",
        } | fields
        message = OutboxMessage(**values)
        db.session.add(message)
        db.session.commit()
        return message

    return make


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


def reread(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


# The outbox page ---------------------------------------------------------------------------------------------


def test_the_outbox_page_lists_failed_messages_with_their_error_by_default(client, sign_in, admin, make_message):
    failed = make_message()
    make_message(MessageStatus.SENT, last_error="")
    sign_in(admin)
    page = text(client.get("/notifications/outbox"))
    assert f"#{failed.id}" in page and "GatewayError: HTTP 503: service unavailable" in page
    assert "Showing 1–1 of 1 messages" in page and "Retry" in page and "Discard" in page
    sent_page = text(client.get("/notifications/outbox?status=sent"))
    assert "Showing 1–1 of 1 messages" in sent_page and "Retry" not in sent_page.split("Showing")[1]
    assert "Failed 1" in shown(text(client.get("/auth/admin/")))  # the administration page counts them


def test_the_outbox_page_is_paginated(client, sign_in, admin, make_message):
    for _ in range(3):
        make_message()
    sign_in(admin)
    page = text(client.get("/notifications/outbox?per_page=2&page=2"))
    assert "Showing 3–3 of 3 messages" in page


def test_retrying_asks_first_then_queues_the_message_again_audited(client, sign_in, admin, make_message, row_counts):
    message = make_message()
    sign_in(admin)
    path = f"/notifications/outbox/{message.id}/retry"
    before = row_counts()
    confirm = text(client.get(path))
    assert f"Retry message {message.id}?" in confirm and "Retry the message" in confirm
    assert row_counts() == before and reread(message).status is MessageStatus.FAILED  # the GET changed nothing
    response = post(client, path)
    assert redirected_to(response) == "/notifications/outbox"
    assert f"Message {message.id} is queued again" in flashed(decoded(client.get("/notifications/outbox")))
    message = reread(message)
    assert (message.status, message.attempts, message.next_attempt_at) == (MessageStatus.PENDING, 0, None)
    [event] = audit_events("outbox.retry")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "outbox_message", message.id)
    assert event.before["status"] == "failed" and "HTTP 503" in event.before["last_error"]
    assert event.request_id and len(event.request_id) == 32


def test_discarding_a_failed_message_is_audited_and_it_is_never_sent(client, sign_in, admin, make_message, app):
    message = make_message()
    sign_in(admin)
    post(client, f"/notifications/outbox/{message.id}/discard")
    assert reread(message).status is MessageStatus.DISCARDED
    assert [event.object_id for event in audit_events("outbox.discard")] == [message.id]
    from notifications.sender import send_pending

    assert send_pending().sent == 0


def test_retrying_a_message_that_is_no_longer_failed_is_refused_nothing_written(
    client, sign_in, admin, make_message, row_counts
):
    message = make_message()
    sign_in(admin)
    path = f"/notifications/outbox/{message.id}/discard"
    token_page = client.get(path)
    assert token_page.status_code == 200
    message.status = MessageStatus.PENDING  # someone else retried it meanwhile
    db.session.commit()
    before = row_counts()
    response = post(client, path)
    assert response.status_code == 409
    assert "This message is no longer failed (it is now: Waiting to be sent)" in decoded(response, 409)
    assert row_counts() == before and reread(message).status is MessageStatus.PENDING
    assert client.get(path).headers["Location"].endswith("/notifications/outbox?status=pending")


def test_staff_cannot_reach_the_outbox(client, sign_in, make_user, make_message):
    message = make_message()
    sign_in(make_user(Role.STAFF))
    assert client.get("/notifications/outbox").status_code == 403
    assert post(client, f"/notifications/outbox/{message.id}/retry").status_code == 403
    assert reread(message).status is MessageStatus.FAILED
    assert client.get("/notifications/outbox/99999999999/retry").status_code in (403, 404)


# Delivery receipts -------------------------------------------------------------------------------------------

SECRET = "receipt-secret"


@pytest.fixture
def receipts(app):
    app.config["SMS_WEBHOOK_SECRET"] = SECRET
    return app


def generic(client, payload: dict, *, secret: str = SECRET):
    body = json.dumps(payload).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/sms/generic", data=body, content_type="application/json", headers={"X-Markaz-Signature": signature}
    )


def test_a_signed_receipt_marks_a_sent_message_delivered(client, receipts, make_message):
    message = make_message(MessageStatus.SENT, provider_ref="SM000123")
    response = generic(client, {"id": "SM000123", "status": "DELIVRD"})
    assert response.status_code == 200 and response.get_json() == {"updated": 1}
    message = reread(message)
    assert message.status is MessageStatus.DELIVERED and message.delivered_at is not None
    assert generic(client, {"id": "SM000123", "status": "delivered"}).get_json() == {"updated": 0}  # nothing new


def test_a_failed_receipt_by_idempotency_key_with_the_token_in_the_url(client, receipts, make_message):
    message = make_message(MessageStatus.SENT)
    response = client.post(
        f"/webhooks/sms/generic?token={SECRET}",
        data={"key": message.idempotency_key, "status": "UNDELIV", "error": "absent subscriber"},
    )
    assert response.get_json() == {"updated": 1}
    message = reread(message)
    assert message.status is MessageStatus.FAILED
    assert message.last_error == "Delivery receipt: UNDELIV absent subscriber"


def test_twilio_receipts_are_checked_as_twilio_signs_them(client, receipts, make_message, app):
    message = make_message(MessageStatus.SENT, provider_ref="SM0abc")
    fields = {"MessageSid": "SM0abc", "MessageStatus": "delivered", "AccountSid": "AC1"}
    url = app.config["BASE_URL"] + "/webhooks/sms/twilio"
    response = client.post(
        "/webhooks/sms/twilio", data=fields, headers={"X-Twilio-Signature": twilio_signature(SECRET, url, fields)}
    )
    assert response.get_json() == {"updated": 1} and reread(message).status is MessageStatus.DELIVERED


@pytest.mark.parametrize("how", ["no signature", "wrong signature", "wrong token", "twilio unsigned", "no secret set"])
def test_an_unsigned_or_wrongly_signed_receipt_is_refused_and_changes_nothing(
    client, receipts, make_message, app, how, row_counts
):
    message = make_message(MessageStatus.SENT, provider_ref="SM1")
    payload = {"id": "SM1", "status": "delivered"}
    before = row_counts()
    if how == "no signature":
        response = client.post("/webhooks/sms/generic", json=payload)
    elif how == "wrong signature":
        response = generic(client, payload, secret="guess")
    elif how == "wrong token":
        response = client.post("/webhooks/sms/generic?token=guess", json=payload)
    elif how == "twilio unsigned":
        response = client.post("/webhooks/sms/twilio", data={"MessageSid": "SM1", "MessageStatus": "delivered"})
    else:
        app.config["SMS_WEBHOOK_SECRET"] = ""
        response = client.post("/webhooks/sms/generic?token=", json=payload)
    assert response.status_code == 403 and "signature does not match" in response.get_json()["error"]
    assert reread(message).status is MessageStatus.SENT and row_counts() == before


def test_a_receipt_without_its_fields_is_refused_naming_the_field(client, receipts, make_message):
    assert generic(client, {"status": "delivered"}).status_code == 422
    assert "has no id" in generic(client, {"status": "delivered"}).get_json()["error"]
    assert "has no status" in generic(client, {"id": "SM1"}).get_json()["error"]
    assert generic(client, {"id": "nobody", "status": "delivered"}).get_json() == {"updated": 0}
    assert client.post("/webhooks/sms/nonesuch", json={}).status_code == 404


# The estimate before a cohort-wide message --------------------------------------------------------------------


def test_staff_see_the_segments_and_cost_before_messaging_a_cohort(
    app, client, sign_in, make_cohort, make_trainee, make_enrollment, make_user
):
    app.config["SMS_COST_PER_SEGMENT"] = 0.5
    cohort = make_cohort(seats=10)
    for language in ("en", "en", "ur"):
        make_enrollment(make_trainee(language=language), cohort, status=EnrollmentStatus.ENROLLED)
    staff = make_user(Role.STAFF, centres=(cohort.centre,))
    body = "Bring your CNIC on Monday at 9."
    preview = preview_message(cohort, "enrolled", "", body, actor=staff)
    # English: the opening line and the text fit GSM-7 (1 or 2 segments); Urdu goes as UCS-2 (more segments)
    from language import message_language
    from notifications.segments import count_segments

    with message_language("en"):
        english = count_segments(f"{preview.body}").count
    assert preview.unicode is True and preview.segments > 3 * 1
    assert preview.segments >= 2 * english + 2
    assert preview.cost == preview.segments * 0.5
    sign_in(staff)
    page = text(
        post(
            client,
            f"/enrollments/cohorts/{cohort.code}/message",
            {"audience": "enrolled", "body": body, "preview": "1"},
        )
    )
    assert f"The SMS make {preview.segments} segments in all" in shown(page)
    assert "Urdu (and any character outside the basic Latin alphabet) is sent as Unicode" in shown(page)
    assert "Estimated cost: Rs" in shown(page)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0  # a preview writes nothing
