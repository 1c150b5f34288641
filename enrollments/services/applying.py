"""Applying and registering: a trainee applies online (``apply``), staff register a walk-in (``register``),
by the same rules (a whole list: ``lists.register_many``); ``prospect`` tells a page what she can do."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.counters import count_person
from enrollments.counters import deltas as counter_deltas
from enrollments.eligibility import unmet_requirements
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import audit, change_counters, lock_cohort, lock_trainees, seat_for
from enrollments.services.messages import tell
from enrollments.services.rules import (
    ApplicationsClosed,
    NotAllowed,
    NotEligible,
    closed_reason,
    find_enrollment,
    limits_refusal,
    waitlist_position,
)
from extensions import db
from vocabulary import WAITING_ADMISSIONS, Admission, EnrollmentSource, EnrollmentStatus, Pool

S = EnrollmentStatus


@dataclass(frozen=True)
class Placement:
    """What ``apply``/``register`` did: the enrollment, and whether it is new (False: she had
    applied already and this is her existing place)."""

    enrollment: Enrollment
    created: bool


@dataclass(frozen=True)
class Prospect:
    """What a trainee can do on a cohort's page, decided by the same rules as ``apply``.

    ``action`` is one of ``"apply"`` (a seat or, for reviewed admission, a review is waiting),
    ``"waitlist"`` (full: she would join the line at ``waitlist_position``), ``"applied"`` (she has a
    place or application already: ``enrollment``), ``"closed"``, ``"ineligible"``, ``"limit"``
    (her other places stop her) or ``"sign_in"`` (no trainee: sign in or sign up first)."""

    action: str
    reasons: tuple[str, ...] = ()
    enrollment: Enrollment | None = None
    waitlist_position: int | None = None


def prospect(
    trainee: Trainee | None, cohort: Cohort, now: datetime | None = None, *, to_trainee: bool = True
) -> Prospect:
    """What ``trainee`` can do on ``cohort`` right now (read-only); reasons are worded for her, or with
    ``to_trainee=False`` for the staff registering her."""
    now = now or utcnow()
    if trainee is not None and (existing := find_enrollment(trainee, cohort)) is not None:
        return Prospect("applied", enrollment=existing, waitlist_position=waitlist_position(existing))
    if (reason := closed_reason(cohort, now)) is not None:
        return Prospect("closed", (reason,))
    if trainee is None:
        return Prospect("sign_in")
    unmet = unmet_requirements(cohort, trainee)
    if unmet:
        return Prospect("ineligible", tuple(requirement.refusal for requirement in unmet))
    if (refusal := limits_refusal(trainee, cohort, to_trainee=to_trainee)) is not None:
        return Prospect("limit", (refusal.message,))
    if cohort.admission is Admission.FIRST_COME and pools.pool_for(trainee, cohort) is None:
        return Prospect("waitlist", waitlist_position=cohort.waitlisted_count + 1)
    return Prospect("apply")


def apply(trainee: Trainee, cohort: Cohort, *, actor: UserAccount, now: datetime | None = None) -> Placement:
    """A trainee applies online for herself. See ``place`` for the rules."""
    if trainee.user_id is None or trainee.user_id != actor.id:
        raise NotAllowed(_("Only trainees can apply online, each for their own place."))
    return place(trainee, cohort, actor=actor, source=EnrollmentSource.ONLINE, now=now)


def register(
    trainee: Trainee,
    cohort: Cohort,
    *,
    actor: UserAccount,
    source: EnrollmentSource = EnrollmentSource.WALK_IN,
    now: datetime | None = None,
) -> Placement:
    """Staff of the cohort's centre (or an admin) register a trainee: a walk-in or an imported list.
    Same rules as an online application."""
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can register trainees here."))
    return place(trainee, cohort, actor=actor, source=source, now=now)


def place(
    trainee: Trainee, cohort: Cohort, *, actor: UserAccount, source: EnrollmentSource, now: datetime | None = None
) -> Placement:
    """Give ``trainee`` a place (or a place in line) in ``cohort``.

    Refused (nothing written) when the cohort is not open or its window is closed (``ApplicationsClosed``),
    she is not eligible (``NotEligible``: women-only, age, education, residence), she holds the maximum
    number of active places (``TooManyPlaces``) or one whose dates and shift overlap (``OverlappingPlace``).
    If she applied to this cohort before, her existing enrollment is returned (``created=False``).
    Otherwise: reviewed or merit admission → ``pending``; first come → ``enrolled`` if a seat is free for her
    (open seats first, then a reserved pool she qualifies for: ``pools.pool_for``), else ``waitlisted``
    at the end of the line. Writes one audit event and queues her notification."""
    cohort = lock_cohort(cohort, now)
    lock_trainees(trainee.id)
    # The time of application is read once the cohort is locked: applications are then timed in the
    # order they take seats, so the waitlist (ordered by it) and every position told are that order.
    now = now or utcnow()
    if (existing := find_enrollment(trainee, cohort)) is not None:
        return Placement(existing, created=False)
    if (reason := closed_reason(cohort, now)) is not None:
        raise ApplicationsClosed(reason)
    if unmet := unmet_requirements(cohort, trainee):
        raise NotEligible(" ".join(requirement.refusal for requirement in unmet))
    to_trainee = trainee.user_id is not None and trainee.user_id == actor.id
    if (refusal := limits_refusal(trainee, cohort, to_trainee=to_trainee)) is not None:
        raise refusal

    pool = None
    if cohort.admission in WAITING_ADMISSIONS:
        status = S.PENDING
    elif (pool := seat_for(trainee, cohort)) is not None:
        status = S.ENROLLED
    else:
        status = S.WAITLISTED
    try:
        with db.session.begin_nested():  # a savepoint: a duplicate must not undo the whole transaction
            enrollment = Enrollment(
                trainee_id=trainee.id, cohort_id=cohort.id, status=status, source=source, applied_at=now, pool=pool
            )
            db.session.add(enrollment)
    except IntegrityError:  # the same application, submitted twice at once: keep the first
        if status is S.ENROLLED:
            change_counters(cohort, enrolled_count=-1, **({} if pool is Pool.OPEN else {f"held_{pool.value}": -1}))
        return Placement(find_enrollment(trainee, cohort), created=False)
    changes = counter_deltas(None, status, trainee)
    changes.update(count_person(enrollment, status, trainee))
    if status is S.ENROLLED:
        changes.pop("enrolled_count")  # counted by take_seat, with its pool
    change_counters(cohort, **changes)
    if status is S.ENROLLED:
        enrollment.decided_at = now
    db.session.flush()
    audit(actor, "enrollment.apply" if source is EnrollmentSource.ONLINE else "enrollment.register", enrollment, None)
    tell(enrollment, status.value)
    return Placement(enrollment, created=True)
