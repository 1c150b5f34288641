"""The certificate as a PDF: one A4 landscape page, English on the left and Urdu (right to left, in Noto
Nastaliq Urdu) on the right, with a QR code to the verification page.

WeasyPrint lays the page out over Pango and HarfBuzz, which shape Urdu into joined Nastaliq (a check of the
rendered page is in ``tests/test_certificate_pdf.py``); segno draws the QR code as SVG, embedded as a data
URI. The PDF is rendered on request from the certificate's snapshot and never stored: the row is the record,
and verification never renders a PDF. A cohort's certificates are laid out as one document (fonts loaded
and shaped once) and written one page per PDF (``cohort_pdfs``).

The system packages WeasyPrint needs (Pango, HarfBuzz) and the fonts (``fonts-noto-core``) are installed by
``.ci/run``; README, "Dependencies", says so.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import segno
from flask import g, render_template
from flask_babel import force_locale
from markupsafe import Markup

from certificates.models import Certificate
from links import absolute_url


def laid_out(html: str):
    """WeasyPrint's document for ``html``. Imported here, not with the module: WeasyPrint loads Pango when
    imported, and a host without it (a fresh `make run`) should still serve every page but the PDFs."""
    from weasyprint import HTML

    return HTML(string=html)


def verification_url(certificate: Certificate) -> str:
    """The address the QR code holds: the public verification page, on the configured site address."""
    return absolute_url("certificates.verify", number=certificate.number)


def qr_code(url: str) -> str:
    """``url`` as a QR code, an SVG data URI (error correction M: a crumpled or smudged print still scans)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2)


@contextmanager
def in_language(code: str) -> Iterator[None]:
    """Render templates in ``code`` whatever the reader's language: Flask-Babel's locale, and the
    translations the templates cache for the request (``templating.request_translations``)."""
    kept = g.pop("_markaz_translations", None)
    try:
        with force_locale(code):
            yield
    finally:
        g.pop("_markaz_translations", None)
        if kept is not None:
            g._markaz_translations = kept


# Unicode's directional isolates: a run kept left to right (a CNIC, a code, a number), or given the direction
# of its own first strong letter (a name, a title), whatever the paragraph around it.
LEFT_TO_RIGHT_ISOLATE, FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2068", "\u2069"


def ltr_run(value: object) -> str:
    return f"{LEFT_TO_RIGHT_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def isolated(value: object) -> str:
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def page_html(certificate: Certificate) -> str:
    """The certificate's page: its two halves rendered each in its language, then put side by side."""
    url = verification_url(certificate)
    halves = {}
    for code in ("en", "ur"):
        with in_language(code):
            halves[code] = Markup(
                render_template(
                    "certificates/_pdf_half.html", certificate=certificate, ltr_run=ltr_run, isolated=isolated
                )
            )
    return render_template(
        "certificates/_pdf_page.html", certificate=certificate, halves=halves, qr=qr_code(url), url=url
    )


def document_html(certificates: list[Certificate]) -> str:
    pages = [Markup(page_html(certificate)) for certificate in certificates]
    return render_template("certificates/pdf.html", pages=pages)


def certificate_pdf(certificate: Certificate) -> bytes:
    """The PDF of one certificate."""
    return laid_out(document_html([certificate])).write_pdf()


def cohort_pdfs(certificates: list[Certificate]) -> Iterator[tuple[Certificate, bytes]]:
    """Each certificate with its PDF, laid out as one document (a cohort of 60 in about 3 s here, against 6 s
    one by one), each page then written as a PDF of its own."""
    if not certificates:
        return
    document = laid_out(document_html(certificates)).render()
    for certificate, page in zip(certificates, document.pages, strict=True):
        yield certificate, document.copy([page]).write_pdf()


def file_name(certificate: Certificate) -> str:
    """``certificate-MKZ-7Q2MX-K9DHT-R.pdf``."""
    return f"certificate-{certificate.number}.pdf"
