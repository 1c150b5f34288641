"""Issue 14, items 3 and 4 in the browser: the place filters in one step (with and without JavaScript), and
mixed text laid out in order on Urdu pages.

The Urdu pages the issue found broken (withdraw, the waitlist message, the sign-up hints, a course summary, the
profile) are screenshot on a 360 px phone into ``build/screenshots/urdu-bidi/`` (SQLite run) for people to look
at, and checked where a screenshot cannot be: each code is one text node inside an isolate (``<bdi>``), laid out
on one line, and the parts of a mixed sentence come in reading order (measured from where the browser drew
them: in Urdu the course title is right of its code; inside a phone number 0300 is left of 1234567)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from pages import choose_language, sign_in_browser
from playwright.sync_api import Page, expect

from database import utcnow
from extensions import db
from tests.browser.accessibility import assert_accessible
from vocabulary import EnrollmentStatus, Role

PHONE = {"width": 360, "height": 740}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "urdu-bidi"
CODE = "PB-JHG-01-C05"
FULL_CODE = "PB-JHG-01-C06"
TITLE = "Video Editing for Beginners on a Phone"
SUMMARY = "Shoot, cut and publish short videos with a phone and free apps."

# Where the browser drew ``text`` inside the element ``selector`` found (its first occurrence): the rectangles
# of the characters' boxes (one per line it spans).
TEXT_RECTS = """([selector, text]) => {
    for (const element of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.nodeValue.indexOf(text);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + text.length);
            return [...range.getClientRects()].map((r) => ({x: r.x, y: r.y, width: r.width}));
        }
    }
    return null;
}"""

# The code ``code`` inside ``selector``: whether its text is one node, whether that node sits in an isolate, and
# the direction the browser gives it.
CODE_NODE = """([selector, code]) => {
    const element = document.querySelector(selector);
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.nodeValue.includes(code)) continue;
        const isolate = node.parentElement.closest("bdi, [dir]");
        return {whole: true, isolated: isolate !== null && isolate !== document.documentElement,
                direction: getComputedStyle(node.parentElement).direction};
    }
    return {whole: false, isolated: false, direction: null};
}"""


def drawn(page: Page, selector: str, text: str) -> list[dict]:
    rects = page.evaluate(TEXT_RECTS, [selector, text])
    assert rects, f"{text!r} is not in {selector}"
    return rects


def assert_code_intact(page: Page, selector: str, code: str) -> None:
    found = page.evaluate(CODE_NODE, [selector, code])
    assert found == {"whole": True, "isolated": True, "direction": "ltr"}, (selector, code, found)
    assert len(drawn(page, selector, code)) == 1, f"{code} is broken across lines in {selector}"


def reads_before(page: Page, selector: str, first: str, second: str, *, direction: str) -> bool:
    """Whether ``first`` was drawn where a reader in ``direction`` ("rtl", "ltr") meets it before ``second``:
    on a line above, or on the same line to the right (rtl) or to the left (ltr)."""
    a, b = drawn(page, selector, first)[-1], drawn(page, selector, second)[0]
    if abs(a["y"] - b["y"]) > 4:
        return a["y"] < b["y"]
    return a["x"] > b["x"] if direction == "rtl" else a["x"] < b["x"]


def keep(page: Page, name: str, keeps_screenshots: bool) -> None:
    if keeps_screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def jhang(
    make_province, make_district, make_centre, make_course, make_cohort, make_trainee, make_user, make_enrollment
):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    district = make_district(punjab, code="JHG", name="Jhang", name_ur="جھنگ")
    centre = make_centre(district, code="PB-JHG-01", name="Jhang Digital Skills Centre")
    course = make_course(title=TITLE, summary=SUMMARY)
    held = make_cohort(centre, course, code=CODE)
    # Later, so that it does not overlap her place: she may join its waitlist.
    later = held.ends_on + timedelta(days=30)
    full = make_cohort(
        centre,
        course,
        code=FULL_CODE,
        seats=1,
        enrolled_count=1,
        starts_on=later,
        applications_open_at=utcnow() - timedelta(days=1),
    )
    her = make_trainee(district, user=make_user(Role.TRAINEE), language="ur")
    place = make_enrollment(her, held, status=EnrollmentStatus.ENROLLED)
    return {"her": her, "place": place, "full": full, "course": course}


def test_mixed_text_reads_in_order_on_urdu_pages(
    browser, live_app, base_url, jhang, keeps_screenshots, make_enrollment, make_trainee
):
    context = browser.new_context(base_url=base_url, viewport=PHONE, reduced_motion="reduce")
    choose_language(context, base_url, "ur")
    sign_in_browser(context, live_app, base_url, jhang["her"].user)
    page = context.new_page()

    # Withdraw: "title (code)", the code whole, right to left: the title first (on the right).
    page.goto(f"/enrollments/{jhang['place'].id}/withdraw")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    keep(page, "withdraw", keeps_screenshots)
    assert_code_intact(page, "main dl", CODE)
    assert reads_before(page, "main dl", TITLE, CODE, direction="rtl")

    # The waitlist message: the code of the full cohort whole, on one line, inside the title's isolate.
    page.goto(f"/courses/cohorts/{FULL_CODE}")
    page.locator("form[action$='/apply'] button[type=submit]").click()
    alert = page.locator("main .alert").first
    expect(alert).to_contain_text(FULL_CODE)
    keep(page, "waitlist", keeps_screenshots)
    assert_code_intact(page, "main .alert", FULL_CODE)
    assert reads_before(page, "main .alert", "Video", FULL_CODE, direction="rtl")

    # Her profile: district and province with the Urdu comma, her CNIC and the codes whole.
    page.goto("/auth/profile")
    keep(page, "profile", keeps_screenshots)
    expect(page.locator("main dl")).to_contain_text("جھنگ، پنجاب")
    assert_code_intact(page, "section[aria-labelledby=applications-heading]", CODE)
    cnic = jhang["her"].cnic
    assert_code_intact(page, "main dl", f"{cnic[:5]}-{cnic[5:12]}-{cnic[12]}")
    assert_accessible(page)

    # A course summary in English on an Urdu page: left to right, its full stop at its end.
    page.goto(f"/courses/{jhang['course'].code}")
    keep(page, "course-summary", keeps_screenshots)
    summary = page.locator("p.lead")
    expect(summary).to_have_css("direction", "ltr")
    last_line = drawn(page, "p.lead", "apps.")
    assert drawn(page, "p.lead", ".")[-1]["x"] >= last_line[0]["x"]  # the stop ends the sentence, on the right
    context.close()

    # The sign-up hints, signed out: the CNIC and phone examples in their own order.
    context = browser.new_context(base_url=base_url, viewport=PHONE, reduced_motion="reduce")
    choose_language(context, base_url, "ur")
    page = context.new_page()
    page.goto("/auth/signup")
    keep(page, "sign-up-hints", keeps_screenshots)
    assert_code_intact(page, "#cnic-hint", "35202-1234567-1")
    assert reads_before(page, "#cnic-hint", "35202", "1234567", direction="ltr")
    assert_code_intact(page, "#phone-hint", "0300 1234567")
    assert reads_before(page, "#phone-hint", "0300", "1234567", direction="ltr")
    context.close()


# The place filters -----------------------------------------------------------------------------------------


@pytest.fixture
def two_provinces(make_province, make_district, make_centre, make_course, make_cohort):
    sindh, punjab = make_province(code="SD", name="Sindh"), make_province(code="PB", name="Punjab")
    districts = {
        "tharparkar": make_district(sindh, code="THR", name="Tharparkar"),
        "karachi": make_district(sindh, code="KHS", name="Karachi South"),
        "lahore": make_district(punjab, code="LHR", name="Lahore"),
        "sheikhupura": make_district(punjab, code="SKP", name="Sheikhupura"),
    }
    course = make_course(title="Freelancing Essentials")
    make_cohort(make_centre(districts["tharparkar"], code="SD-THR-01"), course, code="SD-THR-01-C01")
    make_cohort(make_centre(districts["karachi"], code="SD-KHS-01"), course, code="SD-KHS-01-C01")
    lahore = make_centre(districts["lahore"], code="PB-LHR-01")
    make_cohort(lahore, course, code="PB-LHR-01-C01")
    make_cohort(lahore, course, code="PB-LHR-01-K01", venue="Community Hall", venue_district=districts["sheikhupura"])
    db.session.commit()
    return districts


def cohort_codes(page: Page) -> set[str]:
    return {
        re.search(r"/courses/cohorts/([^/?]+)", href).group(1)
        for href in page.locator("ul[aria-labelledby=cohorts-heading] a").evaluate_all(
            "(links) => links.map((a) => a.getAttribute('href'))"
        )
    }


def test_the_district_list_narrows_as_the_province_changes(page: Page, two_provinces):
    page.goto("/courses/")
    district = page.get_by_label("District", exact=True)
    expect(district.locator("option")).to_have_count(5)  # all districts, and "All districts"
    page.get_by_label("Province or territory").select_option("SD")
    expect(district.locator("option")).to_have_count(3)
    expect(district.locator("optgroup")).to_have_attribute("label", "Sindh")
    district.select_option(label="Tharparkar")
    page.get_by_role("button", name="Show courses").click()  # one submit
    expect(page).to_have_url(re.compile(rf"district={two_provinces['tharparkar'].id}"))
    assert cohort_codes(page) == {"SD-THR-01-C01"}
    expect(district).to_have_value(str(two_provinces["tharparkar"].id))

    # Back to Punjab: the Sindh district chosen goes, Punjab's come.
    page.get_by_label("Province or territory").select_option("PB")
    expect(district).to_have_value("")
    expect(district.locator("option")).to_have_count(3)


def test_a_district_chosen_first_picks_its_province_and_finds_camps_meeting_there(page: Page, two_provinces):
    page.goto("/courses/")
    page.get_by_label("District", exact=True).select_option(label="Sheikhupura")
    expect(page.get_by_label("Province or territory")).to_have_value("PB")
    page.get_by_role("button", name="Show courses").click()
    assert cohort_codes(page) == {"PB-LHR-01-K01"}  # held in Sheikhupura by a Lahore centre
    expect(page.get_by_text("Meets at ")).to_have_text("Meets at Community Hall, Sheikhupura")


def test_without_javascript_every_district_is_offered_and_one_submit_works(browser, base_url, two_provinces):
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/centres/")
    district = page.get_by_label("District", exact=True)
    expect(district.locator("optgroup")).to_have_count(2)
    district.select_option(label="Karachi South")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("link", name=re.compile("Test Centre"))).to_have_count(1)
    expect(page.get_by_label("Province or territory")).to_have_value("SD")
    context.close()
