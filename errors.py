"""Error pages in the site's layout (JSON for the API: ``api.errors``). None shows a stack trace; a 500 rolls
the session back first.

While the database cannot be reached (down, restarting, unreachable: ``database.database_unavailable``)
every request is answered 503 with ``Retry-After`` (JSON under /api/v1), and each writes one line to the
log, not a traceback: a restart of the database must not bury the log under hundreds of identical ones.
"""

from contextlib import suppress
from urllib.parse import urlsplit

from flask import Flask, make_response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from api import errors as api_errors
from auth.permissions import is_api_request, is_signed_in
from database import database_unavailable
from extensions import db, login_manager
from forms import expired_form_message

# What a 503 tells browsers and programs: try again after this many seconds.
RETRY_AFTER_SECONDS = 30
UNKNOWN_HOST = _l("This server does not answer to that host name.")

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
    403: _l("Your account may not open this page."),
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


def way_back() -> str:
    """Where a refused reader goes back to: the page of this site she came from (the referrer, when it is
    ours and not this very address), else where she lands after signing in, else the home page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/") and referrer.path != request.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    if is_signed_in(current_user):
        from auth.routes import home_for  # the views' module: imported when a refusal needs it, not with errors

        return home_for(current_user)
    return url_for("home.index")


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, SecurityError):
            # A Host header naming another site (production's TRUSTED_HOSTS): no page of ours can be built for
            # it (its links would need that host), and the name is not echoed back.
            if is_api_request():
                return api_errors.error_response(400, UNKNOWN_HOST)
            return str(UNKNOWN_HOST), 400, {"Content-Type": "text/plain; charset=utf-8"}
        if is_api_request():
            return api_errors.http_error(error)
        if error.code == 403:
            title, description = error_text(error)
            return render_template("errors/403.html", reason=description, back=way_back()), 403
        template = "errors/404.html" if error.code == 404 else "errors/generic.html"
        title, description = error_text(error)
        return render_template(template, error=error, title=title, description=description), error.code

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def database_error(error: sa_exc.DBAPIError):
        if not database_unavailable(error):
            raise error  # a statement that failed: a fault of ours, answered 500 with its traceback in the log
        with suppress(sa_exc.SQLAlchemyError):  # the connection is gone: there may be nothing to roll back
            db.session.rollback()
        reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0][:300]
        app.logger.error("Database unavailable, answered 503 to %s %s: %s", request.method, request.path, reason)
        # The page's layout asks who is signed in, and only the database knows: show it as to a visitor.
        login_manager._update_request_context_with_user(None)
        if is_api_request():
            response = api_errors.error_response(503, api_errors.MESSAGES[503])
        else:
            response = make_response(render_template("errors/503.html"), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        if is_api_request():
            return api_errors.http_error(error)
        db.session.rollback()
        return render_template("errors/500.html"), 500
