"""Delivery receipts from the SMS gateway: ``POST /webhooks/sms/<provider>``, signed, no session, no CSRF
(a gateway is not a browser). Nothing is done for a request whose signature does not check out.

- ``twilio``: Twilio's status callback (form fields ``MessageSid``, ``MessageStatus``, ``ErrorCode``), signed
  as Twilio signs (``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the account's auth token
  ``MARKAZ_SMS_WEBHOOK_SECRET``, of the public URL followed by each form field's name and value in name
  order). The URL is ``MARKAZ_BASE_URL`` + the path: behind a proxy the request's own URL may differ.
- ``generic``: any gateway that can call a URL: form or JSON fields ``id`` (its id for the message) or
  ``key`` (our idempotency key), ``status`` and optionally ``error``; signed with ``X-Markaz-Signature``
  (hex HMAC-SHA256 of the raw body, keyed with ``MARKAZ_SMS_WEBHOOK_SECRET``) or, for gateways that only
  let you set a URL, carrying the secret itself as ``?token=`` (compared in constant time).

Answers: 200 ``{"updated": 0|1}`` (a receipt for an unknown message, or one that says nothing new, is
acknowledged so that the gateway stops resending it); 403 when the signature is wrong or no secret is set;
422 naming the missing field.
"""

import base64
import hashlib
import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from auth.permissions import PUBLIC, allow
from extensions import csrf, db
from notifications.services import Receipt, apply_receipt

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)
PROVIDERS = ("twilio", "generic")


def twilio_signature(secret: str, url: str, fields: dict[str, str]) -> str:
    """What Twilio puts in ``X-Twilio-Signature`` for a POST of ``fields`` to ``url``."""
    data = url + "".join(name + fields[name] for name in sorted(fields))
    return base64.b64encode(hmac.new(secret.encode(), data.encode(), hashlib.sha1).digest()).decode()


def body_signature(secret: str, body: bytes) -> str:
    """The ``X-Markaz-Signature`` of a generic receipt: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(provider: str, secret: str) -> bool:
    if provider == "twilio":
        url = current_app.config["BASE_URL"] + request.path
        expected = twilio_signature(secret, url, request.form.to_dict())
        return hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", ""))
    if "X-Markaz-Signature" in request.headers:
        expected = body_signature(secret, request.get_data())
        return hmac.compare_digest(expected, request.headers["X-Markaz-Signature"].strip().lower())
    return hmac.compare_digest(secret.encode(), request.args.get("token", "").encode())


def receipt_of(provider: str) -> Receipt | str:
    """The receipt in the request, or what is wrong with it (naming the missing field)."""
    if provider == "twilio":
        fields = request.form
        reference, status, error = (
            fields.get("MessageSid", ""),
            fields.get("MessageStatus", ""),
            fields.get("ErrorCode", ""),
        )
        names = ("MessageSid", "MessageStatus")
    else:
        fields = request.get_json(silent=True) if request.is_json else request.form
        if not isinstance(fields, dict):
            fields = {}
        reference = str(fields.get("id") or fields.get("key") or "")
        status, error = str(fields.get("status") or ""), str(fields.get("error") or "")
        names = ("id", "status")
    missing = [name for name, value in zip(names, (reference, status), strict=True) if not value.strip()]
    if missing:
        return f"The receipt has no {missing[0]}: it must say which message and what happened."
    return Receipt(reference.strip()[:100], status.strip()[:40], error.strip()[:500])


@bp.post("/sms/<provider>")
@allow(PUBLIC)  # a gateway calls it, with no session: the signature is the check, in the view
def sms_receipt(provider: str):
    if provider not in PROVIDERS:
        abort(404)
    secret = current_app.config["SMS_WEBHOOK_SECRET"]
    if not secret or not signed(provider, secret):
        return jsonify(error="The receipt's signature does not match (or MARKAZ_SMS_WEBHOOK_SECRET is not set)."), 403
    receipt = receipt_of(provider)
    if isinstance(receipt, str):
        return jsonify(error=receipt), 422
    message = apply_receipt(receipt)
    db.session.commit()
    return jsonify(updated=int(message is not None))
