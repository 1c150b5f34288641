"""The course catalogue as admins manage it: add a course, change one.

Every function takes the acting user, checks all its rules before it writes anything, records one audit
event per change, flushes and never commits: the request commits once. Refusals name the field concerned.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from audit.events import record, snapshot
from auth.models import UserAccount
from centres.services import required_text, tidy_text
from courses.models import Course
from enrollments.services.marks import read_mark
from extensions import db
from outcomes import rollups
from refusals import Conflict, Refusal
from vocabulary import Education, Level, Track

# Three letters for the track, three digits: SWD-101.
COURSE_CODE = re.compile(r"[A-Z]{3}-[0-9]{3}")
COURSE_FIELDS = (
    "code",
    "title",
    "track",
    "summary",
    "weeks",
    "level",
    "min_age",
    "max_age",
    "min_education",
    "pass_mark",
    "attendance_threshold",
)
# DESIGN.md, "Attendance, assessment and certificates": the defaults of a course's assessment rule.
DEFAULT_PASS_MARK, DEFAULT_ATTENDANCE_THRESHOLD = Decimal(50), 70
MIN_WEEKS, MAX_WEEKS = 1, 104
# Trainees are 14 to 100 years old (enrollments.identity.check_date_of_birth): other limits mean nothing.
YOUNGEST, OLDEST = 14, 100


@dataclass(frozen=True)
class CourseDetails:
    """A course as an admin describes it. ``code`` is chosen once, when the course is created; ages are
    optional (None: no limit)."""

    code: str
    title: str
    track: Track | None
    summary: str
    weeks: int | None
    level: Level | None
    min_age: int | None
    max_age: int | None
    min_education: Education | None
    # The assessment rule (percent): the mark that passes (two decimals at most), and the attendance needed to
    # sit the assessment (a whole percent).
    pass_mark: Any = DEFAULT_PASS_MARK
    attendance_threshold: int | None = DEFAULT_ATTENDANCE_THRESHOLD


def normalise_course_code(code: str | None) -> str:
    """``swd-101`` → ``SWD-101``; ``Refusal`` on "code" unless the result has the course code format."""
    cleaned = (code or "").strip().upper()
    if not cleaned:
        raise Refusal(_("Enter the course code, e.g. SWD-101."), "code")
    if not COURSE_CODE.fullmatch(cleaned):
        raise Refusal(_("A course code is three letters and three digits, e.g. SWD-101."), "code")
    return cleaned


def _checked_age(age: int | None, field: str) -> int | None:
    if age is not None and not YOUNGEST <= age <= OLDEST:
        raise Refusal(
            _(
                "Ages run from %(youngest)s (the youngest trainees) to %(oldest)s; leave it empty for no limit.",
                youngest=YOUNGEST,
                oldest=OLDEST,
            ),
            field,
        )
    return age


def _checked(details: CourseDetails) -> dict:
    """The course's fields from ``details``, cleaned; refuses the first one that is wrong."""
    title = required_text(
        details.title, field="title", what=_("The title"), max_length=160, missing=_("Enter the title.")
    )
    track = Track.parse(details.track)
    if track is None:
        raise Refusal(_("Choose the track the course belongs to."), "track")
    summary = tidy_text(details.summary, field="summary", what=_("The summary"), max_length=4000, multiline=True)
    weeks = details.weeks
    if weeks is None:
        raise Refusal(_("Enter how many weeks the course lasts."), "weeks")
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise Refusal(
            _("A course lasts from %(fewest)s to %(most)s weeks (two years).", fewest=MIN_WEEKS, most=MAX_WEEKS),
            "weeks",
        )
    level = Level.parse(details.level)
    if level is None:
        raise Refusal(_("Choose the level of the course."), "level")
    min_age = _checked_age(details.min_age, "min_age")
    max_age = _checked_age(details.max_age, "max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise Refusal(_("The highest age cannot be below the lowest age (%(age)s).", age=min_age), "max_age")
    min_education = Education.parse(details.min_education)
    if min_education is None:
        raise Refusal(_("Choose the education needed (or no formal education)."), "min_education")
    try:
        pass_mark = read_mark(details.pass_mark)
    except Refusal:
        pass_mark = None
    if pass_mark is None:
        raise Refusal(_("Enter the pass mark as a percent from 0 to 100, with at most two decimals."), "pass_mark")
    threshold = details.attendance_threshold
    if threshold is None or not 0 <= threshold <= 100:
        raise Refusal(
            _("Enter the attendance needed to sit the assessment as a whole percent from 0 to 100."),
            "attendance_threshold",
        )
    return {
        "pass_mark": pass_mark,
        "attendance_threshold": threshold,
        "title": title,
        "track": track,
        "summary": summary,
        "weeks": weeks,
        "level": level,
        "min_age": min_age,
        "max_age": max_age,
        "min_education": min_education,
    }


def create_course(details: CourseDetails, *, actor: UserAccount) -> Course:
    """Add a course to the catalogue and record ``course.create``.

    Rules: the code has the form SWD-101 (typed in any case) and no other course has it (``Conflict``
    on "code"); title, track, level and education needed are given; a course lasts 1 to 104 weeks; ages
    are empty or from 14 to 100, the lowest not above the highest; the pass mark is a percent from 0 to 100
    with at most two decimals, the attendance threshold a whole percent from 0 to 100. Raises ``Refusal``
    naming the field, before anything is written."""
    code = normalise_course_code(details.code)
    values = _checked(details)
    existing = db.session.scalar(select(Course).where(Course.code == code))
    if existing is not None:
        raise Conflict(
            _("The code %(code)s belongs to “%(course)s” already: choose another.", code=code, course=existing.title),
            "code",
        )
    course = Course(code=code, **values)
    db.session.add(course)
    record(actor, "course.create", course, after=snapshot(course, COURSE_FIELDS))
    return course


def update_course(course: Course, details: CourseDetails, *, actor: UserAccount) -> Course:
    """Change a course's title, track, summary, length, level or eligibility, and record
    ``course.update`` with the state before and after (nothing is recorded when nothing changed).

    The code never changes once a course exists (public links and cohorts use it): a different code is
    refused. The other rules are those of ``create_course``. Cohorts already running keep their dates;
    eligibility applies to applications made from now on."""
    if (details.code or "").strip().upper() != course.code:
        raise Refusal(_("A course's code cannot change once the course exists."), "code")
    values = _checked(details)
    before = snapshot(course, COURSE_FIELDS)
    # The outcomes report's roll-ups group graduates by their course's track: a new track moves the course's
    # graduates to it, in this transaction.
    retracked = values["track"] != course.track
    if retracked:
        rollups.shift(-1, course_id=course.id)
    for name, value in values.items():
        setattr(course, name, value)
    db.session.flush()
    if retracked:
        rollups.shift(+1, course_id=course.id)
    after = snapshot(course, COURSE_FIELDS)
    if after != before:
        record(actor, "course.update", course, before=before, after=after)
    return course
