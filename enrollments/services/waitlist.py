"""The waitlist: who is next in line (order of application: ``applied_at``, then id; in a merit cohort the
rank of its published merit list first: ``rules.line_order``), and giving a free
seat to the first in line who may still take it and qualifies for its pool (``enrollments.pools``: a
freed women's seat goes to the first woman in line, passing over men ahead of her).

Seats given from the line are offered instead (held until a deadline, ``enrollments.services.offers``)
in cohorts that offer seats. What is due on a cohort whenever it is touched (``settle_due``): releasing
its reserved seats once their time has come, and expiring offers past their deadline."""

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, tuple_, update

from audit.events import record
from auth.models import UserAccount
from clock import local_today
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.models import Enrollment
from enrollments.services.changes import audit, lock_trainees, move, refresh_cohort, take_seat
from enrollments.services.messages import tell
from enrollments.services.rules import limits_refusal, line_key, line_order
from extensions import db
from vocabulary import RESERVED_POOLS, CohortStatus, EnrollmentStatus

S = EnrollmentStatus
# Cohorts whose freed seats go to the waitlist: those that have not started, and running ones during
# their backfill window (``promotes``; nobody joins a course half-way).
PROMOTING_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED)


def in_backfill_window(cohort: Cohort, now: datetime) -> bool:
    """Whether ``now`` falls in the first ``cohort.backfill_days`` days from its start (7 by default): a
    running cohort then still fills a freed seat from its line."""
    return local_today(now) < cohort.starts_on + timedelta(days=cohort.backfill_days)


def promotes(cohort: Cohort, now: datetime) -> bool:
    """Whether a seat freed in ``cohort`` at ``now`` goes to its line: before it starts, and while it runs
    within its backfill window."""
    return cohort.status in PROMOTING_STATUSES or (
        cohort.status is CohortStatus.RUNNING and in_backfill_window(cohort, now)
    )


def line_ended_due(cohort: Cohort, now: datetime) -> bool:
    """Whether ``cohort`` runs past its backfill window with people still waiting: their wait ends."""
    return (
        cohort.status is CohortStatus.RUNNING
        and bool(cohort.waitlisted_count or cohort.pending_count)
        and not in_backfill_window(cohort, now)
    )


def next_in_line(cohort: Cohort, limit: int) -> list[Enrollment]:
    """The first ``limit`` waitlisted enrollments (read without locks: callers lock, then re-check)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(*line_order(cohort))
            .limit(limit)
        )
    )


def promote_next(cohort: Cohort, *, actor: UserAccount | None, now: datetime | None = None) -> Enrollment | None:
    """Give a free seat of ``cohort`` to the first eligible trainee on its waitlist who qualifies for
    a pool with a free seat (open seats first: ``pools.pool_for``), and who has not since taken the
    maximum number of places or a clashing one. The seat is hers (``enrolled``, ``enrollment.promote``)
    or, in a cohort that offers seats, offered until the deadline (``offered``, ``enrollment.offer``).
    Returns her enrollment, or None when no seat is free for anyone in line, or the cohort has finished
    or been cancelled."""
    now = now or utcnow()
    cohort = refresh_cohort(cohort)
    if not promotes(cohort, now) or not pools.any_free(cohort):
        return None
    for candidate in whole_waitlist(cohort):
        pool = pools.pool_for(candidate.trainee, cohort)
        if pool is None:  # only reserved seats she does not qualify for are free
            continue
        lock_trainees(candidate.trainee_id)
        db.session.refresh(candidate)
        if candidate.status is not S.WAITLISTED:
            continue
        if limits_refusal(candidate.trainee, cohort, excluding=candidate) is not None:
            continue
        offer = cohort.offers
        if not take_seat(cohort, pool, offer=offer, now=now):
            return None
        if offer:
            candidate.offer_expires_at = now + timedelta(hours=cohort.offer_hours)
            candidate.offer_reminded_at = None
        before = move(candidate, S.OFFERED if offer else S.ENROLLED, now=now, seat=pool)
        audit(actor, "enrollment.offer" if offer else "enrollment.promote", candidate, before)
        tell(candidate, "offered" if offer else "promoted")
        return candidate
    return None


def fill(cohort: Cohort, *, actor: UserAccount | None, now: datetime | None = None) -> list[Enrollment]:
    """Give every seat free for someone in line (``promote_next`` until none is). Returns the places given."""
    given = []
    while (enrollment := promote_next(cohort, actor=actor, now=now)) is not None:
        given.append(enrollment)
    return given


def release(cohort: Cohort, *, actor: UserAccount | None, now: datetime) -> bool:
    """Release ``cohort``'s reserved seats (the cohort locked): unfilled ones become open seats, and the
    line moves into them at once. The same UPDATE keeps the seats of each pool held then
    (``released_held_<pool>``: the reserved seats filled, as the reports keep them). Records
    ``cohort.release`` with the seats reserved and held per pool. Idempotent: one conditional UPDATE, so
    a cohort is released once, whoever gets there first; returns whether this call released it."""
    snapshot = {f"released_held_{pool.value}": getattr(Cohort, f"held_{pool.value}") for pool in RESERVED_POOLS}
    result = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.released_at.is_(None))
        .values(released_at=now, **snapshot)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, ["released_at", *snapshot])
    if result.rowcount != 1:
        return False
    state = {
        pool.value: {"reserved": pools.reserved(cohort, pool), "held": pools.held(cohort, pool)}
        for pool in RESERVED_POOLS
        if pools.reserved(cohort, pool)
    }
    record(
        actor,
        "cohort.release",
        cohort,
        before=state,
        after={"released_at": now.isoformat()},
        centre_id=cohort.centre_id,
    )
    fill(cohort, actor=actor, now=now)
    return True


def settle_due(cohort: Cohort, *, now: datetime) -> dict[str, int]:
    """What is due on ``cohort`` (just locked) at ``now``, done by the system (no actor): offers past
    their deadline expire and their seats go on; reserved seats past their release time are released; a
    running cohort past its backfill window ends the wait of those still in line (``end_waiting``).
    Costs nothing (no statement) when nothing is due. Returns how many offers expired, whether the
    seats were released (1 or 0) and how many waiting places ended."""
    done = {"expired": 0, "released": 0, "ended": 0}
    if cohort.offered_count:
        from enrollments.services.offers import expire_due  # offers build on the waitlist

        done["expired"] = expire_due(cohort, now=now)
    if pools.release_due(cohort, now):
        done["released"] = int(release(cohort, actor=None, now=now))
    if line_ended_due(cohort, now):
        from enrollments.services.cohorts import end_waiting  # the cohort's changes build on the waitlist

        done["ended"] = end_waiting(cohort, actor=None, now=now)
    return done


def whole_waitlist(cohort: Cohort, batch: int = 50):
    """The waitlist in order (``line_order``), read a batch at a time (a long line is never loaded whole)."""
    order = line_order(cohort)
    after: tuple | None = None
    while True:
        stmt = (
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(*order)
            .limit(batch)
        )
        if after is not None and len(order) == 2:  # application order: the roster index serves it
            stmt = stmt.where(
                or_(Enrollment.applied_at > after[0], and_(Enrollment.applied_at == after[0], Enrollment.id > after[1]))
            )
        elif after is not None:
            stmt = stmt.where(tuple_(*order) > tuple_(*after))
        rows = list(db.session.scalars(stmt))
        yield from rows
        if len(rows) < batch:
            return
        after = line_key(rows[-1])
