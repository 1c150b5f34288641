"""The pages a graduate reaches from her outcome SMS, without signing in (``outcomes.links``): the one-minute
form of one wave (``/outcomes/<token>``), the thank-you page that shows what she answered and how to correct it,
the page of a wave that has closed, and the opt-out page that stops every outcome message.

Whoever holds a link may use it (the link is the proof), but overseers change nothing, link or not."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from auth.permissions import PUBLIC, allow, can_answer_by_link
from clock import local_today
from database import utcnow
from outcomes import bp, services
from outcomes.forms import OptOutForm, OutcomeAnswerForm
from outcomes.links import trainee_for_opt_out, wave_for_token
from outcomes.models import OutcomeChannel, OutcomeWave
from outcomes.summary import answer_summary
from submitting import form_status, run


def wave_or_page(token: str) -> tuple[OutcomeWave | None, tuple | None]:
    """The wave of ``token``, or the page to answer instead: the link is broken (404) or the wave closed (410)."""
    if request.method == "POST" and not can_answer_by_link(current_user):
        abort(403)
    wave = wave_for_token(token)
    if wave is None:
        return None, (render_template("outcomes/link_broken.html"), 404)
    if not wave.is_open(local_today()):
        return None, (render_template("outcomes/closed.html", wave=wave), 410)
    return wave, None


@bp.route("/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def answer(token: str):
    wave, page = wave_or_page(token)
    if page is not None:
        return page
    form = OutcomeAnswerForm()
    if request.method == "GET" and wave.answer is not None:
        form.fill_from(wave.answer)
    if form.validate_on_submit() and run(
        form,
        lambda: services.save_answer(wave, form.answer_data(), actor=None, channel=OutcomeChannel.WEB, now=utcnow()),
    ):
        return redirect(url_for("outcomes.thanks", token=token))
    page = render_template("outcomes/answer.html", wave=wave, form=form, token=token)
    return page, form_status(form)


@bp.get("/<token>/thanks")
@allow(PUBLIC)
def thanks(token: str):
    wave, page = wave_or_page(token)
    if page is not None:
        return page
    if wave.answer is None:
        return redirect(url_for("outcomes.answer", token=token))
    return render_template("outcomes/thanks.html", wave=wave, token=token, summary=answer_summary(wave.answer))


@bp.route("/stop/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def opt_out(token: str):
    if request.method == "POST" and not can_answer_by_link(current_user):
        abort(403)
    trainee = trainee_for_opt_out(token)
    if trainee is None:
        return render_template("outcomes/link_broken.html"), 404
    form = OptOutForm()
    if form.validate_on_submit() and run(
        form, lambda: services.set_outcome_consent(trainee, False, actor=None, now=utcnow(), by_link=True)
    ):
        return redirect(url_for("outcomes.opted_out"))
    return render_template("outcomes/opt_out.html", trainee=trainee, form=form), form_status(form)


@bp.get("/stopped")
@allow(PUBLIC)
def opted_out():
    return render_template("outcomes/opted_out.html")
