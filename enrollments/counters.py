"""The cohort counters against the truth, the enrollment table (and, for the shares, the trainees).

Each cohort keeps, updated in the same transaction as every change by the enrollment services:
``enrolled_count``, ``waitlisted_count``, ``pending_count`` (places by status, what the pages and the
seat rules read), and for the ministry's reports ``completed_count``, ``dropped_count``,
``women_count`` and ``rural_count`` (women, and trainees from rural areas, among enrolled and completed
places) and ``applications_count`` (every enrollment ever made in it: the funnel's "applied"); for
selection, ``offered_count`` (seats offered, held until she answers) and ``held_<pool>`` (seats of each
reserved pool held: ``pool_deltas``). Reports
then add up a few thousand cohort rows instead of millions of enrollments.

Issue 15's definitions add ``men_count`` and ``transgender_count`` (the other genders among the same
places) and ``cancelled_count`` (places cancelled: in a cohort that ran, the people still waiting when it
started), all in ``COUNTERS``; ``TRAINING_COUNTERS``, which follow the place's ``started_training`` mark
(places that started training, and those of them that left before the end); and ``PERSON_COUNTERS``, which
count each person once, in the cohort of her first application and of her first place
(``Trainee.first_application_id``, ``first_place_id``), so that "people" can be added up like places.

Issue 16's selection figures add ``OFFER_COUNTERS``: seat offers made in the cohort and how they ended
(accepted, declined, expired), which follow the place's ``offer`` mark (``offer_deltas``, applied by
every move into and out of ``offered``). The open offers are ``offered_count``; those that ended with
their cohort cancelled are the rest of the offers made.

Issue 17's completion by rule adds ``not_completed_count`` (places that ended not completed when their
cohort finished; like completed ones they trained, so ``TRAINED`` counts them in the shares) and
``REASON_COUNTERS`` (those of each ``NotCompletedReason``, which follow the place's reason: ``reason_deltas``).

``COUNTERS`` defines each counter once, twice over: as a test of one place (what the services apply
to each change, ``deltas``) and as SQL (what ``recount`` compares with). ``recount`` recomputes them
all from scratch, reports any drift and, when asked, fixes it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, bindparam, case, func, select, true, update

from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import (
    HOLDING_STATUSES,
    RESERVED_POOLS,
    Area,
    CohortStatus,
    EnrollmentStatus,
    Gender,
    NotCompletedReason,
    OfferState,
    Pool,
)

S = EnrollmentStatus
# The places that trained: held a seat when it ran, through the end (completed or not: both finished it).
TRAINED = (S.ENROLLED, S.COMPLETED, S.NOT_COMPLETED)


@dataclass(frozen=True)
class Counter:
    """A cohort column counting the enrollments for which ``counts(status, trainee)`` holds; ``where``
    is the same test in SQL, over ``Enrollment`` joined to ``Trainee``."""

    column: str
    counts: Callable[[EnrollmentStatus, Trainee], bool]
    where: Callable[[], ColumnElement[bool]]


def of_status(column: str, status: EnrollmentStatus) -> Counter:
    """A counter of the places in one status."""
    return Counter(column, lambda place_status, _: place_status is status, lambda: Enrollment.status == status)


def trained_of_gender(column: str, gender: Gender) -> Counter:
    """A counter of the trained places (``TRAINED``) held by trainees of one gender."""
    return Counter(
        column,
        lambda status, trainee: status in TRAINED and trainee.gender is gender,
        lambda: and_(Enrollment.status.in_(TRAINED), Trainee.gender == gender),
    )


COUNTERS = (
    of_status("enrolled_count", S.ENROLLED),
    of_status("waitlisted_count", S.WAITLISTED),
    of_status("pending_count", S.PENDING),
    of_status("completed_count", S.COMPLETED),
    of_status("dropped_count", S.DROPPED),
    trained_of_gender("women_count", Gender.FEMALE),
    Counter(
        "rural_count",
        lambda status, trainee: status in TRAINED and trainee.area is Area.RURAL,
        lambda: and_(Enrollment.status.in_(TRAINED), Trainee.area == Area.RURAL),
    ),
    Counter("applications_count", lambda status, _: True, lambda: true()),
    of_status("offered_count", S.OFFERED),
    trained_of_gender("men_count", Gender.MALE),
    trained_of_gender("transgender_count", Gender.TRANSGENDER),
    of_status("cancelled_count", S.CANCELLED),
    of_status("not_completed_count", S.NOT_COMPLETED),
)
# The seats held per reserved pool (``enrollments.pools``): enrolled or offered places whose seat came
# from that pool. They depend on the place's pool, not on its trainee: ``pool_deltas``.
POOL_COUNTERS = {f"held_{pool.value}": pool for pool in RESERVED_POOLS}


def pool_deltas(before: EnrollmentStatus | None, after: EnrollmentStatus | None, pool: Pool | None) -> dict[str, int]:
    """How the held counter of ``pool`` changes when a place of that pool goes from ``before`` to ``after``."""
    if pool is None or pool is Pool.OPEN:
        return {}
    change = (after in HOLDING_STATUSES) - (before in HOLDING_STATUSES)
    return {f"held_{pool.value}": change} if change else {}


# A place that started training and then ended before the end of the course, by staff or by herself.
LEFT = (S.DROPPED, S.WITHDRAWN)


@dataclass(frozen=True)
class MarkedCounter:
    """A cohort column counting enrollments by a mark other than their status (``started_training``, or
    being a trainee's first application or first place); ``where`` says it in SQL, over ``Enrollment``
    joined to ``Trainee``. The services change these where the mark is set (see the functions below)."""

    column: str
    where: Callable[[], ColumnElement[bool]]


TRAINING_COUNTERS = (
    MarkedCounter("started_count", lambda: Enrollment.started_training.is_(True)),
    MarkedCounter("left_count", lambda: and_(Enrollment.started_training.is_(True), Enrollment.status.in_(LEFT))),
)
PERSON_COUNTERS = (
    MarkedCounter("applicants_count", lambda: Trainee.first_application_id == Enrollment.id),
    MarkedCounter("reached_count", lambda: Trainee.first_place_id == Enrollment.id),
    MarkedCounter(
        "reached_women_count", lambda: and_(Trainee.first_place_id == Enrollment.id, Trainee.gender == Gender.FEMALE)
    ),
    MarkedCounter(
        "reached_rural_count", lambda: and_(Trainee.first_place_id == Enrollment.id, Trainee.area == Area.RURAL)
    ),
)
# How each offer ended, by the counter that counts it (an offer ended with its cancelled cohort has none).
OFFER_OUTCOME_COUNTERS = {
    OfferState.ACCEPTED: "offers_accepted_count",
    OfferState.DECLINED: "offers_declined_count",
    OfferState.EXPIRED: "offers_expired_count",
}
OFFER_COUNTERS = (
    MarkedCounter("offers_made_count", lambda: Enrollment.offer.is_not(None)),
    *(
        MarkedCounter(column, lambda state=state: Enrollment.offer == state)
        for state, column in OFFER_OUTCOME_COUNTERS.items()
    ),
)
# The places not completed by each reason (``Enrollment.not_completed_reason``, set with the status by
# ``enrollments.services.completion``, which applies ``reason_deltas``).
REASON_COUNTERS = tuple(
    MarkedCounter(
        f"not_completed_{reason.value}_count",
        lambda reason=reason: and_(Enrollment.status == S.NOT_COMPLETED, Enrollment.not_completed_reason == reason),
    )
    for reason in NotCompletedReason
)
MARKED_COUNTERS = (*TRAINING_COUNTERS, *PERSON_COUNTERS, *OFFER_COUNTERS, *REASON_COUNTERS)
COUNTER_NAMES = (*(counter.column for counter in (*COUNTERS, *MARKED_COUNTERS)), *POOL_COUNTERS)


def deltas(before: EnrollmentStatus | None, after: EnrollmentStatus | None, trainee: Trainee) -> dict[str, int]:
    """How a cohort's counters change when one of its places goes from ``before`` to ``after`` (None:
    the place does not exist on that side), for ``trainee``. Only the counters that change."""
    changes = {}
    for counter in COUNTERS:
        change = (after is not None and counter.counts(after, trainee)) - (
            before is not None and counter.counts(before, trainee)
        )
        if change:
            changes[counter.column] = change
    return changes


def reason_deltas(before: NotCompletedReason | None, after: NotCompletedReason | None) -> dict[str, int]:
    """How the reason counters change when a place's ``not_completed_reason`` goes from ``before`` to
    ``after`` (None: not a not-completed place on that side)."""
    changes: dict[str, int] = {}
    if before is not after:
        if before is not None:
            changes[f"not_completed_{before.value}_count"] = -1
        if after is not None:
            changes[f"not_completed_{after.value}_count"] = 1
    return changes


def deltas_for_trainee_change(status: EnrollmentStatus, old: Trainee, new: Trainee) -> dict[str, int]:
    """How a cohort's counters change when the record of a trainee holding a place with ``status``
    changes from ``old`` to ``new`` (her gender or area corrected)."""
    changes = {}
    for counter in COUNTERS:
        if change := counter.counts(status, new) - counter.counts(status, old):
            changes[counter.column] = change
    return changes


def offer_deltas(
    enrollment: Enrollment, before: EnrollmentStatus | None, after: EnrollmentStatus, *, expired: bool = False
) -> dict[str, int]:
    """Mark on ``enrollment`` what becomes of its seat offer when it goes from ``before`` to ``after``, and
    return the offer counters its cohort gains: an offer made (into ``offered``); one ended (out of it):
    accepted (enrolled), declined, or expired (declined by its deadline: ``expired``), and any other end
    (its cohort cancelled) marked cancelled, which no counter counts."""
    if after is S.OFFERED and before is not S.OFFERED:
        enrollment.offer = OfferState.OPEN
        return {"offers_made_count": 1}
    if before is not S.OFFERED or after is S.OFFERED:
        return {}
    if after is S.ENROLLED:
        enrollment.offer = OfferState.ACCEPTED
    elif after is S.DECLINED:
        enrollment.offer = OfferState.EXPIRED if expired else OfferState.DECLINED
    else:
        enrollment.offer = OfferState.CANCELLED
    column = OFFER_OUTCOME_COUNTERS.get(enrollment.offer)
    return {column: 1} if column else {}


def left_training_delta(enrollment: Enrollment, before: EnrollmentStatus, after: EnrollmentStatus) -> dict[str, int]:
    """How ``left_count`` changes when a place goes from ``before`` to ``after``: only a place that started
    training can leave it (a withdrawal from the waitlist is not a dropout)."""
    if not enrollment.started_training:
        return {}
    change = (after in LEFT) - (before in LEFT)
    return {"left_count": change} if change else {}


def reached_deltas(trainee: Trainee, sign: int = 1) -> dict[str, int]:
    """The person counters her first place's cohort counts her in (``sign`` -1: as no longer counted)."""
    changes = {"reached_count": sign}
    if trainee.gender is Gender.FEMALE:
        changes["reached_women_count"] = sign
    if trainee.area is Area.RURAL:
        changes["reached_rural_count"] = sign
    return changes


def count_person(enrollment: Enrollment, status: EnrollmentStatus, trainee: Trainee) -> dict[str, int]:
    """When ``enrollment`` (flushed: it has an id) is her first application, or becomes her first place
    (``status`` enrolled), mark it on her record and return the person counters its cohort gains; else {}.
    The caller adds them to the cohort's other changes."""
    changes = person_deltas(status, trainee)
    for mark in first_marks(changes):
        setattr(trainee, mark, enrollment.id)
    return changes


def person_deltas(status: EnrollmentStatus, trainee: Trainee) -> dict[str, int]:
    """The person counters a cohort gains from a new place of ``trainee`` in ``status`` (``count_person``,
    without marking her record: for a caller that counts before the place has an id)."""
    changes: dict[str, int] = {}
    if trainee.first_application_id is None:
        changes["applicants_count"] = 1
    if status is S.ENROLLED and trainee.first_place_id is None:
        changes.update(reached_deltas(trainee))
    return changes


def first_marks(changes: dict[str, int]) -> tuple[str, ...]:
    """The marks on her record (``Trainee`` columns) that go with the person counters ``changes``."""
    return (("first_application_id",) if "applicants_count" in changes else ()) + (
        ("first_place_id",) if "reached_count" in changes else ()
    )


def person_deltas_for_trainee_change(old: Trainee, new: Trainee) -> dict[str, int]:
    """How her first place's cohort's person counters change when her gender or area is corrected."""
    changes = {}
    for column, before, after in (
        ("reached_women_count", old.gender is Gender.FEMALE, new.gender is Gender.FEMALE),
        ("reached_rural_count", old.area is Area.RURAL, new.area is Area.RURAL),
    ):
        if change := after - before:
            changes[column] = change
    return changes


def mark_firsts_and_training(connection=None) -> None:
    """Set, from the enrollment table as it is, every trainee's first application and first place and
    every place's ``started_training``, then the cohorts' ``MARKED_COUNTERS`` (training, people, and the
    offers by the places' ``offer`` marks, which the caller sets): for data made without the services
    (the seeds; the migration does the same in SQL). ``connection``: where to run it (default: the
    session). First: earliest applied (then lowest id). A place: enrolled, completed, dropped, or started
    training. Started: in a running or finished cohort, enrolled or
    completed, or dropped or withdrawn on or after its first day."""
    run = (connection or db.session).execute
    begun = select(Cohort.id).where(Cohort.status.in_((CohortStatus.RUNNING, CohortStatus.FINISHED)))
    starts_on = select(Cohort.starts_on).where(Cohort.id == Enrollment.cohort_id).scalar_subquery()
    run(
        update(Enrollment)
        .where(
            Enrollment.cohort_id.in_(begun),
            Enrollment.status.in_(TRAINED)
            | (Enrollment.status.in_(LEFT) & (func.date(Enrollment.decided_at) >= starts_on)),
        )
        # Marks, not edits: ``updated_at`` keeps its value (the seeds run twice change nothing).
        .values(started_training=True, updated_at=Enrollment.updated_at)
        .execution_options(synchronize_session=False)
    )
    earliest = (
        select(Enrollment.id)
        .where(Enrollment.trainee_id == Trainee.id)
        .order_by(Enrollment.applied_at, Enrollment.id)
        .limit(1)
    )
    held = Enrollment.status.in_((*TRAINED, S.DROPPED)) | Enrollment.started_training.is_(True)
    run(
        update(Trainee)
        .values(
            first_application_id=earliest.scalar_subquery(),
            first_place_id=earliest.where(held).scalar_subquery(),
            updated_at=Trainee.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    marked = MARKED_COUNTERS
    counts = run(
        select(
            Enrollment.cohort_id,
            *[func.sum(case((counter.where(), 1), else_=0)).label(counter.column) for counter in marked],
        )
        .join(Trainee, Trainee.id == Enrollment.trainee_id)
        .group_by(Enrollment.cohort_id)
    ).all()
    if counts:
        run(
            update(Cohort.__table__)
            .where(Cohort.__table__.c.id == bindparam("cohort"))
            .values(
                {counter.column: bindparam(f"new_{counter.column}") for counter in marked}
                | {"updated_at": Cohort.__table__.c.updated_at}
            ),
            [
                {"cohort": row[0], **{f"new_{c.column}": int(v or 0) for c, v in zip(marked, row[1:], strict=True)}}
                for row in counts
            ],
        )
    if connection is None:
        db.session.expire_all()


@dataclass(frozen=True)
class Drift:
    """A counter on a cohort that disagrees with the enrollment table."""

    cohort_id: int
    cohort_code: str
    counter: str
    stored: int
    actual: int


def actual_counts():
    """Per cohort id, every counter as counted from the enrollment table (a subquery)."""
    return (
        select(
            Enrollment.cohort_id,
            *[
                func.sum(case((counter.where(), 1), else_=0)).label(counter.column)
                for counter in (*COUNTERS, *MARKED_COUNTERS)
            ],
            *[
                func.sum(
                    case((and_(Enrollment.status.in_(HOLDING_STATUSES), Enrollment.pool == pool), 1), else_=0)
                ).label(column)
                for column, pool in POOL_COUNTERS.items()
            ],
        )
        .join(Trainee, Trainee.id == Enrollment.trainee_id)
        .group_by(Enrollment.cohort_id)
        .subquery()
    )


def recount(*, fix: bool = False) -> list[Drift]:
    """Compare every cohort's counters with counts of its enrollments.

    Returns the drifts found. With ``fix=True`` the stored counters are set to the actual counts
    (flushed, not committed). Cohorts that agree are not written to.
    """
    actual = actual_counts()
    rows = db.session.execute(
        select(Cohort, *[func.coalesce(actual.c[name], 0) for name in COUNTER_NAMES])
        .outerjoin(actual, actual.c.cohort_id == Cohort.id)
        .order_by(Cohort.id)
    )
    drifts: list[Drift] = []
    for cohort, *counts in rows:
        for name, count in zip(COUNTER_NAMES, counts, strict=True):
            stored = getattr(cohort, name)
            if stored != count:
                drifts.append(Drift(cohort.id, cohort.code, name, stored, int(count)))
                if fix:
                    setattr(cohort, name, int(count))
    if fix:
        db.session.flush()
    return drifts
