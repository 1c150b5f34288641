"""Importing lists of trainees (CSV or XLSX) at a centre: upload and preview, then confirm.

Staff of the centre and admins upload; the upload waits in the database (``ImportBatch``) with its
preview, so that any host can show it and take the confirmation. The rules live in ``batches`` (see the
package's docstring for the flow)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination

from auth.permissions import STAFF, allow, can_handle_import, get_centre_or_404
from database import reads_first, start_writing
from enrollments import bp
from enrollments.imports.batches import (
    confirm_import,
    is_expired,
    preview_upload,
    read_batch,
    refusal_for_confirming,
    stage_import,
)
from enrollments.imports.columns import COLUMNS
from enrollments.imports.forms import ImportConfirmForm, ImportUploadForm
from enrollments.imports.limits import MAX_FILE_BYTES
from enrollments.imports.models import ImportBatch, ImportStatus
from enrollments.imports.samples import sample_file
from extensions import db
from listing import LARGEST_ID, page_args
from submitting import acting_user, form_status, run

TABS = {"problems": _l("Problems"), "rows": _l("Rows")}


class ListPagination(Pagination):
    """``db.paginate``'s page object over a list already in memory (a batch's stored report)."""

    def __init__(self, items: list, page: int, per_page: int) -> None:
        self._all = items
        super().__init__(page=page, per_page=per_page, max_per_page=per_page, error_out=False)

    def _query_items(self) -> list:
        return self._all[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._all)


def get_batch_or_404(batch_id: int) -> ImportBatch:
    """The batch with ``batch_id``: 404 if none, 403 unless ``can_handle_import``."""
    if batch_id > LARGEST_ID:
        abort(404)
    batch = db.get_or_404(ImportBatch, batch_id)
    if not can_handle_import(current_user, batch):
        abort(403)
    return batch


@bp.route("/centres/<centre_code>/import", methods=["GET", "POST"])
@allow(STAFF)
@reads_first
def import_upload(centre_code: str):
    centre = get_centre_or_404(centre_code, manage=True)
    form = ImportUploadForm(centre)
    if form.validate_on_submit():
        upload, cohort = form.file.data, form.chosen_cohort
        data = upload.stream.read(MAX_FILE_BYTES + 1)

        def staged() -> ImportBatch:
            # Read and check the file before the request starts writing: meanwhile others can write.
            preview = preview_upload(data, upload.filename, centre, cohort, actor=acting_user())
            start_writing()
            return stage_import(data, upload.filename, centre, cohort, actor=acting_user(), preview=preview)

        if (batch := run(form, staged)) is not None:
            return redirect(url_for("enrollments.import_batch", batch_id=batch.id))
    page = render_template("enrollments/import/upload.html", centre=centre, form=form, columns=COLUMNS)
    return page, form_status(form)


@bp.get("/centres/<centre_code>/import/sample.<any(csv, xlsx):fmt>")
@allow(STAFF)
def import_sample(centre_code: str, fmt: str):
    """A sample list to fill in (``samples.sample_file``), with the centre's district in its rows."""
    return sample_file(get_centre_or_404(centre_code, manage=True), fmt)


@bp.get("/imports/<int:batch_id>")
@allow(STAFF)
def import_batch(batch_id: int):
    return render_batch(get_batch_or_404(batch_id))


@bp.post("/imports/<int:batch_id>/confirm")
@allow(STAFF)
@reads_first
def import_confirm(batch_id: int):
    batch = get_batch_or_404(batch_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        return render_batch(batch, error=_("The form expired: confirm again."), status=422)

    def confirmed() -> dict[str, int]:
        sheet = read_batch(batch)  # read before the request starts writing; checked again once it has
        start_writing()
        result = confirm_import(batch, actor=acting_user(), sheet=sheet)
        return result.counts()

    counts = run(form, confirmed)
    if counts is None:
        refusal = form.refusal
        return render_batch(db.session.get(ImportBatch, batch_id), error=refusal.message, status=refusal.status)
    figures = {name: format_number(counts[name]) for name in ("created", "reused", "skipped")}
    flash(
        _("List imported: %(created)s new records, %(reused)s existing, %(skipped)s rows skipped.", **figures)
        if counts["skipped"]
        else _("List imported: %(created)s new records, %(reused)s existing.", **figures),
        "success",
    )
    return redirect(url_for("enrollments.import_batch", batch_id=batch_id))


def render_batch(batch: ImportBatch, *, error: str | None = None, status: int = 200):
    """The preview (uploaded) or result (imported) of ``batch``, with one tab of its report paged."""
    report = batch.report or {}
    tab = request.args.get("show", "problems")
    if tab not in TABS:
        tab = "problems"
    page, per_page = page_args()
    items = report.get(tab, [])
    return (
        render_template(
            "enrollments/import/batch.html",
            batch=batch,
            report=report,
            counts=report.get("counts", {}),
            tab=tab,
            tabs=TABS,
            listing=ListPagination(items, page, per_page),
            expired=is_expired(batch),
            refusal=error or (refusal_for_confirming(batch) if batch.status is not ImportStatus.IMPORTED else None),
            form=ImportConfirmForm(),
        ),
        status,
    )
