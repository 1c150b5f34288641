"""The cohort counters against the truth, the enrollment table (and, for the shares, the trainees).

Each cohort keeps, updated in the same transaction as every change by the enrollment services:
``enrolled_count``, ``waitlisted_count``, ``pending_count`` (places by status, what the pages and the
seat rules read), and for the ministry's reports ``completed_count``, ``dropped_count``,
``women_count`` and ``rural_count`` (women, and trainees from rural areas, among enrolled and completed
places) and ``applications_count`` (every enrollment ever made in it: the funnel's "applied"); for
selection, ``offered_count`` (seats offered, held until she answers) and ``held_<pool>`` (seats of each
reserved pool held: ``pool_deltas``). Reports
then add up a few thousand cohort rows instead of millions of enrollments.

``COUNTERS`` defines each counter once, twice over: as a test of one place (what the services apply
to each change, ``deltas``) and as SQL (what ``recount`` compares with). ``recount`` recomputes them
all from scratch, reports any drift and, when asked, fixes it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select, true

from courses.models import Cohort
from enrollments.models import Enrollment, Trainee
from extensions import db
from vocabulary import HOLDING_STATUSES, RESERVED_POOLS, Area, EnrollmentStatus, Gender, Pool

S = EnrollmentStatus
TRAINED = (S.ENROLLED, S.COMPLETED)


@dataclass(frozen=True)
class Counter:
    """A cohort column counting the enrollments for which ``counts(status, trainee)`` holds; ``where``
    is the same test in SQL, over ``Enrollment`` joined to ``Trainee``."""

    column: str
    counts: Callable[[EnrollmentStatus, Trainee], bool]
    where: Callable[[], ColumnElement[bool]]


COUNTERS = (
    Counter("enrolled_count", lambda status, _: status is S.ENROLLED, lambda: Enrollment.status == S.ENROLLED),
    Counter("waitlisted_count", lambda status, _: status is S.WAITLISTED, lambda: Enrollment.status == S.WAITLISTED),
    Counter("pending_count", lambda status, _: status is S.PENDING, lambda: Enrollment.status == S.PENDING),
    Counter("completed_count", lambda status, _: status is S.COMPLETED, lambda: Enrollment.status == S.COMPLETED),
    Counter("dropped_count", lambda status, _: status is S.DROPPED, lambda: Enrollment.status == S.DROPPED),
    Counter(
        "women_count",
        lambda status, trainee: status in TRAINED and trainee.gender is Gender.FEMALE,
        lambda: and_(Enrollment.status.in_(TRAINED), Trainee.gender == Gender.FEMALE),
    ),
    Counter(
        "rural_count",
        lambda status, trainee: status in TRAINED and trainee.area is Area.RURAL,
        lambda: and_(Enrollment.status.in_(TRAINED), Trainee.area == Area.RURAL),
    ),
    Counter("applications_count", lambda status, _: True, lambda: true()),
    Counter("offered_count", lambda status, _: status is S.OFFERED, lambda: Enrollment.status == S.OFFERED),
)
# The seats held per reserved pool (``enrollments.pools``): enrolled or offered places whose seat came
# from that pool. They depend on the place's pool, not on its trainee: ``pool_deltas``.
POOL_COUNTERS = {f"held_{pool.value}": pool for pool in RESERVED_POOLS}
COUNTER_NAMES = (*(counter.column for counter in COUNTERS), *POOL_COUNTERS)


def pool_deltas(before: EnrollmentStatus | None, after: EnrollmentStatus | None, pool: Pool | None) -> dict[str, int]:
    """How the held counter of ``pool`` changes when a place of that pool goes from ``before`` to ``after``."""
    if pool is None or pool is Pool.OPEN:
        return {}
    change = (after in HOLDING_STATUSES) - (before in HOLDING_STATUSES)
    return {f"held_{pool.value}": change} if change else {}


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


def deltas_for_trainee_change(status: EnrollmentStatus, old: Trainee, new: Trainee) -> dict[str, int]:
    """How a cohort's counters change when the record of a trainee holding a place with ``status``
    changes from ``old`` to ``new`` (her gender or area corrected)."""
    changes = {}
    for counter in COUNTERS:
        if change := counter.counts(status, new) - counter.counts(status, old):
            changes[counter.column] = change
    return changes


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
            *[func.sum(case((counter.where(), 1), else_=0)).label(counter.column) for counter in COUNTERS],
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
