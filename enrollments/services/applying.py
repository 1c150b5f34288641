"""Applying and registering: a trainee applies online (``apply``), staff register a walk-in (``register``)
or a whole list (``register_many``), by the same rules; ``prospect`` tells a page what she can do."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from audit.events import record_many
from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from courses.models import Cohort
from database import chunked, utcnow
from enrollments.counters import deltas as counter_deltas
from enrollments.eligibility import unmet_requirements
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import audit, audit_state, change_counters, lock_cohort, lock_trainees, take_seat
from enrollments.services.messages import message_for, tell
from enrollments.services.rules import (
    ApplicationsClosed,
    NotAllowed,
    NotEligible,
    NotPossibleNow,
    closed_reason,
    find_enrollment,
    limits_refusal,
    places_refusal,
    waitlist_position,
)
from extensions import db
from notifications.outbox import queue_many
from refusals import Refusal
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, Admission, EnrollmentSource, EnrollmentStatus

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
    if cohort.admission is Admission.FIRST_COME and cohort.enrolled_count >= cohort.seats:
        return Prospect("waitlist", waitlist_position=cohort.waitlisted_count + 1)
    return Prospect("apply")


def apply(trainee: Trainee, cohort: Cohort, *, actor: UserAccount, now: datetime | None = None) -> Placement:
    """A trainee applies online for herself. See ``place`` for the rules."""
    if trainee.user_id is None or trainee.user_id != actor.id:
        raise NotAllowed(_("Only the trainee herself can apply online."))
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
    Otherwise: reviewed admission → ``pending``; first come → ``enrolled`` if a seat is free, else
    ``waitlisted`` at the end of the line. Writes one audit event and queues her notification."""
    cohort = lock_cohort(cohort)
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

    if cohort.admission is Admission.REVIEWED:
        status = S.PENDING
    elif take_seat(cohort):
        status = S.ENROLLED
    else:
        status = S.WAITLISTED
    try:
        with db.session.begin_nested():  # a savepoint: a duplicate must not undo the whole transaction
            enrollment = Enrollment(
                trainee_id=trainee.id, cohort_id=cohort.id, status=status, source=source, applied_at=now
            )
            db.session.add(enrollment)
    except IntegrityError:  # the same application, submitted twice at once: keep the first
        if status is S.ENROLLED:
            change_counters(cohort, enrolled_count=-1)
        return Placement(find_enrollment(trainee, cohort), created=False)
    changes = counter_deltas(None, status, trainee)
    if status is S.ENROLLED:
        changes.pop("enrolled_count")  # counted by take_seat
    change_counters(cohort, **changes)
    if status is S.ENROLLED:
        enrollment.decided_at = now
    db.session.flush()
    audit(actor, "enrollment.apply" if source is EnrollmentSource.ONLINE else "enrollment.register", enrollment, None)
    tell(enrollment, status.value)
    return Placement(enrollment, created=True)


@dataclass
class ListPlacement:
    """What ``register_many`` did, by trainee id: her new place, the place she had already in the
    cohort, or why she was refused."""

    placed: dict[int, Enrollment]
    existing: dict[int, Enrollment]
    refused: dict[int, Refusal]


def register_many(
    trainees: list[Trainee],
    cohort: Cohort,
    *,
    actor: UserAccount,
    source: EnrollmentSource = EnrollmentSource.IMPORT,
    now: datetime | None = None,
) -> ListPlacement:
    """Register a list of trainees in ``cohort`` at once (an imported list): for each, in list order,
    exactly what ``register`` would do, with the same rule functions, but reading and writing in bulk
    (a few statements per 500 trainees instead of some fifteen per trainee).

    Refusals about the whole list are raised and nothing is written: the actor may not register here
    (``NotAllowed``), the cohort takes no applications (``ApplicationsClosed``). A trainee who is not
    eligible or whose other places stop her is refused on her own (``refused``) and the others go on;
    one who has a place in the cohort already keeps it (``existing``). First come: free seats go in
    list order, the rest join the end of the waitlist in list order; reviewed: all pending. One
    audit event per new enrollment and each trainee's message are written as ``register`` writes them.

    Locks: the cohort first, then the trainees in id order, as every other operation does."""
    now = now or utcnow()
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can register trainees here."))
    cohort = lock_cohort(cohort)
    if (reason := closed_reason(cohort, now)) is not None:
        raise ApplicationsClosed(reason)
    # Timed once the cohort is locked, as ``place`` does: the list joins the line after everyone who
    # applied while it waited for the lock, and the positions it is told are that order.
    applied_at = max(now, utcnow())
    ordered = list({trainee.id: trainee for trainee in trainees}.values())
    ids = sorted(trainee.id for trainee in ordered)
    existing: dict[int, Enrollment] = {}
    held: dict[int, list[Enrollment]] = {trainee_id: [] for trainee_id in ids}
    for chunk in chunked(ids):
        # Lock and re-read (populate_existing) her record, as ``lock_trainees`` does one by one.
        db.session.scalars(
            select(Trainee)
            .where(Trainee.id.in_(chunk))
            .order_by(Trainee.id)
            .with_for_update()
            .options(selectinload(Trainee.district))
            .execution_options(populate_existing=True)
        ).all()
        for enrollment in db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.trainee_id.in_(chunk),
                or_(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)),
            )
            .options(selectinload(Enrollment.cohort).selectinload(Cohort.course))
        ):
            if enrollment.cohort_id == cohort.id:
                existing[enrollment.trainee_id] = enrollment
            else:
                held[enrollment.trainee_id].append(enrollment)

    outcome = ListPlacement(placed={}, existing={}, refused={})
    accepted: list[Trainee] = []
    for trainee in ordered:
        if trainee.id in existing:
            outcome.existing[trainee.id] = existing[trainee.id]
        elif unmet := unmet_requirements(cohort, trainee):
            outcome.refused[trainee.id] = NotEligible(" ".join(requirement.refusal for requirement in unmet))
        elif (refusal := places_refusal(held[trainee.id], cohort, to_trainee=False)) is not None:
            outcome.refused[trainee.id] = refusal
        else:
            accepted.append(trainee)
    if not accepted:
        return outcome

    if cohort.admission is Admission.REVIEWED:
        statuses = [S.PENDING] * len(accepted)
    else:
        free = max(0, cohort.seats - cohort.enrolled_count)
        statuses = [S.ENROLLED if index < free else S.WAITLISTED for index in range(len(accepted))]
    added: Counter[str] = Counter()
    for trainee, status in zip(accepted, statuses, strict=True):
        added.update(counter_deltas(None, status, trainee))
    first_position = cohort.waitlisted_count + 1
    # Seats are taken in the same guarded way as ``take_seat``: never past the seat count.
    taken = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.enrolled_count + added["enrolled_count"] <= Cohort.seats)
        .values({getattr(Cohort, counter): getattr(Cohort, counter) + delta for counter, delta in added.items()})
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # cannot happen while the cohort is locked; never overbook if it does
        raise NotPossibleNow(_("The cohort's seats changed during the registration: try again."))
    db.session.expire(cohort, list(added))
    enrollments = db.session.scalars(
        insert(Enrollment).returning(Enrollment, sort_by_parameter_order=True),
        [
            {
                "trainee_id": trainee.id,
                "cohort_id": cohort.id,
                "status": status,
                "source": source,
                "applied_at": applied_at,
                "decided_at": applied_at if status is S.ENROLLED else None,
            }
            for trainee, status in zip(accepted, statuses, strict=True)
        ],
    ).all()
    action = "enrollment.apply" if source is EnrollmentSource.ONLINE else "enrollment.register"
    record_many(
        actor,
        action,
        Enrollment.__tablename__,
        [
            {"object_id": enrollment.id, "after": audit_state(enrollment), "centre_id": cohort.centre_id}
            for enrollment in enrollments
        ],
    )
    messages = []
    position = first_position
    for enrollment in enrollments:
        outcome.placed[enrollment.trainee_id] = enrollment
        if enrollment.status is S.WAITLISTED:
            messages.append(message_for(enrollment, "waitlisted", position=position))
            position += 1
        else:
            messages.append(message_for(enrollment, enrollment.status.value))
    queue_many(messages)
    return outcome
