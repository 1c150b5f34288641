"""The certificate's PDF (issue 17, item 5): one A4 landscape page in English and Urdu, the Urdu properly
shaped in Nastaliq, and a QR code that opens the verification page.

"Properly shaped" is checked on the PDF itself, not by trusting the library. WeasyPrint embeds each font as a
subset that keeps the original glyph ids (``retain_gids``) and shows text with those ids (Identity-H), so the
glyphs drawn in Noto Nastaliq Urdu are exactly the glyphs of the embedded subset that still have outlines.
HarfBuzz (uharfbuzz), shaping the same name with the same font file, says which glyphs a joined Nastaliq word
needs (initial, medial and final forms, ligatures) and which an unshaped word would use (each letter's
isolated form). The test asserts that every glyph of the shaped name is in the PDF, and that the isolated
forms the name would need unshaped are not all there. A PDF whose Urdu was not shaped holds no contextual
forms at all. The page is also rendered to PNG (pypdfium2) and kept for a person to look at
(``build/certificate-ur.png``, see README); its QR code is decoded from that image (zxing-cpp).
"""

import ctypes
import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import uharfbuzz as hb
import zxingcpp
from fontTools.ttLib import TTFont

from app import create_app
from certificates.models import Certificate
from certificates.pdf import certificate_pdf, cohort_pdfs
from config import TestConfig
from extensions import db
from vocabulary import CertificateStatus, Track

ROOT = Path(__file__).resolve().parent.parent
KEPT_PNG = ROOT / "build" / "certificate-ur.png"
URDU_NAME = "عائشہ بی بی"
A4_LANDSCAPE_POINTS = (842, 595)


def certificate(**fields) -> Certificate:
    values = {
        "number": "MKZ-7Q2MX-K9DHT-R",
        "full_name": URDU_NAME,
        "cnic_masked": "35202-*******-2",
        "course_title": "Freelancing with WordPress",
        "course_code": "WP-101",
        "track": Track.DIGITAL_MARKETING,
        "hours": 120,
        "centre_name": "Lahore Digital Centre",
        "centre_code": "PB-LHR-07",
        "partner_name": "University of the Punjab",
        "cohort_code": "PB-LHR-07-WP-1",
        "starts_on": date(2026, 9, 1),
        "ends_on": date(2026, 10, 26),
        "issued_on": date(2026, 12, 3),
        "status": CertificateStatus.VALID,
    }
    return Certificate(**(values | fields))


@pytest.fixture(scope="module")
def served():
    """The app (no database behind it: a PDF is made from the certificate's own row)."""
    app = create_app(TestConfig("sqlite://"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def pdf(served) -> bytes:
    with served.test_request_context("/"):
        return certificate_pdf(certificate())


def font_file(pattern: str) -> str:
    """The file fontconfig picks for ``pattern``: the one WeasyPrint (through Pango) used."""
    return subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=True).stdout


def embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """The font programs embedded in page 1, by base font name (``ABCDEF+Noto-Nastaliq-Urdu-Bold``)."""
    fonts = {}
    document = pdfium.PdfDocument(pdf)
    try:
        for obj in document[0].get_objects():
            if obj.type != pdfium_raw.FPDF_PAGEOBJ_TEXT:
                continue
            font = pdfium_raw.FPDFTextObj_GetFont(obj.raw)
            length = pdfium_raw.FPDFFont_GetBaseFontName(font, None, 0)
            name = ctypes.create_string_buffer(length)
            pdfium_raw.FPDFFont_GetBaseFontName(font, name, length)
            size = ctypes.c_size_t()
            pdfium_raw.FPDFFont_GetFontData(font, None, 0, ctypes.byref(size))
            data = (ctypes.c_uint8 * size.value)()
            pdfium_raw.FPDFFont_GetFontData(font, data, size.value, ctypes.byref(size))
            fonts[name.value.decode()] = bytes(data)
    finally:
        document.close()
    return fonts


def inked_glyphs(font: TTFont) -> set[int]:
    """The glyph ids of ``font`` that have outlines (a subset keeps only those it uses)."""
    glyphs, order = font["glyf"], font.getGlyphOrder()
    return {gid for gid, name in enumerate(order) if glyphs[name].numberOfContours != 0}


def shaped(font: hb.Font, text: str) -> list[int]:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()  # Arabic script, right to left, as Pango does
    hb.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


def test_the_certificate_is_one_a4_landscape_page(pdf):
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 1
        width, height = document[0].get_size()
        assert (round(width), round(height)) == A4_LANDSCAPE_POINTS
    finally:
        document.close()


def test_the_urdu_name_is_shaped_in_nastaliq_in_the_pdf(pdf):
    """The name is printed bold, in Noto Nastaliq Urdu Bold, in both halves (see the module docstring)."""
    fonts = embedded_fonts(pdf)
    (bold_nastaliq,) = (name for name in fonts if name.endswith("+Noto-Nastaliq-Urdu-Bold"))
    in_pdf = inked_glyphs(TTFont(io.BytesIO(fonts[bold_nastaliq])))

    path = font_file("Noto Nastaliq Urdu:bold")
    full = TTFont(path)
    inked = inked_glyphs(full)
    font = hb.Font(hb.Face(hb.Blob.from_file_path(path)))
    joined = {gid for gid in shaped(font, URDU_NAME) if gid in inked}
    isolated = {gid for letter in URDU_NAME if not letter.isspace() for gid in shaped(font, letter) if gid in inked}

    assert joined - isolated, "the test cannot tell shaped from unshaped text: shaping this name changes nothing"
    assert joined <= in_pdf, f"glyphs of the shaped name missing from the PDF: {sorted(joined - in_pdf)}"
    assert not isolated - joined <= in_pdf, "the PDF holds every isolated form of the name's letters"


def test_the_urdu_is_rendered_and_the_qr_code_opens_the_verification_page(pdf, tmp_path):
    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    image.save(tmp_path / "certificate-ur.png")
    KEPT_PNG.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "certificate-ur.png", KEPT_PNG)  # for a person to look at (README)
    (code,) = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == "http://markaz.test/verify/MKZ-7Q2MX-K9DHT-R"


def test_the_page_holds_both_languages_and_the_facts(pdf):
    document = pdfium.PdfDocument(pdf)
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    for expected in (
        "Certificate of completion",
        "Freelancing with WordPress",
        "Lahore Digital Centre",
        "University of the Punjab",
        "120",
        "MKZ-7Q2MX-K9DHT-R",
        "1 Sep 2026 to 26 Oct 2026",
    ):
        assert expected in text, expected


def test_a_cohorts_certificates_are_one_pdf_each(served):
    with served.test_request_context("/"):
        made = list(cohort_pdfs([certificate(full_name=name) for name in ("Sana Bibi", "Hina Iqbal")]))
    assert [each.full_name for each, _ in made] == ["Sana Bibi", "Hina Iqbal"]
    texts = []
    for _, pdf in made:
        document = pdfium.PdfDocument(pdf)
        try:
            assert len(document) == 1
            texts.append(document[0].get_textpage().get_text_range())
        finally:
            document.close()
    assert "Sana Bibi" in texts[0] and "Hina Iqbal" not in texts[0]
    assert "Hina Iqbal" in texts[1] and "Sana Bibi" not in texts[1]
