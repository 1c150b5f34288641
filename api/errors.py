"""Errors under /api/v1, always JSON: ``{"error": {"code", "message", "fields"}}``, never an HTML page.

Every HTTP error (404 for an unknown path, 405, 401, 403, 429, the 422 of a request that does not
match its schema, the 503 of a database out of reach) and every refusal of the services
(``refusals.Refusal``: its status, code, message and field) come out in that shape.
A 500 rolls the session back and says no more than that.

Messages follow the client's Accept-Language (``language.select_locale``), as the services' refusals do:
the API's own (``MESSAGES``, the operations' ``abort`` and refusals) through the catalogue, and those of the
libraries that read requests (marshmallow, webargs), which have no Urdu, translated as they are answered
(``library_message``). Codes stay English: programs read them.

``http_error`` is called by the site's error handlers (``errors.py``) for requests under /api/v1 (an
unknown path has no blueprint, so a blueprint handler would not see its 404); ``refusal`` is the API
blueprint's handler for the services' refusals."""

import re

from flask import jsonify
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from extensions import db
from forms import N_
from refusals import Refusal

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
MESSAGES = {
    400: _l("The request could not be read."),
    401: _l("Send a valid token: Authorization: Bearer <token> (get one from POST /api/v1/tokens)."),
    403: _l("You may not do this."),
    404: _l("There is nothing here."),
    405: _l("This method is not allowed here."),
    415: _l("Send JSON (Content-Type: application/json)."),
    422: _l("Some values are not valid: see fields."),
    429: _l("Too many attempts: wait a few minutes and try again."),
    500: _l("Something went wrong on our side; nothing was changed."),
    503: _l("The service is unavailable for a moment; nothing was changed. Try again shortly."),
}
# What marshmallow says of a value it cannot read (the messages a request can meet here), worded as it words
# them, what it fills in named ``%(name)s``: answered in the client's language by ``library_message``. Where
# one message starts as another does, the longer comes first (the first that matches is taken).
LIBRARY_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Must be one of: %(choices)s."),
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
)


def pattern_of(message: str) -> re.Pattern:
    """``message`` as a regular expression, each ``%(name)s`` in it matching the value filled in there."""
    parts = re.split(r"%\((\w+)\)s", message)  # text, name, text, name, ..., text
    return re.compile("".join(f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)))


LIBRARY_PATTERNS = tuple((pattern_of(message), message) for message in LIBRARY_MESSAGES)


def library_message(text: str) -> str:
    """``text`` (a library's message) in the client's language, the values it names kept as they are; any
    other text (ours, already in her language) unchanged."""
    for pattern, message in LIBRARY_PATTERNS:
        if found := pattern.fullmatch(text):
            return gettext(message, **found.groupdict())
    return text


def error_response(status: int, message: str, *, code: str | None = None, fields: dict | None = None):
    body = {"code": code or CODES.get(status, "error"), "message": str(message)}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="markaz"'
    return response


def field_messages(messages: dict) -> dict[str, str]:
    """webargs' messages (``{"json": {"seats": ["Must be ..."]}}``) as ``{"seats": "Must be ..."}``;
    nested fields are named with dots."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            flat[prefix or "_schema"] = " ".join(library_message(item) for item in value)
        else:
            flat[prefix or "_schema"] = library_message(str(value))

    for location_messages in messages.values():  # json, query, ...: field names do not clash
        walk("", location_messages)
    return flat


def http_error(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        db.session.rollback()
        return error_response(500, MESSAGES[500])
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        return error_response(422, MESSAGES[422], code="invalid", fields=field_messages(data["messages"]))
    described = error.description if error.description and error.description != type(error).description else None
    response = error_response(status, described or MESSAGES.get(status, error.name))
    if status == 405 and getattr(error, "valid_methods", None):  # RFC 9110: a 405 says what is allowed
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def refusal(error: Refusal):
    db.session.rollback()
    # A refusal about many inputs at once (``field_messages``: scores of a whole list) names each of them.
    fields = getattr(error, "field_messages", None) or ({error.field: error.message} if error.field else None)
    return error_response(error.status, error.message, code=error.code, fields=fields)
