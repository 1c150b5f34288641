"""Telling trainees what happened to their applications: the outbox, the sender that empties it, the SMS
gateway, and the admins' outbox page at ``/notifications`` (``admin.py``). Delivery receipts arrive at
``/webhooks`` (``webhooks.py``, a blueprint of its own: gateways, not people, call it)."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
