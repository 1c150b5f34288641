"""The attendance rules (DESIGN.md, "Attendance, assessment and certificates"): taking and correcting a class
day's register, adding and cancelling class days, and the trainees at risk of dropping out.

Every function takes the acting user, checks every rule before it writes anything, raises a refusal naming the
field concerned, writes one audit event per change (on the cohort, with its centre), flushes and never commits.

Concurrency. Saving a register locks the cohort's row first (``enrollments.services.changes.lock_cohort``: the
same first lock as every enrollment change), then reads the day's register: two staff saving the same day at
once are served one after the other, and the later save replaces the day's marks whole (recorded as a
correction). Nothing is lost: each version is in the audit trail, and the counters are recounted from the
registers as they are after the save.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager

import clock
from attendance.calendar import DayOfClass, day_of
from attendance.models import AttendanceRegister, ClassDay
from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from clock import local_today, local_zone
from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from enrollments.services import NotAllowed, NotPossibleNow, ReasonRequired
from enrollments.services.changes import change_counters, lock_cohort
from enrollments.tallies import add_tallies, difference, place_tallies
from extensions import db
from language import long_date, message_language
from notifications.outbox import queue
from refusals import Refusal
from vocabulary import CohortStatus, EnrollmentStatus

S = EnrollmentStatus
# Attendance is taken once a cohort runs; a finished cohort's registers may still be corrected.
TAKING_STATUSES = (CohortStatus.RUNNING, CohortStatus.FINISHED)
# Places on a day's register although no longer enrolled: they finished the course after that day...
FINISHED_PLACES = (S.COMPLETED, S.NOT_COMPLETED)
# ...or left it after that day.
LEFT_PLACES = (S.DROPPED, S.WITHDRAWN)
MARKS = ("present", "late", "absent")
MAX_REASON_LENGTH = 500


class AttendanceRefused(Refusal):
    """A register, or a change of class days, refused by the rules."""


def at_risk_absences() -> int:
    """How many class days in a row a trainee is absent before she is at risk (``MARKAZ_AT_RISK_ABSENCES``)."""
    return current_app.config.get("AT_RISK_ABSENCES", 3)


def require_staff(actor: UserAccount, cohort: Cohort) -> None:
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can take its attendance."))


def start_of(day: date) -> datetime:
    """The first moment of ``day`` in Pakistan."""
    return datetime.combine(day, time(0), tzinfo=local_zone())


# The day's register --------------------------------------------------------------------------------


def on_register(cohort: Cohort, day: date, register: AttendanceRegister | None = None) -> list[Enrollment]:
    """The places marked on ``cohort``'s register of ``day``, by name: those enrolled that day (enrolled
    now since that day or before; completed; dropped or withdrawn after that day, having held a seat), and
    everyone on the register already saved for it. One query."""
    next_day = start_of(day + timedelta(days=1))
    was_enrolled = or_(
        and_(Enrollment.status == S.ENROLLED, or_(Enrollment.decided_at.is_(None), Enrollment.decided_at < next_day)),
        Enrollment.status.in_(FINISHED_PLACES),
        and_(
            Enrollment.status.in_(LEFT_PLACES),
            Enrollment.started_training.is_(True),
            Enrollment.decided_at >= next_day,
        ),
    )
    if register is not None and register.marked:
        was_enrolled = or_(was_enrolled, Enrollment.id.in_(register.marked))
    return list(
        db.session.scalars(
            select(Enrollment)
            .join(Enrollment.trainee)
            .options(contains_eager(Enrollment.trainee))
            .where(Enrollment.cohort_id == cohort.id, was_enrolled)
            .order_by(Trainee.full_name, Enrollment.id)
        )
    )


def register_of(cohort: Cohort, day: date) -> AttendanceRegister | None:
    """The register saved for ``day`` (re-read, never a stale copy)."""
    return db.session.scalar(
        select(AttendanceRegister)
        .where(AttendanceRegister.cohort_id == cohort.id, AttendanceRegister.day == day)
        .execution_options(populate_existing=True)
    )


def check_day(cohort: Cohort, day: date | None, *, now: datetime) -> DayOfClass:
    """Whether attendance can be taken for ``day``: the cohort runs (or has finished), the day has come, and
    the cohort meets on it. Raises ``AttendanceRefused`` (or ``NotPossibleNow``) on "day"."""
    if day is None:
        raise AttendanceRefused(_("Choose the class day."), "day")
    if cohort.status not in TAKING_STATUSES:
        raise NotPossibleNow(
            _(
                "This cohort is %(status)s: attendance is taken once it is running.",
                status=cohort.status.label.lower(),
            ),
            "day",
        )
    if day > local_today(now):
        raise AttendanceRefused(
            _("%(day)s has not come yet: attendance is taken on the day or after it.", day=long_date(day)), "day"
        )
    entry = day_of(cohort, day)
    if entry is None or not (entry.scheduled or entry.added or entry.register):
        raise AttendanceRefused(not_meeting(cohort, day), "day")
    if entry.cancelled:
        raise AttendanceRefused(
            _("The class of %(day)s was cancelled: add the day again to take attendance.", day=long_date(day)), "day"
        )
    return entry


def checked_marks(
    places: list[Enrollment], absent: Iterable[int], late: Iterable[int]
) -> tuple[list[int], list[int], list[int]]:
    """The register's ids (everyone on it, the absent, the late), sorted. Refuses ("absent" or "late") an id
    that is not on the day's register, or one marked both absent and late."""
    on_it = {place.id: place for place in places}
    absent, late = sorted(set(absent)), sorted(set(late))
    for field, ids in (("absent", absent), ("late", late)):
        for enrollment_id in ids:
            if enrollment_id not in on_it:
                raise AttendanceRefused(
                    _(
                        "Place %(id)s is not on this day's register: only places enrolled that day are marked.",
                        id=enrollment_id,
                    ),
                    field,
                )
    if both := set(absent) & set(late):
        name = on_it[min(both)].trainee.full_name
        raise AttendanceRefused(_("%(name)s is marked both absent and late: choose one.", name=name), "late")
    return sorted(on_it), absent, late


def not_meeting(cohort: Cohort, day: date) -> str:
    return _("%(cohort)s does not meet on %(day)s.", cohort=cohort.code, day=long_date(day))


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise AttendanceRefused(
            _("Keep the reason under %(most)s characters.", most=format_number(MAX_REASON_LENGTH)), "reason"
        )
    return reason


def take_attendance(
    cohort: Cohort,
    day: date,
    *,
    absent: Iterable[int] = (),
    late: Iterable[int] = (),
    actor: UserAccount,
    reason: str = "",
    now: datetime | None = None,
) -> AttendanceRegister:
    """Save ``cohort``'s register of ``day``: everyone on it (``on_register``) present but the ``absent`` and
    the ``late`` (enrollment ids; late counts as present).

    Rules: the actor manages the cohort (``NotAllowed``); the cohort runs or has finished, ``day`` has come
    and is one of its class days (``check_day``); every id is on the day's register and none is both absent
    and late (``checked_marks``). A day saved before is replaced whole: recorded as a correction, which
    needs a ``reason`` once the day is past (``ReasonRequired``). The cohort is locked first, so two saves
    of one day never interleave: the later one wins whole.

    Side effects: the register row; each affected place's counters and the cohort's sums
    (``recount_places``); a message to each trainee whose absences in a row reach the at-risk number, once a
    streak (``tell_at_risk``); one audit event, ``cohort.attendance`` or ``cohort.attendance_correct``, with
    the marks before and after. Returns the register."""
    now = now or clock.utcnow()  # the one clock pages and tests set
    require_staff(actor, cohort)
    reason = clean_reason(reason)
    cohort = lock_cohort(cohort, now)
    check_day(cohort, day, now=now)
    register = register_of(cohort, day)
    places = on_register(cohort, day, register)
    marked, absent, late = checked_marks(places, absent, late)
    if register is not None and day < local_today(now) and not reason:
        raise ReasonRequired(_("Attendance of %(day)s was taken already: say why you correct it.", day=long_date(day)))
    before = None
    if register is None:
        register = AttendanceRegister(cohort_id=cohort.id, day=day, corrections=0)
        db.session.add(register)
        old_marked = old_present = 0
        touched = set(marked)
    else:
        before = {"day": day.isoformat(), "absent": register.absent, "late": register.late}
        old_marked, old_present = register.marked_count, register.present_count
        touched = set(marked) | set(register.marked)
        register.corrections += 1
    register.marked, register.absent, register.late = marked, absent, late
    register.marked_count, register.present_count = len(marked), len(marked) - len(absent)
    register.taken_by_id, register.taken_at = actor.id, now
    db.session.flush()
    change_counters(
        cohort,
        attendance_marked=register.marked_count - old_marked,
        attendance_present=register.present_count - old_present,
    )
    recount_places(cohort, touched, now=now)
    record(
        actor,
        "cohort.attendance" if before is None else "cohort.attendance_correct",
        cohort,
        before=before,
        after={"day": day.isoformat(), "absent": absent, "late": late, "marked": len(marked)},
        reason=reason,
        centre_id=cohort.centre_id,
    )
    return register


# Counters and the at-risk flag ---------------------------------------------------------------------


@dataclass
class Tally:
    marked: int = 0
    present: int = 0
    streak: int = 0


def tallies(cohort: Cohort, enrollment_ids: set[int]) -> dict[int, Tally]:
    """Each place's attendance counted from ``cohort``'s registers, in day order: the days she was marked,
    present (or late), and the absences in a row at the end. Reads the cohort's registers (a course of 12
    weeks has about 60: a few kilobytes)."""
    counted = {enrollment_id: Tally() for enrollment_id in enrollment_ids}
    registers = db.session.scalars(
        select(AttendanceRegister).where(AttendanceRegister.cohort_id == cohort.id).order_by(AttendanceRegister.day)
    )
    for register in registers:
        absent = set(register.absent)
        for enrollment_id in register.marked:
            tally = counted.get(enrollment_id)
            if tally is None:
                continue
            tally.marked += 1
            if enrollment_id in absent:
                tally.streak += 1
            else:
                tally.present += 1
                tally.streak = 0
    return counted


def recount_places(cohort: Cohort, enrollment_ids: set[int], *, now: datetime) -> None:
    """Set the counters of the places ``enrollment_ids`` from the registers (``tallies``): a correction of
    any day, or a day marked late, gives the same numbers as saving the days in order. A trainee still
    enrolled whose absences in a row reach ``at_risk_absences`` is told once a streak (``at_risk_notified_at``);
    a streak that ends (present, or corrected) clears it."""
    if not enrollment_ids:
        return
    counted = tallies(cohort, enrollment_ids)
    threshold = at_risk_absences()
    places = db.session.scalars(
        select(Enrollment)
        .join(Enrollment.trainee)
        .options(contains_eager(Enrollment.trainee))
        .where(Enrollment.id.in_(enrollment_ids))
        .execution_options(populate_existing=True)
    ).all()
    # The oversight tallies (``enrollments.tallies``) of the places' marks, attendance and risk, added up by
    # her gender and area: one statement per key, not per place.
    changes: dict[tuple, dict[str, int]] = {}
    for place in places:
        before = place_tallies(place)
        tally = counted[place.id]
        place.days_marked, place.days_present, place.absent_streak = tally.marked, tally.present, tally.streak
        if tally.streak < threshold:
            place.at_risk_notified_at = None
        elif place.at_risk_notified_at is None and place.status is S.ENROLLED:
            place.at_risk_notified_at = now
            tell_at_risk(place)
        summed = changes.setdefault((place.trainee.gender, place.trainee.area), {})
        for name, value in difference(place_tallies(place), before).items():
            summed[name] = summed.get(name, 0) + value
    for (gender, area), summed in changes.items():
        add_tallies(cohort.id, gender, area, summed)
    db.session.flush()


def is_at_risk(enrollment: Enrollment) -> bool:
    """Absent on the last ``at_risk_absences`` class days marked, or more, and still enrolled."""
    return enrollment.status is S.ENROLLED and enrollment.absent_streak >= at_risk_absences()


def at_risk_condition():
    """``is_at_risk`` as a condition on ``Enrollment``, for the roster and the dashboard."""
    return and_(Enrollment.status == S.ENROLLED, Enrollment.absent_streak >= at_risk_absences())


def at_risk_count(centre_id: int) -> int:
    """How many trainees of ``centre_id``'s running cohorts are at risk (the centre dashboard's figure). One
    count over the centre's enrolled places."""
    return db.session.scalar(
        select(func.count(Enrollment.id))
        .join(Enrollment.cohort)
        .where(Cohort.centre_id == centre_id, Cohort.status == CohortStatus.RUNNING, at_risk_condition())
    )


def tell_at_risk(enrollment: Enrollment) -> None:
    """Queue her message (SMS, and email when she gave one), in her language: she has missed the last class
    days, and whom to call."""
    cohort = enrollment.cohort
    with message_language(enrollment.trainee.language):
        subject = _("Markaz: %(subject)s", subject=_("We missed you in class"))
        body = _(
            "You have been absent from %(course)s at %(centre)s for %(days)s class days in a row. Please come to "
            "the next class, or tell the centre what is keeping you away: your place may be given to someone else.",
            course=cohort.course.title,
            centre=cohort.centre.name,
            days=format_number(enrollment.absent_streak),
        )
    queue(enrollment.trainee, "attendance.at_risk", subject, body, enrollment=enrollment)


def attendance_share(enrollment: Enrollment) -> float | None:
    """Her share of class days present (late counts), or None before any day was marked."""
    return enrollment.days_present / enrollment.days_marked if enrollment.days_marked else None


# Class days ----------------------------------------------------------------------------------------


def require_changeable(cohort: Cohort) -> None:
    if cohort.status in (CohortStatus.FINISHED, CohortStatus.CANCELLED):
        raise NotPossibleNow(
            _("This cohort is %(status)s: its class days can no longer change.", status=cohort.status.label.lower()),
            "day",
        )


def add_class_day(cohort: Cohort, day: date | None, *, reason: str, actor: UserAccount) -> DayOfClass:
    """Add ``day`` to the days ``cohort`` meets (a make-up class, a Saturday session), or bring back a
    scheduled day that was cancelled. The day lies between the cohort's first and last day and is not a
    class day already; a reason is kept with it. Records ``cohort.class_day_add``. Returns the day."""
    require_staff(actor, cohort)
    reason = clean_reason(reason)
    if not reason:
        raise AttendanceRefused(_("Say why the class meets that day: it is kept with the day."), "reason")
    cohort = lock_cohort(cohort)
    require_changeable(cohort)
    if day is None:
        raise AttendanceRefused(_("Choose the class day."), "day")
    if not cohort.starts_on <= day <= cohort.ends_on:
        raise AttendanceRefused(
            _(
                "Choose a day from %(first)s to %(last)s: the cohort's dates.",
                first=long_date(cohort.starts_on),
                last=long_date(cohort.ends_on),
            ),
            "day",
        )
    entry = day_of(cohort, day)
    if entry is not None and entry.meets and (entry.scheduled or entry.added):
        raise AttendanceRefused(
            _("%(cohort)s meets on %(day)s already.", cohort=cohort.code, day=long_date(day)), "day"
        )
    change = change_on(cohort, day)
    if change is not None:  # a scheduled day cancelled before: it meets again
        db.session.delete(change)
    else:
        db.session.add(ClassDay(cohort_id=cohort.id, day=day, added=True, cancelled=False, reason=reason))
    db.session.flush()
    record(
        actor,
        "cohort.class_day_add",
        cohort,
        after={"day": day.isoformat()},
        reason=reason,
        centre_id=cohort.centre_id,
    )
    return day_of(cohort, day)


def cancel_class_day(cohort: Cohort, day: date | None, *, reason: str, actor: UserAccount) -> DayOfClass | None:
    """Cancel one of ``cohort``'s class days (a holiday that follows the moon, a closure), with a reason.
    Refused for a day whose attendance was taken (correct the register instead) and for a day it does not
    meet on. Records ``cohort.class_day_cancel``. Returns the day as it now stands (None: an added day,
    now gone)."""
    require_staff(actor, cohort)
    reason = clean_reason(reason)
    if not reason:
        raise AttendanceRefused(_("Say why the class is cancelled: it is kept with the day."), "reason")
    cohort = lock_cohort(cohort)
    require_changeable(cohort)
    if day is None:
        raise AttendanceRefused(_("Choose the class day."), "day")
    entry = day_of(cohort, day)
    if entry is None or not entry.meets or not (entry.scheduled or entry.added):
        raise AttendanceRefused(not_meeting(cohort, day), "day")
    if entry.register is not None:
        raise AttendanceRefused(
            _(
                "Attendance was taken on %(day)s: correct the register instead of cancelling the day.",
                day=long_date(day),
            ),
            "day",
        )
    change = change_on(cohort, day)
    if change is not None:  # an added day: gone again
        db.session.delete(change)
    else:
        db.session.add(ClassDay(cohort_id=cohort.id, day=day, cancelled=True, added=False, reason=reason))
    db.session.flush()
    record(
        actor,
        "cohort.class_day_cancel",
        cohort,
        before={"day": day.isoformat()},
        reason=reason,
        centre_id=cohort.centre_id,
    )
    return day_of(cohort, day)


def change_on(cohort: Cohort, day: date) -> ClassDay | None:
    return db.session.scalar(select(ClassDay).where(ClassDay.cohort_id == cohort.id, ClassDay.day == day))
