"""Messaging a cohort's trainees from its roster: write, preview (who and how many, the text as sent), send
through the outbox (``services.message_cohort``). Staff of the cohort's centre and admins."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from auth.permissions import STAFF, allow, get_cohort_or_404
from enrollments import bp, services
from enrollments.forms import CohortMessageForm
from submitting import acting_user, form_status, run


@bp.route("/cohorts/<code>/message", methods=["GET", "POST"])
@allow(STAFF)
def message_cohort(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = CohortMessageForm(audiences=services.AUDIENCES)
    if request.method == "GET":
        form.audience.data = request.args.get("to") if request.args.get("to") in services.AUDIENCES else "enrolled"
    preview = None
    if form.validate_on_submit():
        details = (form.audience.data, form.subject.data, form.body.data)
        if form.send.data and (
            sent := run(form, lambda: services.message_cohort(cohort, *details, actor=acting_user()))
        ):
            flash(
                ngettext(
                    "Message queued for %(num)s trainee (%(messages)s SMS and emails).",
                    "Message queued for %(num)s trainees (%(messages)s SMS and emails).",
                    sent.recipients,
                    messages=sent.messages,
                ),
                "success",
            )
            return redirect(url_for("enrollments.roster", code=code))
        if not form.send.data:  # previewing: the same checks, nothing written
            preview = run(form, lambda: services.preview_message(cohort, *details, actor=acting_user()))
    page = render_template(
        "enrollments/message.html",
        cohort=cohort,
        form=form,
        preview=preview,
        most=services.MAX_MESSAGE_LENGTH,
    )
    return page, form_status(form, refusal_status=True)
