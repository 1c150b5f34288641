"""Issue 17's journey: a staff member takes the day's attendance of 30 trainees on a 360 px phone. From her
centre's dashboard she opens the cohort's register (today's, everyone present), taps the three who are
absent and Save: four taps. The page never scrolls sideways; the register is saved as she marked it."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from pages import sign_in_browser
from playwright.sync_api import Page, expect

import clock
from attendance.models import AttendanceRegister
from courses.cohorts import change_status
from enrollments import services
from extensions import db
from vocabulary import CohortStatus, Role, Shift

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "attendance-journey"
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)  # Thursday, 11:00 in Pakistan


@pytest.mark.browser_context_args(viewport=PHONE)
def test_staff_take_the_days_attendance_of_thirty_on_a_phone_in_four_taps(
    page: Page,
    app: Flask,
    base_url: str,
    keeps_screenshots: bool,
    monkeypatch,
    make_centre,
    make_cohort,
    make_trainee,
    make_user,
):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    centre = make_centre(code="PB-LHR-07", name="Lahore Digital Centre", lab_seats=30)
    cohort = make_cohort(
        centre,
        code="PB-LHR-07-C01",
        starts_on=date(2026, 11, 2),
        ends_on=date(2026, 12, 31),
        shift=Shift.MORNING,
        seats=30,
        applications_close_at=None,
    )
    staff = make_user(Role.STAFF, centres=(centre,), full_name="Sana Iqbal")
    before = datetime(2026, 10, 30, tzinfo=UTC)
    places = [
        services.register(make_trainee(full_name=f"Trainee {number:02d}"), cohort, actor=staff, now=before).enrollment
        for number in range(1, 31)
    ]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    absent = [places[4], places[11], places[27]]

    sign_in_browser(page.context, app, base_url, staff)
    page.goto(f"/centres/{centre.code}/dashboard")
    page.get_by_role("link", name=f"Attendance {cohort.code}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance: 19 Nov 2026")
    expect(page.locator("input.btn-check[value=present]:checked")).to_have_count(30)
    expect(page.locator("[data-register-tally]")).to_have_text("30 present · 0 late · 0 absent")

    taps = 0
    for place in absent:
        page.locator(f"label[for=mark-{place.id}-absent]").click()
        taps += 1
    expect(page.locator("[data-register-tally]")).to_have_text("27 present · 0 late · 3 absent")
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"the register scrolls sideways at 360 px: {width}"
    if keeps_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "register-marked.png"), full_page=True)
    page.get_by_role("button", name="Save attendance").click()
    taps += 1
    assert taps == 4
    expect(page.get_by_role("alert").first).to_contain_text("27 present (0 late), 3 absent")
    expect(page.locator(f"#mark-{absent[0].id}-absent")).to_be_checked()
    if keeps_screenshots:
        page.screenshot(path=str(SCREENSHOTS / "register-saved.png"), full_page=True)

    db.session.commit()  # end this session's read transaction: see what the server committed since
    register = db.session.scalar(db.select(AttendanceRegister))
    assert register.day == date(2026, 11, 19) and register.absent == sorted(place.id for place in absent)
    assert register.marked_count == 30 and register.present_count == 27
