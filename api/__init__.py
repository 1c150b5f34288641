"""JSON API v1 at ``/api/v1`` (DESIGN.md, "JSON API v1"), over the same services and the same
``auth.permissions`` predicates as the pages: no rule lives here twice.

flask-smorest generates the OpenAPI 3 description (``/api/v1/openapi.json``) from the marshmallow
schemas that also parse every request and shape every answer, so the description cannot drift from the
code. Requests authenticate with ``Authorization: Bearer <token>`` only (``api.auth``); errors are JSON
in one shape (``api.errors``); no string a request sends may hold a control character (``api.parsing``).
Operations live in modules by domain: ``tokens`` (tokens and ``/me``), ``catalogue`` (centres, courses,
cohorts), ``trainees``, ``enrollments``, ``certificates``, ``merit`` (scores and merit lists),
``marks`` (assessment marks), ``reports``.
"""

import flask_smorest
from flask import Flask
from flask_smorest import Api

from api.errors import refusal
from api.parsing import PlainTextParser
from api.schemas import ErrorSchema
from refusals import Refusal


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, whose operations read their arguments with ``PlainTextParser``."""

    ARGUMENTS_PARSER = PlainTextParser()


bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Centres, courses and cohorts; trainees and their enrollments; class days and attendance; "
    "capacity reports.",
)
bp.register_error_handler(Refusal, refusal)


class MarkazApi(Api):
    """flask-smorest's ``Api``, with errors in Markaz's shape: its own app-wide JSON error handler is
    not installed (it would answer the HTML pages too); ``api.errors`` handles errors under /api/v1."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        pass


SPEC_INFO = {
    "description": "The JSON API of Markaz, the enrollment system of Pakistan's digital-skills centres. "
    "Authenticate with `Authorization: Bearer <token>`; get a token from `POST /api/v1/tokens`. "
    "Text holding a control character (NUL and the like; tab and line breaks only in reasons) is refused "
    "with 422, naming the field.",
}


def register_with(app: Flask) -> None:
    """Configure and register the API: its operations, the OpenAPI description, the docs page, the
    token authentication and the JSON errors."""
    app.config.setdefault("API_TITLE", "Markaz API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    from api import (  # noqa: F401  (attach the operations)
        attendance,
        auth,
        catalogue,
        certificates,
        docs,
        enrollments,
        marks,
        merit,
        reports,
        tokens,
        trainees,
    )

    api = MarkazApi(app, spec_kwargs={"info": SPEC_INFO})  # one per app: each builds its own description
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp)
    auth.register(app)
    docs.register(app)
