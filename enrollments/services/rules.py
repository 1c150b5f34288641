"""What the rules say, read without writing anything: the refusals, a trainee's places and their limits,
whether a cohort takes applications, and a place in line."""

import functools
from datetime import datetime

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import joinedload

from courses.models import Cohort, with_course_and_centre
from enrollments.models import Enrollment, Trainee
from extensions import db
from refusals import Refusal
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, Admission, CohortStatus, EnrollmentStatus

S = EnrollmentStatus


# Refusals ------------------------------------------------------------------------------------------


class EnrollmentRefused(Refusal):
    """An enrollment action refused by the rules."""


class NotAllowed(EnrollmentRefused):
    code, status = "forbidden", 403


class ApplicationsClosed(EnrollmentRefused):
    code, status = "applications_closed", 409


class NotEligible(EnrollmentRefused):
    code, status = "not_eligible", 422


class TooManyPlaces(EnrollmentRefused):
    code, status = "too_many_places", 409


class OverlappingPlace(EnrollmentRefused):
    code, status = "overlapping_place", 409


class NotPossibleNow(EnrollmentRefused):
    """The enrollment (or cohort) is not in a state that allows this action."""

    code, status = "not_possible", 409


class ReasonRequired(EnrollmentRefused):
    code, status = "reason_required", 422

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Give a reason: the trainee will see it."), "reason")


# Reading -------------------------------------------------------------------------------------------

# A merit cohort's line is in the rank of its published merit list; a place without a rank (none should
# wait there: everyone in its line was ranked) would come last, on both databases.
UNRANKED = 2**31 - 1


def line_order(cohort: Cohort) -> tuple[ColumnElement, ...]:
    """The order of ``cohort``'s line (its waitlist), for ``ORDER BY``: application order (``applied_at``,
    then id); in a merit cohort the rank of the latest merit list first (DESIGN.md, "Selection")."""
    if cohort.admission is Admission.MERIT:
        return (func.coalesce(Enrollment.merit_rank, UNRANKED), Enrollment.applied_at, Enrollment.id)
    return (Enrollment.applied_at, Enrollment.id)


def line_key(enrollment: Enrollment) -> tuple:
    """``enrollment``'s values of ``line_order`` (to find who is ahead of her, or continue after her)."""
    if enrollment.cohort.admission is Admission.MERIT:
        rank = enrollment.merit_rank if enrollment.merit_rank is not None else UNRANKED
        return (rank, enrollment.applied_at, enrollment.id)
    return (enrollment.applied_at, enrollment.id)


def waitlist_position(enrollment: Enrollment) -> int | None:
    """Her place in line (1 = next to get a seat), or None when she is not waitlisted. Order of
    application: ``applied_at``, then id; in a merit cohort, rank first (``line_order``)."""
    if enrollment.status is not S.WAITLISTED:
        return None
    if enrollment.cohort.admission is Admission.MERIT:
        ahead = db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.cohort_id == enrollment.cohort_id,
                Enrollment.status == S.WAITLISTED,
                tuple_(*line_order(enrollment.cohort)) < tuple_(*line_key(enrollment)),
            )
        )
        return ahead + 1
    ahead = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.cohort_id == enrollment.cohort_id,
            Enrollment.status == S.WAITLISTED,
            or_(
                Enrollment.applied_at < enrollment.applied_at,
                and_(Enrollment.applied_at == enrollment.applied_at, Enrollment.id < enrollment.id),
            ),
        )
    )
    return ahead + 1


def active_places(trainee: Trainee, *, excluding: Enrollment | None = None) -> list[Enrollment]:
    """Her pending, waitlisted and enrolled places (optionally not counting ``excluding``)."""
    stmt = select(Enrollment).where(
        Enrollment.trainee_id == trainee.id, Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)
    )
    if excluding is not None:
        stmt = stmt.where(Enrollment.id != excluding.id)
    return list(db.session.scalars(stmt))


def overlaps(first: Cohort, second: Cohort) -> bool:
    """Two cohorts clash when they share a shift and their dates overlap."""
    return first.shift == second.shift and first.starts_on <= second.ends_on and second.starts_on <= first.ends_on


def places_of(trainee: Trainee, cohort: Cohort) -> tuple[Enrollment | None, list[Enrollment]]:
    """Her place in ``cohort`` (None: she has none) and her active places in other cohorts (what
    ``find_enrollment`` and ``active_places`` read), in one statement, their cohorts with them (for the
    overlap check)."""
    found = db.session.scalars(places_query(), {"trainee_id": trainee.id, "cohort_id": cohort.id}).all()
    return split_places(found, cohort.id)


def split_places(found: list[Enrollment], cohort_id: int) -> tuple[Enrollment | None, list[Enrollment]]:
    """``places_of``'s answer from the places it reads: hers in the cohort ``cohort_id``, and the others."""
    existing = next((place for place in found if place.cohort_id == cohort_id), None)
    return existing, [place for place in found if place.cohort_id != cohort_id]


def cohort_and_places(cohort_id: int, trainee: Trainee) -> tuple[Cohort | None, tuple[Enrollment | None, list]]:
    """The cohort ``cohort_id`` with its course and centre (None: no such cohort), and ``trainee``'s places as
    ``places_of`` reads them, in one statement: what an application through the API reads first (its loader:
    ``auth.permissions.get_cohort_and_places_or_404``)."""
    rows = db.session.execute(cohort_and_places_query(), {"cohort_id": cohort_id, "trainee_id": trainee.id}).all()
    if not rows:
        return None, (None, [])
    return rows[0][0], split_places([place for _, place in rows if place is not None], cohort_id)


@functools.cache
def cohort_and_places_query() -> Select:
    """``cohort_and_places``' query, built once: the cohort, and her places (``places_query``'s) joined to it."""
    hers = and_(
        Enrollment.trainee_id == bindparam("trainee_id"),
        or_(Enrollment.cohort_id == Cohort.id, Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)),
    )
    return (
        select(Cohort, Enrollment)
        .where(Cohort.id == bindparam("cohort_id"))
        .outerjoin(Enrollment, hers)
        .options(*with_course_and_centre(), joinedload(Enrollment.cohort))
    )


@functools.cache
def places_query() -> Select:
    """``places_of``'s query, built once (every application runs it), for ``trainee_id`` and ``cohort_id``."""
    return (
        select(Enrollment)
        .where(
            Enrollment.trainee_id == bindparam("trainee_id"),
            or_(Enrollment.cohort_id == bindparam("cohort_id"), Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)),
        )
        .options(joinedload(Enrollment.cohort))
    )


def find_enrollment(trainee: Trainee, cohort: Cohort) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.trainee_id == trainee.id, Enrollment.cohort_id == cohort.id)
    )


def max_active_places() -> int:
    return current_app.config["MAX_ACTIVE_PLACES"]


def limits_refusal(
    trainee: Trainee, cohort: Cohort, *, excluding: Enrollment | None = None, to_trainee: bool = True
) -> Refusal | None:
    """Why ``trainee`` may not hold one more place in ``cohort`` (None: she may), said to her
    (``to_trainee``) or to the staff registering her."""
    return places_refusal(active_places(trainee, excluding=excluding), cohort, to_trainee=to_trainee)


def places_refusal(held: list[Enrollment], cohort: Cohort, *, to_trainee: bool = True) -> Refusal | None:
    """Why someone holding the active places ``held`` may not take one in ``cohort`` (None: she may):
    the most places anyone may hold at once, and no two with the same shift on overlapping dates."""
    if len(held) >= max_active_places():
        counts = {"held": format_number(len(held)), "most": format_number(max_active_places())}
        return TooManyPlaces(
            _(
                "You already hold %(held)s places (the most anyone may hold at once is %(most)s). "
                "Withdraw from one to apply here.",
                **counts,
            )
            if to_trainee
            else _(
                "This trainee already holds %(held)s places (the most anyone may hold at once is %(most)s). "
                "One must be given up before registering here.",
                **counts,
            )
        )
    for place in held:
        if overlaps(place.cohort, cohort):
            names = {
                "course": place.cohort.course.title,
                "code": place.cohort.code,
                "shift": cohort.shift.label.lower(),
            }
            return OverlappingPlace(
                _(
                    "This clashes with your place in %(course)s (%(code)s): same %(shift)s shift, overlapping dates.",
                    **names,
                )
                if to_trainee
                else _(
                    "This clashes with the trainee's place in %(course)s (%(code)s): "
                    "same %(shift)s shift, overlapping dates.",
                    **names,
                )
            )
    return None


def closed_reason(cohort: Cohort, now: datetime) -> str | None:
    """Why ``cohort`` takes no applications at ``now`` (None: it does). Whether it does is
    ``Cohort.taking_applications``, the definition every page and query uses; this only says why not."""
    if cohort.taking_applications(now):
        return None
    if cohort.status is not CohortStatus.OPEN:
        return _("This cohort is not taking applications (%(status)s).", status=cohort.status.label.lower())
    if cohort.applications_open_at is not None and now < cohort.applications_open_at:
        return _("Applications have not opened yet.")
    return _("Applications have closed.")
