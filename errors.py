"""Error pages in the site's layout (JSON for the API: ``api.errors``). None shows a stack trace; a 500 rolls
the session back first."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from api import errors as api_errors
from auth.permissions import is_api_request
from extensions import db
from forms import expired_form_message

# Werkzeug's own names and descriptions of the errors the site answers with, in the reader's language. A
# description given to ``abort`` is shown instead; whoever calls ``abort`` translates it.
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    405: _l("Method Not Allowed"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
}
DESCRIPTIONS = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    401: _l(
        "The server could not verify that you are authorized to access the URL requested. You either supplied the "
        "wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials "
        "required."
    ),
    403: _l(
        "You don't have the permission to access the requested resource. It is either read-protected or not "
        "readable by the server."
    ),
    405: _l("The method is not allowed for the requested URL."),
    413: _l("The data value transmitted exceeds the capacity limit."),
    429: _l("This user has exceeded an allotted request count. Try again later."),
}


def error_text(error: HTTPException) -> tuple[str, str]:
    """The title and the explanation of an error page."""
    title = str(TITLES.get(error.code, error.name))
    if isinstance(error, CSRFError):
        return title, expired_form_message()
    if error.description == type(error).description:
        return title, str(DESCRIPTIONS.get(error.code, error.description))
    return title, str(error.description)


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if is_api_request():
            return api_errors.http_error(error)
        template = "errors/404.html" if error.code == 404 else "errors/generic.html"
        title, description = error_text(error)
        return render_template(template, error=error, title=title, description=description), error.code

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        if is_api_request():
            return api_errors.http_error(error)
        db.session.rollback()
        return render_template("errors/500.html"), 500
