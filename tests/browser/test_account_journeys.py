"""Accounts in a real browser: a trainee signs up (in Urdu script, with her CNIC and phone typed as
people type them) and signs out; a staff member signs in and lands on her centre; a wrong password."""

import re

from harness import password_hash
from pages import code_sent_to
from playwright.sync_api import Page, expect

from vocabulary import Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)
WRONG_CREDENTIALS = "The email, mobile number or password is not correct."
AISHA = "عائشہ خان"


def test_a_trainee_signs_up_lands_on_her_profile_and_signs_out(page: Page, make_province, make_district):
    punjab = make_province(code="PB", name="Punjab")
    make_district(punjab, name="Lahore")
    make_district(punjab, name="Multan")
    make_district(make_province(code="SD", name="Sindh"), name="Karachi South")

    page.goto("/auth/signup")
    expect(page.get_by_role("heading", name="Create your account", level=1)).to_be_visible()
    page.get_by_label("Full name").fill(AISHA)
    page.get_by_label("CNIC number").fill("35202-1234567-1")
    page.get_by_label("Gender").select_option("female")
    page.get_by_label("Date of birth").fill("2001-03-15")
    page.get_by_label("Mobile number").fill("0300 1234567")
    page.get_by_label("District where you live").select_option(label="Lahore")
    page.get_by_label("Where you live is").select_option("semi_urban")
    page.get_by_label("Highest education completed").select_option("intermediate")
    page.get_by_label("Email").fill("aisha.khan@example.pk")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Create my account").click()

    # Her CNIC ends in an odd digit, a man's by NADRA's rule: she is asked to confirm, not refused.
    confirm = page.get_by_role("checkbox", name="My CNIC number and gender are right as I typed them.")
    expect(confirm).to_be_visible()
    expect(confirm).to_have_accessible_description(re.compile("odd for men and even for women"))
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    confirm.check()
    page.get_by_role("button", name="Create my account").click()

    # Her account waits for the code sent to her mobile number by SMS.
    expect(page.get_by_role("heading", name="Type the code we sent you", level=1)).to_be_visible()
    expect(page.get_by_text("We have sent a 6-digit code by SMS to 0300 1234567.")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(code_sent_to("+923001234567"))
    page.get_by_role("button", name="Confirm my account").click()

    expect(page).to_have_url(re.compile(r"/auth/profile$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(AISHA)
    details = page.get_by_role("region", name="My details")
    expect(details.get_by_text("35202-1234567-1", exact=True)).to_be_visible()
    expect(details.get_by_text("0300 1234567", exact=True)).to_be_visible()
    expect(details.get_by_text("Lahore, Punjab")).to_be_visible()

    page.get_by_role("button", name=AISHA).click()
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    page.goto("/auth/profile")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/auth/profile$"))


def test_a_staff_member_signs_in_and_lands_on_her_centres_dashboard(page: Page, make_centre, make_user):
    centre = make_centre(code="PB-LHR-01", name="Lahore Digital Centre")
    make_user(Role.STAFF, centres=(centre,), email="staff.pb-lhr-01@markaz.test", password_hash=PASSWORD_HASH)

    page.goto("/auth/login")
    page.get_by_label("Email").fill("staff.pb-lhr-01@markaz.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/centres/PB-LHR-01/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lahore Digital Centre")


def test_a_wrong_password_is_refused_on_the_sign_in_page(page: Page, make_user):
    make_user(Role.TRAINEE, email="sana@markaz.test", password_hash=PASSWORD_HASH)

    page.goto("/auth/login")
    page.get_by_label("Email").fill("sana@markaz.test")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_label("Password")).to_have_value("")
