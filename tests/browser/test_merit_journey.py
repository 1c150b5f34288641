"""Merit admission in a real browser (issue 16, item 2): staff of a merit cohort upload a score sheet, look over
the scores it fills in and save them, read what publishing will do and publish; the public page shows the
list, names masked; the top-ranked applicant, signed in on her phone, sees her row marked and her offer on
her applications page, and accepts it."""

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from pages import sign_in_browser
from playwright.sync_api import Page, expect

from database import utcnow
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from vocabulary import Admission, EnrollmentStatus, Gender, Role

PHONE = {"width": 360, "height": 740}
PEOPLE = (("Ayesha Siddiqa Khan", Gender.FEMALE), ("Bilal Ahmed", Gender.MALE), ("Sana Iqbal", Gender.FEMALE))


def test_staff_publish_a_merit_list_from_an_uploaded_score_sheet_and_the_top_applicant_accepts_her_offer(
    page: Page, app: Flask, base_url: str, make_centre, make_course, make_cohort, make_user, make_trainee, browser
):
    centre = make_centre(code="PB-LHR-01", name="Lahore Digital Centre")
    cohort = make_cohort(
        centre=centre,
        course=make_course(title="Web Development Foundations"),
        code="PB-LHR-01-M01",
        admission=Admission.MERIT,
        offers=True,
        seats=1,
        reserved_women=0,
    )
    staff = make_user(Role.STAFF, centres=(centre,))
    places = []
    for name, gender in PEOPLE:
        trainee = make_trainee(user=make_user(Role.TRAINEE), full_name=name, gender=gender)
        places.append(services.apply(trainee, cohort, actor=trainee.user).enrollment)
    cohort.applications_close_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    ayesha, bilal, sana = places

    # Staff upload the sheet (Sana is named by her CNIC); the table shows its scores, not yet saved.
    sign_in_browser(page.context, app, base_url, staff)
    page.goto("/enrollments/cohorts/PB-LHR-01-M01/roster")
    page.get_by_role("link", name="Scores and merit list").click()
    expect(page.get_by_role("heading", name="Scores and merit list", level=1)).to_be_visible()
    sheet = (
        "Application number,CNIC,Name,Test score,Interview score\r\n"
        f"{ayesha.number},,Ayesha,92,85\r\n"
        f"{bilal.number},,Bilal,70,90.5\r\n"
        f",{sana.trainee.cnic},Sana,65,60\r\n"
    )
    page.get_by_label("Score sheet (CSV or Excel .xlsx)").set_input_files(
        files=[{"name": "scores.csv", "mimeType": "text/csv", "buffer": sheet.encode()}]
    )
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("alert").first).to_contain_text("The sheet gives scores for 3 applicants; 3 change.")
    expect(page.get_by_label("Test score of Ayesha Siddiqa Khan")).to_have_value("92")
    expect(page.get_by_label("Interview score of Bilal Ahmed")).to_have_value("90.5")
    db.session.rollback()
    assert db.session.get(Enrollment, ayesha.id).test_score is None  # nothing saved by the upload
    page.get_by_role("button", name="Save scores").click()
    expect(page.get_by_role("alert").first).to_contain_text("Saved the scores of 3 applicants.")

    # What publishing will do, then publish.
    page.get_by_role("link", name="Publish the merit list").click()
    expect(page.get_by_text("offer 1 seat of Open seats, by rank, each to accept within 72 hours;")).to_be_visible()
    expect(page.get_by_text("put 2 applicants on the waitlist, in rank order;")).to_be_visible()
    page.get_by_role("button", name="Publish the merit list").click()
    expect(page).to_have_url(re.compile(r"/courses/cohorts/PB-LHR-01-M01/merit-list$"))
    expect(page.get_by_role("alert").first).to_contain_text("Published version 1 of the merit list")

    # The public page, to anyone: masked names in rank order, the rule explained, no full name.
    public = browser.new_page()
    public.goto(f"{base_url}/courses/cohorts/PB-LHR-01-M01/merit-list")
    rows = public.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Ayesha K.")
    expect(rows.nth(1)).to_contain_text("89.90")
    expect(rows.nth(2)).to_contain_text("Bilal A.")
    expect(rows.nth(2)).to_contain_text("Waitlist, number 1")
    expect(rows.nth(3)).to_contain_text("Sana I.")
    expect(public.get_by_text("70% of the test score plus 30% of the interview score", exact=False)).to_be_visible()
    assert "Siddiqa" not in public.content() and "Ahmed" not in public.content()
    public.close()

    # Ayesha, on her phone: her row is marked, and her applications page holds the offer; she accepts it.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    db.session.rollback()  # a fresh transaction: the server has written since this one read
    sign_in_browser(page.context, app, base_url, db.session.get(Enrollment, ayesha.id).trainee.user)
    page.goto("/courses/cohorts/PB-LHR-01-M01/merit-list")
    expect(page.locator("tr[aria-current=true]")).to_contain_text("Ayesha K.")
    page.goto("/auth/profile")
    expect(page.get_by_text("Your rank on the merit list: 1.")).to_be_visible()
    page.get_by_role("button", name="Accept Web Development Foundations").click()
    expect(page.get_by_role("alert").first).to_contain_text("You accepted: you have a place in Web Development")
    db.session.rollback()
    statuses = dict(db.session.execute(sa.select(Enrollment.id, Enrollment.status)).all())
    assert statuses[ayesha.id] is EnrollmentStatus.ENROLLED
    assert statuses[bilal.id] is EnrollmentStatus.WAITLISTED
