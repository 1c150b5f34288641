"""The walk-in desk through the client: staff look a trainee up by CNIC as typed (dashes, spaces), see her
national record and where she has trained, see what registering her into each open cohort would do, and
register her (or create her record and register her in one step). Bad input is shown next to its field
with 422 and nothing written; only the centre's staff and admins get in; a POST without a CSRF token is
refused."""

import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from pages import error_next_to, flashed, post, text

from audit.models import AuditEvent
from enrollments.models import Enrollment, Trainee
from enrollments.services import register
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import Admission, Area, Education, EnrollmentSource, EnrollmentStatus, Gender, Role

PATH = "/enrollments/centres/PB-LHR-01/walk-in"
AYESHA_CNIC = "3520212345671"


# The world -----------------------------------------------------------------------------------------------


@pytest.fixture
def punjab(make_province):
    return make_province(code="PB", name="Punjab")


@pytest.fixture
def lahore(make_district, punjab):
    return make_district(punjab, code="LHR", name="Lahore")


@pytest.fixture
def centre(make_centre, lahore):
    return make_centre(lahore, code="PB-LHR-01", name="Arfa Tower Digital Centre")


@pytest.fixture
def multan_centre(make_centre, make_district, punjab):
    return make_centre(make_district(punjab, code="MUL", name="Multan"), code="PB-MUL-01", name="Multan IT Park")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def course(make_course):
    return make_course(code="SWD-101", title="Web Development Foundations", min_education=Education.MATRIC)


@pytest.fixture
def web(make_cohort, centre, course):
    return make_cohort(centre=centre, course=course, code="PB-LHR-01-C01", seats=10)


@pytest.fixture
def ayesha(make_trainee, lahore, make_cohort, make_enrollment, multan_centre, make_course):
    """Ayesha Khan, on record, who finished a course at Multan."""
    trainee = make_trainee(
        lahore, cnic=AYESHA_CNIC, full_name="Ayesha Khan", phone="+923001234567", gender=Gender.FEMALE
    )
    past = make_cohort(centre=multan_centre, course=make_course(title="Graphic Design Basics"), code="PB-MUL-01-C01")
    make_enrollment(trainee, past, status=EnrollmentStatus.COMPLETED)
    return trainee


def written(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """What was written between two ``row_counts()``: rows added per table."""
    return {table: after[table] - count for table, count in before.items() if after[table] != count}


def last_events(count: int) -> list[AuditEvent]:
    return list(reversed(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(count)).all()))


def assert_one_lookup(before: dict[str, int], after: dict[str, int], trainee, actor, centre) -> None:
    """Nothing was written but one ``trainee.lookup`` event: ``actor`` at ``centre`` was shown ``trainee``."""
    assert written(before, after) == {"audit_event": 1}
    [event] = last_events(1)
    assert (event.action, event.object_type, event.object_id, event.actor_id, event.centre_id) == (
        "trainee.lookup",
        "trainee",
        trainee.id,
        actor.id,
        centre.id,
    )


def note_of(page: str, cohort) -> str:
    """What the desk says registering would do in ``cohort``."""
    radio = re.search(rf'<input[^>]*name="cohort_id"[^>]*value="{cohort.id}"[^>]*>', page).group(0)
    note_id = re.search(r'aria-describedby="([^" ]+-note)', radio).group(1)
    return html.unescape(re.search(rf'<div id="{note_id}"[^>]*>(.*?)</div>', page, re.S).group(1))


def eligibility_note(page: str, cohort) -> str:
    """What the eligibility step says of ``cohort``."""
    return html.unescape(re.search(rf'data-cohort-note="{cohort.id}">(.*?)</div>', page, re.S).group(1))


def radio_of(page: str, cohort) -> str:
    return re.search(rf'<input[^>]*name="cohort_id"[^>]*value="{cohort.id}"[^>]*>', page).group(0)


def is_disabled(page: str, cohort) -> bool:
    return "disabled" in radio_of(page, cohort).split()


def is_checked(page: str, cohort) -> bool:
    return "checked" in radio_of(page, cohort).split()


@pytest.fixture
def desk(client, sign_in, csrf_token, staff):
    """``desk(data)``: POST ``data`` to the walk-in page as the centre's staff, with a CSRF token."""
    sign_in(staff)
    token = csrf_token(PATH)

    def post(data: dict):
        return client.post(PATH, data={"csrf_token": token, **data})

    return post


def new_trainee(cohort, **changes) -> dict:
    return {
        "step": "create",
        "cnic": "35202 7654321 3",
        "full_name": "  Sana   Bibi ",
        "gender": "female",
        "date_of_birth": "2002-05-14",
        "phone": "0300 7654321",
        "email": "",
        "district_id": "",
        "area": "rural",
        "education": "intermediate",
        "cohort_id": str(cohort.id),
    } | changes


# Looking up ----------------------------------------------------------------------------------------------


def test_the_desk_starts_with_a_cnic_lookup(client, sign_in, staff, centre):
    sign_in(staff)
    page = text(client.get(PATH))
    assert "Walk-in registration" in page and "Arfa Tower Digital Centre" in page
    assert 'name="cnic"' in page and 'name="step" type="hidden" value="lookup"' in page


@pytest.mark.parametrize("typed", ["35202-1234567-1", " 35202 1234567 1 ", "3520212345671", "35202–1234567–1"])
def test_a_cnic_typed_any_way_finds_her_record_and_history(desk, ayesha, web, typed, row_counts, centre, staff):
    before = row_counts()
    page = text(desk({"step": "lookup", "cnic": typed}))
    assert '<h1 class="h2">Ayesha Khan</h1>' in page
    assert "35202-1234567-1" in page and "0300 1234567" in page and "*******" not in page  # staff see it whole
    assert "<bdi>Lahore</bdi>, <bdi>Punjab</bdi>" in page
    history = re.search(r"Where this trainee has trained.*?</section>", page, re.S).group(0)
    assert "Multan IT Park" in history and "Graphic Design Basics" in history and "Completed" in history
    assert note_of(page, web) == "A seat is free (10 of 10 left)."
    assert f'name="cnic" type="hidden" value="{AYESHA_CNIC}"' in page
    # Looking up writes only the audit event saying who looked her up, and where.
    after = row_counts()
    assert {table: after[table] - count for table, count in before.items() if after[table] != count} == {
        "audit_event": 1
    }
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_type, event.object_id, event.centre_id, event.actor_id) == (
        "trainee.lookup",
        "trainee",
        ayesha.id,
        centre.id,
        staff.id,
    )


def test_each_open_cohort_says_what_registering_would_do(
    desk, ayesha, centre, course, make_cohort, make_course, make_trainee, staff
):
    full = make_cohort(centre=centre, course=course, code="PB-LHR-01-C02", seats=1, shift="evening")
    for trainee in (make_trainee(), make_trainee(), make_trainee()):  # one seat taken, two waiting
        register(trainee, full, actor=staff)
    db.session.commit()
    women_only_for_men = make_cohort(centre=centre, course=course, code="PB-LHR-01-K01", women_only=True)
    graduates = make_cohort(
        centre=centre, course=make_course(min_education=Education.BACHELOR), code="PB-LHR-01-C03", shift="weekend"
    )
    reviewed = make_cohort(
        centre=centre, course=course, code="PB-LHR-01-C04", admission=Admission.REVIEWED, shift="afternoon"
    )
    make_cohort(centre=centre, course=course, code="PB-LHR-01-C09", status="draft")  # not offered
    page = text(desk({"step": "lookup", "cnic": "35202-1234567-1"}))
    assert note_of(page, full) == "Full: the trainee would be number 3 on the waitlist."
    assert note_of(page, women_only_for_men) == "A seat is free (10 of 10 left)."
    assert note_of(page, graduates) == "Not eligible: This course needs Bachelor's degree or higher."
    assert is_disabled(page, graduates) and not is_disabled(page, full)
    assert note_of(page, reviewed) == "The application would wait for the centre's review."
    assert "PB-LHR-01-C09" not in page


def test_a_man_is_told_a_women_only_cohort_is_not_for_him(desk, make_trainee, lahore, centre, course, make_cohort):
    make_trainee(lahore, cnic="3520299999995", full_name="Bilal Ahmed", gender=Gender.MALE)
    camp = make_cohort(centre=centre, course=course, code="PB-LHR-01-K01", women_only=True, kind="camp")
    page = text(desk({"step": "lookup", "cnic": "35202-9999999-5"}))
    assert note_of(page, camp) == "Not eligible: This is a women-only camp."


def test_an_unknown_cnic_leads_to_the_eligibility_step(desk, web, row_counts):
    before = row_counts()
    page = text(desk({"step": "lookup", "cnic": "35202 7654321 3"}))
    assert "New trainee" in page and 'value="35202-7654321-3"' in page
    assert 'name="step" type="hidden" value="eligibility"' in page
    assert all(f'name="{name}"' in page for name in ("gender", "date_of_birth", "education"))
    assert 'name="full_name"' not in page  # the rest is asked once the answers fit a cohort
    assert eligibility_note(page, web) == "Who may apply: Age 16–40 · Education: Matriculation or higher"
    assert row_counts() == before


def test_answers_that_fit_a_cohort_lead_to_the_rest_of_the_form(desk, web, row_counts):
    before = row_counts()
    answers = {"gender": "female", "date_of_birth": "2002-05-14", "education": "intermediate"}
    page = text(desk({"step": "eligibility", "cnic": "35202-7654321-3", **answers}))
    assert 'name="step" type="hidden" value="create"' in page and 'value="35202-7654321-3"' in page
    assert '<option selected value="female">' in page and 'value="2002-05-14"' in page
    assert '<option selected value="intermediate">' in page
    assert note_of(page, web) == "A seat is free (10 of 10 left)."
    assert row_counts() == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the trainee's CNIC number, e.g. 35202-1234567-1."),
        ("35202-12345", "A CNIC has 13 digits; this one has 10."),
        ("35202-123456A-1", "A CNIC has digits only, e.g. 35202-1234567-1."),
    ],
)
def test_a_cnic_that_is_no_cnic_is_refused_next_to_the_field(desk, row_counts, typed, message):
    before = row_counts()
    page = text(desk({"step": "lookup", "cnic": typed}), 422)
    assert error_next_to(page, "cnic") == message
    assert row_counts() == before


# Registering someone on record -----------------------------------------------------------------------------


def enrollments_of(trainee) -> list[Enrollment]:
    return list(db.session.scalars(sa.select(Enrollment).where(Enrollment.trainee_id == trainee.id)))


def test_registering_her_gives_her_a_place_and_says_so(client, desk, ayesha, web, staff, row_counts):
    before = row_counts()
    response = desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == PATH
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.trainee_id == ayesha.id, Enrollment.cohort_id == web.id)
    )
    assert (enrollment.status, enrollment.source) == (EnrollmentStatus.ENROLLED, EnrollmentSource.WALK_IN)
    after = row_counts()
    assert after["enrollment"] == before["enrollment"] + 1 and after["trainee"] == before["trainee"]
    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "enrollment.register"))
    assert event.actor_id == staff.id
    page = text(client.get(PATH))
    start = web.starts_on.strftime("%d %b %Y")
    assert flashed(page) == f"Ayesha Khan has a place in Web Development Foundations (PB-LHR-01-C01), starting {start}."


def test_a_repeated_registration_shows_her_existing_place(client, desk, ayesha, web, row_counts, staff, centre):
    desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)})
    client.get(PATH)  # the first message is read
    before = row_counts()
    desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)})
    assert_one_lookup(before, row_counts(), ayesha, staff, centre)  # found by CNIC again; nothing else changed
    assert flashed(text(client.get(PATH))).startswith(
        "Registered already, nothing changed: Ayesha Khan has a place in Web Development Foundations"
    )
    page = text(desk({"step": "lookup", "cnic": AYESHA_CNIC}))
    assert note_of(page, web) == "Registered here already: enrolled."


def test_a_full_cohort_puts_her_on_the_waitlist_and_says_her_number(
    client, desk, ayesha, centre, course, make_cohort, make_trainee, staff
):
    full = make_cohort(centre=centre, course=course, code="PB-LHR-01-C02", seats=1)
    for trainee in (make_trainee(), make_trainee(), make_trainee()):
        register(trainee, full, actor=staff)
    db.session.commit()
    desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(full.id)})
    assert flashed(text(client.get(PATH))) == (
        "Web Development Foundations (PB-LHR-01-C02) is full: Ayesha Khan is number 3 on the waitlist."
    )


def test_a_refusal_of_the_rules_is_shown_next_to_the_cohort_and_nothing_is_written(
    desk, ayesha, centre, make_cohort, make_course, row_counts, staff
):
    graduates = make_cohort(centre=centre, course=make_course(min_education=Education.BACHELOR), code="PB-LHR-01-C03")
    before = row_counts()
    page = text(desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(graduates.id)}), 422)
    assert error_next_to(page, "cohort_id") == "This course needs Bachelor's degree or higher."
    assert "Ayesha Khan" in page and "Multan IT Park" in page  # still on her record
    assert_one_lookup(before, row_counts(), ayesha, staff, centre)  # no place; the lookup that showed her is kept


@pytest.mark.parametrize("cohort_id", ["", "not-a-number", "other-centre"])
def test_only_this_centres_open_cohorts_can_be_chosen(
    desk, ayesha, web, make_cohort, row_counts, cohort_id, staff, centre
):
    if cohort_id == "other-centre":
        cohort_id = str(make_cohort(code="ELSEWHERE-1").id)
    before = row_counts()
    page = text(desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": cohort_id}), 422)
    assert error_next_to(page, "cohort_id")
    assert_one_lookup(before, row_counts(), ayesha, staff, centre)


# Creating her record ---------------------------------------------------------------------------------------


def test_a_new_walk_in_creates_one_trainee_and_one_enrollment(client, desk, lahore, web, row_counts):
    before = row_counts()
    response = desk(new_trainee(web, district_id=str(lahore.id)))
    assert response.status_code == 302, response.get_data(as_text=True)
    after = row_counts()
    assert (after["trainee"], after["enrollment"]) == (before["trainee"] + 1, before["enrollment"] + 1)
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.cnic == "3520276543213"))
    assert (trainee.full_name, trainee.phone, trainee.area, trainee.education) == (
        "Sana Bibi",
        "+923007654321",
        Area.RURAL,
        Education.INTERMEDIATE,
    )
    assert trainee.date_of_birth == date(2002, 5, 14) and trainee.user_id is None
    [enrollment] = enrollments_of(trainee)
    assert (enrollment.cohort_id, enrollment.status, enrollment.source) == (
        web.id,
        EnrollmentStatus.ENROLLED,
        EnrollmentSource.WALK_IN,
    )
    assert flashed(text(client.get(PATH))).startswith(
        "Record created for Sana Bibi. Sana Bibi has a place in Web Development Foundations (PB-LHR-01-C01)"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "0300 12"}, "phone", "This phone number does not exist"),
        ({"cnic": "35202-76543"}, "cnic", "A CNIC has 13 digits; this one has 10."),
        ({"full_name": "Sana 2"}, "full_name", "A name has letters only"),
        ({"gender": ""}, "gender", "Choose female, male or transgender."),
        ({"date_of_birth": "2020-01-01"}, "date_of_birth", "Trainees must be at least 14 years old."),
        ({"date_of_birth": "14/05/2002"}, "date_of_birth", "Not a valid date value."),
        ({"district_id": ""}, "district_id", "Choose the district of residence."),
        ({"district_id": "987654"}, "district_id", "Choose the trainee's district from the list."),
        ({"area": ""}, "area", "Choose urban, semi-urban or rural."),
        ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com"),
        ({"cohort_id": ""}, "cohort_id", "Choose the cohort."),
        ({"language": "fr"}, "language", "Choose English or Urdu for the trainee's messages."),
    ],
)
def test_bad_details_are_shown_next_to_their_field_and_nothing_is_written(
    desk, lahore, web, row_counts, changes, field, message
):
    before = row_counts()
    data = new_trainee(web, district_id=str(lahore.id)) | changes
    page = text(desk(data), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_a_new_trainee_the_rules_refuse_is_not_created_either(desk, lahore, centre, course, make_cohort, row_counts):
    camp = make_cohort(centre=centre, course=course, code="PB-LHR-01-K01", women_only=True, kind="camp")
    before = row_counts()
    data = new_trainee(camp, district_id=str(lahore.id), full_name="Bilal Ahmed", gender="male")
    page = text(desk(data), 422)
    assert error_next_to(page, "cohort_id") == "This is a women-only camp."
    assert row_counts() == before


def test_creating_a_cnic_that_is_on_record_shows_her_record_instead(
    desk, ayesha, lahore, web, row_counts, staff, centre
):
    before = row_counts()
    page = text(desk(new_trainee(web, cnic="35202-1234567-1", district_id=str(lahore.id))), 409)
    assert "A trainee with this CNIC is on record already: here is the record." in page
    assert '<h1 class="h2">Ayesha Khan</h1>' in page and is_checked(page, web)
    assert_one_lookup(before, row_counts(), ayesha, staff, centre)  # no second record; the lookup is kept


# What staff learn of another centre's trainee ---------------------------------------------------------------


def shown_of_her(page: str) -> str:
    """What a page shows of her: her national record and where she has trained (the found page's sections)."""
    sections = re.findall(r'<section aria-labelledby="(?:record|history)-heading".*?</section>', page, re.S)
    assert len(sections) == 2, "her record is not shown"
    return "".join(sections)


def test_every_step_shows_another_centres_trainee_as_the_lookup_does_and_keeps_each_lookup(
    client, desk, ayesha, lahore, centre, web, make_cohort, make_course, staff, row_counts
):
    """Ayesha trained at Multan: staff of Lahore learn of her only through lookups. Every step that finds her
    by CNIC — the lookup, creating a record for her CNIC (409), registering her into a cohort not offered
    (422) or one whose rules refuse her (422), and registering her — writes exactly one ``trainee.lookup``
    (committed though the step is refused) and shows no more of her than the lookup does."""
    graduates = make_cohort(centre=centre, course=make_course(min_education=Education.BACHELOR), code="PB-LHR-01-C03")
    before = row_counts()
    lookup = text(desk({"step": "lookup", "cnic": "35202 1234567 1"}))
    assert_one_lookup(before, row_counts(), ayesha, staff, centre)
    record = shown_of_her(lookup)
    assert "0300 1234567" in record and "Multan IT Park" in record
    for data, status in (
        (new_trainee(web, cnic="35202-1234567-1", district_id=str(lahore.id), phone="0311 7654321"), 409),
        ({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": "987654"}, 422),
        ({"step": "register", "cnic": "35202-1234567-1", "cohort_id": str(graduates.id)}, 422),
    ):
        before = row_counts()
        page = text(desk(data), status)
        assert_one_lookup(before, row_counts(), ayesha, staff, centre)
        assert shown_of_her(page) == record
        assert page.count("0300 1234567") == lookup.count("0300 1234567")
        assert page.count("Multan IT Park") == lookup.count("Multan IT Park")
    before = row_counts()
    assert desk({"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)}).status_code == 302
    assert written(before, row_counts()) == {"audit_event": 2, "enrollment": 1, "outbox_message": 1}
    assert [(event.action, event.actor_id) for event in last_events(2)] == [
        ("trainee.lookup", staff.id),
        ("enrollment.register", staff.id),
    ]


def test_an_unknown_cnic_on_the_register_step_writes_nothing(desk, web, row_counts):
    before = row_counts()
    page = text(desk({"step": "register", "cnic": "3520200000009", "cohort_id": str(web.id)}), 422)
    assert error_next_to(page, "cnic") == "No trainee has this CNIC: look the trainee up again."
    assert row_counts() == before


# Who may use the desk --------------------------------------------------------------------------------------


def test_staff_of_another_centre_get_403(
    client, sign_in, csrf_token, make_user, multan_centre, ayesha, web, row_counts
):
    sign_in(make_user(Role.STAFF, centres=(multan_centre,)))
    token = csrf_token("/auth/password")
    before = row_counts()
    assert client.get(PATH).status_code == 403
    data = {"csrf_token": token, "step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)}
    assert client.post(PATH, data=data).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("role", [Role.OVERSEER, Role.TRAINEE])
def test_overseers_and_trainees_get_403_on_post(client, sign_in, csrf_token, make_user, ayesha, web, row_counts, role):
    sign_in(make_user(role))
    token = csrf_token("/auth/password")
    before = row_counts()
    data = {"csrf_token": token, "step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)}
    assert client.post(PATH, data=data).status_code == 403
    assert row_counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, centre):
    response = client.get(PATH)
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.path == "/auth/login"
    assert parse_qs(location.query)["next"] == [PATH]


def test_a_post_without_a_csrf_token_is_refused(client, sign_in, staff, ayesha, lahore, web, row_counts):
    sign_in(staff)
    before = row_counts()
    for data in (
        {"step": "lookup", "cnic": AYESHA_CNIC},
        {"step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)},
        new_trainee(web, district_id=str(lahore.id)),
    ):
        assert client.post(PATH, data=data).status_code == 400
    assert row_counts() == before


def test_admins_register_walk_ins_at_any_centre(client, sign_in, csrf_token, make_user, ayesha, web):
    sign_in(make_user(Role.ADMIN))
    response = client.post(
        PATH, data={"csrf_token": csrf_token(PATH), "step": "register", "cnic": AYESHA_CNIC, "cohort_id": str(web.id)}
    )
    assert response.status_code == 302
    assert [enrollment.cohort_id for enrollment in enrollments_of(ayesha)].count(web.id) == 1


# The language of her messages ----------------------------------------------------------------------------


def test_staff_choose_the_language_of_her_messages_whatever_their_own(desk, lahore, web):
    """The desk reads English; she reads Urdu: her SMS is in Urdu."""
    text(desk(new_trainee(web, district_id=str(lahore.id), language="ur")), 302)
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.cnic == "3520276543213"))
    assert trainee.language == "ur"
    sms = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.trainee_id == trainee.id))
    assert re.search(r"[\u0600-\u06FF]", sms.body) and web.course.title in sms.body


def test_without_a_choice_her_messages_are_in_the_desks_language(desk, lahore, web):
    desk(new_trainee(web, district_id=str(lahore.id)))
    trainee = db.session.scalar(sa.select(Trainee).where(Trainee.cnic == "3520276543213"))
    assert trainee.language == "en"


def test_the_language_choice_offers_the_desks_language_first(desk, web):
    answers = {"gender": "female", "date_of_birth": "2002-05-14", "education": "intermediate"}
    page = text(desk({"step": "eligibility", "cnic": "35202 7654321 3", **answers}))
    assert re.search(r'<select[^>]*id="language"[^>]*>\s*<option selected value="en">English</option>', page)


# The eligibility step for someone not on record (issue 14, item 11) ------------------------------------------


@pytest.fixture
def camp(make_cohort, centre, make_course):
    """A women-only camp for 18 to 35 year-olds with an intermediate education."""
    course = make_course(code="DM-201", title="Digital Marketing", min_age=18, max_age=35,
                         min_education=Education.INTERMEDIATE)  # fmt: skip
    return make_cohort(centre=centre, course=course, code="PB-LHR-01-K01", women_only=True, kind="camp")


def answers(**changes) -> dict:
    return {"step": "eligibility", "cnic": "35202-7654321-3", "gender": "female", "date_of_birth": "2002-05-14",
            "education": "intermediate"} | changes  # fmt: skip


def test_answers_no_open_cohort_accepts_are_refused_at_once_with_each_reason(desk, camp, row_counts):
    before = row_counts()
    page = text(desk(answers(gender="male", education="primary")), 422)
    assert "These answers do not meet the requirements of any cohort open here (see each cohort)." in page
    assert eligibility_note(page, camp) == (
        "Not eligible: This is a women-only camp. This course needs Intermediate (FA/FSc) or higher."
    )
    assert 'name="full_name"' not in page and row_counts() == before


def test_answers_that_rule_out_one_cohort_show_it_as_such_on_the_rest_of_the_form(desk, web, camp):
    page = text(desk(answers(education="matric")))  # too little for the camp, enough for the web course
    assert 'name="full_name"' in page
    assert is_disabled(page, camp)
    assert note_of(page, camp) == "Not eligible: This course needs Intermediate (FA/FSc) or higher."
    assert not is_disabled(page, web)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"gender": ""}, "gender", "Choose female, male or transgender."),
        ({"date_of_birth": ""}, "date_of_birth", "Enter the date of birth as a date."),
        ({"education": "phd-please"}, "education", "Invalid Choice: could not coerce."),
    ],
)
def test_a_missing_answer_is_shown_next_to_its_field(desk, web, row_counts, changes, field, message):
    before = row_counts()
    page = text(desk(answers(**changes)), 422)
    assert message in error_next_to(page, field)
    assert row_counts() == before


def test_the_step_checks_answers_as_they_are_chosen(client, desk, csrf_token, web, camp, row_counts):
    before = row_counts()
    token = csrf_token(PATH)
    check = {"csrf_token": token, "gender": "male", "date_of_birth": "2002-05-14", "education": "matric"}
    response = client.post(f"{PATH}/eligibility", data=check)
    assert response.status_code == 200
    found = {cohort["id"]: (cohort["eligible"], cohort["note"]) for cohort in response.get_json()["cohorts"]}
    assert found[web.id] == (True, "Who may apply: Age 16–40 · Education: Matriculation or higher")
    assert found[camp.id][0] is False and found[camp.id][1].startswith("Not eligible: This is a women-only camp.")
    assert response.get_json()["summary"] == "Eligible for 1 of the 2 cohorts open here."
    incomplete = client.post(f"{PATH}/eligibility", data=check | {"gender": ""})
    assert incomplete.status_code == 422 and "gender" in incomplete.get_json()["errors"]
    assert row_counts() == before


def test_only_the_centres_staff_ask_the_eligibility_check(client, sign_in, make_user, make_centre, centre, web):
    other = make_user(Role.STAFF, centres=(make_centre(),))
    sign_in(other)
    assert post(client, f"{PATH}/eligibility", {"gender": "female"}).status_code == 403
