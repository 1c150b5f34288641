"""Errors under /api/v1, always JSON: ``{"error": {"code", "message", "fields"}}``, never an HTML page.

Every HTTP error (404 for an unknown path, 405, 401, 403, 429, the 422 of a request that does not
match its schema, the 503 of a database out of reach) and every refusal of the services
(``refusals.Refusal``: its status, code, message and field) come out in that shape.
A 500 rolls the session back and says no more than that.

``http_error`` is called by the site's error handlers (``errors.py``) for requests under /api/v1 (an
unknown path has no blueprint, so a blueprint handler would not see its 404); ``refusal`` is the API
blueprint's handler for the services' refusals."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from extensions import db
from refusals import Refusal

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "server_error",
    503: "unavailable",
}
MESSAGES = {
    400: "The request could not be read.",
    401: "Send a valid token: Authorization: Bearer <token> (get one from POST /api/v1/tokens).",
    403: "You may not do this.",
    404: "There is nothing here.",
    405: "This method is not allowed here.",
    415: "Send JSON (Content-Type: application/json).",
    422: "Some values are not valid: see fields.",
    429: "Too many attempts: wait a few minutes and try again.",
    500: "Something went wrong on our side; nothing was changed.",
    503: "The service is unavailable for a moment; nothing was changed. Try again shortly.",
}


def error_response(status: int, message: str, *, code: str | None = None, fields: dict | None = None):
    body = {"code": code or CODES.get(status, "error"), "message": message}
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
            flat[prefix or "_schema"] = " ".join(value)
        else:
            flat[prefix or "_schema"] = str(value)

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
    fields = {error.field: error.message} if error.field else None
    return error_response(error.status, error.message, code=error.code, fields=fields)
