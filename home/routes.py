"""The front page (what Markaz is, a search box, the tracks, and live counts) and the language switch."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from auth.permissions import PUBLIC, allow
from auth.routes import safe_next
from courses.catalogue import catalogue_counts
from database import utcnow
from enrollments.trainees import set_message_language
from extensions import csrf, db
from home import bp
from language import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, languages
from security import sent_from_another_site
from vocabulary import Track


@bp.get("/")
@allow(PUBLIC)
def index():
    return render_template("home/index.html", counts=catalogue_counts(utcnow()), tracks=list(Track))


@bp.post("/language/<code>")
@allow(PUBLIC)
@csrf.exempt  # checked in the view: see check_switch_sender
def switch_language(code: str):
    """Show the site in ``code`` from now on (a cookie, kept a year) and go back to the page the reader was on
    (``next``, a path on this site, query string and all). A signed-in trainee's messages follow her choice too.

    A POST, from the switch's form button in every page's header: it changes what the reader has chosen, and
    a trainee's record (a GET may not: it would write in a read-only request, see ``database.py``)."""
    if code not in languages():
        abort(404)
    check_switch_sender()
    if current_user.is_authenticated and current_user.trainee is not None:
        set_message_language(current_user.trainee, code)
        db.session.commit()
    response = redirect(safe_next(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True, secure=request.is_secure
    )
    return response


def check_switch_sender() -> None:
    """Refuse a language switch another site sent (CSRFError: 400, "this form ... came from elsewhere").

    Signed-in readers' pages carry a CSRF token in the switch, checked as on every form. Pages for readers who
    are not signed in carry none: the catalogue is served to them as rendered for someone else a few seconds
    ago (``pagecache``), so it cannot hold a token of theirs, and an hour-old token would turn the switch into
    an "expired form" page in the language she cannot read. For them the switch writes nothing but her own
    cookie, and the browser's word is taken that the form is this site's (``security.sent_from_another_site``)."""
    if not current_user.is_authenticated:
        if sent_from_another_site():
            raise CSRFError("The language switch was sent from another site.")
    elif current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
