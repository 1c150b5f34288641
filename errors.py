"""Error pages in the site's layout (JSON for the API: ``api.errors``). None shows a stack trace; a 500 rolls
the session back first."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from api import errors as api_errors
from auth.permissions import is_api_request
from extensions import db


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            return api_errors.http_error(error)
        template = "errors/404.html" if error.code == 404 else "errors/generic.html"
        return render_template(template, error=error), error.code

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        if is_api_request():
            return api_errors.http_error(error)
        db.session.rollback()
        return render_template("errors/500.html"), 500
