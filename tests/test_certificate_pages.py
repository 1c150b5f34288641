"""Certificate pages through the client (issue 17, item 5): the public verification page in English and
Urdu (valid, revoked, replaced, unknown), the PDF download and who may have it, the staff page's revoke and
reissue, a cohort's ZIP, and where trainees and staff find them (profile, roster)."""

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from graduation import complete_by_rule, meets_the_rule
from pages import audit_events, error_next_to, flashed, post, redirected_to, shown, text

from certificates import services
from certificates.models import Certificate
from certificates.numbers import new_number
from certificates.routes import VERIFY_MAX_AGE
from clock import local_today
from enrollments.counters import recount
from extensions import db, limiter
from vocabulary import CertificateStatus, CohortStatus, EnrollmentStatus, Role

C = CertificateStatus


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-07", name="Lahore Digital Centre", partner_name="University of the Punjab")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def other_staff(make_user, make_centre):
    return make_user(Role.STAFF, centres=(make_centre(),))


@pytest.fixture
def running(make_cohort, make_course, centre):
    course = make_course(title="Freelancing with WordPress", code="WP-101")
    return make_cohort(
        centre=centre, course=course, status=CohortStatus.RUNNING, starts_on=date.today() - timedelta(days=30)
    )


@pytest.fixture
def graduate(make_user, make_trainee, make_enrollment, running, staff):
    """A trainee with an account whose place in ``running`` is completed: her certificate issued."""
    user = make_user(Role.TRAINEE)
    trainee = make_trainee(user=user, full_name="Ayesha Bibi", cnic="3520212345672")
    enrollment = make_enrollment(trainee, running)
    recount(fix=True)
    complete_by_rule(enrollment, actor=staff)
    db.session.commit()
    return user


@pytest.fixture
def certificate(graduate) -> Certificate:
    return db.session.scalar(sa.select(Certificate))


def pdf_of(response) -> bytes:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return response.data


# Verification ---------------------------------------------------------------------------------------


def test_anyone_verifies_a_valid_certificate(client, certificate):
    response = client.get(f"/verify/{certificate.number}")
    page = shown(text(response))
    assert "Valid · This certificate was issued by Markaz and has not been revoked." in page
    for fact in (
        "Ayesha Bibi",
        "35202-*******-2",
        "Freelancing with WordPress WP-101",
        "Software development",
        "Lahore Digital Centre PB-LHR-07",
        "University of the Punjab",
        certificate.number,
    ):
        assert fact in page, fact
    assert "3520212345672" not in text(response) and "35202-1234567-2" not in page


def test_the_verification_page_is_in_urdu_for_an_urdu_reader(client, certificate):
    page = shown(text(client.get(f"/verify/{certificate.number}", headers={"Accept-Language": "ur"})))
    assert "سند کی تصدیق" in page
    assert "درست · یہ سند مرکز نے جاری کی ہے اور منسوخ نہیں ہوئی۔" in page
    assert 'lang="ur" dir="rtl"' in text(client.get(f"/verify/{certificate.number}", headers={"Accept-Language": "ur"}))


def test_verification_is_cacheable_briefly_and_writes_no_session(client, certificate, row_counts):
    before = row_counts()
    response = client.get(f"/verify/{certificate.number}")
    assert response.headers["Cache-Control"] == f"public, max-age={VERIFY_MAX_AGE}"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert "Set-Cookie" not in response.headers
    assert row_counts() == before


def test_a_signed_in_reader_gets_the_page_uncached(client, sign_in, certificate, graduate):
    sign_in(graduate)
    assert client.get(f"/verify/{certificate.number}").headers["Cache-Control"] == "no-store"


def test_a_number_typed_another_way_goes_to_its_printed_form(client, certificate):
    typed = certificate.number.lower().replace("-", " ")
    response = client.get(f"/verify/{typed}")
    assert response.status_code == 301 and redirected_to_path(response) == f"/verify/{certificate.number}"


def redirected_to_path(response) -> str:
    return response.headers["Location"].split("?")[0].removeprefix("http://localhost")


def mistyped(number: str) -> str:
    """``number`` with a wrong check character."""
    check = number[-1]
    return number[:-1] + ("0" if check != "0" else "1")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (new_number, "No certificate has this number. Check it against the certificate."),
        (
            lambda: mistyped(new_number()),
            "This number has a typing mistake: check each character against the certificate.",
        ),
        (lambda: "hello", "A certificate number looks like MKZ-7Q2MX-K9DHT-R: check it against the certificate."),
    ],
)
def test_a_number_that_finds_nothing_says_so_and_no_more(client, certificate, typed, message):
    page = shown(text(client.get(f"/verify/{typed()}"), 404))
    assert "No such certificate" in page and message in page
    assert "Ayesha" not in page


def test_the_form_sends_a_typed_number_to_its_page(client, certificate):
    assert "Verify a certificate" in shown(text(client.get("/verify")))
    response = client.get("/verify", query_string={"number": f"  {certificate.number.lower()} "})
    assert redirected_to(response) == f"/verify/{certificate.number}"
    refused = text(client.get("/verify", query_string={"number": "MKZ-1"}), 422)
    assert error_next_to(refused, "number") == (
        "A certificate number looks like MKZ-7Q2MX-K9DHT-R: check it against the certificate."
    )


def test_a_revoked_certificate_says_when_and_why(client, certificate, staff):
    services.revoke(certificate, actor=staff, reason="Issued to the wrong trainee.")
    db.session.commit()
    page = shown(text(client.get(f"/verify/{certificate.number}")))
    assert f"Revoked · This certificate was revoked on {local_today():%-d %b %Y}." in page
    assert "Reason: Issued to the wrong trainee." in page and "Valid ·" not in page


def test_a_replaced_certificate_links_to_the_new_one(client, certificate, staff):
    new = services.reissue(certificate, actor=staff, reason="Name misspelt", full_name="Aisha Bibi")
    db.session.commit()
    body = text(client.get(f"/verify/{certificate.number}"))
    assert f"Replaced by {new.number}" in shown(body)
    assert f'href="/verify/{new.number}"' in body
    assert "Valid ·" in shown(text(client.get(f"/verify/{new.number}")))


def test_unknown_numbers_are_throttled_per_address_but_real_ones_never(client, certificate):
    limiter.reset()
    try:
        for _ in range(30):
            assert client.get(f"/verify/{new_number()}").status_code == 404
        assert client.get(f"/verify/{new_number()}").status_code == 429
        assert client.get(f"/api/v1/certificates/{new_number()}").status_code == 429
    finally:
        limiter.reset()


def test_real_numbers_do_not_count_against_the_limit(client, certificate):
    limiter.reset()
    try:
        for _ in range(40):
            assert client.get(f"/verify/{certificate.number}").status_code == 200
    finally:
        limiter.reset()


# Downloads ------------------------------------------------------------------------------------------


def test_the_trainee_downloads_her_certificate_from_her_profile(client, sign_in, graduate, certificate):
    sign_in(graduate)
    profile = text(client.get("/auth/profile"))
    assert "My certificates" in profile
    link = f"/certificates/{certificate.number}.pdf"
    assert f'href="{link}"' in profile
    response = client.get(link)
    pdf_of(response)
    assert response.headers["Content-Disposition"] == f'attachment; filename="certificate-{certificate.number}.pdf"'


def test_nobody_else_downloads_her_certificate(client, sign_in, certificate, make_user, other_staff, make_trainee):
    other_trainee = make_user(Role.TRAINEE)
    make_trainee(user=other_trainee)
    link = f"/certificates/{certificate.number}.pdf"
    assert client.get(link).status_code == 302  # to sign in
    sign_in(other_trainee)
    assert "This certificate is someone else's: you can download only your own." in shown(text(client.get(link), 403))
    sign_in(other_staff)
    assert "is not one of your centres" in shown(text(client.get(link), 403))
    sign_in(make_user(Role.OVERSEER))
    assert client.get(link).status_code == 403


def test_staff_of_the_centre_download_it(client, sign_in, certificate, staff):
    sign_in(staff)
    pdf_of(client.get(f"/certificates/{certificate.number}.pdf"))


def test_a_download_of_an_unknown_number_is_404(client, sign_in, staff, certificate):
    sign_in(staff)
    assert client.get(f"/certificates/{new_number()}.pdf").status_code == 404
    assert client.get("/certificates/not-a-number.pdf").status_code == 404


def test_staff_download_a_cohorts_certificates_as_one_zip(
    client, sign_in, staff, running, make_trainee, make_enrollment, certificate
):
    second = make_enrollment(make_trainee(full_name="Hina Iqbal"), running)
    recount(fix=True)
    complete_by_rule(second, actor=staff)
    db.session.commit()
    sign_in(staff)
    roster = text(client.get(f"/enrollments/cohorts/{running.code}/roster"))
    assert f'href="/certificates/cohorts/{running.code}.zip"' in roster
    response = client.get(f"/certificates/cohorts/{running.code}.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    numbers = sorted(c.number for c in db.session.scalars(sa.select(Certificate)))
    assert sorted(archive.namelist()) == sorted(f"certificate-{number}.pdf" for number in numbers)
    assert all(archive.read(name).startswith(b"%PDF-") for name in archive.namelist())
    (event,) = audit_events("export.certificates")
    assert event.actor_id == staff.id and event.object_id == running.id and event.after["rows"] == 2


def test_the_zip_is_for_the_centres_staff_only(client, sign_in, other_staff, running, certificate, row_counts):
    sign_in(other_staff)
    before = row_counts()
    assert client.get(f"/certificates/cohorts/{running.code}.zip").status_code == 403
    assert row_counts() == before


def test_a_cohort_without_certificates_has_no_zip(client, sign_in, staff, running):
    sign_in(staff)
    response = client.get(f"/certificates/cohorts/{running.code}.zip")
    assert redirected_to(response) == f"/enrollments/cohorts/{running.code}/roster"
    assert "This cohort has no valid certificates yet" in flashed(text(client.get(response.headers["Location"])))


# Staff: the certificate's page, revoke, reissue ----------------------------------------------------------


def test_the_roster_row_leads_to_the_certificate(client, sign_in, staff, running, certificate):
    sign_in(staff)
    roster = text(client.get(f"/enrollments/cohorts/{running.code}/roster?tab=results"))
    link = f"/certificates/places/{certificate.enrollment_id}"
    assert f'href="{link}"' in roster
    assert redirected_to(client.get(link)) == f"/certificates/{certificate.number}"
    page = shown(text(client.get(f"/certificates/{certificate.number}")))
    assert "Reissue with a corrected name" in page and "Revoke the certificate" in page


def test_revoking_without_a_reason_is_refused_next_to_the_field(client, sign_in, staff, certificate, row_counts):
    sign_in(staff)
    before = row_counts()
    page = text(post(client, f"/certificates/{certificate.number}/revoke", {"reason": "  "}), 422)
    assert error_next_to(page, "reason") == (
        "Give a reason: it is shown on the verification page and kept in the audit log."
    )
    assert row_counts() == before
    db.session.refresh(certificate)
    assert certificate.status is C.VALID


def test_staff_revoke_with_a_reason(client, sign_in, staff, certificate):
    sign_in(staff)
    response = post(client, f"/certificates/{certificate.number}/revoke", {"reason": "Wrong trainee"})
    assert redirected_to(response) == f"/certificates/{certificate.number}"
    assert f"Certificate {certificate.number} is revoked" in flashed(text(client.get(response.headers["Location"])))
    db.session.refresh(certificate)
    assert certificate.status is C.REVOKED and certificate.revoked_reason == "Wrong trainee"
    assert [event.reason for event in audit_events("certificate.revoke")] == ["Wrong trainee"]


def test_revoking_twice_says_it_is_revoked_already(client, sign_in, staff, certificate, row_counts):
    services.revoke(certificate, actor=staff, reason="Wrong trainee")
    db.session.commit()
    sign_in(staff)
    before = row_counts()
    page = text(post(client, f"/certificates/{certificate.number}/revoke", {"reason": "Again"}), 409)
    assert "This certificate was revoked already." in shown(page)
    assert row_counts() == before


def test_staff_of_another_centre_cannot_revoke(client, sign_in, other_staff, certificate, row_counts):
    sign_in(other_staff)
    before = row_counts()
    assert post(client, f"/certificates/{certificate.number}/revoke", {"reason": "No"}).status_code == 403
    assert post(client, f"/certificates/{certificate.number}/reissue", {"reason": "No"}).status_code == 403
    assert row_counts() == before


def test_staff_reissue_with_a_corrected_name(client, sign_in, staff, certificate):
    sign_in(staff)
    response = post(
        client, f"/certificates/{certificate.number}/reissue", {"full_name": "Aisha Bibi", "reason": "Misspelt"}
    )
    new = db.session.scalar(sa.select(Certificate).where(Certificate.number != certificate.number))
    assert redirected_to(response) == f"/certificates/{new.number}"
    db.session.refresh(certificate)
    assert certificate.status is C.REPLACED and certificate.replaced_by_id == new.id and new.full_name == "Aisha Bibi"


def test_a_reissue_that_changes_nothing_is_refused_next_to_the_name(client, sign_in, staff, certificate, row_counts):
    sign_in(staff)
    before = row_counts()
    page = text(
        post(client, f"/certificates/{certificate.number}/reissue", {"full_name": "Ayesha Bibi", "reason": "x"}), 422
    )
    assert error_next_to(page, "full_name") == (
        "The certificate already prints this name and these facts: correct the name to reissue it."
    )
    assert row_counts() == before


def test_finishing_the_cohort_on_its_page_issues_the_certificate(
    client, sign_in, staff, running, make_trainee, make_enrollment
):
    enrollment = make_enrollment(make_trainee(), running, status=EnrollmentStatus.ENROLLED)
    recount(fix=True)
    meets_the_rule(enrollment)
    db.session.commit()
    sign_in(staff)
    response = post(client, f"/courses/staff/cohorts/{running.code}/status", {"to": "finished"})
    assert response.status_code in (302, 303)
    (certificate,) = db.session.scalars(sa.select(Certificate)).all()
    assert certificate.enrollment_id == enrollment.id and certificate.status is C.VALID
    assert re.fullmatch(r"MKZ-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]", certificate.number)
