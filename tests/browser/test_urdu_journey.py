"""A woman in Tharparkar whose phone speaks Urdu finds a women-only training camp, creates her account (after
mistyping her CNIC once) and types the code sent to her phone, is back at the camp, takes a seat in it and
joins the waitlist of a full one: the whole journey in Urdu, on a 360×740 phone, the language coming from her
browser (Accept-Language), never from a cookie.

Every page she sees is checked the same way (``UrduReader.looks_at``): a screenshot is kept in
``build/screenshots/urdu-journey/`` (in the SQLite run: the pages are the same on PostgreSQL); the page is
``<html lang="ur" dir="rtl">``; it does not scroll sideways; axe-core finds no serious WCAG 2.1 A/AA
violation; and she meets no English: once the data the test made or typed is taken out (course titles,
centre names, codes, her email...), no word of two or more Latin letters is left in the page's text (the
closed menu and the options of a list included: she opens them), its title, or the labels, placeholders,
titles and button values a screen reader speaks.

A page's faults are collected and the test fails at the end with every page's faults listed, so that one
run tells translators and template authors everything that is left. Words the test looks for are taken
from the Urdu catalogue (``urdu(...)``), never written here: translators may improve them.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale, format_number, gettext
from pages import code_sent_to
from playwright.sync_api import Page, expect

from database import utcnow
from enrollments import services
from extensions import db
from language import LANGUAGE_COOKIE
from tests.browser.accessibility import assert_accessible
from vocabulary import Choice, CohortKind, EnrollmentStatus, Gender, Role

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "urdu-journey"

# She types these.
HER_NAME = "سکینہ بی بی"
HER_EMAIL = "sakina.bibi@example.pk"
HER_PASSWORD = "meri-lambi-passphrase"
MISTYPED_CNIC = "42101-12345-6"  # two digits short: 11 digits
HER_CNIC = "42101-1234567-2"  # even: a woman's (an odd one would be asked to confirm)
HER_PHONE = "0300 1234567"
HER_NUMBER = "+923001234567"  # as stored, and as the SMS is addressed

# The only Latin words an Urdu page may show besides the data. Keep this list short; justify every entry.
ALLOWED_LATIN_WORDS = {
    # Times of day: Babel formats "h:mm a" with CLDR's Urdu data, whose abbreviated day periods are "AM"
    # and "PM" (CLDR ur, as written in Pakistan; its own short time format is "h:mm a"). Not a message of ours.
    "AM",
    "PM",
    # The catalogue keeps the acronym (no Urdu word is in use for it): "API ٹوکنز", "API دستاویزات" in the
    # menu of every signed-in reader.
    "API",
}
# The language switch names English in English, on purpose (a reader who cannot read Urdu must find it),
# and marks it lang="en" (WCAG 3.1.2): it is left out of the text, as long as it is marked so. So does the
# choice of her messages' language on her profile (each language named in itself, in an <option lang>).
LANGUAGE_SWITCH_TO_ENGLISH = '.lang-switch[lang="en"], option[lang="en"]'

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

# Everything an Urdu reader meets on the page: its text (the closed menu and the options of a list
# included), its title, and the attributes a screen reader speaks or a browser shows.
READER_TEXTS = """(switchSelector) => {
    const skipped = (element) => element.closest(`script, style, noscript, template, ${switchSelector}`);
    const where = (element) => {
        const id = element.id ? `#${element.id}` : "";
        const classes = [...element.classList].slice(0, 3).map((name) => `.${name}`).join("");
        return `<${element.tagName.toLowerCase()}${id}${classes}>`;
    };
    const texts = [{where: "<title>", text: document.title}];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue.trim();
        if (text && !skipped(node.parentElement)) texts.push({where: where(node.parentElement), text});
    }
    const spoken = ["aria-label", "aria-description", "placeholder", "title", "alt", "label"];
    for (const element of document.body.querySelectorAll("*")) {
        if (skipped(element)) continue;
        for (const name of spoken) {
            if (name === "label" && element.tagName !== "OPTGROUP" && element.tagName !== "OPTION") continue;
            const value = element.getAttribute(name);
            if (value && value.trim()) texts.push({where: `${where(element)}[${name}]`, text: value.trim()});
        }
        if (element.matches("input[type=submit], input[type=button], input[type=reset]") && element.value) {
            texts.push({where: `${where(element)}[value]`, text: element.value});
        }
    }
    return texts;
}"""


class UrduReader:
    """Looks at each page of her journey as she sees it, and notes what is wrong with it."""

    def __init__(self, page: Page, data: list[str], *, screenshots: bool = True, directory: Path = SCREENSHOTS) -> None:
        self.page = page
        self.screenshots = screenshots
        self.directory = directory
        # Longest first: a centre's name goes before the district inside it.
        self.data = sorted({text for text in data if text}, key=len, reverse=True)
        self.faults: list[str] = []
        self.step = 0
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.png"):
            old.unlink()

    def looks_at(self, name: str) -> None:
        self.step += 1
        step = f"{self.step:02d}-{name}"
        page = self.page
        page.evaluate("() => document.fonts.ready")
        if self.screenshots:
            page.screenshot(path=str(self.directory / f"{step}.png"), full_page=True)
        faults = []
        lang, direction = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
        if (lang, direction) != ("ur", "rtl"):
            faults.append(f'<html lang="{lang}" dir="{direction}">, not <html lang="ur" dir="rtl">')
        scroll_width, client_width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll_width > client_width:
            faults.append(f"scrolls sideways: {scroll_width}px wide on a {client_width}px screen")
        try:
            assert_accessible(page)
        except AssertionError as error:
            faults.append(str(error))
        english = self.english_words()
        if english:
            faults.append("English on the page:\n" + "\n".join(english))
        if faults:
            self.faults.append(f"--- {step} ({page.url}):\n" + "\n".join(faults))

    def english_words(self) -> list[str]:
        """Each text with Latin words left once the test's data is taken out: where, which words, the text."""
        found = []
        for item in self.page.evaluate(READER_TEXTS, LANGUAGE_SWITCH_TO_ENGLISH):
            text = item["text"]
            for datum in self.data:
                text = text.replace(datum, " ")
            words = [word for word in LATIN_WORD.findall(text) if word not in ALLOWED_LATIN_WORDS]
            if words:
                found.append(f"    {item['where']}: {' '.join(dict.fromkeys(words))}  «{item['text'][:160]}»")
        return list(dict.fromkeys(found))

    @contextmanager
    def journey(self) -> Iterator[None]:
        """Run the journey; then fail with every page's faults. If a step itself fails, its error carries
        the faults of the pages before it."""
        try:
            yield
        except Exception as error:
            if self.faults:
                error.add_note("Faults on the pages before this step:\n" + "\n\n".join(self.faults))
            raise
        assert not self.faults, f"{len(self.faults)} pages of the Urdu journey have faults:\n\n" + "\n\n".join(
            self.faults
        )


@pytest.fixture
def urdu(app: Flask):
    """``urdu("Apply")``: what an Urdu page shows for a message (or a vocabulary member's label), from the
    catalogue the pages use."""

    def translate(message: str | Choice, **variables) -> str:
        with app.test_request_context(), force_locale("ur"):
            if isinstance(message, Choice):
                return str(message.label)
            return gettext(message, **variables)

    return translate


def urdu_number(app: Flask, number: int) -> str:
    with app.test_request_context(), force_locale("ur"):
        return format_number(number)


@pytest.mark.browser_context_args(locale="ur-PK", viewport=PHONE)
def test_an_urdu_reader_finds_a_womens_camp_signs_up_applies_and_joins_a_waitlist_on_her_phone(
    page: Page,
    app: Flask,
    keeps_screenshots: bool,
    urdu,
    make_province,
    make_district,
    make_centre,
    make_course,
    make_cohort,
    make_trainee,
    make_user,
):
    sindh = make_province(code="SD", name="Sindh", name_ur="سندھ")
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    tharparkar = make_district(sindh, code="THR", name="Tharparkar", name_ur="تھرپارکر")
    lahore = make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور")
    mithi = make_centre(tharparkar, code="SD-THR-01", name="Mithi Digital Centre", address="Station Road, Mithi")
    lahore_centre = make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Digital Centre")
    open_camp = make_cohort(
        centre=mithi,
        course=make_course(
            code="FRL-101", title="Freelancing Essentials for Women", summary="Find clients online and get paid."
        ),
        code="SD-THR-01-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        seats=20,
        venue="Government Girls High School, Mithi",
    )
    # Later in the year, so that the two places do not overlap; its applications are open now.
    later = utcnow().date() + timedelta(days=120)
    full_camp = make_cohort(
        centre=mithi,
        course=make_course(code="DMK-101", title="Digital Marketing Camp for Women", summary="Sell on social media."),
        code="SD-THR-01-CAMP-2",
        kind=CohortKind.CAMP,
        women_only=True,
        seats=1,
        starts_on=later,
        applications_open_at=datetime.now(UTC) - timedelta(days=1),
        applications_close_at=datetime.combine(later, datetime.min.time(), tzinfo=UTC),
        venue="Community Hall, Islamkot",
    )
    punjab_camp = make_cohort(
        centre=lahore_centre,
        course=make_course(code="GRD-101", title="Graphic Design Camp for Women"),
        kind=CohortKind.CAMP,
        women_only=True,
    )
    sindh_regular = make_cohort(centre=mithi, course=make_course(code="WEB-101", title="Web Development Foundations"))
    admin = make_user(Role.ADMIN)
    for name in ("Zainab Baloch", "Marvi Kolhi"):  # one takes the full camp's seat, the next is first in line
        services.register(make_trainee(tharparkar, full_name=name, gender=Gender.FEMALE), full_camp, actor=admin)
    db.session.commit()

    cohorts = (open_camp, full_camp, punjab_camp, sindh_regular)
    reader = UrduReader(
        page,
        screenshots=keeps_screenshots,
        data=[
            *(text for cohort in cohorts for text in (cohort.course.title, cohort.course.summary, cohort.code)),
            *(cohort.venue for cohort in cohorts),
            *(text for centre in (mithi, lahore_centre) for text in (centre.name, centre.address, centre.code)),
            # Addresses are shown a part at a time (joined with the Urdu comma): each part is data too.
            *(part.strip() for cohort in cohorts for part in cohort.venue.split(",")),
            *(part.strip() for centre in (mithi, lahore_centre) for part in centre.address.split(",")),
            *(place.name for place in (sindh, punjab, tharparkar, lahore)),
            HER_EMAIL,
        ],
    )

    with reader.journey():
        # The front page, in Urdu because her browser asks for it.
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text(urdu("Free digital-skills training near you"))
        reader.looks_at("front-page")
        page.get_by_role("button", name=urdu("Find a course")).click()

        # The catalogue: she narrows it to women-only training camps in Sindh.
        expect(page).to_have_url(re.compile(r"/courses/"))
        listed = page.get_by_role("list", name=urdu("Cohorts")).get_by_role("listitem")
        expect(listed).to_have_count(4)
        reader.looks_at("catalogue")
        page.get_by_label(urdu("Province or territory")).select_option("SD")
        page.get_by_label(urdu("Women only"), exact=True).check()
        page.get_by_label(urdu("Training camps only")).check()
        page.get_by_role("button", name=urdu("Show courses")).click()

        expect(page).to_have_url(re.compile(r"[?&]women_only=1"))
        expect(listed).to_have_count(2)
        expect(page.get_by_role("link", name=open_camp.course.title)).to_be_visible()
        expect(page.get_by_role("link", name=full_camp.course.title)).to_be_visible()
        camps_url = page.url
        reader.looks_at("catalogue-women-only-camps")
        page.get_by_role("link", name=open_camp.course.title).click()

        # The camp's page invites her to create an account.
        expect(page.get_by_role("heading", level=1)).to_have_text(open_camp.course.title)
        who_may_apply = page.get_by_role("region", name=urdu("Who may apply"))
        expect(who_may_apply.get_by_role("listitem").filter(has_text=urdu("Women only"))).to_be_visible()
        reader.looks_at("camp")
        apply_box = page.get_by_role("region", name=urdu("Apply"))
        apply_box.get_by_role("link", name=urdu("Create an account")).click()

        # Sign-up, with her CNIC mistyped.
        expect(page.get_by_role("heading", level=1)).to_have_text(urdu("Create your account"))
        reader.looks_at("sign-up")
        page.locator("#full_name").fill(HER_NAME)
        page.locator("#cnic").fill(MISTYPED_CNIC)
        page.locator("#gender").select_option("female")
        page.locator("#date_of_birth").fill("2001-03-15")
        page.locator("#phone").fill(HER_PHONE)
        page.locator("#district_id").select_option(label="تھرپارکر")  # place names read in Urdu on Urdu pages
        page.locator("#area").select_option("rural")
        page.locator("#education").select_option("intermediate")
        page.locator("#email").fill(HER_EMAIL)
        page.locator("#password").fill(HER_PASSWORD)
        page.locator("#confirm").fill(HER_PASSWORD)
        page.locator("#consent").check()
        page.get_by_role("button", name=urdu("Create my account")).click()

        # The mistake is told next to the field, in Urdu, and tied to it for screen readers.
        cnic, cnic_error = page.locator("#cnic"), page.locator("#cnic-error")
        expect(cnic_error).to_be_visible()
        expect(cnic_error).to_have_text(urdu("A CNIC has 13 digits; this one has %(digits)s.", digits=11))
        expect(page.locator("#cnic ~ #cnic-error")).to_have_count(1)  # right after the field, in its group
        expect(page.locator(".invalid-feedback")).to_have_count(1)  # nothing else was wrong
        expect(cnic).to_have_attribute("aria-invalid", "true")
        expect(cnic).to_have_attribute("aria-describedby", re.compile(r"(^|\s)cnic-error(\s|$)"))
        expect(cnic).to_have_accessible_description(re.compile(re.escape(cnic_error.inner_text().strip())))
        expect(cnic).to_have_value(MISTYPED_CNIC)  # kept, to correct
        expect(cnic).to_have_attribute("dir", "ltr")  # digits read left to right inside the Urdu page
        expect(page.locator("#phone")).to_have_attribute("dir", "ltr")
        expect(page.get_by_role("alert")).to_have_text(urdu("Please correct the fields marked below."))
        reader.looks_at("sign-up-with-a-mistake")

        cnic.fill(HER_CNIC)
        page.locator("#password").fill(HER_PASSWORD)
        page.locator("#confirm").fill(HER_PASSWORD)
        page.get_by_role("button", name=urdu("Create my account")).click()

        # Her account waits for the code sent to her phone by SMS (in Urdu: she signed up in Urdu).
        expect(page.get_by_role("heading", level=1)).to_have_text(urdu("Type the code we sent you"))
        expect(page.locator("#code")).to_have_attribute("dir", "ltr")
        reader.looks_at("sign-up-code")
        page.locator("#code").fill(code_sent_to(HER_NUMBER))
        page.get_by_role("button", name=urdu("Confirm my account")).click()

        # Her account is ready, and she is back at the camp she started from (``next``), to apply.
        expect(page).to_have_url(re.compile(rf"/courses/cohorts/{open_camp.code}$"))
        expect(page.get_by_role("alert")).to_have_text(
            urdu("Welcome to Markaz. Your account is ready: you can now apply to courses.")
        )
        expect(apply_box).to_be_visible()
        reader.looks_at("camp-signed-in")
        apply_box.get_by_role("button", name=urdu("Apply"), exact=True).click()

        expect(page).to_have_url(re.compile(r"/auth/profile$"))
        names = {"course": open_camp.course.title, "code": open_camp.code}
        expect(page.get_by_role("alert")).to_have_text(urdu("You have a place in %(course)s (%(code)s).", **names))
        applications = page.get_by_role("region", name=urdu("My applications")).get_by_role("listitem")
        expect(applications).to_have_count(1)
        expect(applications.filter(has_text=open_camp.course.title)).to_contain_text(urdu(EnrollmentStatus.ENROLLED))
        reader.looks_at("my-applications-enrolled")

        # Back to her search: the other camp is full, and she joins its waitlist.
        page.goto(camps_url)
        expect(listed).to_have_count(2)
        reader.looks_at("catalogue-signed-in")
        page.get_by_role("link", name=full_camp.course.title).click()

        expect(page.get_by_role("heading", level=1)).to_have_text(full_camp.course.title)
        full_box = page.get_by_role("region", name=urdu("This cohort is full"))
        expect(full_box).to_contain_text(
            urdu(
                "You would be number %(position)d on the waitlist. When a seat frees up it goes to the first "
                "person on the waitlist, who is told at once.",
                position=2,
            )
        )
        expect(full_box.get_by_role("button", name=urdu("Apply"), exact=True)).to_have_count(0)
        reader.looks_at("full-camp")
        full_box.get_by_role("button", name=urdu("Join the waitlist")).click()

        # My applications: her seat in one camp, her place in line for the other.
        expect(page).to_have_url(re.compile(r"/auth/profile$"))
        position = urdu_number(app, 2)
        expect(page.get_by_role("alert")).to_have_text(
            urdu(
                "You are number %(position)s on the waitlist for %(course)s (%(code)s).",
                position=position,
                course=full_camp.course.title,
                code=full_camp.code,
            )
        )
        expect(applications).to_have_count(2)
        waitlisted = applications.filter(has_text=full_camp.course.title)
        expect(waitlisted).to_contain_text(urdu(EnrollmentStatus.WAITLISTED))
        expect(waitlisted).to_contain_text(urdu("You are number %(position)d on the waitlist.", position=2))
        expect(applications.filter(has_text=open_camp.course.title)).to_contain_text(urdu(EnrollmentStatus.ENROLLED))
        reader.looks_at("my-applications-waitlisted")

        # Urdu all along came from her browser: nothing set the language cookie.
        assert LANGUAGE_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}
