"""Assessment marks (DESIGN.md, "Attendance, assessment and certificates"): staff enter each enrolled
trainee's mark, in percent with at most two decimals, on the Marks page, from an uploaded sheet
(``enrollments.mark_sheets``) or through the API, all or none.

To sit the assessment a trainee needs the course's attendance threshold (``attendance_met``): a mark for a
trainee below it is refused, naming her. The rule that decides completion from these marks when the cohort
finishes is ``enrollments.services.completion``.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_enter_marks
from courses.models import Course
from database import utcnow
from enrollments.identity import DECIMAL_DIGITS
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import lock_cohort
from enrollments.services.rules import NotAllowed, NotPossibleNow
from enrollments.tallies import keep_tallies
from extensions import db
from listing import LARGEST_ID
from refusals import EntriesRefused, EntryProblem, Refusal
from vocabulary import CohortStatus, EnrollmentStatus

S = EnrollmentStatus
HIGHEST_MARK = Decimal(100)
CENT = Decimal("0.01")
# The most marks entered at once (a sheet holds at most as many rows as an imported list).
MAX_MARKS_AT_ONCE = 20_000


# Attendance to sit the assessment ----------------------------------------------------------------------


def attendance_percent(enrollment: Enrollment) -> Decimal | None:
    """Her attendance, in percent: the class days she was present or late (late counts as present) of the
    class days held while she was enrolled, as the attendance package counts them on her place
    (``Enrollment.days_present`` of ``days_marked``, kept by ``attendance.services.recount_places``; the same
    share as ``attendance.services.attendance_share``). None before any day was marked."""
    if not enrollment.days_marked:
        return None
    return Decimal(enrollment.days_present * 100) / Decimal(enrollment.days_marked)


def attendance_met(enrollment: Enrollment, course: Course) -> bool:
    """Whether her attendance reaches the course's threshold (``Course.attendance_threshold``, percent): present
    × 100 ≥ threshold × days held, in whole numbers (exactly at the threshold meets it). With no class day
    marked, only a threshold of 0 is met."""
    if not enrollment.days_marked:
        return course.attendance_threshold == 0
    return enrollment.days_present * 100 >= course.attendance_threshold * enrollment.days_marked


def passed(mark: Decimal | None, course: Course) -> bool:
    """Whether ``mark`` passes: at or above the course's pass mark. No mark never passes."""
    return mark is not None and mark >= course.pass_mark


# Reading marks ---------------------------------------------------------------------------------------


def read_mark(value: Any) -> Decimal | None:
    """A mark as typed (``72``, ``72.5``, ``٧٢٫٥``, ``72%``, a number cell): a number from 0 to 100 with at most
    two decimals. None when empty (not marked). ``Refusal`` on "mark" otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    wrong = Refusal(_("Enter the mark as a percent from 0 to 100, e.g. 72.5."), "mark")
    if isinstance(value, bool):
        raise wrong
    text = str(value).strip().translate(DECIMAL_DIGITS).replace("٫", ".").rstrip("%٪").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise wrong from None
    if not number.is_finite() or not 0 <= number <= HIGHEST_MARK:
        raise wrong
    if number != number.quantize(CENT):
        raise Refusal(_("A mark has at most two decimals, e.g. 72.25."), "mark")
    return number.quantize(CENT)


def markable_places(cohort) -> list[Enrollment]:
    """The places of ``cohort`` that may be marked: enrolled ones, with their trainees, by name."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .join(Enrollment.trainee)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.ENROLLED)
            .options(selectinload(Enrollment.trainee))
            .order_by(Trainee.full_name, Enrollment.id)
        )
    )


# Entering marks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkEntry:
    """A mark for one place as given (typed text, a number cell, or None for a blank: not marked)."""

    enrollment_id: Any
    mark: Any


class MarksRefused(EntriesRefused):
    """Some of the marks given are wrong: nothing was saved. ``problems`` names each entry and field
    ("enrollment_id" or "mark")."""

    code = "invalid_marks"

    def __init__(self, problems: list[EntryProblem]) -> None:
        super().__init__(
            ngettext(
                "%(num)d mark is not right: nothing was saved. Correct it and save again.",
                "%(num)d marks are not right: nothing was saved. Correct them and save again.",
                len(problems),
            ),
            problems,
        )


def require_marking(cohort) -> None:
    """Marks are entered while the cohort runs. Before, nobody has sat the assessment; once finished, the
    results were decided on the marks as they were (a decision changes by override, not by a new mark)."""
    if cohort.status is CohortStatus.FINISHED:
        raise NotPossibleNow(
            _(
                "This cohort has finished: its results were decided on the marks entered. To change a trainee's "
                "result, override it on the roster with a reason."
            ),
            "items",
        )
    if cohort.status is not CohortStatus.RUNNING:
        raise NotPossibleNow(
            _("This cohort is %(status)s: marks are entered once it is running.", status=cohort.status.label.lower()),
            "items",
        )


def check_marks(cohort, entries: list[MarkEntry]) -> list[tuple[Enrollment, Decimal | None]]:
    """The marks ``entries`` would change, read-only (an uploaded sheet is checked so before it is shown for
    saving): 1 to 20,000 entries, each naming an enrolled place of this running cohort once, with a mark from
    0 to 100 with at most two decimals, or blank (not marked: a mark saved before is cleared). A mark for a
    trainee whose attendance is below the course's threshold is refused, naming her: she may not sit the
    assessment. ``NotPossibleNow`` unless the cohort runs (``require_marking``); ``MarksRefused`` listing
    every problem. Returns (place, mark) for each place whose mark differs."""
    if not entries:
        raise Refusal(_("Enter the mark of at least one trainee."), "items")
    if len(entries) > MAX_MARKS_AT_ONCE:
        raise Refusal(_("Enter at most %(most)s marks at once.", most=format_number(MAX_MARKS_AT_ONCE)), "items")
    require_marking(cohort)
    course = cohort.course
    wanted = {entry.enrollment_id for entry in entries if is_row_id(entry.enrollment_id)}
    places = {
        place.id: place
        for place in db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.id.in_(wanted))
            .options(selectinload(Enrollment.trainee))
        )
    }
    problems: list[EntryProblem] = []
    seen: set[int] = set()
    changes: list[tuple[Enrollment, Decimal | None]] = []
    for index, entry in enumerate(entries):
        place = places.get(entry.enrollment_id) if is_row_id(entry.enrollment_id) else None
        if place is None:
            problems.append(EntryProblem(index, "enrollment_id", _("No trainee with this number in this cohort.")))
            continue
        if place.id in seen:
            problems.append(
                EntryProblem(index, "enrollment_id", _("%(name)s is given twice.", name=place.trainee.full_name))
            )
            continue
        seen.add(place.id)
        if place.status is not S.ENROLLED:
            problems.append(
                EntryProblem(
                    index,
                    "enrollment_id",
                    _(
                        "%(name)s is %(status)s: only enrolled trainees are marked.",
                        name=place.trainee.full_name,
                        status=place.status.label.lower(),
                    ),
                )
            )
            continue
        try:
            mark = read_mark(entry.mark)
        except Refusal as refusal:
            problems.append(EntryProblem(index, "mark", refusal.message))
            continue
        if mark is not None and not attendance_met(place, course):
            share = attendance_percent(place)
            problems.append(
                EntryProblem(
                    index,
                    "mark",
                    _(
                        "%(name)s may not sit the assessment: her attendance is %(attendance)s%%, below the "
                        "%(threshold)s%% the course needs.",
                        name=place.trainee.full_name,
                        attendance=format_number(round(share or 0, 1)),
                        threshold=format_number(course.attendance_threshold),
                    ),
                )
            )
            continue
        if place.mark != mark:
            changes.append((place, mark))
    if problems:
        raise MarksRefused(problems)
    return changes


def enter_marks(
    cohort, entries: list[MarkEntry], *, actor: UserAccount, now: datetime | None = None
) -> list[Enrollment]:
    """Save the marks of ``entries`` (places of ``cohort``), all or none.

    Rules: staff of the cohort's centre (``NotAllowed``); the cohort runs, and every entry is right as
    ``check_marks`` checks it (else ``NotPossibleNow`` or ``MarksRefused`` listing every problem, nothing
    written). Locks the cohort first (as every change of its places), so a save and the cohort's finishing
    are served one after the other. Sets ``mark`` and ``marked_at`` of each place whose mark changes, and
    records one ``cohort.marks`` event for the save, with how many marks changed (none: no event). Returns
    the places changed."""
    if not can_enter_marks(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can enter its marks."))
    now = now or utcnow()
    cohort = lock_cohort(cohort, now, settle=False)
    changes = check_marks(cohort, entries)
    for place, mark in changes:
        place.mark, place.marked_at = mark, now
        keep_tallies(place)  # the reports' marked and passed tallies, before the next place changes (flushes)
    if changes:
        record(
            actor,
            "cohort.marks",
            cohort,
            after={
                "count": len(changes),
                "marks": {str(place.id): jsonable_mark(place.mark) for place, _mark in changes},
            },
            centre_id=cohort.centre_id,
        )
    return [place for place, _mark in changes]


def jsonable_mark(mark: Decimal | None) -> str | None:
    """A mark as the audit trail keeps it: the text of its two decimals (``"72.50"``), or None (cleared)."""
    return None if mark is None else f"{mark:.2f}"


def is_row_id(value: Any) -> bool:
    """Whether ``value`` can be a row's id (a number the database can hold: larger ones are nobody's)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LARGEST_ID
