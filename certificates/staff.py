"""Staff pages of certificates: a certificate's page (its facts, the PDF, revoke, reissue), the way there from
a roster row, and a cohort's certificates as one ZIP of PDFs.

Views are thin (STYLE.md, rule 1): load and authorize (``get_certificate_or_404(..., manage=True)``), validate
the form, run one of ``certificates.services``, commit, flash and redirect; a refusal is shown next to its
field and nothing is written.
"""

import io
import zipfile

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from audit.events import record
from auth.permissions import STAFF, allow, get_certificate_or_404, get_cohort_or_404, get_enrollment_or_404
from certificates import bp, services
from certificates.forms import ReissueForm, RevokeForm
from certificates.models import Certificate
from certificates.pdf import cohort_pdfs, file_name
from database import sqlite_may_write
from extensions import db
from submitting import acting_user, form_status, run


def certificate_page(certificate: Certificate, revoke_form: RevokeForm, reissue_form: ReissueForm):
    replaced_by = certificate.replaced_by
    return render_template(
        "certificates/manage.html",
        certificate=certificate,
        replaced_by=replaced_by,
        revoke_form=revoke_form,
        reissue_form=reissue_form,
    )


@bp.get("/certificates/<number>")
@allow(STAFF)
def manage(number: str):
    certificate = get_certificate_or_404(number, manage=True)
    reissue_form = ReissueForm(formdata=None, data={"full_name": certificate.trainee.full_name})
    return certificate_page(certificate, RevokeForm(formdata=None), reissue_form)


@bp.post("/certificates/<number>/revoke")
@allow(STAFF)
def revoke(number: str):
    certificate = get_certificate_or_404(number, manage=True)
    form = RevokeForm()
    if form.validate_on_submit() and run(
        form, lambda: services.revoke(certificate, actor=acting_user(), reason=form.reason.data)
    ):
        flash(_("Certificate %(number)s is revoked: its verification page says so.", number=number), "success")
        return redirect(url_for("certificates.manage", number=certificate.number))
    reissue_form = ReissueForm(formdata=None, data={"full_name": certificate.trainee.full_name})
    return certificate_page(certificate, form, reissue_form), form_status(form, refusal_status=True)


@bp.post("/certificates/<number>/reissue")
@allow(STAFF)
def reissue(number: str):
    certificate = get_certificate_or_404(number, manage=True)
    form = ReissueForm()
    new = form.validate_on_submit() and run(
        form,
        lambda: (
            services.reissue(
                certificate, actor=acting_user(), reason=form.reason.data, full_name=form.full_name.data or None
            ).number
        ),
    )
    if new:
        flash(_("Reissued as %(new)s; %(old)s now says it was replaced.", new=new, old=certificate.number), "success")
        return redirect(url_for("certificates.manage", number=new))
    return certificate_page(certificate, RevokeForm(formdata=None), form), form_status(form, refusal_status=True)


@bp.get("/certificates/places/<int:enrollment_id>")
@allow(STAFF)
def of_place(enrollment_id: int):
    """From a roster row to the place's certificate: its valid one, else its latest (revoked)."""
    enrollment = get_enrollment_or_404(enrollment_id)
    number = db.session.scalar(
        select(Certificate.number)
        .where(Certificate.enrollment_id == enrollment.id)
        .order_by(Certificate.id.desc())
        .limit(1)
    )
    if number is None:
        abort(404)
    return redirect(url_for("certificates.manage", number=number))


@bp.get("/certificates/cohorts/<code>.zip")
@allow(STAFF)
def cohort_zip(code: str):
    """The cohort's valid certificates, one PDF each, in one ZIP (staff of its centre, admins). Built in
    memory: a cohort has at most a few dozen trainees (60 certificates: some 600 kB, about 3 s to lay out
    here). The download is kept in the audit trail, as the roster's downloads are."""
    cohort = get_cohort_or_404(code, manage=True)
    certificates = services.valid_certificates_of_cohort(cohort)
    if not certificates:
        flash(_("This cohort has no valid certificates yet: they are issued when places are completed."), "info")
        return redirect(url_for("enrollments.roster", code=code, tab="others"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate, pdf in cohort_pdfs(certificates):
            archive.writestr(file_name(certificate), pdf)
    record_download(cohort, len(certificates))
    response = make_response(buffer.getvalue())
    response.mimetype = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="certificates-{cohort.code}.zip"'
    return response


def record_download(cohort, count: int) -> None:
    """Write and commit the ``export.certificates`` audit event of this download. A GET runs in a read-only
    SQLite transaction (``database.register_request_hooks``): it is ended first and the event written in
    one of its own (as ``oversight.export_files.record_export`` does)."""
    db.session.rollback()
    token = sqlite_may_write.set(True)
    try:
        record(
            acting_user(),
            "export.certificates",
            cohort,
            after={"format": "zip", "rows": count},
            centre_id=cohort.centre_id,
        )
        db.session.commit()
    finally:
        sqlite_may_write.reset(token)
