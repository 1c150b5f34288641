"""The walk-in desk in a real browser: a staff member signs in, opens the desk of her centre, types the CNIC
of a trainee on record (with dashes) who trained at another centre, sees that centre in her history,
registers her into an open cohort and reads what happened."""

import re

from harness import password_hash
from playwright.sync_api import Page, expect

from vocabulary import EnrollmentStatus, Gender, Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)


def test_staff_register_a_walk_in_who_trained_elsewhere(
    page: Page,
    make_province,
    make_district,
    make_centre,
    make_course,
    make_cohort,
    make_trainee,
    make_enrollment,
    make_user,
):
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Digital Centre")
    multan = make_centre(make_district(punjab, code="MUL", name="Multan"), code="PB-MUL-01", name="Multan IT Park")
    web = make_course(code="SWD-101", title="Web Development Foundations")
    make_cohort(centre=centre, course=web, code="PB-LHR-01-C01", seats=12)
    ayesha = make_trainee(lahore, cnic="3520212345671", full_name="Ayesha Khan", gender=Gender.FEMALE)
    design = make_cohort(centre=multan, course=make_course(title="Graphic Design Basics"), code="PB-MUL-01-C01")
    make_enrollment(ayesha, design, status=EnrollmentStatus.COMPLETED)
    make_user(Role.STAFF, centres=(centre,), email="staff.pb-lhr-01@markaz.test", password_hash=PASSWORD_HASH)

    page.goto("/auth/login")
    page.get_by_label("Email").fill("staff.pb-lhr-01@markaz.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/centres/PB-LHR-01/dashboard$"))

    page.goto("/enrollments/centres/PB-LHR-01/walk-in")
    expect(page.get_by_role("heading", name="Walk-in registration", level=1)).to_be_visible()
    page.get_by_label("CNIC number").fill("35202-1234567-1")
    page.get_by_role("button", name="Look up").click()

    expect(page.get_by_role("heading", name="Ayesha Khan", level=1)).to_be_visible()
    history = page.get_by_role("region", name="Where this trainee has trained")
    expect(history.get_by_role("row", name=re.compile("Multan IT Park"))).to_contain_text("Completed")
    expect(history).to_contain_text("Graphic Design Basics")

    cohort = page.get_by_role("radio", name=re.compile("Web Development Foundations"))
    expect(cohort).to_be_enabled()
    expect(page.get_by_text("A seat is free (12 of 12 left).")).to_be_visible()
    cohort.check()
    page.get_by_role("button", name="Register", exact=True).click()

    expect(page).to_have_url(re.compile(r"/enrollments/centres/PB-LHR-01/walk-in$"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Ayesha Khan has a place in Web Development Foundations (PB-LHR-01-C01)"
    )
    expect(page.get_by_label("CNIC number")).to_have_value("")  # ready for the next person
