"""Public verification of a certificate (``/verify`` and ``/verify/<number>``, no sign-in) and the PDF
download (the trainee's own, from her profile; staff of the issuing centre and admins too).

Verification is the address printed under the QR code: it must answer fast and for anyone, so it reads one
row by its unique number (``services.verification``), renders no PDF, writes nothing (not even a session),
and lets browsers keep the page for a minute. Numbers that find nothing are throttled per address
(``UNKNOWN_NUMBER_LIMIT``): a number cannot be guessed (50 random bits), and nobody gets to try.
"""

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from auth.permissions import PUBLIC, SIGNED_IN, allow, get_certificate_or_404, is_signed_in
from auth.throttling import throttled_message
from certificates import bp, services
from certificates.forms import VerifyForm
from certificates.numbers import NotANumber, normalise_number
from certificates.pdf import certificate_pdf, file_name
from extensions import limiter

# Lookups of numbers that find no certificate, per address; numbers that exist are never throttled.
UNKNOWN_NUMBER_LIMIT = "30 per 10 minutes"
# How long a browser may keep a verification page: a revocation shows within this time.
VERIFY_MAX_AGE = 60


def counts_against_the_limit(response: Response) -> bool:
    return response.status_code == 404


# One count for the page and the API (``api.certificates``): trying numbers at either is the same guessing.
unknown_numbers_throttled = limiter.shared_limit(
    UNKNOWN_NUMBER_LIMIT,
    scope="certificate-lookups",
    deduct_when=counts_against_the_limit,
    error_message=throttled_message,
)


def number_problem(error: NotANumber) -> str:
    if error.mistyped:
        return _("This number has a typing mistake: check each character against the certificate.")
    return _("A certificate number looks like MKZ-7Q2MX-K9DHT-R: check it against the certificate.")


def not_found(number: str, message: str) -> tuple[str, int]:
    """The answer for a number that finds no certificate: 404, saying so, with the number typed in the box to
    correct it (plain markup, as cheap as a found certificate's page)."""
    return render_template("certificates/not_found.html", typed=number[:40], message=message), 404


@bp.get("/verify")
@allow(PUBLIC)
def verify_form():
    """The verification page's form; a number typed goes to its own page (``verify``)."""
    if "number" not in request.args:
        return render_template("certificates/verify_form.html", form=VerifyForm(formdata=None))
    form = VerifyForm(formdata=request.args)
    if form.validate():
        try:
            return redirect(url_for("certificates.verify", number=normalise_number(form.number.data)))
        except NotANumber as error:
            form.number.errors = [number_problem(error)]
    return render_template("certificates/verify_form.html", form=form), 422


@bp.get("/verify/<number>")
@allow(PUBLIC)
@unknown_numbers_throttled
def verify(number: str):
    """A certificate's facts as printed and whether it is valid, revoked (when, why) or replaced (by which
    number). A number typed another way (lower case, spaces) is sent to its printed form."""
    try:
        printed = normalise_number(number)
    except NotANumber as error:
        return not_found(number, number_problem(error))
    if printed != number:
        return redirect(url_for("certificates.verify", number=printed), 301)
    found = services.verification(printed)
    if found is None:
        return not_found(number, _("No certificate has this number. Check it against the certificate."))
    response = make_response(render_template("certificates/verify.html", found=found))
    if not is_signed_in(current_user):
        # Public facts, the same for every anonymous reader of this language: caches may keep it briefly.
        response.headers["Cache-Control"] = f"public, max-age={VERIFY_MAX_AGE}"
        response.vary.update(("Accept-Language", "Cookie"))
    return response


@bp.get("/certificates/<number>.pdf")
@allow(SIGNED_IN)
def download(number: str):
    """The certificate as a PDF: for the trainee herself, staff of the issuing centre and admins
    (``can_download_certificate``). Revoked and replaced certificates download too, for the record; their
    verification page says what they are."""
    certificate = get_certificate_or_404(number)
    response = make_response(certificate_pdf(certificate))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(certificate)}"'
    return response
