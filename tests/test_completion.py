"""Assessment marks and completion by rule (issue 17, items 3 and 4): the rule's edges (exactly at the threshold,
exactly at the pass mark, no mark, late counts as present), marks entered and refused (message, field, nothing
written), finishing with its preview, overrides both ways, the Marks page and its sheet, the API, what the
trainee sees, and two staff finishing the same cohort at once."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pages import decoded, error_at_top, flashed, post, redirected_to, shown, text

from attendance.calendar import class_days
from attendance.services import take_attendance
from audit.models import AuditEvent
from certificates.models import Certificate
from clock import local_today
from courses.cohorts import change_status
from enrollments.counters import recount
from enrollments.models import Enrollment
from enrollments.services import MarkEntry, MarksRefused, NotPossibleNow, enter_marks, override, preview_finish
from enrollments.services.completion import decision
from enrollments.services.marks import attendance_met, read_mark
from enrollments.tallies import recount_tallies
from extensions import db
from notifications.models import OutboxMessage
from refusals import Refusal
from tests.api_helpers import bearer
from vocabulary import CertificateStatus, CohortStatus, EnrollmentStatus, NotCompletedReason, Role, Shift

S, R = EnrollmentStatus, NotCompletedReason


@pytest.fixture
def centre(make_centre):
    return make_centre(code="PB-LHR-09")


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.STAFF, centres=(centre,))


@pytest.fixture
def running(make_cohort, make_course, centre):
    """A running cohort of a course whose pass mark is 50 and attendance threshold 70 (the defaults)."""
    starts_on = date.today() - timedelta(days=28)
    return make_cohort(
        centre=centre,
        course=make_course(title="Digital Marketing Basics"),
        status=CohortStatus.RUNNING,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=55),
        shift=Shift.MORNING,
        seats=10,
    )


@pytest.fixture
def enrolled(running, make_trainee, make_enrollment):
    """``enrolled(present, held, **trainee)``: an enrolled place with that attendance (days present of days held)."""

    def make(present: int = 10, held: int = 10, **fields) -> Enrollment:
        place = make_enrollment(
            make_trainee(**fields), running, status=S.ENROLLED, started_training=True, days_marked=held,
            days_present=present,
        )  # fmt: skip
        recount(fix=True)
        recount_tallies(fix=True)  # the fixture wrote her attendance directly: the report's tallies follow it
        db.session.commit()
        return place

    return make


def certificates() -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).order_by(Certificate.id)))


# The rule's edges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "held", "mark", "expected"),
    [
        (7, 10, "50", (S.COMPLETED, None)),  # exactly at the threshold and exactly at the pass mark
        (69, 100, "90", (S.NOT_COMPLETED, R.ATTENDANCE)),  # just below the threshold: she could not sit
        (10, 10, "49.99", (S.NOT_COMPLETED, R.MARKS)),  # just below the pass mark
        (10, 10, None, (S.NOT_COMPLETED, R.MARKS)),  # no mark
        (0, 0, "80", (S.NOT_COMPLETED, R.ATTENDANCE)),  # no class day marked: the threshold is not met
        (6, 10, None, (S.NOT_COMPLETED, R.ATTENDANCE)),  # attendance first: below it, the mark is not asked
    ],
)
def test_the_rule_at_its_edges(app, make_course, present, held, mark, expected):
    course = make_course()
    place = Enrollment(days_present=present, days_marked=held, mark=None if mark is None else Decimal(mark))
    assert decision(place, course) == expected


def test_late_counts_as_present_through_the_registers(running, enrolled, staff):
    """Attendance comes from the registers: a trainee late on 3 of 10 days and absent on 3 has 70%."""
    place = enrolled(present=0, held=0, full_name="Hina Late")
    held = [day for day in class_days(running) if day <= local_today()][:10]
    for number, day in enumerate(held):
        absent, late = ([place.id], []) if number < 3 else ([], [place.id]) if number < 6 else ([], [])
        take_attendance(running, day, absent=absent, late=late, actor=staff)
    db.session.commit()
    db.session.refresh(place)
    assert (place.days_present, place.days_marked) == (7, 10)
    assert attendance_met(place, running.course)


def test_a_mark_is_read_as_people_type_it(app):
    assert read_mark(" 72.5 ") == Decimal("72.50") and read_mark("٧٢٫٥") == Decimal("72.50")
    assert read_mark("50%") == Decimal("50.00") and read_mark(100) == Decimal("100.00") and read_mark("") is None
    for wrong, message in [
        ("seventy", "Enter the mark as a percent from 0 to 100, e.g. 72.5."),
        ("100.5", "Enter the mark as a percent from 0 to 100, e.g. 72.5."),
        ("-1", "Enter the mark as a percent from 0 to 100, e.g. 72.5."),
        ("72.125", "A mark has at most two decimals, e.g. 72.25."),
        (True, "Enter the mark as a percent from 0 to 100, e.g. 72.5."),
    ]:
        with pytest.raises(Refusal) as refused:
            read_mark(wrong)
        assert (refused.value.message, refused.value.field) == (message, "mark")


# Entering marks ----------------------------------------------------------------------------------------


def test_marks_are_saved_all_at_once_with_one_audit_event(running, enrolled, staff):
    first, second = enrolled(full_name="Ayesha Khan"), enrolled(full_name="Bushra Ali")
    changed = enter_marks(running, [MarkEntry(first.id, "72.5"), MarkEntry(second.id, 48)], actor=staff)
    db.session.commit()
    assert [place.id for place in changed] == [first.id, second.id]
    assert (first.mark, second.mark) == (Decimal("72.50"), Decimal("48.00")) and first.marked_at is not None
    (event,) = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "cohort.marks")).all()
    assert (event.object_id, event.after["count"], event.centre_id) == (running.id, 2, running.centre_id)
    assert enter_marks(running, [MarkEntry(first.id, "72.50")], actor=staff) == []  # the same mark: no change
    assert recount_tallies() == []  # the report's marked and passed tallies moved with the marks
    enter_marks(running, [MarkEntry(first.id, "20"), MarkEntry(second.id, "")], actor=staff)  # corrected
    db.session.commit()
    assert recount_tallies() == []


def test_a_wrong_mark_saves_nothing_and_names_every_problem(running, enrolled, staff, row_counts):
    fine, away = enrolled(full_name="Ayesha Khan"), enrolled(present=6, held=10, full_name="Sadia Away")
    before = row_counts()
    entries = [MarkEntry(fine.id, "80"), MarkEntry(away.id, "65"), MarkEntry(fine.id, "81"), MarkEntry(999, "1")]
    with pytest.raises(MarksRefused) as refused:
        enter_marks(running, entries, actor=staff)
    db.session.rollback()
    assert refused.value.message == "3 marks are not right: nothing was saved. Correct them and save again."
    assert refused.value.field_messages == {
        "items.1.mark": "Sadia Away may not sit the assessment: her attendance is 60%, below the 70% the course needs.",
        "items.2.enrollment_id": "Ayesha Khan is given twice.",
        "items.3.enrollment_id": "No trainee with this number in this cohort.",
    }
    assert row_counts() == before and db.session.get(Enrollment, fine.id).mark is None


def test_marks_only_while_the_cohort_runs_and_only_by_its_staff(running, enrolled, staff, make_user, row_counts):
    place = enrolled()
    before = row_counts()
    with pytest.raises(Refusal, match=r"Only staff of this centre can enter its marks\."):
        enter_marks(running, [MarkEntry(place.id, "60")], actor=make_user(Role.STAFF))
    with pytest.raises(Refusal, match=r"Enter the mark of at least one trainee\."):
        enter_marks(running, [], actor=staff)
    change_status(running, CohortStatus.FINISHED, actor=staff)
    db.session.commit()
    before = row_counts()
    with pytest.raises(NotPossibleNow, match=r"This cohort has finished: its results were decided"):
        enter_marks(running, [MarkEntry(place.id, "60")], actor=staff)
    db.session.rollback()
    assert row_counts() == before


# Finishing ---------------------------------------------------------------------------------------------


def test_finishing_decides_everyone_issues_certificates_and_tells_each_in_her_language(
    running, enrolled, staff, row_counts
):
    passes = enrolled(full_name="Ayesha Khan")
    low_mark = enrolled(full_name="Bushra Ali")
    unmarked = enrolled(full_name="Farah Naz")
    away = enrolled(present=5, held=10, full_name="Sadia Away")
    away.trainee.language = "ur"
    enter_marks(running, [MarkEntry(passes.id, "50"), MarkEntry(low_mark.id, "30")], actor=staff)
    db.session.commit()
    preview = preview_finish(running)
    assert (preview.completing, preview.not_completing) == (1, {R.ATTENDANCE: 1, R.MARKS: 2})
    assert [place.trainee.full_name for place in preview.unmarked] == ["Farah Naz", "Sadia Away"]
    change_status(running, CohortStatus.FINISHED, actor=staff)
    db.session.commit()
    results = {
        place.trainee.full_name: (place.status, place.not_completed_reason)
        for place in (passes, low_mark, unmarked, away)
    }
    assert results == {
        "Ayesha Khan": (S.COMPLETED, None),
        "Bushra Ali": (S.NOT_COMPLETED, R.MARKS),
        "Farah Naz": (S.NOT_COMPLETED, R.MARKS),
        "Sadia Away": (S.NOT_COMPLETED, R.ATTENDANCE),
    }
    assert [(c.enrollment_id, c.status) for c in certificates()] == [(passes.id, CertificateStatus.VALID)]
    db.session.refresh(running)
    assert (running.enrolled_count, running.completed_count, running.not_completed_count) == (0, 1, 3)
    assert (running.not_completed_attendance_count, running.not_completed_marks_count) == (1, 2)
    assert recount() == []
    kinds = dict(db.session.execute(sa.select(OutboxMessage.enrollment_id, OutboxMessage.kind)).all())
    assert kinds[passes.id] == "enrollment.completed" and kinds[away.id] == "enrollment.not_completed"
    urdu = db.session.scalar(sa.select(OutboxMessage.body).where(OutboxMessage.enrollment_id == away.id))
    assert "حاضری" in urdu
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("enrollment.finish_not_completed") == 3 and actions.count("enrollment.finish_completed") == 1


def test_overriding_both_ways_with_a_reason(running, enrolled, staff, row_counts):
    place = enrolled(full_name="Ayesha Khan")
    change_status(running, CohortStatus.FINISHED, actor=staff)  # no mark: not completed (marks)
    db.session.commit()
    before = row_counts()
    with pytest.raises(Refusal) as refused:
        override(place, actor=staff, reason="  ")
    db.session.rollback()
    assert (refused.value.field, row_counts()) == ("reason", before)
    assert "Give a reason for overriding the rule" in refused.value.message
    override(place, actor=staff, reason="Her mark sheet arrived late: 71%.")
    db.session.commit()
    assert (place.status, place.not_completed_reason) == (S.COMPLETED, None)
    assert place.completion_override_reason == "Her mark sheet arrived late: 71%."
    (certificate,) = certificates()
    assert certificate.status is CertificateStatus.VALID
    override(place, actor=staff, reason="The mark was copied wrongly: 17%.")
    db.session.commit()
    assert (place.status, place.not_completed_reason) == (S.NOT_COMPLETED, R.MARKS)
    db.session.refresh(certificate)
    assert (certificate.status, certificate.revoked_reason) == (
        CertificateStatus.REVOKED,
        "The mark was copied wrongly: 17%.",
    )
    overrides = sa.select(AuditEvent).where(AuditEvent.action == "enrollment.override").order_by(AuditEvent.id)
    event = db.session.scalars(overrides).all()[-1]
    assert (event.reason, event.after["status"]) == ("The mark was copied wrongly: 17%.", "not_completed")
    assert recount() == []


# Pages -------------------------------------------------------------------------------------------------


def test_the_marks_page_saves_and_refuses_naming_her(client, sign_in, running, enrolled, staff, row_counts):
    fine, away = enrolled(full_name="Ayesha Khan"), enrolled(present=1, held=10, full_name="Sadia Away")
    sign_in(staff)
    page = text(client.get(f"/enrollments/cohorts/{running.code}/marks"))
    assert "Ayesha Khan" in page and "below the threshold: may not sit" in page
    before = row_counts()
    data = {f"mark-{fine.id}": "66", f"mark-{away.id}": "70"}
    refused = decoded(post(client, f"/enrollments/cohorts/{running.code}/marks", data), 422)
    assert "Sadia Away may not sit the assessment: her attendance is 10%" in shown(refused)
    assert "1 mark is not right: nothing was saved." in error_at_top(refused)
    assert row_counts() == before
    data[f"mark-{away.id}"] = ""
    saved = post(client, f"/enrollments/cohorts/{running.code}/marks", data)
    assert "Saved 1 mark." in flashed(decoded(client.get(redirected_to(saved))))
    assert db.session.get(Enrollment, fine.id).mark == Decimal("66.00")


def test_a_mark_sheet_fills_the_page_and_a_wrong_row_is_named(client, sign_in, running, enrolled, staff, row_counts):
    fine, away = enrolled(full_name="Ayesha Khan"), enrolled(present=1, held=10, full_name="Sadia Away")
    sign_in(staff)
    before = row_counts()
    path = f"/enrollments/cohorts/{running.code}/marks/upload"
    sheet = f"Application number,Mark\n{fine.number},81.5\n{away.number},70\n".encode()
    from io import BytesIO

    page = decoded(post(client, path, {"file": (BytesIO(sheet), "marks.csv")}), 422)
    assert "Row 3, Mark: Sadia Away may not sit the assessment" in shown(page)
    good = f"Application number,Mark\n{fine.number},81.5\n".encode()
    page = decoded(post(client, path, {"file": (BytesIO(good), "marks.csv")}))
    assert f'name="mark-{fine.id}" value="81.5"' in page
    assert row_counts() == before  # reading a sheet saves nothing


def test_a_mark_sheet_names_rows_about_nobody_markable_in_the_words_of_marks(
    client, sign_in, running, enrolled, staff, row_counts
):
    from io import BytesIO

    fine = enrolled(full_name="Ayesha Khan")
    sign_in(staff)
    before = row_counts()
    sheet = f"Application number,CNIC,Mark\n999999,,50\n,35202-1234567-9,60\n,,70\n{fine.number},,55\n".encode()
    path = f"/enrollments/cohorts/{running.code}/marks/upload"
    page = shown(decoded(post(client, path, {"file": (BytesIO(sheet), "marks.csv")}), 422))
    assert "The mark sheet has rows that are not right: nothing was saved." in page
    assert "Row 2: no trainee who may be marked now has the application number 999999." in page
    assert "Row 3: no trainee who may be marked now has this CNIC." in page
    assert "Row 4: give the application number or the CNIC." in page
    assert "scored" not in page  # the words of merit score sheets are not a mark sheet's
    assert row_counts() == before


def test_finishing_shows_a_preview_then_decides(client, sign_in, running, enrolled, staff):
    place, unmarked = enrolled(full_name="Ayesha Khan"), enrolled(full_name="Farah Naz")
    place.mark = Decimal(90)
    db.session.commit()
    sign_in(staff)
    preview = shown(text(client.get(f"/courses/staff/cohorts/{running.code}/status?to=finished")))
    assert "1 trainee will complete and get a certificate." in preview
    assert "1 will not complete: mark below the pass mark, or no mark." in preview
    assert "1 trainee has no mark: Farah Naz" in preview
    response = post(client, f"/courses/staff/cohorts/{running.code}/status", {"to": "finished"})
    assert response.status_code in (302, 303)
    assert (db.session.get(Enrollment, place.id).status, db.session.get(Enrollment, unmarked.id).status) == (
        S.COMPLETED,
        S.NOT_COMPLETED,
    )
    roster = shown(text(client.get(f"/enrollments/cohorts/{running.code}/roster?tab=results")))
    assert "Mark below the pass mark, or no mark" in roster and "Override result" in roster


def test_the_trainee_sees_her_attendance_and_result(client, sign_in, running, enrolled, make_user, staff):
    place = enrolled(present=8, held=10, user=make_user(Role.TRAINEE))
    place.mark = Decimal("64.5")
    db.session.commit()
    sign_in(place.trainee.user)
    profile = shown(text(client.get("/auth/profile")))
    assert "present on 8 of 10 class days so far (80%)" in profile and "70% is needed to sit the assessment" in profile
    assert "Your mark: 64.5% (pass mark 50%). Passed" in profile


# API ---------------------------------------------------------------------------------------------------


def test_the_api_takes_marks_all_or_none(client, running, enrolled, staff, row_counts):
    fine, away = enrolled(), enrolled(present=0, held=4)
    headers = bearer(staff)
    before = row_counts()
    path = f"/api/v1/cohorts/{running.id}/marks"
    response = client.put(
        path,
        json={"items": [{"enrollment_id": fine.id, "mark": 75}, {"enrollment_id": away.id, "mark": 80}]},
        headers=headers,
    )
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["items.1.mark"]
    assert row_counts() == before
    response = client.put(
        path,
        json={"items": [{"enrollment_id": fine.id, "mark": 75.25}, {"enrollment_id": away.id, "mark": None}]},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json() == {"changed": 1, "items": [{"enrollment_id": fine.id, "mark": 75.25}]}
    assert client.put(path, json={"items": [{"enrollment_id": fine.id, "mark": 75}]}).status_code == 401


# Two staff finishing at once -------------------------------------------------------------------------------


def test_two_staff_finishing_at_once_decide_once(app, running, enrolled, staff, make_user, centre):
    places = [enrolled(full_name=f"Trainee {n}") for n in range(4)]
    for place in places:
        place.mark = Decimal(80)
    other = make_user(Role.STAFF, centres=(centre,))
    cohort_id, actors = running.id, [staff.id, other.id]
    db.session.commit()  # the test's own transaction must hold no lock while the threads run
    barrier, errors = threading.Barrier(2), []

    def finish(actor_id):
        from auth.models import UserAccount
        from courses.models import Cohort

        with app.app_context():
            try:
                barrier.wait()
                change_status(
                    db.session.get(Cohort, cohort_id),
                    CohortStatus.FINISHED,
                    actor=db.session.get(UserAccount, actor_id),
                )
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=finish, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    # The second waits for the first (the cohort's row), then finds it finished: refused, nothing written.
    assert len(errors) == 1 and isinstance(errors[0], NotPossibleNow), errors
    assert errors[0].message in (
        "Someone changed this cohort's status meanwhile: look again.",
        "A cohort that is finished cannot become finished.",
    )
    assert len(certificates()) == 4 and {c.enrollment_id for c in certificates()} == {p.id for p in places}
    finishes = db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "cohort.status"))
    assert finishes == 1
    assert recount() == []
