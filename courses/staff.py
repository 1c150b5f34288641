"""Staff pages for the cohorts of their own centres: add one, change it, move it through its statuses.
Centre staff (their own centres) and admins; the rules live in ``courses.cohorts``."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from auth.permissions import STAFF, allow, get_centre_or_404, get_cohort_or_404
from centres.models import Centre
from courses import bp
from courses.cohort_forms import CohortForm, NewCohortForm, StatusForm, to_utc
from courses.cohorts import CohortDetails, change_status, create_cohort, next_statuses, update_cohort
from enrollments.services.completion import preview_finish
from enrollments.services.merit import DEFAULT_TEST_WEIGHT
from enrollments.services.offers import DEFAULT_OFFER_HOURS
from submitting import acting_user, form_status, run
from vocabulary import CohortStatus

# What the button of each status change says, and what the confirmation page warns about.
STATUS_ACTIONS = {
    CohortStatus.OPEN: (
        # A command here; the same English is a state on the catalogue's badges (Urdu needs two wordings).
        lazy_pgettext("button", "Open for applications"),
        _l("Trainees can apply from now on, within the application window."),
    ),
    CohortStatus.CLOSED: (
        _l("Close applications"),
        _l("No one can apply or be registered until you open it again."),
    ),
    CohortStatus.RUNNING: (_l("Mark as running"), _l("Training has begun. Applications are no longer taken.")),
    CohortStatus.FINISHED: (
        _l("Mark as finished"),
        _l(
            "The cohort has ended. Every enrolled trainee is decided by the rule now: completed (her certificate is "
            "issued) or not completed, and each is told. This cannot be undone; a single result can be overridden "
            "afterwards, with a reason."
        ),
    ),
}


def cohort_details(form: CohortForm, centre: Centre, code: str) -> CohortDetails:
    return CohortDetails(
        code=code,
        centre_id=centre.id,
        course_id=form.course_id.data,
        kind=form.kind.data,
        women_only=form.women_only_value,
        women_only_admits=form.women_only_admits.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        shift=form.shift.data,
        mode=form.mode.data,
        seats=form.seats.data,
        admission=form.admission.data,
        applications_open_at=to_utc(form.applications_open_at.data),
        applications_close_at=to_utc(form.applications_close_at.data),
        venue=form.venue.data,
        venue_district_id=form.venue_district_id.data,
        eligible_province_id=form.eligible_province_id.data,
        eligible_district_id=form.eligible_district_id.data,
        reserved=form.reserved_value,
        release_at=to_utc(form.release_at.data),
        offers=form.offers.data,
        offer_hours=DEFAULT_OFFER_HOURS if form.offer_hours.data is None else form.offer_hours.data,
        test_weight=DEFAULT_TEST_WEIGHT if form.test_weight.data is None else form.test_weight.data,
    )


@bp.route("/staff/<centre_code>/cohorts/new", methods=["GET", "POST"])
@allow(STAFF)
def new_cohort(centre_code: str):
    centre = get_centre_or_404(centre_code, manage=True)
    form = NewCohortForm()
    if form.validate_on_submit():
        code = run(form, lambda: create_cohort(cohort_details(form, centre, form.code.data), actor=acting_user()).code)
        if code:
            flash(
                _("Cohort %(code)s added as a draft: open it for applications when it is ready.", code=code), "success"
            )
            return redirect(url_for("courses.edit_cohort", code=code))
    return render_template("courses/staff/cohort_form.html", form=form, centre=centre, cohort=None), form_status(form)


@bp.route("/staff/cohorts/<code>/edit", methods=["GET", "POST"])
@allow(STAFF)
def edit_cohort(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = CohortForm(data=CohortForm.data_of(cohort) if request.method == "GET" else None)
    if form.validate_on_submit() and run(
        form, lambda: update_cohort(cohort, cohort_details(form, cohort.centre, cohort.code), actor=acting_user())
    ):
        flash(_("Saved cohort %(code)s.", code=code), "success")
        return redirect(url_for("courses.edit_cohort", code=code))
    return render_template(
        "courses/staff/cohort_form.html",
        form=form,
        centre=cohort.centre,
        cohort=cohort,
        next_statuses=next_statuses(cohort),
        actions=STATUS_ACTIONS,
    ), form_status(form)


@bp.route("/staff/cohorts/<code>/status", methods=["GET", "POST"])
@allow(STAFF)
def cohort_status(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = StatusForm(data={"to": request.args.get("to", "")} if request.method == "GET" else None)
    if form.validate_on_submit() and run(
        form, lambda: change_status(cohort, CohortStatus.parse(form.to.data), actor=acting_user())
    ):
        flash(_("%(code)s is now %(status)s.", code=code, status=CohortStatus(form.to.data).label.lower()), "success")
        return redirect(url_for("courses.edit_cohort", code=code))
    to = CohortStatus.parse(form.to.data)
    # Finishing decides every enrolled trainee's result: staff see what it will decide before they confirm.
    finishing = preview_finish(cohort) if to is CohortStatus.FINISHED and to in next_statuses(cohort) else None
    return render_template(
        "courses/staff/cohort_status.html",
        form=form,
        cohort=cohort,
        to=to,
        next_statuses=next_statuses(cohort),
        actions=STATUS_ACTIONS,
        finishing=finishing,
    ), form_status(form, refusal_status=True)
