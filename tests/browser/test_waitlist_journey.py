"""The waitlist in a real browser: two women apply for the last seat of a women-only camp; the second
joins the waitlist, and when the first withdraws the seat is hers at once."""

import re

from harness import password_hash
from pages import sign_in_with_the_form
from playwright.sync_api import Page, expect

from vocabulary import Admission, CohortKind, Gender, Role

PASSWORD = "a-long-password"
PASSWORD_HASH = password_hash(PASSWORD)
CAMP_TITLE = "Freelancing Essentials for Women"


def sign_in(page: Page, email: str) -> None:
    sign_in_with_the_form(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/profile$"))


def my_application(page: Page):
    return page.get_by_role("region", name="My applications").get_by_role("listitem").filter(has_text=CAMP_TITLE)


def test_the_seat_a_trainee_gives_up_goes_to_the_first_on_the_waitlist(
    page: Page, new_context, make_centre, make_course, make_cohort, make_user, make_trainee
):
    camp = make_cohort(
        centre=make_centre(name="Lahore Digital Centre"),
        course=make_course(title=CAMP_TITLE),
        code="PB-LHR-01-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        seats=1,
        admission=Admission.FIRST_COME,
    )
    for email, name in (("ayesha@markaz.test", "Ayesha Ali"), ("bushra@markaz.test", "Bushra Baig")):
        user = make_user(Role.TRAINEE, email=email, full_name=name, password_hash=PASSWORD_HASH)
        make_trainee(user=user, gender=Gender.FEMALE, full_name=name)

    # Ayesha takes the one seat.
    sign_in(page, "ayesha@markaz.test")
    page.goto(f"/courses/cohorts/{camp.code}")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page).to_have_url(re.compile(r"/auth/profile$"))
    expect(page.get_by_role("alert")).to_contain_text("You have a place in")
    expect(my_application(page)).to_contain_text("Enrolled")

    # Bushra, on her own phone, finds the camp full and joins the waitlist.
    bushra = new_context().new_page()
    sign_in(bushra, "bushra@markaz.test")
    bushra.goto(f"/courses/cohorts/{camp.code}")
    apply_box = bushra.get_by_role("region", name="This cohort is full")
    expect(apply_box).to_contain_text("You would be number 1 on the waitlist")
    expect(bushra.get_by_role("button", name="Apply", exact=True)).to_have_count(0)
    apply_box.get_by_role("button", name="Join the waitlist").click()
    expect(bushra).to_have_url(re.compile(r"/auth/profile$"))
    expect(bushra.get_by_role("alert")).to_contain_text("You are number 1 on the waitlist")
    expect(my_application(bushra)).to_contain_text("Waitlisted")
    expect(my_application(bushra)).to_contain_text("You are number 1 on the waitlist.")

    # Ayesha withdraws, after a confirmation page.
    my_application(page).get_by_role("link", name="Withdraw").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Withdraw from {CAMP_TITLE}?")
    page.get_by_label("Reason (optional)").fill("I found a job.")
    page.get_by_role("button", name="Withdraw").click()
    expect(page).to_have_url(re.compile(r"/auth/profile$"))
    expect(page.get_by_role("alert")).to_contain_text(f"You have withdrawn from {CAMP_TITLE}.")
    expect(my_application(page)).to_contain_text("Withdrawn")
    expect(my_application(page).get_by_role("link", name="Withdraw")).to_have_count(0)

    # The seat is Bushra's.
    bushra.reload()
    expect(my_application(bushra)).to_contain_text("Enrolled")
    expect(my_application(bushra)).not_to_contain_text("waitlist")
