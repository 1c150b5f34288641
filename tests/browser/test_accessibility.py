"""WCAG 2.1 AA on the pages people use, in English and in Urdu: axe-core finds no serious or critical
violation on any of them (public pages, a trainee's, a centre's staff's, an overseer's), and the site works
from the keyboard: the skip link is the first Tab stop and takes focus to the main content, and on a phone
the main menu opens with Enter and every link in it is reached by Tab, each with a visible focus outline.

The reader's language is chosen as a reader chooses it, with the ``markaz_lang`` cookie of the language
switch; signed-in pages are opened with the session cookie Flask-Login would have set at sign-in.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from harness import kept_world
from pages import choose_language, sign_in_browser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from auth.models import UserAccount
from courses.models import Cohort
from database import utcnow
from enrollments import services
from enrollments.models import Enrollment
from enrollments.services.merit import ScoreEntry, enter_scores, publish
from extensions import db
from tests.browser.accessibility import assert_accessible
from vocabulary import Admission, CohortKind, Gender, Role, Shift

LANGUAGES = ["en", "ur"]
DIRECTION = {"en": "ltr", "ur": "rtl"}
PHONE = {"width": 360, "height": 740}
UNKNOWN_CNIC = "35202-7654321-9"


# The data: one centre with an open cohort and a reviewed camp, its staff, two trainees with applications
# (which also fill the audit log), a national overseer. Built once per test, with the factories.


@dataclass
class World:
    centre_code: str
    course_code: str
    open_cohort: Cohort
    reviewed_camp: Cohort
    merit_cohort: Cohort  # evenings, admits by merit list: its list published, Ayesha's seat offered
    trainee_user: UserAccount
    staff_user: UserAccount
    overseer_user: UserAccount
    enrolled_place: Enrollment
    pending_place: Enrollment


@kept_world
def world(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user) -> World:
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    lahore = make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور")
    centre = make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Digital Centre")
    course = make_course(code="WEB-101", title="Web Development Foundations")
    open_cohort = make_cohort(centre=centre, course=course, code="PB-LHR-01-C01", seats=10)
    reviewed_camp = make_cohort(
        centre=centre,
        course=make_course(code="FRL-201", title="Freelancing Essentials for Women"),
        code="PB-LHR-01-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        admission=Admission.REVIEWED,
        venue="Government Girls High School, Model Town",
    )
    staff_user = make_user(Role.STAFF, centres=(centre,), full_name="Saima Staff")
    overseer_user = make_user(Role.OVERSEER, full_name="Nadia National")
    trainee_user = make_user(Role.TRAINEE, full_name="Ayesha Khan")
    ayesha = make_trainee(lahore, user=trainee_user, full_name="Ayesha Khan", gender=Gender.FEMALE)
    bushra_user = make_user(Role.TRAINEE, full_name="Bushra Baig")
    bushra = make_trainee(lahore, user=bushra_user, full_name="Bushra Baig", gender=Gender.FEMALE)
    enrolled = services.apply(ayesha, open_cohort, actor=trainee_user).enrollment
    pending = services.apply(bushra, reviewed_camp, actor=bushra_user).enrollment
    merit_cohort = make_cohort(
        centre=centre,
        course=course,
        code="PB-LHR-01-MER-1",
        shift=Shift.EVENING,
        seats=1,
        admission=Admission.MERIT,
        offers=True,
    )
    ranked = [services.apply(person, merit_cohort, actor=person.user).enrollment for person in (ayesha, bushra)]
    enter_scores(merit_cohort, [ScoreEntry(ranked[0].id, 80, 70), ScoreEntry(ranked[1].id, 60, 90)], actor=staff_user)
    merit_cohort.applications_close_at = utcnow() - timedelta(minutes=1)
    publish(merit_cohort, actor=staff_user)
    db.session.commit()
    return World(
        centre_code=centre.code,
        course_code=course.code,
        open_cohort=open_cohort,
        reviewed_camp=reviewed_camp,
        merit_cohort=merit_cohort,
        trainee_user=trainee_user,
        staff_user=staff_user,
        overseer_user=overseer_user,
        enrolled_place=enrolled,
        pending_place=pending,
    )


# How a reader arrives ----------------------------------------------------------------------------------


def submit_main_form(page: Page) -> None:
    """Press the submit button of the page's form (whatever its words in the reader's language)."""
    page.locator("main form[method=post] [type=submit]").first.click()


def show_sign_up_errors(page: Page, world: World) -> None:
    submit_main_form(page)  # nothing filled in: every required field says what it needs
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    expect(page.locator("#cnic")).to_have_attribute("aria-invalid", "true")


def wait_for_the_sign_up_code(page: Page, world: World) -> None:
    """Sign up (a phone number, no email): the code step, which waits for the code sent by SMS."""
    page.locator("#full_name").fill("Zainab Bibi")
    page.locator("#cnic").fill("35202-1112223-4")
    page.locator("#gender").select_option("female")
    page.locator("#date_of_birth").fill("2001-03-15")
    page.locator("#phone").fill("0333 1234567")
    page.locator("#district_id").select_option(str(world.open_cohort.centre.district_id))
    page.locator("#area").select_option("rural")
    page.locator("#education").select_option("matric")
    page.locator("#password").fill("a-long-enough-password")
    page.locator("#confirm").fill("a-long-enough-password")
    page.locator("#consent").check()
    submit_main_form(page)
    expect(page.locator("#code")).to_be_visible()


def ask_for_a_reset_code(page: Page, world: World) -> None:
    """Ask for a password reset by mobile number: the step that takes the code sent by SMS."""
    page.locator("#email").fill("0333 7654321")
    submit_main_form(page)
    expect(page.locator("#code")).to_be_visible()


def show_eligibility_step(page: Page, world: World) -> None:
    page.locator("#cnic").fill(UNKNOWN_CNIC)
    submit_main_form(page)
    expect(page.locator("#date_of_birth")).to_be_visible()  # nobody has this CNIC: who may join what, first
    page.locator("#gender").select_option("male")
    page.locator("#date_of_birth").fill("2001-03-15")
    page.locator("#education").select_option("matric")
    # The script asks the server as the answers change: the women-only camp says it is not for him.
    expect(page.locator(f'[data-cohort-note="{world.reviewed_camp.id}"]')).to_have_class(
        re.compile("text-danger-emphasis")
    )


def show_new_trainee_form_with_an_error(page: Page, world: World) -> None:
    page.locator("#cnic").fill(UNKNOWN_CNIC)
    submit_main_form(page)
    page.locator("#gender").select_option("female")
    page.locator("#date_of_birth").fill("2001-03-15")
    page.locator("#education").select_option("matric")
    submit_main_form(page)
    expect(page.locator("#full_name")).to_be_visible()  # the answers fit a cohort: the rest of the form
    page.locator("#full_name").fill("Zainab Bibi")
    page.locator("#phone").fill("0300 12")  # the mistake: a number too short to dial
    page.locator("#district_id").select_option(label="Lahore")
    page.locator("#area").select_option("urban")
    page.locator("input[name=cohort_id]:enabled").first.check()
    submit_main_form(page)
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_be_visible()


def confirm_a_bulk_approval(page: Page, world: World) -> None:
    page.locator("[data-choose-all]").check()  # the script's box in the heading chooses everyone
    page.locator("button[name=action][value=approve]").click()
    expect(page.locator("input[name=confirmed]")).to_have_count(1)


def preview_a_message(page: Page, world: World) -> None:
    page.locator("#body").fill("Bring your CNIC on the first day.")
    page.locator("button[name=preview]").click()
    expect(page.locator("#preview-heading")).to_be_visible()


def wait_for_the_charts(page: Page, world: World) -> None:
    for chart in ("chart-utilisation", "chart-women", "chart-funnel"):
        page.wait_for_function("(id) => Boolean(window.Chart && window.Chart.getChart(id))", arg=chart)


@dataclass(frozen=True)
class Screen:
    """A page to check: who opens it, where, what is done there first, and the status expected."""

    name: str
    audience: str
    path: Callable[[World], str]
    prepare: Callable[[Page, World], None] | None = None
    status: int = 200


SCREENS = [
    # Public
    Screen("front-page", "public", lambda w: "/"),
    Screen("catalogue", "public", lambda w: "/courses/"),
    Screen("course", "public", lambda w: f"/courses/{w.course_code}"),
    Screen("cohort", "public", lambda w: f"/courses/cohorts/{w.open_cohort.code}"),
    Screen("centres", "public", lambda w: "/centres/"),
    Screen("centre", "public", lambda w: f"/centres/{w.centre_code}"),
    Screen("sign-in", "public", lambda w: "/auth/login"),
    Screen("sign-up-with-errors", "public", lambda w: "/auth/signup", show_sign_up_errors),
    Screen("password-reset-request", "public", lambda w: "/auth/reset"),
    Screen("password-reset-code", "public", lambda w: "/auth/reset", ask_for_a_reset_code),
    Screen("sign-up-code", "public", lambda w: "/auth/signup", wait_for_the_sign_up_code),
    Screen("not-found", "public", lambda w: "/courses/cohorts/NO-SUCH-COHORT", status=404),
    Screen("merit-list", "public", lambda w: f"/courses/cohorts/{w.merit_cohort.code}/merit-list"),
    # Trainee
    Screen("my-applications", "trainee", lambda w: "/auth/profile"),
    Screen("withdraw-confirmation", "trainee", lambda w: f"/enrollments/{w.enrolled_place.id}/withdraw"),
    Screen("refused-with-a-reason", "trainee", lambda w: "/oversight/", status=403),
    # Staff
    Screen("my-centres", "staff", lambda w: "/centres/mine"),
    Screen("centre-dashboard", "staff", lambda w: f"/centres/{w.centre_code}/dashboard"),
    Screen("cohort-roster", "staff", lambda w: f"/enrollments/cohorts/{w.open_cohort.code}/roster"),
    Screen("walk-in-lookup", "staff", lambda w: f"/enrollments/centres/{w.centre_code}/walk-in"),
    Screen(
        "walk-in-new-trainee-with-error",
        "staff",
        lambda w: f"/enrollments/centres/{w.centre_code}/walk-in",
        show_new_trainee_form_with_an_error,
    ),
    Screen(
        "walk-in-eligibility-checked-as-typed",
        "staff",
        lambda w: f"/enrollments/centres/{w.centre_code}/walk-in",
        show_eligibility_step,
    ),
    Screen("roster-review-tab", "staff", lambda w: f"/enrollments/cohorts/{w.reviewed_camp.code}/roster"),
    Screen(
        "roster-bulk-confirmation",
        "staff",
        lambda w: f"/enrollments/cohorts/{w.reviewed_camp.code}/roster",
        confirm_a_bulk_approval,
    ),
    Screen(
        "message-preview", "staff", lambda w: f"/enrollments/cohorts/{w.open_cohort.code}/message", preview_a_message
    ),
    Screen("sign-in-sheet", "staff", lambda w: f"/enrollments/cohorts/{w.open_cohort.code}/sign-in-sheet"),
    Screen("import-upload", "staff", lambda w: f"/enrollments/centres/{w.centre_code}/import"),
    Screen("merit-scores", "staff", lambda w: f"/enrollments/cohorts/{w.merit_cohort.code}/scores"),
    Screen("merit-publish", "staff", lambda w: f"/enrollments/cohorts/{w.merit_cohort.code}/merit-list/publish"),
    Screen("new-cohort", "staff", lambda w: f"/courses/staff/{w.centre_code}/cohorts/new"),
    Screen("approve-reviewed-application", "staff", lambda w: f"/enrollments/{w.pending_place.id}/approve"),
    # Overseer
    Screen("oversight-with-charts", "overseer", lambda w: "/oversight/", wait_for_the_charts),
    Screen("audit-log", "overseer", lambda w: "/oversight/audit/"),
    Screen("oversight-cohort", "overseer", lambda w: f"/oversight/cohorts/{w.open_cohort.code}"),
]


def user_for(world: World, audience: str) -> UserAccount:
    return {"trainee": world.trainee_user, "staff": world.staff_user, "overseer": world.overseer_user}[audience]


AUDIENCES = ["public", "trainee", "staff", "overseer"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "pages"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_pages_have_no_serious_wcag_violation(
    page: Page, app: Flask, base_url: str, world: World, keeps_screenshots: bool, audience: str, language: str
):
    """Rule: no page breaks WCAG 2.1 A/AA seriously or critically (axe-core), in either language.

    One test per audience and language (the data and the browser are set up once for its pages); every
    page is checked, and the failure lists each page's violations."""
    choose_language(page.context, base_url, language)
    if audience != "public":
        sign_in_browser(page.context, app, base_url, user_for(world, audience))
    screens = [screen for screen in SCREENS if screen.audience == audience]
    faults = []

    for screen in screens:
        path = screen.path(world)
        try:
            response = page.goto(path)
            assert response is not None and response.status == screen.status, f"answered {response}"
            if screen.prepare:
                screen.prepare(page, world)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("html")).to_have_attribute("dir", DIRECTION[language])
            # Kept for people to look at (CI keeps build/): the same page in both languages side by side.
            if keeps_screenshots:
                page.screenshot(path=SCREENSHOTS / f"{audience}-{slug(screen.name)}-{language}.png", full_page=True)
            assert_accessible(page)
        except (AssertionError, PlaywrightError) as error:
            faults.append(f"--- {screen.name} ({path}, {language}):\n{error}")

    assert screens, f"no page for {audience}"
    assert not faults, "\n\n".join(faults)


# The keyboard ------------------------------------------------------------------------------------------

FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    return {
        tag: element.tagName.toLowerCase(),
        id: element.id,
        classes: [...element.classList],
        href: element.getAttribute("href"),
        text: (element.innerText || element.getAttribute("aria-label") || "").trim(),
        outline: style.outlineStyle === "none" || parseFloat(style.outlineWidth) === 0
            ? "none" : `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`,
        boxShadow: style.boxShadow,
        inMenu: Boolean(element.closest("#main-nav")),
    };
}"""


def press_tab(page: Page) -> dict:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def describe_focus(focused: dict) -> str:
    text = focused["text"][:60]
    return f"<{focused['tag']} class='{' '.join(focused['classes'])}' href={focused['href']}> {text!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, base_url: str, language: str):
    """Rule: a keyboard user's first Tab shows the skip link (with a visible outline); Enter puts focus on
    ``<main>``, so the next Tab starts in the page's content, not in the menu again."""
    choose_language(page.context, base_url, language)
    page.goto("/courses/")

    first = press_tab(page)

    assert "skip-link" in first["classes"], f"the first Tab stop is {describe_focus(first)}"
    assert first["outline"] != "none", f"the skip link has no visible focus outline: {describe_focus(first)}"
    skip_link = page.locator("a.skip-link")
    box = skip_link.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 10, f"the focused skip link is hidden: {box}"
    viewport = page.viewport_size
    assert viewport is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
        f"the focused skip link is off the screen: {box}"
    )

    page.keyboard.press("Enter")

    focused = page.evaluate(FOCUSED)
    assert focused["tag"] == "main" and focused["id"] == "content", (
        f"after Enter, focus is on {describe_focus(focused)}"
    )
    after = press_tab(page)
    assert not after["inMenu"] and "navbar-brand" not in after["classes"], (
        f"Tab after the skip link went back to the header: {describe_focus(after)}"
    )


@pytest.mark.browser_context_args(viewport=PHONE)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_menu_works_from_the_keyboard_on_a_phone(page: Page, base_url: str, language: str):
    """Rule: at phone width the menu is behind its toggler; Tab reaches the toggler, Enter opens the menu,
    Tab then walks through every one of its links, and each element focused on the way shows an outline."""
    choose_language(page.context, base_url, language)
    page.goto("/")
    toggler = page.locator("button.navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()

    on_the_way = []
    for _ in range(8):
        focused = press_tab(page)
        on_the_way.append(focused)
        if "navbar-toggler" in focused["classes"]:
            break
    else:
        pytest.fail("Tab never reached the menu toggler: " + "; ".join(map(describe_focus, on_the_way)))

    page.keyboard.press("Enter")

    expect(toggler).to_have_attribute("aria-expanded", "true")
    menu_links = page.locator("#main-nav a[href]")
    expect(menu_links.first).to_be_visible()
    expected = menu_links.evaluate_all("(links) => links.map((link) => link.getAttribute('href'))")
    assert expected, "the menu has no links"
    reached = []
    for _ in range(len(expected) + 2):
        focused = press_tab(page)
        if not focused["inMenu"]:
            break
        on_the_way.append(focused)
        reached.append(focused["href"])
    assert reached == expected, f"Tab reached {reached} in the menu; its links are {expected}"
    invisible = [
        f"{describe_focus(focused)} (box-shadow: {focused['boxShadow']})"
        for focused in on_the_way
        if focused["outline"] == "none"
    ]
    assert not invisible, "focused without a visible outline (outline: none):\n" + "\n".join(invisible)
