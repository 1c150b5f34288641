"""The front page (what Markaz is, a search box, the tracks, and live counts) and the language switch."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from auth.permissions import PUBLIC, allow
from auth.routes import safe_next
from courses.catalogue import catalogue_counts
from database import utcnow
from enrollments.trainees import follow_site_language
from extensions import csrf, db
from home import bp
from language import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, LANGUAGE_NAMES_IN_TEXT, languages, message_language
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
    (``next``, a path on this site, query string and all). A signed-in trainee's SMS and email follow her
    choice too, unless she chose their language on her profile; either way the next page tells her.

    A POST, from the switch's form button in every page's header: it changes what the reader has chosen, and
    a trainee's record (a GET may not: it would write in a read-only request, see ``database.py``)."""
    if code not in languages():
        abort(404)
    check_switch_sender()
    if current_user.is_authenticated and current_user.trainee is not None:
        trainee = current_user.trainee
        changed = follow_site_language(trainee, code)
        db.session.commit()
        if told := messages_told(trainee, code, changed=changed):
            flash(told, "info")
    response = redirect(safe_next(request.form.get("next")) or url_for("home.index"))
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True, secure=request.is_secure
    )
    return response


def messages_told(trainee, code: str, *, changed: bool) -> str | None:
    """What a trainee who switched the site to ``code`` is told of her SMS and email (in ``code``, the language
    of the page she is about to see): that they now follow it, or that they stay in the language she chose."""
    with message_language(code):
        language = str(LANGUAGE_NAMES_IN_TEXT.get(trainee.language, trainee.language))
        if changed:
            return _(
                "Your SMS and email will be in %(language)s from now on. You can choose their language on your "
                "profile.",
                language=language,
            )
        if trainee.language_chosen and trainee.language != code:
            return _("Your SMS and email stay in %(language)s, as you chose on your profile.", language=language)
    return None


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
