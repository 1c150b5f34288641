"""Staff pages of merit admission (``enrollments.services.merit``): the scores of a merit cohort's applicants
(one form for all of them, or a score sheet uploaded and shown filled in before it is saved), the score sheet
to download, and publishing the merit list (or a correction) behind a page that says what it will do. Staff
of the cohort's centre and admins. The public list is ``courses.merit_list``."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from auth.permissions import STAFF, allow, get_cohort_or_404
from courses.models import Cohort
from database import reads_first
from enrollments import bp
from enrollments.merit_forms import PublishForm, ScoresForm, ScoreSheetForm
from enrollments.merit_sheets import TEMPLATE_HEADINGS, read_scores, template_rows
from enrollments.models import Enrollment
from enrollments.place_sheets import read_upload
from enrollments.services import merit
from oversight.export_files import ListSource, Table, send
from refusals import Refusal
from submitting import acting_user, form_status, run
from vocabulary import RESERVED_POOLS, Admission, Pool


def get_merit_cohort_or_404(code: str) -> Cohort:
    """A merit cohort the user manages (404 for any other cohort: it has no scores)."""
    cohort = get_cohort_or_404(code, manage=True)
    if cohort.admission is not Admission.MERIT:
        abort(404)
    return cohort


def typed_scores(form, places: list[Enrollment]) -> dict[int, tuple[str, str]]:
    """The scores typed for each place on the page (``test-<id>``, ``interview-<id>``)."""
    return {
        place.id: (form.get(f"test-{place.id}", ""), form.get(f"interview-{place.id}", ""))
        for place in places
        if f"test-{place.id}" in form or f"interview-{place.id}" in form
    }


def problems_by_place(refusal: Refusal | None, entries: list[merit.ScoreEntry]) -> dict[int, dict[str, str]]:
    """A refusal's problems as the page shows them: by place, then by field."""
    found: dict[int, dict[str, str]] = {}
    for problem in getattr(refusal, "problems", ()):
        found.setdefault(entries[problem.index].enrollment_id, {})[problem.field] = problem.message
    return found


def render_scores(cohort: Cohort, places, *, form, upload, values=None, errors=None, sheet_problems=(), status=200):
    published = merit.latest_list(cohort)
    page = render_template(
        "enrollments/merit/scores.html",
        cohort=cohort,
        places=places,
        form=form,
        upload=upload,
        values=values or {},
        errors=errors or {},
        sheet_problems=sheet_problems,
        published=published,
        total_score=merit.total_score,
    )
    return page, status


@bp.route("/cohorts/<code>/scores", methods=["GET", "POST"])
@allow(STAFF)
def merit_scores(code: str):
    cohort = get_merit_cohort_or_404(code)
    form = ScoresForm()
    places = merit.scorable_places(cohort)
    values, errors = {}, {}
    if form.validate_on_submit():
        values = typed_scores(request.form, places)
        entries = [merit.ScoreEntry(place_id, test, interview) for place_id, (test, interview) in values.items()]
        saved = run(form, lambda: merit.enter_scores(cohort, entries, actor=acting_user()))
        if saved is not None:
            flash(
                ngettext(
                    "Saved the scores of %(num)d applicant.", "Saved the scores of %(num)d applicants.", len(saved)
                ),
                "success",
            )
            return redirect(url_for("enrollments.merit_scores", code=code))
        errors = problems_by_place(form.refusal, entries)
    return render_scores(
        cohort,
        places,
        form=form,
        upload=ScoreSheetForm(formdata=None),
        values=values,
        errors=errors,
        status=form_status(form),
    )


@bp.post("/cohorts/<code>/scores/upload")
@allow(STAFF)
@reads_first  # reading a sheet writes nothing: the scores are saved by the form it fills in
def upload_scores(code: str):
    """Read an uploaded score sheet and show the scores table filled in with it, every row checked, for
    staff to look over and save (nothing is saved here); a sheet with a wrong row shows each one."""
    cohort = get_merit_cohort_or_404(code)
    upload = ScoreSheetForm()
    places = merit.scorable_places(cohort)
    form = ScoresForm(formdata=None)
    if not upload.validate_on_submit():
        return render_scores(cohort, places, form=form, upload=upload, status=422)
    sheet, problems = read_upload(upload, lambda data, filename: read_scores(data, filename, cohort, places))
    if sheet is None:
        return render_scores(cohort, places, form=form, upload=upload, sheet_problems=problems, status=422)
    flash(
        ngettext(
            "The sheet gives scores for %(num)d applicant; %(changed)s change. Look them over and save them.",
            "The sheet gives scores for %(num)d applicants; %(changed)s change. Look them over and save them.",
            len(sheet.scores),
            changed=sheet.changed,
        ),
        "info",
    )
    return render_scores(cohort, places, form=form, upload=ScoreSheetForm(formdata=None), values=sheet.scores)


@bp.get("/cohorts/<code>/scores.csv")
@allow(STAFF)
def score_sheet(code: str):
    """The score sheet to fill in: every applicant who may be scored now, with her CNIC and name (staff
    see both on the roster) and her scores so far. Kept in the audit trail as ``export.score_sheet``."""
    cohort = get_merit_cohort_or_404(code)
    table = Table(
        what="score_sheet",
        title=f"Scores {cohort.code}",
        headings=TEMPLATE_HEADINGS,
        source=ListSource(template_rows(merit.scorable_places(cohort))),
        name_parts=(cohort.code,),
        about=cohort,
        centre_id=cohort.centre_id,
    )
    return send(table, "csv", actor=acting_user())


@bp.route("/cohorts/<code>/merit-list/publish", methods=["GET", "POST"])
@allow(STAFF)
def publish_merit_list(code: str):
    """What publishing would do now (``merit.plan_publication``: offers per pool, the line), and the button;
    a correction asks for its reason. A refusal (applications still open, applicants without scores) is
    shown instead of the button."""
    cohort = get_merit_cohort_or_404(code)
    form = PublishForm()
    if form.validate_on_submit():
        published = run(form, lambda: merit.publish(cohort, actor=acting_user(), reason=form.reason.data or ""))
        if published is not None:
            flash(
                _(
                    "Published version %(version)s of the merit list: seats are offered by rank.",
                    version=published.version,
                ),
                "success",
            )
            return redirect(url_for("courses.merit_list", code=code))
    try:
        plan, refusal = merit.plan_publication(cohort), None
    except Refusal as refused:
        plan, refusal = None, refused
    page = render_template(
        "enrollments/merit/publish.html",
        cohort=cohort,
        form=form,
        plan=plan,
        refusal=refusal,
        pools=(Pool.OPEN, *RESERVED_POOLS),
    )
    return page, form_status(form, refusal_status=True)
