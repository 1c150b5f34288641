"""The Marks page of a running cohort (``enrollments.services.marks``): one phone-friendly form with every
enrolled trainee's mark, her attendance against the course's threshold beside it; or a mark sheet uploaded
and shown filled in before it is saved; and the sheet to download. Staff of the cohort's centre and admins.
Finishing the cohort (which decides completion on these marks) is ``courses.staff.cohort_status``."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from auth.permissions import STAFF, allow, get_cohort_or_404
from courses.models import Cohort
from database import reads_first
from enrollments import bp
from enrollments.mark_sheets import TEMPLATE_HEADINGS, read_marks, template_rows
from enrollments.merit_forms import MarksForm, MarkSheetForm
from enrollments.models import Enrollment
from enrollments.place_sheets import read_upload
from enrollments.services import marks as rules
from oversight.export_files import ListSource, Table, send
from refusals import Refusal
from submitting import acting_user, form_status, run


def typed_marks(form, places: list[Enrollment]) -> dict[int, str]:
    """The marks typed for each place on the page (``mark-<id>``)."""
    return {place.id: form.get(f"mark-{place.id}", "") for place in places if f"mark-{place.id}" in form}


def problems_by_place(refusal: Refusal | None, entries: list[rules.MarkEntry]) -> dict[int, str]:
    """A refusal's problems as the page shows them, by place."""
    return {entries[problem.index].enrollment_id: problem.message for problem in getattr(refusal, "problems", ())}


def render_marks(cohort: Cohort, places, *, form, upload, values=None, errors=None, sheet_problems=(), status=200):
    page = render_template(
        "enrollments/marks.html",
        cohort=cohort,
        places=places,
        form=form,
        upload=upload,
        values=values or {},
        errors=errors or {},
        sheet_problems=sheet_problems,
    )
    return page, status


@bp.route("/cohorts/<code>/marks", methods=["GET", "POST"])
@allow(STAFF)
def marks(code: str):
    cohort = get_cohort_or_404(code, manage=True)
    form = MarksForm()
    places = rules.markable_places(cohort)
    values, errors = {}, {}
    if form.validate_on_submit():
        values = typed_marks(request.form, places)
        entries = [rules.MarkEntry(place_id, mark) for place_id, mark in values.items()]
        saved = run(form, lambda: rules.enter_marks(cohort, entries, actor=acting_user()))
        if saved is not None:
            flash(ngettext("Saved %(num)d mark.", "Saved %(num)d marks.", len(saved)), "success")
            return redirect(url_for("enrollments.marks", code=code))
        errors = problems_by_place(form.refusal, entries)
    return render_marks(
        cohort, places, form=form, upload=MarkSheetForm(formdata=None), values=values, errors=errors,
        status=form_status(form, refusal_status=True),
    )  # fmt: skip


@bp.post("/cohorts/<code>/marks/upload")
@allow(STAFF)
@reads_first  # reading a sheet writes nothing: the marks are saved by the form it fills in
def upload_marks(code: str):
    """Read an uploaded mark sheet and show the Marks page filled in with it, every row checked, for staff to
    look over and save (nothing is saved here); a sheet with a wrong row shows each one by row and column."""
    cohort = get_cohort_or_404(code, manage=True)
    upload = MarkSheetForm()
    places = rules.markable_places(cohort)
    form = MarksForm(formdata=None)
    if not upload.validate_on_submit():
        return render_marks(cohort, places, form=form, upload=upload, status=422)
    sheet, problems = read_upload(upload, lambda data, filename: read_marks(data, filename, cohort, places))
    if sheet is None:
        return render_marks(cohort, places, form=form, upload=upload, sheet_problems=problems, status=422)
    flash(
        ngettext(
            "The sheet gives marks for %(num)d trainee; %(changed)s change. Look them over and save them.",
            "The sheet gives marks for %(num)d trainees; %(changed)s change. Look them over and save them.",
            len(sheet.marks),
            changed=sheet.changed,
        ),
        "info",
    )
    values = {place_id: "" if mark is None else str(mark) for place_id, mark in sheet.marks.items()}
    return render_marks(cohort, places, form=form, upload=MarkSheetForm(formdata=None), values=values)


@bp.get("/cohorts/<code>/marks.csv")
@allow(STAFF)
def mark_sheet(code: str):
    """The mark sheet to fill in: every enrolled trainee, with her CNIC and name (staff see both on the
    roster) and her mark so far. Kept in the audit trail as ``export.mark_sheet``."""
    cohort = get_cohort_or_404(code, manage=True)
    table = Table(
        what="mark_sheet",
        title=f"Marks {cohort.code}",
        headings=TEMPLATE_HEADINGS,
        source=ListSource(template_rows(rules.markable_places(cohort))),
        name_parts=(cohort.code,),
        about=cohort,
        centre_id=cohort.centre_id,
    )
    return send(table, "csv", actor=acting_user())
