"""How every enrollment change is written: the locks (the cohort first, then trainees in id order), the
cohort's counters in one UPDATE, a seat taken atomically (and the moment the last one went: ``filled_at``),
the status moved, and its audit event."""

import functools
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, Update, and_, bindparam, case, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from audit.events import record
from auth.models import UserAccount
from courses.models import Cohort, with_course_and_centre
from database import UTCDateTime, get_locked, utcnow
from enrollments import pools
from enrollments.counters import count_person, left_training_delta, offer_deltas, pool_deltas
from enrollments.counters import deltas as counter_deltas
from enrollments.models import Enrollment, Trainee
from enrollments.tallies import keep_tallies, loaded_tallies
from extensions import db
from vocabulary import RESERVED_POOLS, Admission, CohortStatus, EnrollmentStatus, Pool

S = EnrollmentStatus


def lock_cohort(cohort: Cohort, now: datetime | None = None, *, settle: bool = True) -> Cohort:
    """Lock the cohort's row until the transaction ends and re-read it (status, seats and counters as
    they are now). Always the first lock an operation takes.

    Touching a cohort also does what is due on it (``settle``, unless ``settle=False``): reserved seats
    whose release time has passed are released, offers past their deadline expire, and the line moves
    — so a missed timer never keeps a seat from the line. The cohort is read with its course and centre."""
    locked = get_locked(Cohort, cohort.id, *with_course_and_centre())
    if settle:
        from enrollments.services.waitlist import settle_due  # the waitlist builds on this module

        settle_due(locked, now=now or utcnow())
    return locked


def lock_trainees(*trainee_ids: int) -> None:
    """Lock these trainees' rows, in id order, until the transaction ends; taken after the cohort's.
    Rows are re-read, so later checks see fresh data."""
    for trainee_id in sorted(set(trainee_ids)):
        get_locked(Trainee, trainee_id)


def refresh_cohort(cohort: Cohort) -> Cohort:
    """``cohort`` re-read from the database (within a locked operation, after counter changes)."""
    return db.session.get(Cohort, cohort.id, populate_existing=True)


def change_counters(cohort: Cohort, **deltas: int) -> None:
    """Add ``deltas`` to the cohort's counters in one UPDATE (never read-modify-write)."""
    values = {name: getattr(Cohort, name) + delta for name, delta in deltas.items() if delta}
    if values:
        db.session.execute(
            update(Cohort).where(Cohort.id == cohort.id).values(**values).execution_options(synchronize_session=False)
        )
        db.session.expire(cohort, list(values))


def filled_at(held_after: ColumnElement[int], seats, now: datetime | ColumnElement) -> ColumnElement:
    """The new ``Cohort.full_at`` of an UPDATE after which ``held_after`` of ``seats`` are held (both in SQL,
    over the row's old values, or numbers): ``now`` if that is every seat (one at least) and the cohort
    was never full before; else as it was. Set once, never cleared: the first moment the cohort filled
    (the reports' days from opening to full). ``now`` may be a bound parameter (``seat_statement``)."""
    moment = now if isinstance(now, ColumnElement) else literal(now, UTCDateTime())
    return case(
        (and_(Cohort.full_at.is_(None), held_after >= seats, held_after > 0), moment),
        else_=Cohort.full_at,
    )


def take_seat(
    cohort: Cohort,
    pool: Pool = Pool.OPEN,
    *,
    offer: bool = False,
    counting: dict[str, int] | None = None,
    now: datetime | None = None,
    applying: bool = False,
) -> bool:
    """Take one seat of ``pool`` if one is free: True when taken. Counts it as enrolled, or as offered
    (``offer``), and in its pool, and adds the other counters' ``counting`` deltas in the same statement
    (only if the seat is taken); the last seat marks the cohort full at ``now`` (``filled_at``). Atomic on
    both databases: one conditional UPDATE that never holds more seats than there are, nor more of a
    reserved pool than it has, nor, before the release, more open seats than are not reserved (the
    database's CHECK constraints back the first two up). With ``applying``, for an applicant who did not
    lock the cohort: only while it takes applications (at ``now``), first come."""
    counting = {name: delta for name, delta in (counting or {}).items() if delta}
    stmt, changed = seat_statement(pool, offer, tuple(sorted(counting)), applying)
    deltas = {f"delta_{name}": delta for name, delta in counting.items()}
    result = db.session.execute(stmt, {"cohort_id": cohort.id, "now": now or utcnow(), **deltas})
    db.session.expire(cohort, list(changed))
    return result.rowcount == 1


@functools.cache
def seat_statement(
    pool: Pool, offer: bool, counters: tuple[str, ...], applying: bool
) -> tuple[Update, tuple[str, ...]]:
    """``take_seat``'s UPDATE for one kind of call, built once (building it took longer than running it),
    with the parameters ``cohort_id``, ``now`` and ``delta_<counter>`` for each of ``counters``; and the
    columns it changes."""
    now = bindparam("now", type_=UTCDateTime())
    counter = "offered_count" if offer else "enrolled_count"
    values = {name: getattr(Cohort, name) + bindparam(f"delta_{name}", type_=Integer()) for name in counters}
    values[counter] = getattr(Cohort, counter) + 1
    values["full_at"] = filled_at(Cohort.enrolled_count + Cohort.offered_count + 1, Cohort.seats, now)
    conditions = [Cohort.id == bindparam("cohort_id"), Cohort.enrolled_count + Cohort.offered_count < Cohort.seats]
    if applying:
        conditions += [Cohort.taking_applications(now), Cohort.admission == Admission.FIRST_COME]
    held_reserved = sum((getattr(Cohort, f"held_{each.value}") for each in RESERVED_POOLS), 0)
    if pool is Pool.OPEN:
        conditions.append(
            or_(
                Cohort.released_at.is_not(None),
                Cohort.enrolled_count + Cohort.offered_count - held_reserved
                < Cohort.seats - sum((getattr(Cohort, f"reserved_{each.value}") for each in RESERVED_POOLS), 0),
            )
        )
    else:
        held = getattr(Cohort, f"held_{pool.value}")
        conditions.append(and_(Cohort.released_at.is_(None), held < getattr(Cohort, f"reserved_{pool.value}")))
        values[held.key] = held + 1
    return update(Cohort).where(*conditions).values(values).execution_options(synchronize_session=False), tuple(values)


def give_back_seat(cohort: Cohort, counted: dict[str, int], now: datetime) -> None:
    """Undo, within the transaction, ``take_seat(cohort, counting=counted, now=now)`` of an open seat whose
    place was then not made: the seat, the other counters, and the cohort's ``full_at`` if that seat set it."""
    values = {name: getattr(Cohort, name) - delta for name, delta in counted.items() if delta}
    values["enrolled_count"] = Cohort.enrolled_count - 1
    stamped = literal(now, UTCDateTime())
    values["full_at"] = case((Cohort.full_at == stamped, None), else_=Cohort.full_at)
    db.session.execute(
        update(Cohort).where(Cohort.id == cohort.id).values(values).execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, list(values))


def seat_for(trainee: Trainee, cohort: Cohort, *, offer: bool = False, now: datetime | None = None) -> Pool | None:
    """Take the seat ``trainee`` would get in ``cohort`` now (``pools.pool_for``: open seats first, then a
    reserved pool she qualifies for): the pool it came from, or None when no seat is free for her."""
    pool = pools.pool_for(trainee, cohort)
    if pool is None or not take_seat(cohort, pool, offer=offer, now=now):
        return None
    return pool


def insert_place(trainee: Trainee, cohort: Cohort, **values) -> Enrollment | None:
    """Insert her place in ``cohort`` with ``values`` in one statement (``INSERT ... ON CONFLICT DO
    NOTHING RETURNING``): the new enrollment, or None when she has one there already (one per trainee
    and cohort). Callers hold the cohort's lock and have looked, so None means a place made without it."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    return db.session.scalars(
        insert(Enrollment)
        .values(trainee_id=trainee.id, cohort_id=cohort.id, **values)
        .on_conflict_do_nothing(index_elements=[Enrollment.trainee_id, Enrollment.cohort_id])
        .returning(Enrollment)
    ).one_or_none()


def stamp_trainee(trainee: Trainee, stamp: datetime, marks: dict[str, int]) -> bool:
    """Write ``marks`` (her first application, first place) and a new ``updated_at`` on her record, in one
    UPDATE, only if it still has the ``updated_at`` read as ``stamp``: False (nothing written) when her record
    changed since. Locks her row (after the cohort's, as every operation does)."""
    now = utcnow()
    stamped = db.session.execute(
        update(Trainee)
        .where(Trainee.id == trainee.id, Trainee.updated_at == stamp)
        .values(**marks, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if stamped.rowcount != 1:
        return False
    for name, value in (marks | {"updated_at": now}).items():
        set_committed_value(trainee, name, value)
    return True


def move(
    enrollment: Enrollment,
    to: EnrollmentStatus,
    *,
    now: datetime,
    reason: str = "",
    seat: Pool | None = None,
    expired: bool = False,
    counting: dict[str, int] | None = None,
) -> EnrollmentStatus:
    """Set the status, keep the cohort's counters in step (``enrollments.counters``: by status, the
    report counters, the held seats of its pool; a place that started training and leaves it; her first
    place; an offer made or ended, ``expired`` when it ends by its deadline), and return the old status.
    Taking a seat for an enrollment that comes to hold one is the caller's job, atomically, with
    ``take_seat`` (or ``seat_for``), which counts it: the caller passes its pool as ``seat``. The
    oversight tallies (``enrollments.tallies``: at risk, finished, backfilled, ...) follow too. ``counting``:
    more counter changes for the same UPDATE (a not-completed place's reason counter, which the database checks
    against ``not_completed_count`` in the same row)."""
    before = enrollment.status
    # What the oversight tallies count it as now: as last flushed, so that a reason set just before the move
    # (``completion_override_reason``, ``not_completed_reason``) is counted with the move.
    tallied = loaded_tallies(enrollment)
    if seat is not None:
        enrollment.pool = seat
    changes = counter_deltas(before, to, enrollment.trainee) | pool_deltas(before, to, enrollment.pool)
    changes.update(left_training_delta(enrollment, before, to))
    changes.update(offer_deltas(enrollment, before, to, expired=expired))
    if to is S.ENROLLED and not enrollment.started_training and enrollment.cohort.status is CohortStatus.RUNNING:
        # A seat given in a running cohort (its backfill window): she starts training now, in a seat that
        # someone else left (the reports' backfilled seats).
        enrollment.started_training = True
        enrollment.backfilled = True
        changes["started_count"] = 1
    elif to in (S.COMPLETED, S.NOT_COMPLETED) and not enrollment.started_training:
        # A decided place evidently started training (its cohort was marked running by other means).
        enrollment.started_training = True
        changes["started_count"] = 1
    if seat is not None:  # counted by take_seat
        changes.pop("offered_count" if to is S.OFFERED else "enrolled_count", None)
        changes.pop(f"held_{seat.value}", None)
    if to is S.ENROLLED:
        changes.update(count_person(enrollment, to, enrollment.trainee))
    for name, delta in (counting or {}).items():
        changes[name] = changes.get(name, 0) + delta
    change_counters(enrollment.cohort, **changes)
    enrollment.status = to
    enrollment.decided_at = now
    if reason:
        enrollment.reason = reason
    keep_tallies(enrollment, tallied)
    db.session.flush()
    return before


def audit_state(enrollment: Enrollment) -> dict:
    """What an enrollment's audit event keeps of it after the change."""
    return {"status": enrollment.status.value, "cohort": enrollment.cohort.code, "trainee_id": enrollment.trainee_id}


def audit(actor: UserAccount | None, action: str, enrollment: Enrollment, before: S | None, reason: str = "") -> None:
    record(
        actor,
        action,
        enrollment,
        before={"status": before.value} if before else None,
        after=audit_state(enrollment),
        reason=reason,
        centre_id=enrollment.cohort.centre_id,
    )
