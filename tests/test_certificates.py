"""Certificates, service by service, without HTTP (issue 17, item 5): issued on completion with the facts
printed kept as they were, one valid certificate per place, revoked with a reason, reissued under a new
number; the numbers themselves; every refusal says why, names its field and writes nothing."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from graduation import complete_by_rule
from pages import audit_events, shown

from certificates import services
from certificates.models import Certificate
from certificates.numbers import ALPHABET, NotANumber, check_character, new_number, normalise_number
from clock import local_today
from enrollments.counters import recount
from extensions import db
from oversight.audit_sentences import describe
from oversight.queries import audit_event_names
from refusals import Refusal
from vocabulary import CertificateStatus, CohortStatus, EnrollmentStatus, Role, Shift

C = CertificateStatus


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-07", name="Lahore Digital Centre", partner_name="University of the Punjab")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def running(make_cohort, make_course, centre):
    course = make_course(title="Freelancing with WordPress", code="WP-101")
    starts_on = date.today() - timedelta(days=30)
    return make_cohort(
        centre=centre,
        course=course,
        status=CohortStatus.RUNNING,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=55),
        shift=Shift.MORNING,
    )


@pytest.fixture
def completed(running, make_trainee, make_enrollment, staff):
    """``completed(**trainee_fields)``: a place in ``running`` completed by its staff (certificate issued)."""

    def make(**fields):
        enrollment = make_enrollment(make_trainee(**fields), running)
        recount(fix=True)  # the factory writes the place, not the cohort's counters
        complete_by_rule(enrollment, actor=staff)
        db.session.commit()
        return enrollment

    return make


def certificates() -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).order_by(Certificate.id)))


# Numbers -------------------------------------------------------------------------------------------


def test_numbers_are_random_base32_with_a_check_character_and_read_back_however_typed():
    numbers = {new_number() for _ in range(500)}
    assert len(numbers) == 500
    for number in list(numbers)[:50]:
        prefix, first, second, check = number.split("-")
        assert prefix == "MKZ" and len(first + second) == 10 and set(first + second + check) <= set(ALPHABET)
        assert check == check_character(first + second)
        assert normalise_number(number) == number
        assert normalise_number(f" {number.lower().replace('-', ' ')} ") == number
        assert normalise_number(number.removeprefix("MKZ-")) == number


def test_confusable_letters_read_as_the_digits_meant():
    body = "0123456789"
    number = f"MKZ-{body[:5]}-{body[5:]}-{check_character(body)}"
    assert normalise_number(number.replace("0", "O").replace("1", "I")) == number
    assert normalise_number(number.replace("1", "l")) == number


@pytest.mark.parametrize("position", range(10))
def test_one_mistyped_character_is_caught_by_the_check_character(position):
    number = new_number()
    body = number.replace("-", "")[3:13]
    wrong = ALPHABET[(ALPHABET.index(body[position]) + 1) % 32]
    typed = body[:position] + wrong + body[position + 1 :] + number[-1]
    with pytest.raises(NotANumber) as error:
        normalise_number(typed)
    assert error.value.mistyped


def test_two_swapped_neighbours_are_caught():
    """Luhn mod 32 catches every swap of two neighbours but of 0 and Z (as mod 10 misses 09 and 90)."""
    caught = 0
    for _ in range(200):
        number = new_number()
        body = number.replace("-", "")[3:13]
        if body[3] == body[4] or {body[3], body[4]} == {"0", "Z"}:
            continue
        swapped = body[:3] + body[4] + body[3] + body[5:] + number[-1]
        with pytest.raises(NotANumber):
            normalise_number(swapped)
        caught += 1
    assert caught > 150


@pytest.mark.parametrize("typed", ["", "MKZ", "MKZ-12345", "MKZ-12345-67890-AB", "MKZ-1234U-67890-A", "x" * 41])
def test_text_that_cannot_be_a_number_is_not_one(typed):
    with pytest.raises(NotANumber) as error:
        normalise_number(typed)
    assert not error.value.mistyped


# Issuing -------------------------------------------------------------------------------------------


def test_completing_a_place_issues_its_certificate_with_the_facts_printed(completed, running, centre):
    enrollment = completed(full_name="عائشہ بی بی", cnic="3520212345672")
    (certificate,) = certificates()
    assert certificate.enrollment_id == enrollment.id and certificate.status is C.VALID
    assert normalise_number(certificate.number) == certificate.number
    assert (certificate.full_name, certificate.cnic_masked) == ("عائشہ بی بی", "35202-*******-2")
    assert (certificate.course_title, certificate.course_code) == ("Freelancing with WordPress", "WP-101")
    assert certificate.track is running.course.track
    assert (certificate.centre_name, certificate.centre_code) == ("Lahore Digital Centre", "PB-LHR-07")
    assert certificate.partner_name == "University of the Punjab"
    assert (certificate.starts_on, certificate.ends_on) == (running.starts_on, running.ends_on)
    assert certificate.hours == 8 * 15  # 8 weeks, a weekday shift of 15 hours a week
    assert certificate.issued_on == local_today()
    # Decided by the rule when the cohort finished: her result, then her certificate, then the cohort's status.
    assert [event.action for event in audit_events()[-3:]] == [
        "cohort.status",
        "enrollment.finish_completed",
        "certificate.issue",
    ]
    issued = audit_events("certificate.issue")[0]
    assert issued.object_id == certificate.id and issued.centre_id == centre.id
    assert issued.after["number"] == certificate.number


def test_the_facts_printed_stay_as_they_were_when_records_change(completed, running, centre):
    enrollment = completed(full_name="Ayesha Khan")
    enrollment.trainee.full_name = "Ayesha Noor"
    running.course.title = "Another title"
    centre.name = "Renamed Centre"
    db.session.commit()
    found = services.verification(certificates()[0].number)
    assert found.certificate.full_name == "Ayesha Khan"
    assert found.certificate.course_title == "Freelancing with WordPress"
    assert found.certificate.centre_name == "Lahore Digital Centre"


def test_a_weekend_cohort_prints_its_weekend_hours(make_cohort, centre):
    weekend = make_cohort(centre=centre, shift=Shift.WEEKEND, starts_on=date(2027, 1, 2), ends_on=date(2027, 2, 26))
    assert services.hours_of(weekend) == 8 * 12


def test_one_valid_certificate_per_place(completed, staff, row_counts):
    enrollment = completed()
    before = row_counts()
    with pytest.raises(services.AlreadyIssued, match=re.escape("This place has a valid certificate already.")):
        services.issue(enrollment, actor=staff)
    db.session.rollback()
    assert row_counts() == before


def test_the_database_refuses_a_second_valid_certificate_for_a_place(completed, staff):
    enrollment = completed()
    first = certificates()[0]
    copy = {column.key: getattr(first, column.key) for column in Certificate.__table__.columns if column.key != "id"}
    db.session.add(Certificate(**(copy | {"number": new_number()})))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    # A revoked one does not count: a new valid certificate may then be issued.
    services.revoke(first, actor=staff, reason="Printed on the wrong paper")
    services.issue(enrollment, actor=staff)
    db.session.commit()
    assert [c.status for c in certificates()] == [C.REVOKED, C.VALID]


def test_only_a_completed_place_earns_a_certificate(running, make_trainee, make_enrollment, staff, row_counts):
    enrollment = make_enrollment(make_trainee(), running, status=EnrollmentStatus.ENROLLED)
    before = row_counts()
    with pytest.raises(services.NotCompleted, match=re.escape("Only a completed course earns a certificate.")):
        services.issue(enrollment, actor=staff)
    db.session.rollback()
    assert row_counts() == before


def test_staff_of_another_centre_cannot_issue(completed, staff, make_user, make_centre, row_counts):
    enrollment = completed()
    stranger = make_user(Role.STAFF, centres=(make_centre(),))
    services.revoke(certificates()[0], actor=staff, reason="To issue again")
    db.session.commit()
    before = row_counts()
    with pytest.raises(services.NotAllowed, match=re.escape("Only staff of this centre can issue its certificates.")):
        services.issue(enrollment, actor=stranger)
    db.session.rollback()
    assert row_counts() == before


def test_the_system_issues_without_an_actor(running, make_trainee, make_enrollment):
    enrollment = make_enrollment(make_trainee(), running, status=EnrollmentStatus.COMPLETED)
    certificate = services.issue(enrollment, actor=None)
    db.session.commit()
    assert certificate.status is C.VALID and audit_events("certificate.issue")[0].actor_id is None


# Revoking ------------------------------------------------------------------------------------------


def test_revoking_keeps_the_reason_and_the_moment_and_is_audited(completed, staff):
    completed()
    certificate = certificates()[0]
    services.revoke(certificate, actor=staff, reason="  Issued by mistake: she did not sit the assessment. ")
    db.session.commit()
    assert certificate.status is C.REVOKED and certificate.revoked_at is not None
    assert certificate.revoked_reason == "Issued by mistake: she did not sit the assessment."
    (event,) = audit_events("certificate.revoke")
    assert event.reason == certificate.revoked_reason and event.before == {"status": "valid"}
    assert event.after["status"] == "revoked"


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give a reason: it is shown on the verification page and kept in the audit log."),
        ("   ", "Give a reason: it is shown on the verification page and kept in the audit log."),
        ("x" * 501, "The reason is too long: at most 500 characters."),
    ],
)
def test_revoking_needs_a_reason(completed, staff, row_counts, reason, message):
    completed()
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        services.revoke(certificates()[0], actor=staff, reason=reason)
    assert (refused.value.message, refused.value.field) == (message, "reason")
    db.session.rollback()
    assert row_counts() == before and certificates()[0].status is C.VALID


def test_only_staff_of_the_issuing_centre_and_admins_revoke(completed, make_user, make_centre, row_counts):
    completed()
    certificate = certificates()[0]
    outsiders = (make_user(Role.STAFF, centres=(make_centre(),)), make_user(Role.OVERSEER), make_user(Role.TRAINEE))
    before = row_counts()
    for outsider in outsiders:
        with pytest.raises(services.NotAllowed, match="Only staff of the centre that issued this certificate"):
            services.revoke(certificate, actor=outsider, reason="No")
    assert row_counts() == before
    services.revoke(certificate, actor=make_user(Role.ADMIN), reason="Duplicate")
    db.session.commit()
    assert certificate.status is C.REVOKED


def test_a_revoked_certificate_cannot_be_revoked_or_reissued_again(completed, staff, row_counts):
    completed()
    certificate = certificates()[0]
    services.revoke(certificate, actor=staff, reason="Wrong course")
    db.session.commit()
    before = row_counts()
    with pytest.raises(services.NotValid, match=re.escape("This certificate was revoked already.")):
        services.revoke(certificate, actor=staff, reason="Again")
    with pytest.raises(services.NotValid, match=re.escape("This certificate was revoked already.")):
        services.reissue(certificate, actor=staff, reason="Name", full_name="Somebody Else")
    db.session.rollback()
    assert row_counts() == before


# Reissuing -----------------------------------------------------------------------------------------


def test_a_reissue_gets_a_new_number_and_the_old_one_points_to_it(completed, staff):
    completed(full_name="Aisha Bibi")
    old = certificates()[0]
    new = services.reissue(old, actor=staff, reason="Name misspelt", full_name="Ayesha  Bibi")
    db.session.commit()
    assert new.number != old.number and new.full_name == "Ayesha Bibi" and new.status is C.VALID
    assert old.status is C.REPLACED and old.replaced_by_id == new.id
    assert (new.enrollment_id, new.course_title, new.hours) == (old.enrollment_id, old.course_title, old.hours)
    found = services.verification(old.number)
    assert found.certificate.status is C.REPLACED and found.replaced_by_number == new.number
    (event,) = audit_events("certificate.reissue")
    assert event.object_id == new.id and event.before == {"number": old.number, "full_name": "Aisha Bibi"}
    assert event.reason == "Name misspelt"


def test_a_reissue_without_a_name_prints_her_corrected_record(completed, staff):
    enrollment = completed(full_name="Aisha Bibi")
    enrollment.trainee.full_name = "Ayesha Bibi"
    db.session.commit()
    new = services.reissue(certificates()[0], actor=staff, reason="Record corrected")
    assert new.full_name == "Ayesha Bibi"


def test_a_reissue_that_changes_nothing_is_refused(completed, staff, row_counts):
    completed(full_name="Ayesha Bibi")
    before = row_counts()
    with pytest.raises(services.NothingToReissue) as refused:
        services.reissue(certificates()[0], actor=staff, reason="Reprint", full_name="Ayesha Bibi")
    assert refused.value.field == "full_name"
    assert refused.value.message == (
        "The certificate already prints this name and these facts: correct the name to reissue it."
    )
    db.session.rollback()
    assert row_counts() == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"full_name": "Ayesha 2"},
            "full_name",
            "A name has letters only (Urdu or English), with spaces, dots or dashes.",
        ),
        ({"full_name": "   "}, "full_name", "Enter the full name as on the CNIC."),
        ({"full_name": "Ayesha", "reason": ""}, "reason", "Give a reason: it is shown on the verification page"),
    ],
)
def test_a_reissue_with_a_bad_name_or_no_reason_is_refused(completed, staff, row_counts, fields, field, message):
    completed(full_name="Aisha Bibi")
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        services.reissue(certificates()[0], actor=staff, **({"reason": "Name misspelt"} | fields))
    assert refused.value.field == field and refused.value.message.startswith(message)
    db.session.rollback()
    assert row_counts() == before and certificates()[0].status is C.VALID


def test_a_replaced_certificate_cannot_be_reissued_again(completed, staff, row_counts):
    completed(full_name="Aisha Bibi")
    old = certificates()[0]
    services.reissue(old, actor=staff, reason="Name", full_name="Ayesha Bibi")
    db.session.commit()
    before = row_counts()
    with pytest.raises(services.NotValid, match="replaced by a reissue: act on the new one"):
        services.reissue(old, actor=staff, reason="Name", full_name="Ayesha B")
    db.session.rollback()
    assert row_counts() == before


def test_the_audit_log_tells_issue_revoke_and_reissue_as_sentences(app, completed, staff):
    completed(full_name="Aisha Bibi")
    old = certificates()[0]
    new = services.reissue(old, actor=staff, reason="Name misspelt", full_name="Ayesha Bibi")
    services.revoke(new, actor=staff, reason="Wrong course")
    db.session.commit()
    events = audit_events()[-3:]
    with app.test_request_context("/"):
        names = audit_event_names(events)
        said = [shown(str(describe(event, names))).replace(" .", ".") for event in events]
    assert said == [
        f"{staff.full_name} issued the certificate {old.number} to Aisha Bibi for {old.cohort_code}.",
        f"{staff.full_name} reissued the certificate {old.number} of Ayesha Bibi as {new.number}.",
        f"{staff.full_name} revoked the certificate {new.number} of Ayesha Bibi.",
    ]


# Reading -------------------------------------------------------------------------------------------


def test_verification_finds_nothing_for_a_number_never_issued(completed):
    completed()
    assert services.verification(new_number()) is None


def test_her_certificates_leave_out_replaced_ones(completed, staff):
    enrollment = completed(full_name="Aisha Bibi")
    services.reissue(certificates()[0], actor=staff, reason="Name", full_name="Ayesha Bibi")
    db.session.commit()
    mine = services.certificates_of_trainee(enrollment.trainee)
    assert [c.full_name for c in mine] == ["Ayesha Bibi"]
