"""A certificate in a real browser (issue 17, items 3 to 5): on a 360 px phone, her centre's staff enter
Ayesha's mark on the Marks page and finish the cohort (a preview of what finishing decides, then the
confirmation): she completes by the rule. Ayesha, who reads Urdu, sees her attendance and result on her
phone, finds the certificate on her profile and downloads the PDF. Someone she shows it to, signed in
nowhere, scans its QR code (here: the code is decoded from the PDF's page rendered to PNG) and opens the
address it holds: the verification page says, in Urdu, that the certificate is valid. The PNG of the Urdu
certificate is kept for a person to look at (``build/certificate-ur.png``)."""

import shutil
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from flask_babel import force_locale, gettext
from pages import sign_in_browser
from playwright.sync_api import Browser, Page, expect

from certificates.models import Certificate
from enrollments.counters import recount
from enrollments.models import Enrollment
from extensions import db
from vocabulary import CohortStatus, Role

PHONE = {"width": 360, "height": 740}
HER_NAME = "عائشہ بی بی"
KEPT_PNG = Path(__file__).resolve().parents[2] / "build" / "certificate-ur.png"


def urdu(app: Flask, message: str, **variables) -> str:
    """What an Urdu page shows for ``message``, from the catalogue."""
    with app.test_request_context(), force_locale("ur"):
        return gettext(message, **variables)


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_she_downloads_her_certificate_and_a_stranger_scans_it_and_sees_it_valid_in_urdu(
    page: Page,
    browser: Browser,
    app: Flask,
    base_url: str,
    tmp_path: Path,
    make_centre,
    make_course,
    make_cohort,
    make_user,
    make_trainee,
    make_enrollment,
):
    centre = make_centre(name="Lahore Digital Centre", partner_name="University of the Punjab")
    cohort = make_cohort(
        centre=centre,
        course=make_course(title="Freelancing with WordPress"),
        status=CohortStatus.RUNNING,
        starts_on=date.today() - timedelta(days=50),
    )
    staff = make_user(Role.STAFF, centres=(centre,))
    ayesha = make_user(Role.TRAINEE)
    # Present on 9 of the 10 class days held (the registers' own journey is ``test_attendance_journey``).
    enrollment = make_enrollment(
        make_trainee(user=ayesha, full_name=HER_NAME, language="ur"), cohort, days_marked=10, days_present=9
    )
    recount(fix=True)
    db.session.commit()

    # Her centre's staff, on a phone: her mark, then the cohort finished after its preview.
    desk = browser.new_context(base_url=base_url, locale="en-GB", viewport=PHONE)
    try:
        staff_page = desk.new_page()
        sign_in_browser(desk, app, base_url, staff)
        staff_page.goto(f"/enrollments/cohorts/{cohort.code}/marks")
        staff_page.get_by_label(HER_NAME).fill("78.5")
        staff_page.get_by_role("button", name="Save marks").click()
        expect(staff_page.get_by_text("Saved 1 mark.")).to_be_visible()
        staff_page.get_by_role("link", name="Finish the cohort").click()
        preview = staff_page.locator("[data-finish-preview]")
        expect(preview).to_contain_text("1 trainee will complete and get a certificate.")
        expect(preview).to_contain_text("0 will not complete: mark below the pass mark, or no mark.")
        staff_page.get_by_role("button", name="Mark as finished").click()
        expect(staff_page.get_by_text(f"{cohort.code} is now finished.")).to_be_visible()
        width = staff_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the staff pages scroll sideways on a phone ({width} px)"
    finally:
        desk.close()
    db.session.commit()  # end the test's read: what the server wrote is seen from here
    assert db.session.get(Enrollment, enrollment.id).status.value == "completed"
    number = db.session.scalar(sa.select(Certificate.number))

    # Her profile, in Urdu: her certificate, with its download.
    sign_in_browser(page.context, app, base_url, ayesha)
    page.goto("/auth/profile")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-result]")).to_contain_text(urdu(app, "Passed"))
    expect(page.locator("[data-attendance]")).to_contain_text(
        urdu(app, "%(threshold)s%% is needed to sit the assessment.", threshold=70)
    )
    expect(page.get_by_role("heading", name=urdu(app, "My certificates"))).to_be_visible()
    with page.expect_download() as downloading:
        page.get_by_role(
            "link", name=urdu(app, "Download the certificate of %(course)s (PDF)", course="Freelancing with WordPress")
        ).click()
    download = downloading.value
    assert download.suggested_filename == f"certificate-{number}.pdf"
    pdf = tmp_path / download.suggested_filename
    download.save_as(pdf)

    # The PDF's page as an image: kept, and its QR code read as a phone's camera would.
    document = pdfium.PdfDocument(pdf.read_bytes())
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    image.save(tmp_path / "certificate-ur.png")
    KEPT_PNG.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "certificate-ur.png", KEPT_PNG)
    (code,) = zxingcpp.read_barcodes(image)
    address = urlsplit(code.text)
    assert f"{address.scheme}://{address.netloc}" == app.config["BASE_URL"]
    assert address.path == f"/verify/{number}"

    # A stranger opens that address, signed in nowhere, her phone in Urdu: valid.
    stranger = browser.new_context(base_url=base_url, locale="ur-PK", viewport=PHONE)
    try:
        theirs = stranger.new_page()
        theirs.goto(address.path)
        expect(theirs.locator("html")).to_have_attribute("dir", "rtl")
        expect(theirs.get_by_role("heading", level=1)).to_have_text(urdu(app, "Certificate verification"))
        status = theirs.get_by_role("status")
        expect(status).to_have_attribute("data-status", "valid")
        expect(status).to_contain_text(urdu(app, "Valid"))
        expect(status).to_contain_text(urdu(app, "This certificate was issued by Markaz and has not been revoked."))
        expect(theirs.get_by_text(HER_NAME)).to_be_visible()
        expect(theirs.get_by_text("Freelancing with WordPress")).to_be_visible()
    finally:
        stranger.close()
