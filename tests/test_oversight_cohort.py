"""Issue 14, item 15: overseers read one cohort in oversight (``/oversight/cohorts/<code>``): its counters,
inclusion and waitlist pressure, and its roster with CNICs and phones masked; read-only, in their scope."""

import pytest
from pages import act_as, shown, text

from auth.permissions import can_oversee_cohort
from enrollments import services
from extensions import db
from vocabulary import CohortStatus, Gender, Role


@pytest.fixture
def cohort_world(make_province, make_district, make_centre, make_cohort, make_trainee, make_user):
    punjab = make_province(code="PB", name="Punjab", name_ur="پنجاب")
    sindh = make_province(code="SD", name="Sindh")
    lahore = make_district(punjab, code="LHR", name="Lahore")
    centre = make_centre(lahore, code="PB-LHR-01", name="Lahore Centre")
    cohort = make_cohort(centre, code="PB-LHR-01-C01", seats=2)
    staff = make_user(Role.STAFF, centres=(centre,))
    trainees = [
        make_trainee(lahore, full_name=name, gender=gender, cnic=f"35202123456{index}1", phone=f"+92300123456{index}")
        for index, (name, gender) in enumerate(
            [("Ayesha Khan", Gender.FEMALE), ("Bilal Ahmed", Gender.MALE), ("Sana Iqbal", Gender.FEMALE)]
        )
    ]
    places = [services.register(trainee, cohort, actor=staff) for trainee in trainees]
    db.session.commit()
    return {
        "cohort": cohort,
        "places": places,
        "staff": staff,
        "punjab_overseer": make_user(Role.OVERSEER, province=punjab),
        "sindh_overseer": make_user(Role.OVERSEER, province=sindh),
        "other_staff": make_user(Role.STAFF, centres=(make_centre(lahore, code="PB-LHR-02"),)),
        "trainee": make_user(Role.TRAINEE),
        "draft": make_cohort(centre, code="PB-LHR-01-D01", status=CohortStatus.DRAFT),
    }


def test_an_overseer_reads_the_cohort_figures_and_the_masked_roster(client, cohort_world, row_counts):
    act_as(client, cohort_world["punjab_overseer"])
    before = row_counts()
    page = text(client.get("/oversight/cohorts/PB-LHR-01-C01"))
    read = shown(page)
    assert 'data-figure="seats">2<' in page and 'data-figure="enrolled">2<' in page
    assert 'data-figure="waitlisted">1<' in page and 'data-figure="waitlist_pressure">50.0%<' in page
    assert 'data-figure="women_share">50.0%<' in page
    assert read.index("Ayesha Khan") < read.index("Bilal Ahmed") < read.index("Sana Iqbal")  # places, then the line
    assert "35202-*******-1" in read and "0*** ****562" in read and "3520212345621" not in page
    assert "number 1 in line" in read  # Sana waits for a freed seat
    assert 'method="post"' not in page.split('id="roster"')[1]  # read-only: nothing on the roster changes a place
    assert row_counts() == before


def test_staff_of_the_centre_see_numbers_whole(client, cohort_world):
    act_as(client, cohort_world["staff"])
    read = shown(text(client.get("/oversight/cohorts/PB-LHR-01-C01")))
    assert "35202-1234562-1" in read and "0300 1234562" in read


@pytest.mark.parametrize("who", ["sindh_overseer", "other_staff"])
def test_outside_the_scope_the_cohort_is_refused_with_a_reason(client, cohort_world, who):
    act_as(client, cohort_world[who])
    read = shown(text(client.get("/oversight/cohorts/PB-LHR-01-C01"), 403))
    assert "Lahore Centre" in read and "Ayesha Khan" not in read


def test_a_trainee_and_a_draft(client, cohort_world):
    act_as(client, cohort_world["trainee"])
    assert client.get("/oversight/cohorts/PB-LHR-01-C01").status_code == 403
    act_as(client, cohort_world["punjab_overseer"])
    assert client.get("/oversight/cohorts/PB-LHR-01-D01").status_code == 404
    assert client.get("/oversight/cohorts/NO-SUCH").status_code == 404
    act_as(client, cohort_world["staff"])
    assert client.get("/oversight/cohorts/PB-LHR-01-D01").status_code == 200


def test_the_permission(cohort_world):
    cohort, draft = cohort_world["cohort"], cohort_world["draft"]
    assert can_oversee_cohort(cohort_world["punjab_overseer"], cohort)
    assert not can_oversee_cohort(cohort_world["punjab_overseer"], draft)
    assert not can_oversee_cohort(cohort_world["sindh_overseer"], cohort)
    assert can_oversee_cohort(cohort_world["staff"], draft)
    assert not can_oversee_cohort(cohort_world["other_staff"], cohort)
    assert not can_oversee_cohort(cohort_world["trainee"], cohort)


def test_the_centre_page_links_its_cohorts_here(client, cohort_world):
    act_as(client, cohort_world["punjab_overseer"])
    assert 'href="/oversight/cohorts/PB-LHR-01-C01"' in text(client.get("/oversight/centres/PB-LHR-01"))
