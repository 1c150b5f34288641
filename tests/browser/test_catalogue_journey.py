"""A visitor looks for a women-only training camp near her in the public catalogue."""

import re

from playwright.sync_api import Page, expect

from vocabulary import CohortKind

SINDH_CAMP_TITLE = "Freelancing Essentials for Women (Tharparkar camp)"
SINDH_CAMP_VENUE = "Government Girls High School, Tharparkar"
PUNJAB_CAMP_TITLE = "Digital Marketing Camp for Women"
SINDH_REGULAR_TITLE = "Web Development Foundations"


def test_visitor_filters_to_women_only_camps_in_a_province_and_opens_a_cohort(
    page: Page, make_province, make_district, make_centre, make_course, make_cohort
):
    sindh = make_province(code="SD", name="Sindh")
    punjab = make_province(code="PB", name="Punjab")
    tharparkar = make_centre(district=make_district(province=sindh, name="Tharparkar"), name="Mithi Digital Centre")
    lahore = make_centre(district=make_district(province=punjab, name="Lahore"), name="Lahore Digital Centre")
    make_cohort(
        centre=tharparkar,
        course=make_course(title=SINDH_CAMP_TITLE),
        code="SD-CAMP-1",
        kind=CohortKind.CAMP,
        women_only=True,
        venue=SINDH_CAMP_VENUE,
    )
    make_cohort(centre=lahore, course=make_course(title=PUNJAB_CAMP_TITLE), kind=CohortKind.CAMP, women_only=True)
    make_cohort(centre=tharparkar, course=make_course(title=SINDH_REGULAR_TITLE))

    page.goto("/courses/")
    expect(page.get_by_role("heading", name="Courses and training camps", level=1)).to_be_visible()
    cohorts = page.get_by_role("list", name="Cohorts")
    expect(cohorts.get_by_role("listitem")).to_have_count(3)

    page.get_by_label("Province or territory").select_option(label="Sindh")
    page.get_by_label("Women only").check()
    page.get_by_label("Training camps only").check()
    page.get_by_role("button", name="Show courses").click()

    expect(page).to_have_url(re.compile(r"/courses/\?"))
    query = page.url.split("?", 1)[1]
    assert "province=SD" in query.split("&")
    assert "women_only=1" in query.split("&")
    assert "camps=1" in query.split("&")
    # The form remembers what was asked, and the district list now offers Sindh's districts.
    expect(page.get_by_label("Province or territory")).to_have_value("SD")
    expect(page.get_by_label("Women only")).to_be_checked()
    expect(page.get_by_label("Training camps only")).to_be_checked()
    expect(page.get_by_label("District", exact=True)).to_be_enabled()

    expect(cohorts.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_text("Showing 1–1 of 1 cohorts")).to_be_visible()
    expect(cohorts.get_by_role("link", name=SINDH_CAMP_TITLE)).to_be_visible()
    expect(page.get_by_text(PUNJAB_CAMP_TITLE)).to_have_count(0)
    expect(page.get_by_text(SINDH_REGULAR_TITLE)).to_have_count(0)

    cohorts.get_by_role("link", name=SINDH_CAMP_TITLE).click()

    expect(page).to_have_url(re.compile(r"/courses/cohorts/SD-CAMP-1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SINDH_CAMP_TITLE)
    who_may_apply = page.get_by_role("region", name="Who may apply")
    expect(who_may_apply.get_by_role("listitem").filter(has_text=re.compile(r"^Women only$"))).to_be_visible()
    expect(page.get_by_text(SINDH_CAMP_VENUE)).to_be_visible()


def test_catalogue_has_no_horizontal_scroll_on_a_small_phone(page: Page, make_cohort):
    make_cohort(kind=CohortKind.CAMP, women_only=True, venue="Government Girls High School, Tharparkar")
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto("/courses/")

    expect(page.get_by_role("button", name="Show courses")).to_be_visible()
    expect(page.get_by_role("list", name="Cohorts").get_by_role("listitem")).to_have_count(1)
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page is {scroll_width}px wide on a {inner_width}px screen"
