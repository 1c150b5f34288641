"""The SMS gateway: one HTTP request per message, shaped by settings so that it fits the HTTP APIs of
Pakistan's bulk-SMS gateways (a GET or a form POST with ``to``, ``msg``, ``mask`` and a ``unicode=1``-style
flag for Urdu) and Twilio's (a form POST with basic auth and ``To``, ``From``, ``Body``).

Settings (``MARKAZ_SMS_*``, README "SMS gateway"):

- ``URL`` and ``METHOD`` (``GET``: the fields in the query string; ``POST``: a form body);
- ``TEMPLATE``: the fields as a query string whose values may hold placeholders — ``{to}``, ``{text}``,
  ``{sender}``, ``{key}`` (the message's idempotency key), ``{username}``, ``{password}`` — filled in
  after the template is split, so a text with ``&`` or ``=`` cannot add a field;
- ``USERNAME``/``PASSWORD`` (placeholders, or basic auth with ``AUTH=basic``), ``SENDER_ID`` (the mask);
- ``UNICODE_PARAM``: fields added when the text is not GSM 7-bit (Urdu), e.g. ``unicode=1`` or
  ``type=unicode``; empty for gateways that choose the encoding themselves (Twilio);
- ``PHONE_FORMAT``: the number as ``international`` (``+923001234567``), ``digits`` (``923001234567``) or
  ``local`` (``03001234567``);
- ``SUCCESS``: text the answer must contain to mean "accepted" (besides a 2xx status), for gateways that
  answer 200 to everything; ``ID_FIELD``: the field of a JSON answer holding the gateway's id for the
  message (``sid`` for Twilio), which delivery receipts name;
- ``IDEMPOTENCY_HEADER``: the header carrying the idempotency key too (empty: none);
- ``TIMEOUT_SECONDS``: for connecting and for each read.

A 2xx answer (with ``SUCCESS`` in it, when set) means accepted. A timeout, a connection failure, a 5xx, a
408 or 429 raise ``GatewayError``: the sender retries later. A 400, 404, 410 or 422 means the gateway will
never take this message (a malformed number): ``PermanentFailure``, the message fails at once.
"""

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import requests

from notifications.segments import needs_unicode
from notifications.sender import PermanentFailure

PERMANENT_STATUSES = frozenset({400, 404, 410, 422})
PHONE_FORMATS = ("international", "digits", "local")


class GatewayError(Exception):
    """The gateway did not accept the message this time (down, slow, busy): try again later."""


def phone_as(number: str, style: str) -> str:
    """``number`` (stored as E.164, ``+923001234567``) in the form a gateway wants."""
    if style == "digits":
        return number.lstrip("+")
    if style == "local" and number.startswith("+92"):
        return "0" + number[3:]
    return number


@dataclass(frozen=True)
class Gateway:
    url: str
    method: str = "POST"
    template: str = "to={to}&msg={text}&mask={sender}&id={key}"
    username: str = ""
    password: str = ""
    auth: str = ""
    sender_id: str = ""
    unicode_param: str = "unicode=1"
    phone_format: str = "international"
    success: str = ""
    id_field: str = ""
    idempotency_header: str = "Idempotency-Key"
    timeout: float = 10.0

    def fields(self, recipient: str, text: str, key: str) -> list[tuple[str, str]]:
        """The request's fields: the template's, placeholders filled, and the Unicode flag for Urdu."""
        values = {
            "to": phone_as(recipient, self.phone_format),
            "text": text,
            "sender": self.sender_id,
            "key": key,
            "username": self.username,
            "password": self.password,
        }
        pairs = [(name, fill(value, values)) for name, value in parse_qsl(self.template, keep_blank_values=True)]
        if self.unicode_param and needs_unicode(text):
            pairs += parse_qsl(self.unicode_param, keep_blank_values=True)
        return pairs

    def send(self, recipient: str, text: str, key: str) -> str:
        """Send one SMS; returns the gateway's id for it ("" when it gives none). Raises ``GatewayError``
        (retry later) or ``PermanentFailure`` (never)."""
        fields = self.fields(recipient, text, key)
        headers = {self.idempotency_header: key} if self.idempotency_header else {}
        auth = (self.username, self.password) if self.auth == "basic" else None
        request: dict[str, Any] = {"params": fields} if self.method == "GET" else {"data": fields}
        try:
            answer = SESSIONS.session.request(
                self.method, self.url, headers=headers, auth=auth, timeout=self.timeout, **request
            )
        except requests.Timeout as error:
            raise GatewayError(f"no answer within {self.timeout:g} s") from error
        except requests.RequestException as error:
            raise GatewayError(f"could not reach the gateway: {type(error).__name__}") from error
        body = answer.text[:300]
        if answer.status_code in PERMANENT_STATUSES:
            raise PermanentFailure(f"HTTP {answer.status_code}: {body}")
        if not 200 <= answer.status_code < 300:
            raise GatewayError(f"HTTP {answer.status_code}: {body}")
        if self.success and self.success not in answer.text:
            raise GatewayError(f"the answer does not say the message was accepted: {body}")
        return reference_in(answer, self.id_field)


def fill(value: str, values: Mapping[str, str]) -> str:
    """``value`` with each ``{name}`` replaced (only ours: any other brace stays as written)."""
    for name, replacement in values.items():
        value = value.replace("{" + name + "}", replacement)
    return value


def reference_in(answer: requests.Response, field: str) -> str:
    """The gateway's id for the message, from the JSON answer's ``field`` (dotted for nested fields)."""
    if not field:
        return ""
    try:
        found: Any = answer.json()
        for part in field.split("."):
            found = found[part]
    except (ValueError, KeyError, TypeError, IndexError):
        return ""
    return str(found)[:100]


class Sessions(threading.local):
    """One HTTP session per thread: connections to the gateway are kept alive between messages (a TLS
    handshake per SMS would cost more than the SMS), and requests does not promise that one session may be
    shared by threads (gunicorn's threads send sign-up codes at once)."""

    def __init__(self) -> None:
        self.session = requests.Session()


SESSIONS = Sessions()


def gateway_from_config(config: Mapping[str, Any]) -> Gateway:
    """The gateway the app's settings describe. ``RuntimeError`` when ``MARKAZ_SMS_URL`` is missing."""
    if not config.get("SMS_URL"):
        raise RuntimeError("SMS_BACKEND=http needs MARKAZ_SMS_URL: the address of the SMS gateway's HTTP API.")
    if config["SMS_METHOD"] not in ("GET", "POST"):
        raise RuntimeError(f"MARKAZ_SMS_METHOD={config['SMS_METHOD']!r}: write GET or POST.")
    if config["SMS_PHONE_FORMAT"] not in PHONE_FORMATS:
        raise RuntimeError(
            f"MARKAZ_SMS_PHONE_FORMAT={config['SMS_PHONE_FORMAT']!r}: one of {', '.join(PHONE_FORMATS)}."
        )
    return Gateway(
        url=config["SMS_URL"],
        method=config["SMS_METHOD"],
        template=config["SMS_TEMPLATE"],
        username=config["SMS_USERNAME"],
        password=config["SMS_PASSWORD"],
        auth=config["SMS_AUTH"],
        sender_id=config["SMS_SENDER_ID"],
        unicode_param=config["SMS_UNICODE_PARAM"],
        phone_format=config["SMS_PHONE_FORMAT"],
        success=config["SMS_SUCCESS"],
        id_field=config["SMS_ID_FIELD"],
        idempotency_header=config["SMS_IDEMPOTENCY_HEADER"],
        timeout=config["SMS_TIMEOUT_SECONDS"],
    )
