"""The centre and course services admins use, without HTTP: each rule, each refusal with its message and
nothing written, and one audit event (with before and after) per change."""

from dataclasses import replace

import pytest
import sqlalchemy as sa
from pages import audit_events

from centres.models import Centre
from centres.services import (
    CentreDetails,
    create_centre,
    deactivate_centre,
    reactivate_centre,
    update_centre,
)
from courses.models import Course
from courses.services import CourseDetails, create_course, update_course
from extensions import db
from refusals import Conflict, Refusal
from vocabulary import CohortStatus, Education, Level, PartnerType, Role, Track


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, full_name="Amina Admin")


@pytest.fixture
def punjab(make_province):
    return make_province(code="PB", name="Punjab")


@pytest.fixture
def lahore(make_district, punjab):
    return make_district(punjab, code="LHR", name="Lahore")


def centre_details(district, **changes) -> CentreDetails:
    values = {
        "code": "PB-LHR-01",
        "name": "Arfa Tower Digital Centre",
        "district_id": district.id,
        "address": "Ferozepur Road,\nLahore",
        "partner_type": PartnerType.IT_BOARD,
        "partner_name": "Punjab Information Technology Board",
        "lab_seats": 40,
        "women_only": False,
    }
    return CentreDetails(**(values | changes))


def course_details(**changes) -> CourseDetails:
    values = {
        "code": "SWD-101",
        "title": "Web Development Foundations",
        "track": Track.SOFTWARE_DEVELOPMENT,
        "summary": "HTML, CSS and a first taste of JavaScript.",
        "weeks": 12,
        "level": Level.BEGINNER,
        "min_age": 16,
        "max_age": 35,
        "min_education": Education.MATRIC,
    }
    return CourseDetails(**(values | changes))


# Centres: create ------------------------------------------------------------------------------------


def test_create_centre_normalises_and_records_one_event(admin, lahore):
    centre = create_centre(
        centre_details(lahore, code=" pb-lhr-01 ", name="  Arfa   Tower  Centre ", partner_type="it_board"), actor=admin
    )
    db.session.commit()
    assert (centre.code, centre.name, centre.active) == ("PB-LHR-01", "Arfa Tower Centre", True)
    assert centre.partner_type is PartnerType.IT_BOARD
    assert centre.address == "Ferozepur Road,\nLahore"  # line breaks stay in an address
    [event] = audit_events()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "centre.create",
        admin.id,
        "centre",
        centre.id,
    )
    assert event.centre_id == centre.id and event.before is None
    assert event.after["code"] == "PB-LHR-01" and event.after["lab_seats"] == 40 and event.after["active"] is True


def test_centre_codes_of_three_letter_provinces(admin, make_province, make_district):
    ajk = make_province(code="AJK", name="Azad Jammu and Kashmir")
    muzaffarabad = make_district(ajk, code="MZD", name="Muzaffarabad")
    assert create_centre(centre_details(muzaffarabad, code="AJK-MZD-02"), actor=admin).code == "AJK-MZD-02"


def test_a_centre_may_have_no_lab(admin, lahore):
    assert create_centre(centre_details(lahore, lab_seats=0), actor=admin).lab_seats == 0


CENTRE_REFUSALS = [
    ({"code": ""}, "code", "Enter the centre's code"),
    ({"code": "PB-LHR-1"}, "code", "two digits, e.g. PB-LHR-01"),
    ({"code": "PBX1-LHR-01"}, "code", "two digits, e.g. PB-LHR-01"),
    ({"code": "PB_LHR_01"}, "code", "two digits, e.g. PB-LHR-01"),
    # Literal paths of the admin pages can never become a centre's code (and so shadow its page).
    ({"code": "new"}, "code", "two digits, e.g. PB-LHR-01"),
    ({"code": "manage"}, "code", "two digits, e.g. PB-LHR-01"),
    ({"code": "PB-MUL-01"}, "code", "A centre in Lahore (Punjab) has a code starting PB-LHR-"),
    ({"code": "SD-LHR-01"}, "code", "has a code starting PB-LHR-"),
    ({"name": "   "}, "name", "Enter the name."),
    ({"name": "x" * 161}, "name", "The name can be at most 160 characters"),
    ({"name": "Bad\x00Name"}, "name", "control characters"),
    ({"district_id": None}, "district_id", "Choose the district from the list."),
    ({"district_id": 987654}, "district_id", "Choose the district from the list."),
    ({"address": "Road\x07"}, "address", "control characters"),
    ({"partner_type": None}, "partner_type", "Choose the kind of partner"),
    ({"partner_type": "embassy"}, "partner_type", "Choose the kind of partner"),
    ({"partner_name": ""}, "partner_name", "Enter the name of the partner"),
    ({"lab_seats": None}, "lab_seats", "Enter the number of lab seats"),
    ({"lab_seats": -1}, "lab_seats", "Lab seats cannot be negative."),
    ({"lab_seats": 10_001}, "lab_seats", "10,001 lab seats is more than any centre has"),
]


@pytest.mark.parametrize(("changes", "field", "message"), CENTRE_REFUSALS)
def test_create_centre_refusals(admin, lahore, row_counts, changes, field, message):
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        create_centre(centre_details(lahore, **changes), actor=admin)
    assert refused.value.field == field
    assert message in refused.value.message
    assert row_counts() == before


def test_centre_codes_are_unique(admin, lahore, make_centre, row_counts):
    make_centre(lahore, code="PB-LHR-01", name="Existing Centre")
    before = row_counts()
    with pytest.raises(Conflict) as refused:
        create_centre(centre_details(lahore, code="pb-lhr-01"), actor=admin)
    assert refused.value.field == "code"
    assert refused.value.message == "The code PB-LHR-01 belongs to Existing Centre already: choose another number."
    assert row_counts() == before


# Centres: update ------------------------------------------------------------------------------------


def test_update_centre_changes_fields_and_records_before_and_after(admin, lahore, make_district, punjab, make_centre):
    centre = make_centre(lahore, code="PB-LHR-03", lab_seats=30)
    multan = make_district(punjab, code="MUL", name="Multan")
    update_centre(
        centre,
        centre_details(
            multan, code="PB-LHR-03", name="Moved Centre", lab_seats=25, women_only=True, partner_type=PartnerType.NGO
        ),
        actor=admin,
    )
    db.session.commit()
    assert (centre.name, centre.district_id, centre.lab_seats, centre.women_only) == (
        "Moved Centre",
        multan.id,
        25,
        True,
    )
    [event] = audit_events()
    assert event.action == "centre.update" and event.actor_id == admin.id and event.centre_id == centre.id
    assert (event.before["lab_seats"], event.after["lab_seats"]) == (30, 25)
    assert (event.before["district_id"], event.after["district_id"]) == (lahore.id, multan.id)
    assert (event.before["partner_type"], event.after["partner_type"]) == ("university", "ngo")
    assert event.after["code"] == "PB-LHR-03"


def test_update_centre_without_changes_records_nothing(admin, lahore, make_centre):
    centre = make_centre(lahore, code="PB-LHR-04")
    same = CentreDetails(
        code=centre.code,
        name=centre.name,
        district_id=centre.district_id,
        address=centre.address,
        partner_type=centre.partner_type,
        partner_name=centre.partner_name,
        lab_seats=centre.lab_seats,
        women_only=centre.women_only,
    )
    update_centre(centre, same, actor=admin)
    assert audit_events() == []


def test_a_centres_code_never_changes(admin, lahore, make_centre, row_counts):
    centre = make_centre(lahore, code="PB-LHR-05")
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        update_centre(centre, centre_details(lahore, code="PB-LHR-06"), actor=admin)
    assert refused.value.field == "code" and "cannot change" in refused.value.message
    assert row_counts() == before and centre.code == "PB-LHR-05"


@pytest.mark.parametrize(("changes", "field", "message"), [case for case in CENTRE_REFUSALS if case[1] != "code"])
def test_update_centre_refusals_change_nothing(admin, lahore, make_centre, row_counts, changes, field, message):
    centre = make_centre(lahore, code="PB-LHR-07", name="Unchanged", lab_seats=12)
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        update_centre(centre, centre_details(lahore, code="PB-LHR-07", **changes), actor=admin)
    assert (refused.value.field, message in refused.value.message) == (field, True)
    db.session.rollback()
    assert row_counts() == before
    assert (centre.name, centre.lab_seats) == ("Unchanged", 12)


# Centres: deactivate and reactivate -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [CohortStatus.DRAFT, CohortStatus.CLOSED, CohortStatus.RUNNING, CohortStatus.FINISHED]
)
def test_deactivate_centre_without_open_cohorts(admin, make_centre, make_cohort, status):
    centre = make_centre()
    make_cohort(centre=centre, status=status)
    deactivate_centre(centre, actor=admin)
    db.session.commit()
    assert centre.active is False
    [event] = audit_events()
    assert event.action == "centre.deactivate" and event.centre_id == centre.id and event.actor_id == admin.id
    assert (event.before, event.after) == ({"active": True}, {"active": False})


def test_deactivating_a_centre_with_open_cohorts_is_refused(admin, make_centre, make_cohort, row_counts):
    centre = make_centre(code="PB-LHR-08")
    make_cohort(centre=centre, code="PB-LHR-08-C02")
    make_cohort(centre=centre, code="PB-LHR-08-C01")
    make_cohort(centre=centre, code="PB-LHR-08-C03", status=CohortStatus.CANCELLED)
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        deactivate_centre(centre, actor=admin)
    assert refused.value.field is None
    assert refused.value.message == (
        "2 cohorts are open for applications at PB-LHR-08 (PB-LHR-08-C01, PB-LHR-08-C02): "
        "close or cancel its open cohorts first."
    )
    db.session.rollback()
    assert row_counts() == before and centre.active is True


def test_the_refusal_names_a_few_open_cohorts_and_counts_the_rest(admin, make_centre, make_cohort):
    centre = make_centre(code="PB-LHR-09")
    for number in range(7):
        make_cohort(centre=centre, code=f"PB-LHR-09-C{number:02d}")
    with pytest.raises(Refusal, match=r"7 cohorts are open .*C04 and 2 more\): close or cancel"):
        deactivate_centre(centre, actor=admin)


def test_deactivating_an_inactive_centre_is_refused(admin, make_centre, row_counts):
    centre = make_centre(code="PB-LHR-10", active=False)
    before = row_counts()
    with pytest.raises(Refusal, match=r"PB-LHR-10 is inactive already\."):
        deactivate_centre(centre, actor=admin)
    assert row_counts() == before


def test_reactivate_centre(admin, make_centre, row_counts):
    centre = make_centre(active=False)
    reactivate_centre(centre, actor=admin)
    db.session.commit()
    assert centre.active is True
    [event] = audit_events("centre.reactivate")
    assert (event.before, event.after, event.centre_id) == ({"active": False}, {"active": True}, centre.id)
    before = row_counts()
    with pytest.raises(Refusal, match="is active already"):
        reactivate_centre(centre, actor=admin)
    assert row_counts() == before


# Courses ----------------------------------------------------------------------------------------------


def test_create_course_normalises_and_records_one_event(admin):
    course = create_course(course_details(code=" swd-101", title=" Web   Development  "), actor=admin)
    db.session.commit()
    assert (course.code, course.title, course.weeks) == ("SWD-101", "Web Development", 12)
    [event] = audit_events()
    assert (event.action, event.actor_id, event.object_type, event.object_id) == (
        "course.create",
        admin.id,
        "course",
        course.id,
    )
    assert event.before is None and event.after["code"] == "SWD-101" and event.after["track"] == "software_development"


@pytest.mark.parametrize(
    "changes",
    [
        {"weeks": 1},
        {"weeks": 104},
        {"min_age": None, "max_age": None},
        {"min_age": 18, "max_age": 18},
        {"min_age": 14, "max_age": 100},
        {"min_age": None, "max_age": 30},
        {"summary": ""},
        {"min_education": Education.NONE},
    ],
)
def test_course_limits_that_are_allowed(admin, changes):
    course = create_course(course_details(**changes), actor=admin)
    assert all(getattr(course, name) == value for name, value in changes.items())


COURSE_REFUSALS = [
    ({"code": ""}, "code", "Enter the course code, e.g. SWD-101."),
    ({"code": "SWD101"}, "code", "three letters and three digits"),
    ({"code": "SW-101"}, "code", "three letters and three digits"),
    ({"code": "SWD-1010"}, "code", "three letters and three digits"),
    ({"code": "new"}, "code", "three letters and three digits"),
    ({"code": "MANAGE"}, "code", "three letters and three digits"),
    ({"title": " "}, "title", "Enter the title."),
    ({"title": "t" * 161}, "title", "at most 160 characters"),
    ({"track": None}, "track", "Choose the track"),
    ({"track": "astrology"}, "track", "Choose the track"),
    ({"summary": "Nice\x00course"}, "summary", "control characters"),
    ({"weeks": None}, "weeks", "Enter how many weeks"),
    ({"weeks": 0}, "weeks", "from 1 to 104 weeks"),
    ({"weeks": 105}, "weeks", "from 1 to 104 weeks"),
    ({"weeks": -3}, "weeks", "from 1 to 104 weeks"),
    ({"level": None}, "level", "Choose the level"),
    ({"min_age": 13}, "min_age", "Ages run from 14"),
    ({"max_age": 101}, "max_age", "Ages run from 14"),
    ({"min_age": 30, "max_age": 20}, "max_age", "The highest age cannot be below the lowest age (30)."),
    ({"min_education": None}, "min_education", "Choose the education needed"),
]


@pytest.mark.parametrize(("changes", "field", "message"), COURSE_REFUSALS)
def test_create_course_refusals(admin, row_counts, changes, field, message):
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        create_course(course_details(**changes), actor=admin)
    assert refused.value.field == field
    assert message in refused.value.message
    assert row_counts() == before


def test_course_codes_are_unique(admin, make_course, row_counts):
    make_course(code="SWD-101", title="Existing Course")
    before = row_counts()
    with pytest.raises(Conflict) as refused:
        create_course(course_details(code="swd-101"), actor=admin)
    assert refused.value.field == "code"
    assert refused.value.message == "The code SWD-101 belongs to “Existing Course” already: choose another."
    assert row_counts() == before


def test_update_course_records_before_and_after(admin, make_course):
    course = make_course(code="DMK-101", weeks=8, max_age=40)
    update_course(course, course_details(code="DMK-101", title="Digital Marketing", weeks=10, max_age=45), actor=admin)
    db.session.commit()
    assert (course.title, course.weeks, course.max_age) == ("Digital Marketing", 10, 45)
    [event] = audit_events()
    assert event.action == "course.update" and event.actor_id == admin.id and event.object_id == course.id
    assert (event.before["weeks"], event.after["weeks"]) == (8, 10)
    assert (event.before["max_age"], event.after["max_age"]) == (40, 45)


def test_update_course_without_changes_records_nothing(admin):
    course = create_course(course_details(), actor=admin)
    db.session.commit()
    update_course(course, course_details(), actor=admin)
    assert [event.action for event in audit_events()] == ["course.create"]


def test_a_courses_code_never_changes(admin, make_course, row_counts):
    course = make_course(code="ITS-101")
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        update_course(course, course_details(code="ITS-102"), actor=admin)
    assert refused.value.field == "code" and "cannot change" in refused.value.message
    assert row_counts() == before


@pytest.mark.parametrize(("changes", "field", "message"), [case for case in COURSE_REFUSALS if case[1] != "code"])
def test_update_course_refusals_change_nothing(admin, make_course, row_counts, changes, field, message):
    course = make_course(code="GRD-101", title="Unchanged", weeks=6)
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        update_course(course, replace(course_details(code="GRD-101"), **changes), actor=admin)
    assert (refused.value.field, message in refused.value.message) == (field, True)
    db.session.rollback()
    assert row_counts() == before
    assert (course.title, course.weeks) == ("Unchanged", 6)


def test_services_leave_the_commit_to_the_caller(admin, lahore):
    """Services flush; a rollback by the caller (a refused request, an error) leaves nothing behind."""
    create_centre(centre_details(lahore), actor=admin)
    create_course(course_details(), actor=admin)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Centre.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0
    assert audit_events() == []
