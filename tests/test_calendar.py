"""Add to calendar (issue 14, item 6): a trainee downloads her cohort's class days as an .ics file from her
applications page, for a place she holds or waits for, and nobody else's."""

from datetime import date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar
from pages import text

from clock import local_zone
from courses.calendar import SHIFT_HOURS, first_class_day
from vocabulary import EnrollmentStatus, Mode, Role, Shift

KARACHI = local_zone()
# A Saturday: weekday shifts first meet on the Monday after.
FIRST_DAY = date(2027, 1, 2)
LAST_DAY = date(2027, 1, 29)


@pytest.fixture
def cohort(make_cohort, make_course, make_centre):
    centre = make_centre(name="Arfa Tower Digital Centre", address="Arfa Software Technology Park, Lahore")
    return make_cohort(
        centre,
        make_course(title="Web Development Foundations"),
        code="PB-LHR-01-C03",
        starts_on=FIRST_DAY,
        ends_on=LAST_DAY,
        shift=Shift.EVENING,
    )


@pytest.fixture
def her(make_trainee, make_user):
    return make_trainee(user=make_user(Role.TRAINEE))


def downloaded(client, enrollment) -> Calendar:
    response = client.get(f"/enrollments/{enrollment.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == 'attachment; filename="markaz-pb-lhr-01-c03.ics"'
    return Calendar.from_ical(response.data)


def occurrences(event) -> list[datetime]:
    start = event.decoded("dtstart")
    return list(rrulestr(event["rrule"].to_ical().decode(), dtstart=start))


def test_her_place_is_an_event_on_each_class_day_at_the_shifts_hours(client, sign_in, her, cohort, make_enrollment):
    enrollment = make_enrollment(her, cohort)
    sign_in(her.user)
    [event] = downloaded(client, enrollment).walk("VEVENT")
    assert str(event["summary"]) == "Web Development Foundations (PB-LHR-01-C03)"
    assert str(event["status"]) == "CONFIRMED"
    assert event.decoded("dtstart") == datetime(2027, 1, 4, 18, tzinfo=KARACHI)  # the first Monday
    assert event.decoded("dtend") == datetime(2027, 1, 4, 21, tzinfo=KARACHI)
    days = occurrences(event)
    # Monday to Friday, four weeks: 20 evenings, the last on the cohort's last day.
    assert len(days) == 20 and days[-1] == datetime(2027, 1, 29, 18, tzinfo=KARACHI)
    assert all(day.weekday() < 5 and day.hour == 18 for day in days)
    assert "Arfa Software Technology Park" in str(event["location"])
    assert str(event["url"]).endswith("/courses/cohorts/PB-LHR-01-C03")


def test_the_calendar_names_its_time_zone(client, sign_in, her, cohort, make_enrollment):
    enrollment = make_enrollment(her, cohort)
    sign_in(her.user)
    calendar = downloaded(client, enrollment)
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Asia/Karachi"]


def test_a_weekend_cohort_meets_on_saturdays_and_sundays(client, sign_in, her, cohort, make_enrollment):
    cohort.shift = Shift.WEEKEND
    enrollment = make_enrollment(her, cohort)
    sign_in(her.user)
    [event] = downloaded(client, enrollment).walk("VEVENT")
    days = occurrences(event)
    assert days[0] == datetime(2027, 1, 2, 10, tzinfo=KARACHI)
    assert event.decoded("dtend") == datetime(2027, 1, 2, 16, tzinfo=KARACHI)
    assert len(days) == 8 and {day.weekday() for day in days} == {5, 6}


def test_waiting_for_a_seat_is_a_tentative_event(client, sign_in, her, cohort, make_enrollment):
    enrollment = make_enrollment(her, cohort, status=EnrollmentStatus.WAITLISTED)
    sign_in(her.user)
    [event] = downloaded(client, enrollment).walk("VEVENT")
    assert str(event["status"]) == "TENTATIVE"
    assert str(event["summary"]).startswith("Waitlisted: ")


def test_an_online_cohort_meets_online(client, sign_in, her, cohort, make_enrollment):
    cohort.mode = Mode.ONLINE
    enrollment = make_enrollment(her, cohort)
    sign_in(her.user)
    [event] = downloaded(client, enrollment).walk("VEVENT")
    assert str(event["location"]) == "Online"


def test_the_calendar_is_in_her_language(client, sign_in, her, cohort, make_enrollment):
    enrollment = make_enrollment(her, cohort, status=EnrollmentStatus.WAITLISTED)
    sign_in(her.user)
    client.set_cookie("markaz_lang", "ur")
    [event] = downloaded(client, enrollment).walk("VEVENT")
    assert not str(event["summary"]).startswith("Waitlisted")


@pytest.mark.parametrize("shift", list(Shift))
def test_every_shift_has_hours_and_a_first_day(shift, cohort):
    hours = SHIFT_HOURS[shift]
    assert hours.starts < hours.ends and hours.days
    cohort.shift = shift
    assert first_class_day(cohort).weekday() in hours.days


def test_a_cohort_with_no_class_day_gives_an_empty_calendar(client, sign_in, her, cohort, make_enrollment):
    cohort.starts_on, cohort.ends_on = date(2027, 1, 4), date(2027, 1, 8)  # Monday to Friday
    cohort.shift = Shift.WEEKEND
    enrollment = make_enrollment(her, cohort)
    sign_in(her.user)
    assert downloaded(client, enrollment).walk("VEVENT") == []


def test_the_applications_page_links_held_and_waiting_places_only(client, sign_in, her, make_cohort, make_enrollment):
    places = {
        status: make_enrollment(her, make_cohort(), status=status)
        for status in (
            EnrollmentStatus.ENROLLED,
            EnrollmentStatus.WAITLISTED,
            EnrollmentStatus.PENDING,
            EnrollmentStatus.WITHDRAWN,
        )
    }
    sign_in(her.user)
    page = text(client.get("/auth/profile"))
    linked = {status for status, place in places.items() if f"/enrollments/{place.id}/calendar.ics" in page}
    assert linked == {EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED}
    assert "Add to calendar" in page


@pytest.mark.parametrize("status", [EnrollmentStatus.PENDING, EnrollmentStatus.WITHDRAWN, EnrollmentStatus.REJECTED])
def test_no_calendar_for_a_place_she_does_not_hold(client, sign_in, her, cohort, make_enrollment, status):
    enrollment = make_enrollment(her, cohort, status=status)
    sign_in(her.user)
    assert client.get(f"/enrollments/{enrollment.id}/calendar.ics").status_code == 404


def test_only_her_own_calendar(client, sign_in, her, cohort, make_enrollment, make_trainee, make_user):
    enrollment = make_enrollment(her, cohort)
    other = make_trainee(user=make_user(Role.TRAINEE))
    sign_in(other.user)
    assert client.get(f"/enrollments/{enrollment.id}/calendar.ics").status_code == 403
    assert client.get(f"/enrollments/{enrollment.id + 1000}/calendar.ics").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.OVERSEER, Role.ADMIN])
def test_staff_overseers_and_admins_get_no_calendar(client, sign_in, her, cohort, make_enrollment, make_user, role):
    enrollment = make_enrollment(her, cohort)
    sign_in(make_user(role, centres=(cohort.centre,) if role is Role.STAFF else ()))
    assert client.get(f"/enrollments/{enrollment.id}/calendar.ics").status_code == 403


def test_signed_out_readers_are_sent_to_sign_in(client, her, cohort, make_enrollment):
    enrollment = make_enrollment(her, cohort)
    response = client.get(f"/enrollments/{enrollment.id}/calendar.ics")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_first_class_day_skips_days_the_shift_does_not_meet(cohort):
    assert first_class_day(cohort) == FIRST_DAY + timedelta(days=2)
