"""Issue 17, items 1–2: class days, a day's register, corrections, the at-risk flag and its one message, and
the backfill window; services without HTTP, on SQLite and PostgreSQL, refusals with nothing written, and two
staff saving the same day at once."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from pages import audit_actions
from sqlalchemy import func, select

import clock
from attendance.calendar import class_days, scheduled_days
from attendance.models import AttendanceRegister
from attendance.services import (
    AttendanceRefused,
    add_class_day,
    at_risk_count,
    cancel_class_day,
    is_at_risk,
    on_register,
    take_attendance,
)
from courses.cohorts import change_status
from courses.models import Cohort
from enrollments import services
from enrollments.models import Enrollment
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import CohortStatus, EnrollmentStatus, Role, Shift

S = EnrollmentStatus
# Thursday 19 November 2026, 11:00 in Pakistan. The cohort began on Monday 2 November; 9 November (Iqbal Day)
# is a public holiday.
NOW = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
TODAY = date(2026, 11, 19)
FIRST = date(2026, 11, 2)
FIRST_MORNING = datetime(2026, 10, 30, 6, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def running(app, frozen, make_centre, make_cohort, make_trainee, make_user):
    """A running morning cohort of five enrolled trainees (by name: Trainee A … E) and its centre's staff."""
    centre = make_centre()
    cohort = make_cohort(
        centre, starts_on=FIRST, ends_on=date(2026, 12, 31), shift=Shift.MORNING, seats=5, applications_close_at=None
    )
    staff = make_user(Role.STAFF, centres=(centre,))
    trainees = [make_trainee(full_name=f"Trainee {letter}") for letter in "ABCDE"]
    places = [services.register(trainee, cohort, actor=staff, now=FIRST_MORNING).enrollment for trainee in trainees]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    return {"cohort": cohort, "places": places, "staff": staff, "centre": centre}


def ids(places, *letters):
    return [places["ABCDE".index(letter)].id for letter in letters]


def take(world, day, absent=(), late=(), reason="", now=NOW):
    register = take_attendance(
        world["cohort"],
        day,
        absent=ids(world["places"], *absent),
        late=ids(world["places"], *late),
        actor=world["staff"],
        reason=reason,
        now=now,
    )
    db.session.commit()
    return register


def place(world, letter) -> Enrollment:
    found = db.session.get(Enrollment, world["places"]["ABCDE".index(letter)].id)
    db.session.refresh(found)
    return found


def at_risk_messages() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "attendance.at_risk"))


# Class days ------------------------------------------------------------------------------------------------


def test_class_days_follow_the_shift_and_skip_weekends_and_fixed_holidays(running):
    days = [day for day in class_days(running["cohort"]) if day <= TODAY]
    assert days[:5] == [date(2026, 11, d) for d in (2, 3, 4, 5, 6)]
    assert date(2026, 11, 7) not in days and date(2026, 11, 9) not in days  # Saturday; Iqbal Day
    assert len(days) == 13
    assert date(2026, 12, 25) not in class_days(running["cohort"])


def test_a_weekend_cohort_meets_on_saturday_and_sunday(make_cohort):
    cohort = make_cohort(starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 15), shift=Shift.WEEKEND)
    assert scheduled_days(cohort) == [date(2026, 11, d) for d in (7, 8, 14, 15)]


def test_staff_add_a_make_up_day_and_cancel_one(running, row_counts):
    cohort, staff = running["cohort"], running["staff"]
    add_class_day(cohort, date(2026, 11, 21), reason="Make-up class after the holiday", actor=staff)
    cancel_class_day(cohort, date(2026, 11, 20), reason="Power cut", actor=staff)
    db.session.commit()
    days = class_days(cohort)
    assert date(2026, 11, 21) in days and date(2026, 11, 20) not in days
    assert audit_actions()[-2:] == ["cohort.class_day_add", "cohort.class_day_cancel"]
    add_class_day(cohort, date(2026, 11, 20), reason="Power is back", actor=staff)  # a cancelled day again
    db.session.commit()
    assert date(2026, 11, 20) in class_days(cohort)


@pytest.mark.parametrize(
    ("change", "day", "reason", "field", "message"),
    [
        ("add", date(2026, 11, 19), "Extra", "day", "meets on 19 Nov 2026 already"),
        ("add", date(2027, 1, 9), "Extra", "day", "Choose a day from 02 Nov 2026 to 31 Dec 2026"),
        ("add", date(2026, 11, 21), "  ", "reason", "Say why the class meets that day"),
        ("cancel", date(2026, 11, 21), "Holiday", "day", "does not meet on 21 Nov 2026"),
        ("cancel", date(2026, 11, 20), "", "reason", "Say why the class is cancelled"),
    ],
)
def test_a_change_of_class_days_is_refused_with_its_reason(running, row_counts, change, day, reason, field, message):
    before = row_counts()
    call = add_class_day if change == "add" else cancel_class_day
    with pytest.raises(AttendanceRefused) as refused:
        call(running["cohort"], day, reason=reason, actor=running["staff"])
    db.session.rollback()
    assert refused.value.field == field and message in refused.value.message
    assert row_counts() == before


def test_a_day_whose_attendance_was_taken_cannot_be_cancelled(running, row_counts):
    take(running, date(2026, 11, 18))
    before = row_counts()
    with pytest.raises(AttendanceRefused, match="correct the register instead"):
        cancel_class_day(running["cohort"], date(2026, 11, 18), reason="Oops", actor=running["staff"])
    db.session.rollback()
    assert row_counts() == before


# The register ----------------------------------------------------------------------------------------------


def test_everyone_is_present_but_those_marked_absent_or_late(running):
    register = take(running, TODAY, absent="B", late="C")
    assert register.marked_count == 5 and register.present_count == 4
    assert register.status_of(ids(running["places"], "A")[0]) == "present"
    assert register.status_of(ids(running["places"], "C")[0]) == "late"
    b, c = place(running, "B"), place(running, "C")
    assert (b.days_marked, b.days_present, b.absent_streak) == (1, 0, 1)
    assert (c.days_marked, c.days_present, c.absent_streak) == (1, 1, 0)
    cohort = db.session.get(Cohort, running["cohort"].id)
    assert (cohort.attendance_marked, cohort.attendance_present) == (5, 4)
    assert audit_actions()[-1] == "cohort.attendance"


def test_saving_today_again_replaces_the_marks_and_is_audited_as_a_correction(running):
    take(running, TODAY, absent="AB")
    register = take(running, TODAY, absent="C")
    assert register.absent == ids(running["places"], "C") and register.corrections == 1
    assert place(running, "A").days_present == 1 and place(running, "C").days_present == 0
    cohort = db.session.get(Cohort, running["cohort"].id)
    assert (cohort.attendance_marked, cohort.attendance_present) == (5, 4)
    assert audit_actions()[-2:] == ["cohort.attendance", "cohort.attendance_correct"]


def test_a_past_day_is_corrected_only_with_a_reason(running, row_counts):
    take(running, date(2026, 11, 17), absent="A")
    before = row_counts()
    with pytest.raises(services.ReasonRequired) as refused:
        take(running, date(2026, 11, 17), absent=())
    db.session.rollback()
    assert refused.value.field == "reason" and "say why you correct it" in refused.value.message
    assert row_counts() == before and place(running, "A").days_present == 0
    take(running, date(2026, 11, 17), absent=(), reason="She came in late; the sheet was wrong")
    assert place(running, "A").days_present == 1
    assert audit_actions()[-1] == "cohort.attendance_correct"


@pytest.mark.parametrize(
    ("day", "absent", "late", "field", "message"),
    [
        (date(2026, 11, 20), "", "", "day", "has not come yet"),
        (date(2026, 11, 14), "", "", "day", "does not meet on 14 Nov 2026"),
        (date(2026, 11, 9), "", "", "day", "does not meet on 09 Nov 2026"),
        (TODAY, "A", "A", "late", "Trainee A is marked both absent and late"),
    ],
)
def test_a_register_is_refused_with_its_reason_and_nothing_written(
    running, row_counts, day, absent, late, field, message
):
    before = row_counts()
    with pytest.raises(AttendanceRefused) as refused:
        take(running, day, absent=absent, late=late)
    db.session.rollback()
    assert refused.value.field == field and message in refused.value.message
    assert row_counts() == before


def test_only_places_enrolled_that_day_are_marked(running, make_trainee, make_enrollment, row_counts):
    waiting = make_enrollment(make_trainee(), running["cohort"], status=S.WAITLISTED)
    before = row_counts()
    with pytest.raises(AttendanceRefused) as refused:
        take_attendance(running["cohort"], TODAY, absent=[waiting.id], actor=running["staff"], now=NOW)
    db.session.rollback()
    assert refused.value.field == "absent"
    assert f"Place {waiting.id} is not on this day's register" in refused.value.message
    assert row_counts() == before


def test_a_cohort_not_running_takes_no_attendance(running, make_cohort, row_counts):
    cohort = make_cohort(running["centre"], starts_on=FIRST)  # open
    before = row_counts()
    with pytest.raises(services.NotPossibleNow, match="attendance is taken once it is running"):
        take_attendance(cohort, TODAY, actor=running["staff"], now=NOW)
    db.session.rollback()
    assert row_counts() == before


def test_staff_of_another_centre_cannot_take_attendance(running, make_user, make_centre, row_counts):
    other = make_user(Role.STAFF, centres=(make_centre(),))
    before = row_counts()
    with pytest.raises(services.NotAllowed):
        take_attendance(running["cohort"], TODAY, actor=other, now=NOW)
    db.session.rollback()
    assert row_counts() == before


def test_a_place_dropped_later_stays_on_earlier_registers_but_not_on_later_ones(running):
    take(running, date(2026, 11, 17))
    dropped = place(running, "E")
    services.drop(dropped, actor=running["staff"], reason="Moved away", now=NOW)
    db.session.commit()
    assert dropped.id in {p.id for p in on_register(running["cohort"], date(2026, 11, 17), None)}
    register = take(running, TODAY)
    assert dropped.id not in register.marked and register.marked_count == 4


def test_days_marked_out_of_order_count_as_in_order(running):
    take(running, date(2026, 11, 18), absent="A")
    take(running, date(2026, 11, 16), absent="A")
    take(running, date(2026, 11, 17))  # present in between: the streak is the last day's only
    a = place(running, "A")
    assert (a.days_marked, a.days_present, a.absent_streak) == (3, 1, 1)


# At risk ---------------------------------------------------------------------------------------------------


def test_three_absences_in_a_row_flag_her_at_risk_and_send_one_message(running):
    for day in (16, 17, 18):
        take(running, date(2026, 11, day), absent="B")
    b = place(running, "B")
    assert is_at_risk(b) and b.at_risk_notified_at is not None
    assert at_risk_messages() == 1  # SMS (she gave no email)
    assert at_risk_count(running["centre"].id) == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "attendance.at_risk"))
    assert message.enrollment_id == b.id and "3 class days in a row" in message.body
    take(running, TODAY, absent="B")  # the same streak: no second message
    assert at_risk_messages() == 1


def test_a_new_streak_after_she_came_back_sends_a_new_message(running):
    for day in (4, 5, 6):
        take(running, date(2026, 11, day), absent="B")
    take(running, date(2026, 11, 10))
    assert not is_at_risk(place(running, "B")) and place(running, "B").at_risk_notified_at is None
    for day in (11, 12, 13):
        take(running, date(2026, 11, day), absent="B")
    assert at_risk_messages() == 2


def test_her_message_is_in_her_language(running):
    b = place(running, "B")
    b.trainee.language = "ur"
    db.session.commit()
    for day in (16, 17, 18):
        take(running, date(2026, 11, day), absent="B")
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "attendance.at_risk"))
    assert any("\u0600" <= char <= "\u06ff" for char in body)


def test_a_correction_that_ends_the_streak_takes_the_flag_away(running):
    for day in (16, 17, 18):
        take(running, date(2026, 11, day), absent="B")
    take(running, date(2026, 11, 17), reason="She was there: wrong row ticked")
    b = place(running, "B")
    assert b.absent_streak == 1 and not is_at_risk(b) and b.at_risk_notified_at is None


@pytest.mark.app_config(AT_RISK_ABSENCES=2)
def test_the_number_of_absences_is_a_setting(fresh_app, running):
    for day in (17, 18):
        take(running, date(2026, 11, day), absent="B")
    assert is_at_risk(place(running, "B"))


# Two staff at once -----------------------------------------------------------------------------------------


def test_two_staff_saving_the_same_day_at_once_lose_nothing(app, running, make_user):
    second = make_user(Role.STAFF, centres=(running["centre"],))
    cohort_id, first_id, second_id = running["cohort"].id, running["staff"].id, second.id
    first_absent, second_absent = ids(running["places"], "A", "B"), ids(running["places"], "C")
    db.session.commit()  # the test's own transaction must hold no lock while the threads run
    barrier = threading.Barrier(2)
    errors = []

    def save(user_id, absent):
        with app.app_context():
            try:
                from auth.models import UserAccount

                barrier.wait()
                actor = db.session.get(UserAccount, user_id)
                take_attendance(db.session.get(Cohort, cohort_id), TODAY, absent=absent, actor=actor, now=NOW)
                db.session.commit()
            except BaseException as error:  # reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(first_id, first_absent)),
        threading.Thread(target=save, args=(second_id, second_absent)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    assert errors == []
    registers = db.session.scalars(select(AttendanceRegister).where(AttendanceRegister.cohort_id == cohort_id)).all()
    assert len(registers) == 1
    register = registers[0]
    assert register.absent in (first_absent, second_absent) and register.corrections == 1  # the later one, whole
    cohort = db.session.get(Cohort, cohort_id)
    assert (cohort.attendance_marked, cohort.attendance_present) == (5, 5 - len(register.absent))
    for enrollment in running["places"]:
        db.session.refresh(enrollment)
        assert enrollment.days_present == (0 if enrollment.id in register.absent else 1)
    assert sorted(audit_actions()[-2:]) == ["cohort.attendance", "cohort.attendance_correct"]


# The backfill window ---------------------------------------------------------------------------------------


@pytest.fixture
def full_with_a_line(app, make_centre, make_cohort, make_trainee, make_user):
    """An open first-come cohort of two seats starting today (the real today: every lock settles the cohort
    at the real time), both taken, one trainee in line."""
    centre = make_centre()
    cohort = make_cohort(centre, starts_on=clock.local_today(), seats=2, applications_close_at=None)
    staff = make_user(Role.STAFF, centres=(centre,))
    places = [services.register(make_trainee(), cohort, actor=staff).enrollment for _ in range(3)]
    db.session.commit()
    assert [p.status for p in places] == [S.ENROLLED, S.ENROLLED, S.WAITLISTED]
    return {"cohort": cohort, "places": places, "staff": staff}


def test_starting_a_cohort_keeps_its_line_during_the_backfill_window(full_with_a_line):
    cohort, staff, places = full_with_a_line["cohort"], full_with_a_line["staff"], full_with_a_line["places"]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    assert db.session.get(Enrollment, places[2].id).status is S.WAITLISTED
    services.drop(places[0], actor=staff, reason="Never came", now=clock.utcnow() + timedelta(days=2))
    db.session.commit()
    promoted = db.session.get(Enrollment, places[2].id)
    assert promoted.status is S.ENROLLED and promoted.started_training


def test_after_the_window_the_line_ends_when_the_cohort_is_next_touched(full_with_a_line):
    cohort, staff, places = full_with_a_line["cohort"], full_with_a_line["staff"], full_with_a_line["places"]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    later = clock.utcnow() + timedelta(days=cohort.backfill_days)
    services.drop(places[0], actor=staff, reason="Never came", now=later)
    db.session.commit()
    assert db.session.get(Enrollment, places[2].id).status is S.CANCELLED
    assert db.session.get(Cohort, cohort.id).enrolled_count == 1


def test_the_timer_ends_the_line_once_the_window_has_closed(full_with_a_line):
    cohort, staff, places = full_with_a_line["cohort"], full_with_a_line["staff"], full_with_a_line["places"]
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    later = clock.utcnow() + timedelta(days=cohort.backfill_days)
    assert cohort.id not in services.due_cohorts(clock.utcnow())
    assert cohort.id in services.due_cohorts(later)
    services.settle_for_timer(cohort.id, now=later)
    db.session.commit()
    assert db.session.get(Enrollment, places[2].id).status is S.CANCELLED


def test_a_cohort_without_a_window_ends_its_line_when_it_starts(full_with_a_line):
    cohort, staff, places = full_with_a_line["cohort"], full_with_a_line["staff"], full_with_a_line["places"]
    cohort.backfill_days = 0
    db.session.commit()
    change_status(cohort, CohortStatus.RUNNING, actor=staff)
    db.session.commit()
    assert db.session.get(Enrollment, places[2].id).status is S.CANCELLED
