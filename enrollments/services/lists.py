"""Registering a whole list at once (an imported list): for each trainee exactly what ``register`` would
do, by the same rule functions, but reading and writing in bulk. ``register_many`` reads as its steps."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import selectinload

from audit.events import record_many
from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from courses.models import Cohort
from database import chunked, utcnow
from enrollments import pools
from enrollments.counters import count_person, pool_deltas
from enrollments.counters import deltas as counter_deltas
from enrollments.eligibility import unmet_requirements
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import audit_state, change_counters, filled_at, lock_cohort
from enrollments.services.messages import message_for
from enrollments.services.rules import (
    ApplicationsClosed,
    NotAllowed,
    NotEligible,
    NotPossibleNow,
    closed_reason,
    places_refusal,
)
from extensions import db
from notifications.outbox import Message, queue_many
from refusals import Refusal
from vocabulary import (
    ACTIVE_ENROLLMENT_STATUSES,
    RESERVED_POOLS,
    WAITING_ADMISSIONS,
    EnrollmentSource,
    EnrollmentStatus,
    Pool,
)

S = EnrollmentStatus
# What ``pools`` reads of a cohort's seats.
SEAT_COUNTERS = (
    "seats",
    "enrolled_count",
    "offered_count",
    *(f"reserved_{pool.value}" for pool in RESERVED_POOLS),
    *(f"held_{pool.value}" for pool in RESERVED_POOLS),
)


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
    cohort = lock_cohort(cohort, now)
    if (reason := closed_reason(cohort, now)) is not None:
        raise ApplicationsClosed(reason)
    # Timed once the cohort is locked, as ``place`` does: the list joins the line after everyone who
    # applied while it waited for the lock, and the positions it is told are that order.
    applied_at = max(now, utcnow())
    ordered = list({trainee.id: trainee for trainee in trainees}.values())
    existing, held = lock_and_read_places(ordered, cohort)
    outcome, accepted = check_each(ordered, cohort, existing, held)
    if not accepted:
        return outcome
    statuses, seats = statuses_in_order(accepted, cohort)
    first_position = cohort.waitlisted_count + 1  # read before the counters move
    take_places(cohort, accepted, statuses, seats, now=applied_at)
    enrollments = insert_enrollments(accepted, statuses, seats, cohort, source=source, applied_at=applied_at)
    count_people(cohort, accepted, enrollments)
    audit_many(actor, enrollments, cohort, source=source)
    outcome.placed.update((enrollment.trainee_id, enrollment) for enrollment in enrollments)
    queue_many(messages_in_order(enrollments, first_position))
    return outcome


def lock_and_read_places(
    ordered: list[Trainee], cohort: Cohort
) -> tuple[dict[int, Enrollment], dict[int, list[Enrollment]]]:
    """Lock the trainees' rows in id order and read their places, in chunks: (trainee id → her enrollment in
    ``cohort``, trainee id → her active places elsewhere), as ``place`` reads them one by one."""
    ids = sorted(trainee.id for trainee in ordered)
    existing: dict[int, Enrollment] = {}
    held: dict[int, list[Enrollment]] = {trainee_id: [] for trainee_id in ids}
    for chunk in chunked(ids):
        # Lock and re-read (populate_existing) her record, as ``lock_trainees`` does one by one.
        db.session.scalars(
            select(Trainee)
            .where(Trainee.id.in_(chunk))
            .order_by(Trainee.id)
            .with_for_update(key_share=True)  # as ``database.get_locked`` locks
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
    return existing, held


def check_each(
    ordered: list[Trainee],
    cohort: Cohort,
    existing: dict[int, Enrollment],
    held: dict[int, list[Enrollment]],
) -> tuple[ListPlacement, list[Trainee]]:
    """Each trainee, in list order, against the rules ``place`` applies to one: her place in the cohort
    already (kept, ``existing``), eligibility (``NotEligible``) and her other places (``places_refusal``),
    refusals in ``refused``. Returns the outcome so far and the trainees accepted, in list order."""
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
    return outcome, accepted


def statuses_in_order(accepted: list[Trainee], cohort: Cohort) -> tuple[list[EnrollmentStatus], list[Pool | None]]:
    """The status of each accepted trainee's new place, and the pool of its seat: reviewed or merit admission, all
    pending; first come, in list order, a seat when one is free for her (``pools.pool_for``, as ``place``
    decides: open seats first, then a reserved pool she qualifies for), else waitlisted."""
    if cohort.admission in WAITING_ADMISSIONS:
        return [S.PENDING] * len(accepted), [None] * len(accepted)
    # The seats as they would be after each place, without writing: a copy of the counters pools reads.
    plan = SimpleNamespace(
        **{name: getattr(cohort, name) for name in SEAT_COUNTERS}, released_at=cohort.released_at, centre=cohort.centre
    )
    statuses, seats = [], []
    for trainee in accepted:
        pool = pools.pool_for(trainee, plan)
        statuses.append(S.WAITLISTED if pool is None else S.ENROLLED)
        seats.append(pool)
        if pool is not None:
            plan.enrolled_count += 1
            if pool is not Pool.OPEN:
                setattr(plan, f"held_{pool.value}", getattr(plan, f"held_{pool.value}") + 1)
    return statuses, seats


def take_places(
    cohort: Cohort,
    accepted: list[Trainee],
    statuses: list[EnrollmentStatus],
    seats: list[Pool | None],
    *,
    now: datetime,
) -> None:
    """Move the cohort's counters for the new places in one UPDATE, guarded as ``take_seat`` is: never past
    the seat count (``NotPossibleNow`` if it would be; the CHECK constraints guard each pool). When they
    take the last seat, the cohort is full from ``now`` (``filled_at``)."""
    added: Counter[str] = Counter()
    for trainee, status, pool in zip(accepted, statuses, seats, strict=True):
        added.update(counter_deltas(None, status, trainee))
        added.update(pool_deltas(None, status, pool))
    taken = db.session.execute(
        update(Cohort)
        .where(
            Cohort.id == cohort.id,
            Cohort.enrolled_count + Cohort.offered_count + added["enrolled_count"] <= Cohort.seats,
        )
        .values(
            {getattr(Cohort, counter): getattr(Cohort, counter) + delta for counter, delta in added.items()}
            | {
                Cohort.full_at: filled_at(
                    Cohort.enrolled_count + Cohort.offered_count + added["enrolled_count"], Cohort.seats, now
                )
            }
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # cannot happen while the cohort is locked; never overbook if it does
        raise NotPossibleNow(_("The cohort's seats changed during the registration: try again."))
    db.session.expire(cohort, [*added, "full_at"])


def count_people(cohort: Cohort, accepted: list[Trainee], enrollments: list[Enrollment]) -> None:
    """Mark the new places that are first applications or first places of their trainees, and move the
    cohort's person counters for them in one UPDATE (none when no one is new). Each trainee's record is
    stamped (``updated_at``), as ``place`` stamps it: an application of hers racing this one sees it."""
    added: Counter[str] = Counter()
    stamp = utcnow()
    for trainee, enrollment in zip(accepted, enrollments, strict=True):
        added.update(count_person(enrollment, enrollment.status, trainee))
        trainee.updated_at = stamp
    change_counters(cohort, **added)


def insert_enrollments(
    accepted: list[Trainee],
    statuses: list[EnrollmentStatus],
    seats: list[Pool | None],
    cohort: Cohort,
    *,
    source: EnrollmentSource,
    applied_at: datetime,
) -> list[Enrollment]:
    """The new places, in one multi-row INSERT, returned in list order."""
    return db.session.scalars(
        insert(Enrollment).returning(Enrollment, sort_by_parameter_order=True),
        [
            {
                "trainee_id": trainee.id,
                "cohort_id": cohort.id,
                "status": status,
                "source": source,
                "applied_at": applied_at,
                "decided_at": applied_at if status is S.ENROLLED else None,
                "pool": pool,
            }
            for trainee, status, pool in zip(accepted, statuses, seats, strict=True)
        ],
    ).all()


def audit_many(actor: UserAccount, enrollments: list[Enrollment], cohort: Cohort, *, source: EnrollmentSource) -> None:
    """One audit event per new place, as ``place`` writes it (``audit``), in one statement."""
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


def messages_in_order(enrollments: list[Enrollment], first_position: int) -> list[Message]:
    """Each new place's message, as ``place`` tells it; the waitlisted are told their positions in line,
    counted from ``first_position``."""
    messages = []
    position = first_position
    for enrollment in enrollments:
        if enrollment.status is S.WAITLISTED:
            messages.append(message_for(enrollment, "waitlisted", position=position))
            position += 1
        else:
            messages.append(message_for(enrollment, enrollment.status.value))
    return messages


# Staff decisions -----------------------------------------------------------------------------------
