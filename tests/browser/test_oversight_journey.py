"""The capacity audit in a real browser: the national overseer signs in, opens the dashboard (its three charts
drawn by the vendored Chart.js, under the site's CSP, without a console error), drills into a province, a
district and a centre, sees the flags, and downloads the centre's table as CSV; a provincial overseer sees
her province and is refused another."""

import csv
import re
from datetime import date

from harness import password_hash
from pages import sign_in_with_the_form
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from courses.cohorts import change_status
from enrollments import services
from extensions import db
from vocabulary import CohortStatus, Gender, Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)


def console_problems(page: Page) -> list[str]:
    """Console errors and warnings as they arrive (CSP violations and script errors are reported there)."""
    messages: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            messages.append(f"{message.type}: {message.text}")

    page.on("console", note)
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def sign_in(page: Page, email: str) -> None:
    sign_in_with_the_form(page, email, PASSWORD)


def build_network(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user):
    """Punjab: Lahore Centre with a running cohort a third full (under-used) and an open one whose waitlist
    is half its seats (over-subscribed); Sindh: Karachi Centre with an open cohort."""
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    karachi = make_district(make_province(code="SD", name="Sindh"), code="KHS", name="Karachi South")
    lahore_centre = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
    karachi_centre = make_centre(karachi, code="SD-KHS-01", name="Karachi Centre")
    course = make_course(code="WEB-101", title="Web Basics")
    admin = make_user(Role.ADMIN)

    def cohort(code, centre, starts_on, seats, people):
        made = make_cohort(
            centre, course, code=code, starts_on=starts_on, seats=seats,
            applications_open_at=None, applications_close_at=None,
        )  # fmt: skip
        for number in range(people):
            gender = Gender.MALE if number % 2 else Gender.FEMALE  # women first: half or more
            services.register(make_trainee(lahore, gender=gender), made, actor=admin)
        return made

    running = cohort("PB-LHR-01-RUN", lahore_centre, date(2025, 9, 1), 9, 3)
    change_status(running, CohortStatus.RUNNING, actor=admin)
    cohort("PB-LHR-01-OPEN", lahore_centre, date(2031, 1, 10), 4, 6)
    cohort("SD-KHS-01-OPEN", karachi_centre, date(2031, 2, 1), 10, 4)
    db.session.commit()
    make_user(Role.OVERSEER, email="nation@markaz.test", full_name="Nadia National", password_hash=PASSWORD_HASH)
    make_user(
        Role.OVERSEER,
        email="punjab@markaz.test",
        full_name="Parveen Punjab",
        password_hash=PASSWORD_HASH,
        province=punjab,
    )


def test_the_national_overseer_drills_down_sees_the_flags_and_downloads_the_table(
    page: Page, make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user
):
    build_network(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user)
    sign_in(page, "nation@markaz.test")
    expect(page).to_have_url(re.compile(r"/oversight/$"))
    problems = console_problems(page)
    page.reload()

    # The dashboard: provinces, and three charts drawn on their canvases, each with its table.
    expect(page.get_by_role("heading", name="Capacity audit", level=1)).to_be_visible()
    table = page.locator("#audit-table")
    expect(table.get_by_role("row")).to_have_count(4)  # headings, Punjab, Sindh, total
    expect(table.get_by_role("link", name="Sindh")).to_be_visible()
    for name in ("utilisation", "women", "funnel"):
        canvas = page.locator(f"#chart-{name}")
        expect(canvas).to_be_visible()
        expect(canvas).to_have_attribute("aria-label", re.compile(r"chart"))
        assert page.evaluate("(id) => Boolean(window.Chart && window.Chart.getChart(id))", f"chart-{name}"), name
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    expect(page.locator("#table-funnel caption")).to_have_text("From seats to certificates")

    # Punjab → Lahore → Lahore Centre.
    table.get_by_role("link", name="Punjab").click()
    expect(page.get_by_role("heading", name="Punjab", level=1)).to_be_visible()
    page.locator("#audit-table").get_by_role("link", name="Lahore").click()
    expect(page.get_by_role("heading", name="Lahore, Punjab", level=1)).to_be_visible()
    page.locator("#audit-table").get_by_role("link", name="Lahore Centre").click()
    expect(page.get_by_role("heading", name="Lahore Centre", level=1)).to_be_visible()
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("link")).to_have_text(["Pakistan", "Punjab", "Lahore"])

    # The flags, as words in the rows of the cohorts that earn them.
    cohorts = page.locator("#audit-table")
    running_row = cohorts.locator("tr[data-key='PB-LHR-01-RUN']")
    open_row = cohorts.locator("tr[data-key='PB-LHR-01-OPEN']")
    expect(running_row.locator("[data-figure=utilisation]")).to_have_text("33.3%")
    expect(running_row.locator("[data-flag]")).to_have_text(["Under-used"])
    expect(open_row.locator("[data-figure=waitlisted]")).to_have_text("2")
    expect(open_row.locator("[data-flag]")).to_have_text(["Over-subscribed"])

    # The table shown, as CSV.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this table (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as downloaded:
        rows = list(csv.reader(downloaded))
    codes = [row[0] for row in rows if row]  # the file may hold blank lines between its parts
    assert "PB-LHR-01-RUN" in codes and "PB-LHR-01-OPEN" in codes and "SD-KHS-01-OPEN" not in codes

    # One cohort, read-only: its counters and its roster.
    cohorts.locator("tr[data-key='PB-LHR-01-OPEN']").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/oversight/cohorts/PB-LHR-01-OPEN$"))
    expect(page.locator("#audit-table [data-figure=waitlisted]")).to_have_text("2")
    expect(page.locator("#roster tbody tr")).not_to_have_count(0)
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("link")).to_have_text(
        ["Pakistan", "Punjab", "Lahore", "Lahore Centre"]
    )

    assert problems == [], problems


def test_a_provincial_overseer_cannot_see_another_province(
    browser: Browser,
    base_url: str,
    make_province,
    make_district,
    make_centre,
    make_course,
    make_cohort,
    make_trainee,
    make_user,
):
    build_network(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user)
    context = browser.new_context(base_url=base_url, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, "punjab@markaz.test")
        expect(page).to_have_url(re.compile(r"/oversight/$"))
        table = page.locator("#audit-table")
        expect(table.get_by_role("link", name="Lahore")).to_be_visible()
        expect(page.get_by_text("Sindh")).to_have_count(0)
        expect(page.get_by_text("Karachi")).to_have_count(0)

        for path in ("/oversight/provinces/SD", "/oversight/centres/SD-KHS-01", "/oversight/tracks?province=SD"):
            response = page.goto(path)
            assert response is not None and response.status == 403, path
            # The refusal says why in words (no figures of the place), with a way back.
            expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
            expect(page.locator("[data-reason]")).to_contain_text("your account covers Punjab")
            expect(page.get_by_role("link", name="Go back")).to_be_visible()
            expect(page.locator("#audit-table")).to_have_count(0)
    finally:
        context.close()
