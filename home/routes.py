"""The front page (what Markaz is, a search box, the tracks, and live counts) and the language switch."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from auth.permissions import PUBLIC, allow
from auth.routes import safe_next
from courses.catalogue import catalogue_counts
from database import utcnow
from enrollments.trainees import set_message_language
from extensions import db
from home import bp
from language import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, languages
from vocabulary import Track


@bp.get("/")
@allow(PUBLIC)
def index():
    return render_template("home/index.html", counts=catalogue_counts(utcnow()), tracks=list(Track))


@bp.get("/language/<code>")
@allow(PUBLIC)
def switch_language(code: str):
    """Show the site in ``code`` from now on (a cookie, kept a year) and go back to the page the reader was on.
    A signed-in trainee's messages follow her choice too. A link, not a form: the catalogue is cached
    for anonymous readers, so its pages can carry no per-reader CSRF token."""
    if code not in languages():
        abort(404)
    if current_user.is_authenticated and current_user.trainee is not None:
        set_message_language(current_user.trainee, code)
        db.session.commit()
    response = redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True, secure=request.is_secure
    )
    return response
