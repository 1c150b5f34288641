"""Answers taken by phone (DESIGN.md, "Outcomes"): the list of graduates due a call — an open wave still
unanswered after its reminder, oldest due first, searchable — and the call page, with her number and the same
form as her link's, saved as taken by phone by the caller (audited).

Callers see their scope only (a province, or their centres), centre staff their own centres, admins everyone
(``auth.permissions.callable_waves``); callers reach nothing else on the site."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from auth.permissions import CALLERS, allow, callable_waves, get_call_wave_or_404
from clock import local_today
from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment, Trainee
from enrollments.routes import search_condition
from extensions import db
from listing import page_args, text_arg
from outcomes import bp, services
from outcomes.forms import OutcomeAnswerForm
from outcomes.models import OutcomeAnswer, OutcomeChannel, OutcomeWave
from outcomes.summary import answer_summary
from submitting import acting_user, form_status, run


def calls_due(user, today, search=None):
    """The waves ``user`` may call about (``callable_waves``) that are open on ``today``, were reminded and are
    still unanswered, of graduates who still agree to be asked; oldest due first."""
    stmt = (
        select(OutcomeWave)
        .join(Trainee, Trainee.id == OutcomeWave.trainee_id)
        .where(
            callable_waves(user),
            OutcomeWave.closes_on > today,
            OutcomeWave.reminded_at.is_not(None),
            ~exists().where(OutcomeAnswer.wave_id == OutcomeWave.id),
            Trainee.outcome_consent.is_(True),
        )
        .options(
            joinedload(OutcomeWave.trainee),
            joinedload(OutcomeWave.enrollment).joinedload(Enrollment.cohort).joinedload(Cohort.course),
            joinedload(OutcomeWave.enrollment).joinedload(Enrollment.cohort).joinedload(Cohort.centre),
        )
        .order_by(OutcomeWave.due_on, OutcomeWave.id)
    )
    return stmt.where(search) if search is not None else stmt


@bp.get("/calls")
@allow(CALLERS)
def calls():
    page, per_page = page_args()
    query = text_arg("q")
    waves = db.paginate(
        calls_due(acting_user(), local_today(), search_condition(query)), page=page, per_page=per_page, error_out=False
    )
    return render_template("outcomes/calls.html", waves=waves, query=query)


@bp.route("/calls/<int:wave_id>", methods=["GET", "POST"])
@allow(CALLERS)
def call(wave_id: int):
    wave = get_call_wave_or_404(wave_id)
    if not wave.is_open(local_today()):
        return render_template("outcomes/closed.html", wave=wave), 410
    form = OutcomeAnswerForm()
    if request.method == "GET" and wave.answer is not None:
        form.fill_from(wave.answer)
    if form.validate_on_submit() and run(
        form,
        lambda: services.save_answer(
            wave, form.answer_data(), actor=acting_user(), channel=OutcomeChannel.PHONE, now=utcnow()
        ),
    ):
        flash(_("Saved the answer of %(name)s, taken by phone.", name=wave.trainee.full_name), "success")
        return redirect(url_for("outcomes.calls"))
    summary = answer_summary(wave.answer) if wave.answer is not None else None
    return render_template("outcomes/call.html", wave=wave, form=form, summary=summary), form_status(form)
