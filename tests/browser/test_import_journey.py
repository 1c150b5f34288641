"""Importing a list in a real browser: a staff member uploads an Excel workbook with one bad row, sees the
row's problem, uploads the corrected workbook, confirms, and sees the list imported into her cohort."""

import io
import re
from datetime import date

import openpyxl
from harness import password_hash
from playwright.sync_api import Page, expect

from vocabulary import Role

PASSWORD = "a-long-password"
HEADER = ["CNIC No", "Full name", "Sex", "Date of birth", "Mobile", "District", "Qualification"]
AYESHA = ["35202-1234567-1", "Ayesha Khan", "F", date(2000, 1, 15), "0300 1234567", "Lahore", "BS"]
AISHA = ["35202-7654321-1", "عائشہ بی بی", "خاتون", date(2001, 3, 5), "0301 7654321", "Lahore", "FSc"]
SANA = ["35201-1111111-1", "Sana Tariq", "female", "05/06/1999", "0333 1112223", "Lahore", "Matric"]


def workbook(*rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(page: Page, centre_code: str, filename: str, content: bytes, cohort: str) -> None:
    page.goto(f"/enrollments/centres/{centre_code}/import")
    expect(page.get_by_role("heading", name="Import a list of trainees", level=1)).to_be_visible()
    page.get_by_label("List of trainees (CSV or Excel .xlsx)").set_input_files(
        files=[
            {
                "name": filename,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ]
    )
    page.get_by_label("Register them into").select_option(label=cohort)
    page.get_by_role("button", name="Upload and check").click()


def test_staff_upload_a_list_fix_a_bad_row_and_import_it(
    page: Page, make_province, make_district, make_centre, make_course, make_cohort, make_user
):
    lahore = make_district(make_province(code="PB", name="Punjab"), code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01", name="Lahore Digital Centre")
    course = make_course(code="WEB-101", title="Web Development Foundations")
    cohort = make_cohort(centre=centre, course=course, code="PB-LHR-01-WEB-1", seats=10)
    choice = f"Web Development Foundations (PB-LHR-01-WEB-1), starts {cohort.starts_on:%d %b %Y}"
    make_user(
        Role.STAFF,
        centres=(centre,),
        email="staff.pb-lhr-01@markaz.test",
        password_hash=password_hash(PASSWORD),
    )

    page.goto("/auth/login")
    page.get_by_label("Email").fill("staff.pb-lhr-01@markaz.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/centres/PB-LHR-01/dashboard$"))

    # A workbook with a CNIC a digit short on row 4.
    upload(page, "PB-LHR-01", "trainees.xlsx", workbook(AYESHA, AISHA, ["35201-111111-1", *SANA[1:]]), choice)
    expect(page.get_by_role("heading", name="Check the list before importing", level=1)).to_be_visible()
    problems = page.get_by_role("table")
    bad_row = problems.get_by_role("row").nth(1)
    expect(bad_row.get_by_role("cell")).to_have_text(["4", "CNIC No", "A CNIC has 13 digits; this one has 12."])
    expect(problems.get_by_role("row")).to_have_count(2)  # the heading and the one problem
    expect(page.get_by_text("1 row has problems and will be skipped")).to_be_visible()

    # The corrected workbook: no problem left.
    upload(page, "PB-LHR-01", "trainees-fixed.xlsx", workbook(AYESHA, AISHA, SANA), choice)
    expect(page.get_by_text("No problems")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Rows")).click()
    expect(page.get_by_role("cell", name="عائشہ بی بی")).to_be_visible()
    page.get_by_role("button", name="Import 3 rows").click()

    expect(page.get_by_role("heading", name="List imported", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("List imported: 3 new records, 0 existing.")
    figures = page.locator("dl")
    expect(figures.get_by_text("new records created")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
