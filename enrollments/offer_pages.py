"""The page of a seat offer, at the signed link sent to her (``enrollments.offer_links``): what is offered,
until when, and two buttons, Accept and Decline. Whoever holds the link may answer (walk-in trainees often
have no account); a signed-in trainee answers the same way from her applications. The rules are
``enrollments.services.accept`` and ``decline``."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from auth.permissions import PUBLIC, allow, can_answer_by_link, is_own_enrollment
from enrollments import bp, services
from enrollments.forms import OfferAnswerForm
from enrollments.models import Enrollment
from enrollments.offer_links import offer_for_token
from submitting import acting_user, form_status, run

ANSWERS = ("accept", "decline")


@bp.route("/offers/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def offer(token: str):
    if request.method == "POST" and not can_answer_by_link(current_user):
        abort(403)
    enrollment = offer_for_token(token)
    if enrollment is None:  # forged, damaged, or the offer has ended: say so, not a bare 404
        return render_template("enrollments/offer_ended.html"), 404
    form = OfferAnswerForm()
    if form.validate_on_submit():
        if form.answer.data not in ANSWERS:
            abort(400)
        if message := run(form, lambda: answered(enrollment, form.answer.data)):
            flash(message, "success")
            own = current_user.is_authenticated and is_own_enrollment(current_user, enrollment)
            return redirect(url_for("auth.profile") if own else url_for("enrollments.offer_answered"))
    page = render_template("enrollments/offer.html", enrollment=enrollment, form=form, token=token)
    return page, form_status(form, refusal_status=True)


def answered(enrollment: Enrollment, answer: str) -> str:
    """Accept or decline (``services.accept``/``decline``) as whoever holds the link; what she is told."""
    actor = acting_user() if current_user.is_authenticated else None
    course = enrollment.cohort.course.title
    if answer == "accept":
        services.accept(enrollment, actor=actor, by_link=True)
        return _("You accepted: you have a place in %(course)s.", course=course)
    services.decline(enrollment, actor=actor, by_link=True)
    return _("You declined the seat in %(course)s. It goes to the next in line.", course=course)


@bp.get("/offers/answered")
@allow(PUBLIC)
def offer_answered():
    """Where the link's holder lands after answering (her answer is flashed)."""
    return render_template("enrollments/offer_answered.html")
