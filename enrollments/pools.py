"""Reserved seats (DESIGN.md, "Selection"): which pool a seat comes from, who qualifies for each, and how
many of each are free. Read-only rules; ``enrollments.services`` takes and frees the seats.

A cohort's seats are its open seats plus seats reserved per category: women, rural applicants, residents
of the centre's district, persons with disability (``Cohort.reserved_<pool>``). Each held seat (enrolled
or offered) belongs to one pool (``Enrollment.pool``); the cohort counts them (``Cohort.held_<pool>``; the
open pool's holders are the rest of ``enrolled_count + offered_count``).

Open seats first: an applicant takes an open seat if one is free; otherwise a reserved seat of a category
she qualifies for, the one with the most free seats (ties: the order of ``RESERVED_POOLS``); otherwise she
waits. Once the cohort's release time has passed (``released_at`` set), every seat not held is open.
"""

from datetime import datetime, time, timedelta

from clock import local_zone
from courses.models import Cohort
from enrollments.models import Trainee
from vocabulary import RESERVED_POOLS, Area, Gender, Pool

# Unfilled reserved seats become open this many days before the cohort starts, unless staff set a time.
DEFAULT_RELEASE_DAYS = 7


def reserved(cohort: Cohort, pool: Pool) -> int:
    """The seats reserved for ``pool`` (a reserved pool)."""
    return getattr(cohort, f"reserved_{pool.value}")


def held(cohort: Cohort, pool: Pool) -> int:
    """The seats of ``pool`` held now (enrolled or offered)."""
    if pool is Pool.OPEN:
        return cohort.enrolled_count + cohort.offered_count - sum(held(cohort, each) for each in RESERVED_POOLS)
    return getattr(cohort, f"held_{pool.value}")


def total_reserved(cohort: Cohort) -> int:
    return sum(reserved(cohort, pool) for pool in RESERVED_POOLS)


def has_reserves(cohort: Cohort) -> bool:
    """Whether reserved seats still apply: some are reserved and they have not been released."""
    return cohort.released_at is None and total_reserved(cohort) > 0


def qualifies(trainee: Trainee, cohort: Cohort, pool: Pool) -> bool:
    """Whether ``trainee`` may hold a seat of ``pool`` in ``cohort`` (everyone may hold an open seat)."""
    if pool is Pool.OPEN:
        return True
    if pool is Pool.WOMEN:
        return trainee.gender is Gender.FEMALE
    if pool is Pool.RURAL:
        return trainee.area is Area.RURAL
    if pool is Pool.DISTRICT:
        return trainee.district_id == cohort.centre.district_id
    if pool is Pool.DISABILITY:
        return bool(trainee.disability)
    raise ValueError(f"no rule for the pool {pool!r}")


def free(cohort: Cohort, pool: Pool) -> int:
    """The seats of ``pool`` nobody holds now. Before release, the open pool is the seats not reserved;
    after it, every seat not held is open and reserved pools have none free."""
    left = cohort.seats - cohort.enrolled_count - cohort.offered_count
    if not has_reserves(cohort):
        return max(left, 0) if pool is Pool.OPEN else 0
    if pool is Pool.OPEN:
        return max(min(cohort.seats - total_reserved(cohort) - held(cohort, Pool.OPEN), left), 0)
    return max(min(reserved(cohort, pool) - held(cohort, pool), left), 0)


def pool_for(trainee: Trainee, cohort: Cohort) -> Pool | None:
    """The pool the seat ``trainee`` would take now comes from (None: none is free for her): open seats
    first, then the reserved pool she qualifies for with the most free seats."""
    if free(cohort, Pool.OPEN) > 0:
        return Pool.OPEN
    choices = [pool for pool in RESERVED_POOLS if free(cohort, pool) > 0 and qualifies(trainee, cohort, pool)]
    if not choices:
        return None
    return max(choices, key=lambda pool: (free(cohort, pool), -RESERVED_POOLS.index(pool)))


def any_free(cohort: Cohort) -> bool:
    """Whether any seat is free for someone (of some pool)."""
    return cohort.seats > cohort.enrolled_count + cohort.offered_count and (
        free(cohort, Pool.OPEN) > 0 or any(free(cohort, pool) > 0 for pool in RESERVED_POOLS)
    )


def default_release_at(starts_on) -> datetime:
    """The default release time: midnight in Pakistan, ``DEFAULT_RELEASE_DAYS`` before the first day."""
    day = starts_on - timedelta(days=DEFAULT_RELEASE_DAYS)
    return datetime.combine(day, time(0, 0), tzinfo=local_zone())


def release_due(cohort: Cohort, now: datetime) -> bool:
    """Whether ``cohort``'s reserved seats should be released at ``now``: some are reserved, they have not
    been released, and the release time has come."""
    if not has_reserves(cohort):
        return False
    release_at = cohort.release_at or default_release_at(cohort.starts_on)
    return release_at <= now
