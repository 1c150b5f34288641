"""A cohort's class days as a calendar file (iCalendar, RFC 5545) that a phone's calendar app imports: one
weekly repeating event, from the cohort's first class day to its last day, at its shift's hours.

When a shift meets is not written down anywhere else (DESIGN.md is silent; these hours are assumed until centres
keep timetables of their own): morning 09:00–12:00, afternoon 14:00–17:00 and evening 18:00–21:00 from
Monday to Friday; weekend 10:00–16:00 on Saturday and Sunday; Pakistan time (Asia/Karachi).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event

from clock import local_zone
from courses.models import Cohort
from courses.venues import meeting_place
from database import utcnow
from enrollments.models import Enrollment
from links import absolute_url
from vocabulary import EnrollmentStatus, Mode, Shift

WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class ShiftHours:
    """When a shift meets: from ``starts`` to ``ends`` (Pakistan time) on ``days`` (Monday is 0)."""

    starts: time
    ends: time
    days: tuple[int, ...]


SHIFT_HOURS = {
    Shift.MORNING: ShiftHours(time(9), time(12), WEEKDAYS),
    Shift.AFTERNOON: ShiftHours(time(14), time(17), WEEKDAYS),
    Shift.EVENING: ShiftHours(time(18), time(21), WEEKDAYS),
    Shift.WEEKEND: ShiftHours(time(10), time(16), WEEKEND),
}


def first_class_day(cohort: Cohort) -> date | None:
    """The cohort's first day that its shift meets on (None when none falls between its first and last day)."""
    days = SHIFT_HOURS[cohort.shift].days
    day = cohort.starts_on
    while day <= cohort.ends_on:
        if day.weekday() in days:
            return day
        day += timedelta(days=1)
    return None


def calendar_file_name(cohort: Cohort) -> str:
    return f"markaz-{cohort.code.lower()}.ics"


def class_days_event(enrollment: Enrollment, now: datetime) -> Event | None:
    """The repeating event of ``enrollment``'s cohort (None when it has no class day): in the reader's language,
    tentative while she waits for a seat, with where it meets and a link to the cohort's page."""
    cohort = enrollment.cohort
    first = first_class_day(cohort)
    if first is None:
        return None
    hours, zone = SHIFT_HOURS[cohort.shift], local_zone()
    last_end = datetime.combine(cohort.ends_on, hours.ends, tzinfo=zone)
    waiting = enrollment.status is EnrollmentStatus.WAITLISTED
    title = f"{cohort.course.title} ({cohort.code})"
    event = Event()
    # The same UID every time she downloads it: importing it again updates the event instead of copying it.
    event.add("uid", f"{cohort.code.lower()}-{enrollment.id}@{urlsplit(current_app.config['BASE_URL']).hostname}")
    event.add("dtstamp", now)
    event.add("summary", _("Waitlisted: %(course)s", course=title) if waiting else title)
    event.add("dtstart", datetime.combine(first, hours.starts, tzinfo=zone))
    event.add("dtend", datetime.combine(first, hours.ends, tzinfo=zone))
    # RFC 5545: with a DTSTART in a time zone, UNTIL is given in UTC.
    event.add(
        "rrule", {"freq": "weekly", "byday": [DAY_CODES[d] for d in hours.days], "until": last_end.astimezone(UTC)}
    )
    event.add("status", "TENTATIVE" if waiting else "CONFIRMED")
    event.add("location", _("Online") if cohort.mode is Mode.ONLINE else ", ".join(meeting_place(cohort)))
    page = absolute_url("courses.cohort_detail", code=cohort.code)
    note = (
        _("You are on the waitlist: the centre tells you when a seat is yours.")
        if waiting
        else _("Your place at %(centre)s.", centre=cohort.centre.name)
    )
    event.add("description", f"{note}\n{cohort.shift.label} · {cohort.mode.label}\n{page}")
    event.add("url", page)
    return event


def enrollment_calendar(enrollment: Enrollment, now: datetime | None = None) -> bytes:
    """``enrollment``'s class days as an iCalendar file (with the Asia/Karachi time zone it uses)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Markaz//Class days//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = class_days_event(enrollment, now or utcnow())
    if event is not None:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
