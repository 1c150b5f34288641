"""Public pages through the client: what a visitor sees, filters that work, and input that cannot break
them."""

import re
from datetime import timedelta

import pytest
from harness import kept_world
from pages import text

from auth.permissions import PUBLIC, allow
from database import utcnow
from vocabulary import CohortKind, CohortStatus, Education, Mode, PartnerType, Track


@kept_world
def geography(make_province, make_district):
    """Two provinces with two districts each, named as on the map."""
    punjab = make_province(code="PB", name="Punjab")
    sindh = make_province(code="SD", name="Sindh")
    return {
        "punjab": punjab,
        "sindh": sindh,
        "lahore": make_district(punjab, code="LHR", name="Lahore"),
        "multan": make_district(punjab, code="MUL", name="Multan"),
        "karachi": make_district(sindh, code="KHS", name="Karachi South"),
        "tharparkar": make_district(sindh, code="THR", name="Tharparkar", rural=True),
    }


def test_home_page_explains_and_counts(client, make_cohort, make_centre):
    centre = make_centre()
    make_cohort(centre=centre, seats=30, enrolled_count=12)
    make_cohort(centre=centre, seats=20, status=CohortStatus.RUNNING)
    page = text(client.get("/"))
    assert "Free digital-skills training near you" in page
    assert 'name="q"' in page
    for track in Track:
        assert track.label in page
    # One active centre in one district, one cohort open for applications with 18 free seats.
    assert '<dd class="stat-figure mb-0">1</dd>' in page
    assert '<dd class="stat-figure mb-0">18</dd>' in page


def test_home_page_without_data_still_renders(client):
    assert "Free digital-skills training near you" in text(client.get("/"))


def test_centres_list_filters_by_province_and_district(client, geography, make_centre):
    make_centre(geography["lahore"], name="Lahore Centre", code="PB-LHR-01")
    make_centre(geography["multan"], name="Multan Centre", code="PB-MUL-01")
    make_centre(geography["karachi"], name="Karachi Centre", code="SD-KHS-01")
    make_centre(geography["karachi"], name="Closed Centre", code="SD-KHS-02", active=False)

    everything = text(client.get("/centres/"))
    assert all(name in everything for name in ("Lahore Centre", "Multan Centre", "Karachi Centre"))
    assert "Closed Centre" not in everything

    punjab = text(client.get("/centres/?province=PB"))
    assert "Lahore Centre" in punjab and "Multan Centre" in punjab and "Karachi Centre" not in punjab

    multan = text(client.get(f"/centres/?province=PB&district={geography['multan'].id}"))
    assert "Multan Centre" in multan and "Lahore Centre" not in multan

    search = text(client.get("/centres/?q=karachi"))
    assert "Karachi Centre" in search and "Lahore Centre" not in search


def test_centres_list_filters_by_partner_type(client, make_centre):
    make_centre(name="NGO Centre", partner_type=PartnerType.NGO)
    make_centre(name="University Centre", partner_type=PartnerType.UNIVERSITY)
    page = text(client.get("/centres/?partner=ngo"))
    assert "NGO Centre" in page and "University Centre" not in page


def test_centres_list_is_paginated(client, make_district, make_centre):
    district = make_district(name="Attock")
    for number in range(25):
        make_centre(district, code=f"PB-ATK-{number:02d}", name=f"Attock Centre {number:02d}")
    first = text(client.get("/centres/"))
    assert "Showing 1–20 of 25 centres" in first
    assert "Attock Centre 00" in first and "Attock Centre 20" not in first
    assert 'href="/centres/?page=2"' in first
    second = text(client.get("/centres/?page=2"))
    assert "Showing 21–25 of 25 centres" in second and "Attock Centre 24" in second


def test_centres_list_empty_state(client, make_centre):
    make_centre(name="Somewhere")
    page = text(client.get("/centres/?q=nowhere-at-all"))
    assert "No centres match" in page and "Clear all filters" in page


def test_centre_page_shows_address_partner_and_cohorts(client, make_centre, make_cohort, make_course):
    centre = make_centre(
        address="Canal Road, Lahore", partner_type=PartnerType.NGO, partner_name="Akhuwat", code="PB-LHR-07"
    )
    make_cohort(centre=centre, course=make_course(title="Graphic Design with Free Tools"))
    make_cohort(centre=centre, course=make_course(title="Secret Draft"), status=CohortStatus.DRAFT)
    page = text(client.get("/centres/PB-LHR-07"))
    assert "Canal Road, Lahore" in page and "Akhuwat" in page and "NGO" in page
    assert "Graphic Design with Free Tools" in page
    assert "Secret Draft" not in page


def test_unknown_or_inactive_centre_is_404(client, make_centre):
    make_centre(code="PB-OLD-01", active=False)
    assert client.get("/centres/PB-OLD-01").status_code == 404
    assert client.get("/centres/NOPE").status_code == 404


@kept_world
def catalogue(geography, make_centre, make_course, make_cohort):
    """Cohorts across two provinces, tracks, modes and phases."""
    today = utcnow().date()
    lahore = make_centre(geography["lahore"], code="PB-LHR-01")
    karachi = make_centre(geography["karachi"], code="SD-KHS-01")
    web = make_course(title="Web Development Foundations", track=Track.SOFTWARE_DEVELOPMENT)
    marketing = make_course(title="Digital Marketing Essentials", track=Track.DIGITAL_MARKETING)
    tutoring = make_course(title="Teaching English Online", track=Track.ONLINE_TUTORING)
    return {
        "web_lahore": make_cohort(lahore, web, code="PB-LHR-01-C01", seats=25, enrolled_count=25, waitlisted_count=4),
        "camp_karachi": make_cohort(
            karachi,
            marketing,
            code="SD-KHS-01-K01",
            kind=CohortKind.CAMP,
            women_only=True,
            seats=20,
            enrolled_count=5,
            venue="Government Girls High School, Tharparkar",
        ),
        "online_karachi": make_cohort(karachi, tutoring, code="SD-KHS-01-C02", mode=Mode.ONLINE),
        "running_lahore": make_cohort(
            lahore,
            marketing,
            code="PB-LHR-01-C02",
            status=CohortStatus.RUNNING,
            starts_on=today - timedelta(days=10),
        ),
        "finished_lahore": make_cohort(
            lahore, tutoring, code="PB-LHR-01-C03", status=CohortStatus.FINISHED, starts_on=today - timedelta(days=200)
        ),
        "draft_lahore": make_cohort(lahore, web, code="PB-LHR-01-C04", status=CohortStatus.DRAFT),
        "cancelled_karachi": make_cohort(karachi, web, code="SD-KHS-01-C05", status=CohortStatus.CANCELLED),
    }


def codes_on(page: str, cohorts: dict) -> set[str]:
    return {name for name, cohort in cohorts.items() if f"/courses/cohorts/{cohort.code}" in page}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"web_lahore", "camp_karachi", "online_karachi"}),
        ("?track=digital_marketing", {"camp_karachi"}),
        ("?province=SD", {"camp_karachi", "online_karachi"}),
        ("?women_only=1", {"camp_karachi"}),
        ("?camps=1&women_only=1&province=SD", {"camp_karachi"}),
        ("?camps=1&province=PB", set()),
        ("?mode=online", {"online_karachi"}),
        ("?when=running", {"running_lahore"}),
        ("?when=past", {"finished_lahore"}),
        ("?when=any", {"web_lahore", "camp_karachi", "online_karachi", "running_lahore", "finished_lahore"}),
        ("?q=marketing", {"camp_karachi"}),
        ("?q=Karachi", {"camp_karachi", "online_karachi"}),
    ],
)
def test_catalogue_filters(client, catalogue, query, expected):
    assert codes_on(text(client.get(f"/courses/{query}")), catalogue) == expected


def test_catalogue_filters_by_district(client, catalogue, geography, make_centre, make_cohort):
    tharparkar_centre = make_centre(geography["tharparkar"], code="SD-THR-01")
    catalogue["thar"] = make_cohort(tharparkar_centre, code="SD-THR-01-C01")
    page = text(client.get(f"/courses/?province=SD&district={geography['tharparkar'].id}"))
    assert codes_on(page, catalogue) == {"thar"}


@pytest.mark.parametrize("province", ["", "PB", "NOPE"])
def test_a_district_alone_filters_in_one_step(client, catalogue, geography, make_centre, make_cohort, province):
    """Without JavaScript the list holds every district, so she may pick a district without its province, or
    under another one: the district decides, and the page shows its province chosen."""
    catalogue["thar"] = make_cohort(make_centre(geography["tharparkar"], code="SD-THR-01"), code="SD-THR-01-C01")
    page = client.get(f"/courses/?province={province}&district={geography['tharparkar'].id}").text
    assert codes_on(page, catalogue) == {"thar"}
    assert '<option value="SD" selected>' in page
    assert f'<option value="{geography["tharparkar"].id}" selected>' in page


def test_catalogue_open_now_filter_follows_the_window(client, catalogue, make_cohort):
    """ "Open for applications" means open today: the status and the application window agree."""
    catalogue["not_yet"] = make_cohort(code="NOT-YET-1", applications_open_at=utcnow() + timedelta(days=5))
    catalogue["too_late"] = make_cohort(
        code="TOO-LATE-1", applications_open_at=utcnow() - timedelta(days=9), applications_close_at=utcnow()
    )
    catalogue["closed"] = make_cohort(code="CLOSED-1", status=CohortStatus.CLOSED)
    catalogue["no_window"] = make_cohort(code="ALWAYS-1", applications_open_at=None, applications_close_at=None)
    open_now = codes_on(text(client.get("/courses/?open=1")), catalogue)
    assert open_now == {"web_lahore", "camp_karachi", "online_karachi", "no_window"}
    assert {"not_yet", "too_late", "closed"} <= codes_on(text(client.get("/courses/")), catalogue)


def test_catalogue_shows_seats_left_and_full(client, catalogue):
    page = text(client.get("/courses/"))
    assert "15 seats left" in page  # the camp: 20 seats, 5 enrolled
    assert "Full" in page and "4 on the waitlist" in page  # web development in Lahore


def test_catalogue_is_paginated_in_start_order(client, make_cohort, make_centre, make_course):
    centre, course = make_centre(), make_course()
    today = utcnow().date()
    for number in range(23):
        make_cohort(centre, course, code=f"PAGE-{number:02d}", starts_on=today + timedelta(days=10 + number))
    first = text(client.get("/courses/"))
    assert "Showing 1–20 of 23 cohorts" in first
    assert "PAGE-00" in first and "PAGE-19" in first and "PAGE-20" not in first
    second = text(client.get("/courses/?page=2"))
    assert "PAGE-20" in second and "PAGE-22" in second and "PAGE-00" not in second
    assert "Showing 21–23 of 23 cohorts" in second
    small = text(client.get("/courses/?per_page=5&page=5"))
    assert "PAGE-20" in small and "PAGE-19" not in small


def test_catalogue_pagination_keeps_filters(client, make_cohort, make_centre, make_course):
    centre, course = make_centre(), make_course(track=Track.IT_SUPPORT)
    for number in range(21):
        make_cohort(centre, course, code=f"IT-{number:02d}")
    page = text(client.get("/courses/?track=it_support"))
    assert 'href="/courses/?track=it_support&amp;page=2"' in page


def test_catalogue_empty_state(client, catalogue):
    page = text(client.get("/courses/?track=customer_support"))
    assert "No courses match" in page and "Clear all filters" in page


def test_catalogue_page_past_the_end(client, catalogue):
    page = text(client.get("/courses/?page=40"))
    assert "No more courses on this page" in page


HOSTILE_QUERIES = [
    "?page=-1",
    "?page=0",
    "?page=abc",
    "?page=99999999999999999999999",
    "?per_page=0",
    "?per_page=100000",
    "?per_page=-5",
    "?province=<script>alert(1)</script>",
    "?track=nonsense",
    "?track=",
    "?mode=teleport",
    "?when=yesterday",
    "?district=abc",
    "?district=-3",
    "?district=99999999999999999999",
    "?women_only=yes&camps=maybe&open=2",
    "?q=%25%25%25_",
    "?q=' OR 1=1 --",
    "?q=" + "x" * 5000,
    "?q=%00",
    "?province=%00",
    "?province=PB%00&district=1%00",
    "?partner=%00&mode=%00&track=%00&when=%00",
    "?province=PB&district=999999",
    "?q=لاہور",
]


@pytest.mark.parametrize("path", ["/courses/", "/centres/"])
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_nonsense_filters_give_a_normal_page(client, catalogue, path, query):
    response = client.get(path + query)
    assert response.status_code in (200, 400)
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "Traceback" not in body


def test_course_page(client, catalogue):
    course = catalogue["camp_karachi"].course
    page = text(client.get(f"/courses/{course.code}"))
    assert "Digital Marketing Essentials" in page
    assert "16 to 40 years" in page and "Matriculation or higher" in page
    assert "/courses/cohorts/SD-KHS-01-K01" in page
    assert "/courses/cohorts/PB-LHR-01-C03" not in page  # finished runs are not offered


def test_course_page_without_upcoming_runs(client, make_course):
    course = make_course(title="Quiet Course", track=Track.CUSTOMER_SUPPORT)
    page = text(client.get(f"/courses/{course.code}"))
    assert "No upcoming runs of this course" in page and "Customer support" in page


def test_cohort_page_says_who_may_apply(client, catalogue):
    page = text(client.get("/courses/cohorts/SD-KHS-01-K01"))
    assert "Digital Marketing Essentials" in page
    assert "Training camp" in page and "<bdi>Government Girls High School</bdi>, <bdi>Tharparkar</bdi>" in page
    assert "Who may apply" in page
    assert "<li>Women only</li>" in page
    assert "<li>Age 16–40</li>" in page
    assert "<li>Education: Matriculation or higher</li>" in page
    assert "15 seats left" in page
    assert "Open for applications" in page


def test_cohort_page_for_anyone(client, make_cohort, make_course):
    course = make_course(min_age=None, max_age=None, min_education=Education.NONE)
    cohort = make_cohort(course=course)
    assert "Anyone with a CNIC may apply." in text(client.get(f"/courses/cohorts/{cohort.code}"))


def test_cohort_page_residence_restriction(client, geography, make_cohort):
    cohort = make_cohort(eligible_district=geography["tharparkar"])
    assert "Residents of Tharparkar district" in text(client.get(f"/courses/cohorts/{cohort.code}"))


def test_cancelled_cohort_page_explains_and_drafts_are_hidden(client, catalogue):
    assert "Cancelled" in text(client.get("/courses/cohorts/SD-KHS-01-C05"))
    assert client.get("/courses/cohorts/PB-LHR-01-C04").status_code == 404


def test_cohort_window_not_yet_open(client, make_cohort):
    cohort = make_cohort(applications_open_at=utcnow() + timedelta(days=3))
    assert "Applications open" in text(client.get(f"/courses/cohorts/{cohort.code}"))


def test_cohort_window_closed(client, make_cohort):
    cohort = make_cohort(applications_open_at=utcnow() - timedelta(days=30), applications_close_at=utcnow())
    assert "Applications closed" in text(client.get(f"/courses/cohorts/{cohort.code}"))


def test_404_page_in_the_site_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "We could not find that page" in body and "navbar" in body


def test_405_page_in_the_site_layout(client):
    response = client.post("/courses/")
    assert response.status_code in (400, 405)  # CSRF may refuse first; either way a page, not a crash
    assert "navbar" in response.get_data(as_text=True)


def test_500_page_in_the_site_layout_without_a_stack_trace(fresh_app):
    fresh_app.config["PROPAGATE_EXCEPTIONS"] = False

    @fresh_app.get("/boom")
    @allow(PUBLIC)
    def boom():
        raise RuntimeError("secret internals")

    response = fresh_app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong on our side" in body and "navbar" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_pages_use_vendored_assets_only(client):
    page = text(client.get("/"))
    assert re.search(r'href="/static/dist/bootstrap\.[0-9a-f]{12}\.css"', page)
    # No asset from a CDN. (Not "cdn" anywhere in the page: a random CSRF token may hold those letters.)
    assert not re.search(r'(?:src|href)="[^"]*cdn', page, re.I)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert len(assets) == 3, assets  # Bootstrap's CSS, the site's CSS, Bootstrap's script
    for asset in [*assets, "/static/vendor/chartjs/chart.umd.min.js"]:
        with client.get(asset) as response:
            assert response.status_code == 200, asset


def test_no_inline_scripts(client, catalogue):
    """Pages must keep working under a Content-Security-Policy that forbids inline script."""
    for path in ("/", "/courses/", "/centres/", "/courses/cohorts/SD-KHS-01-K01"):
        page = text(client.get(path))
        assert "<script>" not in page and "onclick=" not in page and "onchange=" not in page
