"""Administration in a real browser (issue 14, item 18): an admin adds a staff member, finding her centre
among many with the checklist's filter box; the new staff member opens her welcome link, chooses a password
and is signed in on the list of her centres."""

import re

from harness import password_hash
from playwright.sync_api import Page, expect

from extensions import db
from vocabulary import Role

PASSWORD = "a-long-password"


def test_an_admin_adds_a_staff_member_who_sets_her_password_and_lands_on_her_centres(
    page: Page, app, make_province, make_district, make_centre, make_user
):
    punjab = make_province(code="PB", name="Punjab")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    for number in range(1, 40):
        make_centre(lahore, code=f"PB-LHR-{number:02d}", name=f"Lahore Centre {number}")
    make_centre(make_district(make_province(code="SD", name="Sindh"), code="KHI"), code="SD-KHI-01", name="Clifton")
    make_user(Role.ADMIN, email="admin@markaz.test", password_hash=password_hash(PASSWORD))
    db.session.commit()

    page.goto("/auth/login")
    page.get_by_label("Email").fill("admin@markaz.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/auth/admin/users/new")
    page.get_by_label("Email").fill("nadia@markaz.test")
    page.get_by_label("Full name").fill("Nadia Gul")
    page.get_by_label("Role").select_option("staff")

    # Forty centres: the filter box (shown by its script) narrows the list to what she types.
    finder = page.get_by_label("Find a centre by code, name or province")
    expect(finder).to_be_visible()
    finder.fill("clifton")
    options = page.locator("#centres [data-checklist-option]:visible")
    expect(options).to_have_count(1)
    page.get_by_label(re.compile("SD-KHI-01 · Clifton")).check()
    finder.fill("PB-LHR-07")
    page.get_by_label(re.compile("PB-LHR-07 · ")).check()
    finder.fill("")
    expect(page.get_by_label(re.compile("SD-KHI-01 · Clifton"))).to_be_checked()  # ticks outlive the filter
    page.get_by_role("button", name="Add the account and email the link").click()
    expect(page.get_by_text("Account created for nadia@markaz.test.")).to_be_visible()

    [message] = app.extensions["mail_outbox"]
    link = re.search(r"https?://\S+(/auth/reset/\S+)", message.get_content()).group(1)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("nadias-own-password")
    page.get_by_label("Type the new password again").fill("nadias-own-password")
    page.get_by_role("button", name="Set my new password").click()

    expect(page).to_have_url(re.compile(r"/centres/mine$"))
    expect(page.get_by_text("Your new password is set, and you are signed in.")).to_be_visible()
    expect(page.get_by_text("PB-LHR-07")).to_be_visible()
    expect(page.get_by_text("SD-KHI-01")).to_be_visible()
