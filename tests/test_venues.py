"""Camps away from the centre (issue 14, item 5): the district a cohort meets in is set on the cohort form, shown on
the catalogue card, and found by the catalogue's place filters; an address says nothing twice."""

from datetime import UTC, datetime, timedelta

import pytest
from pages import audit_events, error_next_to, text

from courses.cohorts import CohortDetails, create_cohort, update_cohort
from courses.models import Cohort
from courses.venues import meeting_place
from database import utcnow
from extensions import db
from refusals import Refusal
from vocabulary import Admission, CohortKind, Mode, PartnerType, Role, Shift

STARTS = utcnow().date() + timedelta(days=30)


@pytest.fixture
def places(make_province, make_district):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    sindh = make_province(code="SD", name="Sindh")
    return {
        "lahore": make_district(punjab, code="LHR", name="Lahore", name_ur="لاہور"),
        "sheikhupura": make_district(punjab, code="SKP", name="Sheikhupura", name_ur="شیخوپورہ", rural=True),
        "karachi": make_district(sindh, code="KHS", name="Karachi South"),
    }


@pytest.fixture
def centre(make_centre, places):
    return make_centre(
        places["lahore"],
        code="PB-LHR-01",
        name="Digital Skills Centre, Akhuwat Foundation",
        address="Akhuwat Foundation, Lahore",
        partner_type=PartnerType.NGO,
        partner_name="Akhuwat Foundation",
    )


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def camps(make_cohort, make_course, centre, places):
    course = make_course(title="Digital Marketing Essentials")
    return {
        "away": make_cohort(
            centre,
            course,
            code="PB-LHR-01-K01",
            kind=CohortKind.CAMP,
            women_only=True,
            venue="Community Hall",
            venue_district=places["sheikhupura"],
        ),
        "home": make_cohort(centre, course, code="PB-LHR-01-C01"),
    }


def details(centre, course, **changes) -> CohortDetails:
    values = {
        "course_id": course.id,
        "centre_id": centre.id,
        "kind": CohortKind.CAMP,
        "starts_on": STARTS,
        "ends_on": STARTS + timedelta(days=13),
        "shift": Shift.MORNING,
        "mode": Mode.ON_SITE,
        "seats": 20,
        "admission": Admission.FIRST_COME,
        "applications_open_at": datetime.combine(STARTS, datetime.min.time(), tzinfo=UTC) - timedelta(days=20),
    }
    return CohortDetails(**(values | changes))


def codes_on(page: str, cohorts: dict[str, Cohort]) -> set[str]:
    return {name for name, cohort in cohorts.items() if f"/courses/cohorts/{cohort.code}" in page}


# Where it meets --------------------------------------------------------------------------------------------


def test_a_camp_away_names_its_venue_and_district(app, camps):
    with app.test_request_context():
        assert meeting_place(camps["away"]) == ["Community Hall", "Sheikhupura"]


def test_a_venue_that_names_its_district_does_not_name_it_twice(app, camps, places):
    camps["away"].venue = "Community Hall, sheikhupura"
    with app.test_request_context():
        assert meeting_place(camps["away"]) == ["Community Hall", "Sheikhupura"]


def test_a_centre_at_its_partner_does_not_repeat_the_partners_name(app, camps):
    with app.test_request_context():
        assert meeting_place(camps["home"]) == ["Digital Skills Centre", "Akhuwat Foundation", "Lahore"]


def test_a_venue_without_a_district_meets_in_the_centres(app, camps):
    camps["away"].venue_district = None
    with app.test_request_context():
        assert meeting_place(camps["away"]) == ["Community Hall", "Lahore"]


# The catalogue ---------------------------------------------------------------------------------------------


def test_the_card_says_where_a_camp_away_meets(client, camps):
    page = text(client.get("/courses/"))
    assert "Meets at <bdi>Community Hall</bdi>, <bdi>Sheikhupura</bdi>" in page
    assert page.count("Meets at ") == 1  # the cohort at the centre says nothing more


def test_the_card_names_the_district_in_urdu_with_the_urdu_comma(client, camps):
    client.set_cookie("markaz_lang", "ur")
    page = text(client.get("/courses/"))
    assert "<bdi>Community Hall</bdi>، <bdi>شیخوپورہ</bdi>" in page


def test_the_cohort_page_says_the_venue_once(client, camps):
    page = text(client.get("/courses/cohorts/PB-LHR-01-C01"))
    assert "<bdi>Digital Skills Centre</bdi>, <bdi>Akhuwat Foundation</bdi>, <bdi>Lahore</bdi>" in page
    assert "Akhuwat Foundation, Akhuwat Foundation" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("district={sheikhupura}", {"away"}),  # where the camp meets
        ("district={lahore}", {"away", "home"}),  # where its centre is
        ("province=PB", {"away", "home"}),
        ("province=SD", set()),
        ("district={karachi}", set()),
        ("q=community+hall", {"away"}),
    ],
)
def test_the_place_filters_find_a_camp_where_it_meets(client, camps, places, query, expected):
    query = query.format(**{name: district.id for name, district in places.items()})
    assert codes_on(text(client.get(f"/courses/?{query}")), camps) == expected


def test_a_camp_in_another_province_is_found_there(client, camps, places):
    """A centre may run a camp across a provincial border: the province filter finds it there too."""
    camps["away"].venue_district = places["karachi"]
    db.session.commit()
    assert codes_on(text(client.get("/courses/?province=SD")), camps) == {"away"}
    assert codes_on(text(client.get("/courses/?province=PB")), camps) == {"away", "home"}


# The service and the form ----------------------------------------------------------------------------------


def test_staff_set_the_venue_district_and_it_is_audited(staff, centre, make_course, places):
    cohort = create_cohort(
        details(centre, make_course(), venue="Community Hall", venue_district_id=places["sheikhupura"].id),
        actor=staff,
    )
    assert cohort.venue_district_id == places["sheikhupura"].id
    [event] = audit_events("cohort.create")
    assert event.after["venue_district_id"] == places["sheikhupura"].id


def test_the_centres_own_district_is_not_stored_as_a_venue_district(staff, centre, make_course, places):
    cohort = create_cohort(
        details(centre, make_course(), venue="Town Hall", venue_district_id=places["lahore"].id), actor=staff
    )
    assert cohort.venue_district_id is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"venue": "Community Hall", "venue_district_id": 999_999}, "venue_district_id", "Choose the venue's district"),
        ({"venue": "  ", "venue_district_id": "sheikhupura"}, "venue", "Name the venue in that district"),
    ],
)
def test_refused_venue_districts_write_nothing(staff, centre, make_course, places, row_counts, changes, field, message):
    course = make_course()
    if changes["venue_district_id"] == "sheikhupura":
        changes = changes | {"venue_district_id": places["sheikhupura"].id}
    before = row_counts()
    with pytest.raises(Refusal) as refusal:
        create_cohort(details(centre, course, **changes), actor=staff)
    db.session.rollback()
    assert (refusal.value.field, refusal.value.message[: len(message)]) == (field, message)
    assert row_counts() == before


def test_staff_choose_the_venue_district_on_the_cohort_form(client, sign_in, csrf_token, staff, camps, places):
    sign_in(staff)
    path = "/courses/staff/cohorts/PB-LHR-01-C01/edit"
    page = text(client.get(path))
    assert 'name="venue_district_id"' in page and "The centre&#39;s district" in page
    form = {
        "csrf_token": csrf_token(path),
        "course_id": str(camps["home"].course_id),
        "kind": "regular",
        "women_only": "no",
        "starts_on": camps["home"].starts_on.isoformat(),
        "ends_on": camps["home"].ends_on.isoformat(),
        "shift": "morning",
        "mode": "on_site",
        "seats": "10",
        "admission": "first_come",
        "venue": "",
        "venue_district_id": str(places["sheikhupura"].id),
        "eligible_province_id": "",
        "eligible_district_id": "",
    }
    page = text(client.post(path, data=form), 422)
    assert "Name the venue in that district" in error_next_to(page, "venue")
    response = client.post(path, data=form | {"venue": "Girls High School"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Cohort, camps["home"].id).venue_district_id == places["sheikhupura"].id


def test_update_clears_the_venue_district(staff, camps, places):
    cohort = camps["away"]
    changed = details(
        cohort.centre,
        cohort.course,
        kind=cohort.kind,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        seats=cohort.seats,
        applications_open_at=cohort.applications_open_at,
        applications_close_at=cohort.applications_close_at,
        women_only=True,
        venue="",
    )
    assert update_cohort(cohort, changed, actor=staff).venue_district_id is None
