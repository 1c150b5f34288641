"""On a small phone (360×740 CSS pixels), in English and in Urdu: no page a trainee or a centre's desk uses
scrolls sideways, and the language switch is in sight without opening the menu (a reader who cannot read
the page's language must find hers at once); switching language on the catalogue keeps her filters."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from harness import kept_world
from pages import choose_language, sign_in_browser
from playwright.sync_api import Page, expect

from auth.models import UserAccount
from enrollments import services
from extensions import db
from language import LANGUAGE_COOKIE, LANGUAGE_NAMES
from vocabulary import CohortKind, Gender, Role

PHONE = {"width": 360, "height": 740}
OTHER_LANGUAGE = {"en": "ur", "ur": "en"}
CAMP_TITLE = "Freelancing Essentials for Women (Tharparkar camp)"
FILTERS = {"province": ["SD"], "women_only": ["1"], "camps": ["1"]}

pytestmark = pytest.mark.browser_context_args(viewport=PHONE)


@dataclass
class World:
    camp_code: str
    trainee_user: UserAccount
    staff_user: UserAccount
    centre_code: str


@kept_world
def world(make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user) -> World:
    """A Sindh centre with a women-only camp (long title and venue, as real ones are) and a regular cohort;
    a trainee with a place in the camp, with a long email; the centre's staff member."""
    sindh = make_province(code="SD", name="Sindh", name_ur="سندھ")
    tharparkar = make_district(sindh, code="THR", name="Tharparkar", name_ur="تھرپارکر")
    centre = make_centre(tharparkar, code="SD-THR-01", name="Mithi Digital Skills Centre, Tharparkar")
    camp = make_cohort(
        centre=centre,
        course=make_course(title=CAMP_TITLE),
        code="SD-THR-01-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        venue="Government Girls Higher Secondary School, Mithi, Tharparkar",
    )
    make_cohort(centre=centre, course=make_course(title="Web Development Foundations"))
    trainee_user = make_user(Role.TRAINEE, email="sakina.bibi.tharparkar.2001@example.pk", full_name="سکینہ بی بی")
    sakina = make_trainee(tharparkar, user=trainee_user, full_name="سکینہ بی بی", gender=Gender.FEMALE)
    services.apply(sakina, camp, actor=trainee_user)
    db.session.commit()
    staff_user = make_user(Role.STAFF, centres=(centre,), full_name="Saima Staff")
    return World(camp_code=camp.code, trainee_user=trainee_user, staff_user=staff_user, centre_code=centre.code)


@dataclass(frozen=True)
class Screen:
    name: str
    audience: str
    path: Callable[[World], str]


SCREENS = [
    Screen("front-page", "public", lambda w: "/"),
    Screen("catalogue", "public", lambda w: "/courses/"),
    Screen("cohort", "public", lambda w: f"/courses/cohorts/{w.camp_code}"),
    Screen("sign-up", "public", lambda w: "/auth/signup"),
    Screen("sign-in", "public", lambda w: "/auth/login"),
    Screen("my-applications", "trainee", lambda w: "/auth/profile"),
    Screen("walk-in-desk", "staff", lambda w: f"/enrollments/centres/{w.centre_code}/walk-in"),
    Screen("roster", "staff", lambda w: f"/enrollments/cohorts/{w.camp_code}/roster"),
    Screen("sign-in-sheet", "staff", lambda w: f"/enrollments/cohorts/{w.camp_code}/sign-in-sheet"),
]


def horizontal_overflow(page: Page) -> str | None:
    """How the page is wider than the screen, or None when it is not."""
    scroll_width, client_width = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if scroll_width <= client_width:
        return None
    widest = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
            .filter((element) => { const box = element.getBoundingClientRect();
                                   return box.width > 0 && (box.right > width + 1 || box.left < -1); })
            .slice(0, 5)
            .map((element) => `<${element.tagName.toLowerCase()} class="${element.className}">`)""",
        client_width,
    )
    return f"the page is {scroll_width}px wide on a {client_width}px screen; sticking out: {widest}"


def expect_language_switch_in_sight(page: Page, language: str) -> None:
    """The switch to the other language (a form's button) is on screen while the menu is closed, named in its
    own language and marked as written in it."""
    other = OTHER_LANGUAGE[language]
    expect(page.locator("button.navbar-toggler")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_be_hidden()
    switch = page.get_by_role("button", name=LANGUAGE_NAMES[other], exact=True)
    expect(switch).to_be_visible()
    expect(switch).to_have_attribute("lang", other)
    box = switch.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
        f"the language switch is off the screen: {box}"
    )
    assert box["y"] + box["height"] <= PHONE["height"], f"the language switch is below the fold: {box}"


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("screen", SCREENS, ids=lambda screen: screen.name)
def test_page_fits_a_small_phone_and_shows_the_language_switch(
    page: Page, app: Flask, base_url: str, world: World, screen: Screen, language: str
):
    """Rule: at 360px nothing scrolls sideways, and the switch to the other language needs no menu."""
    choose_language(page.context, base_url, language)
    if screen.audience != "public":
        user = world.trainee_user if screen.audience == "trainee" else world.staff_user
        sign_in_browser(page.context, app, base_url, user)

    response = page.goto(screen.path(world))

    assert response is not None and response.status == 200, response
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.evaluate("() => document.fonts.ready")  # Nastaliq is taller and wider than the fallback font
    overflow = horizontal_overflow(page)
    assert overflow is None, overflow
    expect_language_switch_in_sight(page, language)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_switching_language_on_the_catalogue_keeps_the_filters(page: Page, world: World):
    """Rule: the switch brings the reader back to the page she was on, with every filter she chose; the
    form and the results follow, now in the other language; and back again."""
    page.goto("/courses/?province=SD&women_only=1&camps=1")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    cohorts = page.locator("main ul.list-unstyled > li")
    expect(cohorts).to_have_count(1)

    page.get_by_role("button", name=LANGUAGE_NAMES["ur"], exact=True).click()

    expect(page.locator("html")).to_have_attribute("lang", "ur")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert urlsplit(page.url).path == "/courses/"
    assert query_of(page.url) == FILTERS
    expect(page.locator("#f-province")).to_have_value("SD")
    expect(page.locator("#f-women")).to_be_checked()
    expect(page.locator("#f-camps")).to_be_checked()
    expect(cohorts).to_have_count(1)
    expect(cohorts.first).to_contain_text(CAMP_TITLE)
    assert horizontal_overflow(page) is None, horizontal_overflow(page)

    page.get_by_role("button", name=LANGUAGE_NAMES["en"], exact=True).click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert urlsplit(page.url).path == "/courses/"
    assert query_of(page.url) == FILTERS
    expect(page.locator("#f-women")).to_be_checked()
    expect(cohorts).to_have_count(1)
    cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
    assert cookies.get(LANGUAGE_COOKIE) == "en"
