"""How every enrollment change is written: the locks (the cohort first, then trainees in id order), the
cohort's counters in one UPDATE, a seat taken atomically (and the moment the last one went: ``filled_at``),
the status moved, and its audit event."""

import enum
import functools
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    exists,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from audit.events import record
from audit.models import AuditEvent
from auth.models import UserAccount
from courses.models import Cohort, with_course_and_centre
from database import UTCDateTime, get_locked, utcnow
from enrollments import pools
from enrollments.counters import count_person, first_marks, left_training_delta, offer_deltas, pool_deltas
from enrollments.counters import deltas as counter_deltas
from enrollments.models import Enrollment, Trainee
from enrollments.tallies import keep_tallies, loaded_tallies
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import RESERVED_POOLS, Admission, CohortStatus, EnrollmentSource, EnrollmentStatus, Pool

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
    return place_state(enrollment.status, enrollment.cohort, enrollment.trainee_id)


def place_state(status: EnrollmentStatus, cohort: Cohort, trainee_id: int) -> dict:
    """``audit_state`` of a place in ``status`` in ``cohort`` of the trainee ``trainee_id`` (a place not yet made)."""
    return {"status": status.value, "cohort": cohort.code, "trainee_id": trainee_id}


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


class NotWritten(enum.Enum):
    """Why ``write_open_place`` wrote nothing (everything it had begun is undone)."""

    SEAT_GONE = "no open seat was free for an applicant at that moment"
    HAS_PLACE = "she has a place in the cohort already, made meanwhile"
    RECORD_CHANGED = "her record changed since it was read"


def write_open_place(
    trainee: Trainee,
    cohort: Cohort,
    *,
    stamp: datetime,
    counting: dict[str, int],
    source: EnrollmentSource,
    now: datetime,
    event: dict,
    messages: list[dict],
) -> Enrollment | NotWritten:
    """Give ``trainee`` an open seat of ``cohort`` as an applicant who holds no lock (``applying.place_in_open_seat``):
    take the seat (``take_seat(..., applying=True)``, adding the ``counting`` deltas), insert her place (enrolled,
    open pool, applied and decided at ``now``), stamp her record if its ``updated_at`` is still ``stamp``
    (``stamp_trainee``: her first application and first place marked as ``counting`` says), and insert the
    place's audit ``event`` and ``messages`` (rows as ``audit.events.event_row`` and
    ``notifications.outbox.queued_rows`` make them, the place's id filled in here). Returns the place, or why
    nothing was written (``NotWritten``), having undone what it had begun.

    On PostgreSQL the five writes are ONE statement: data-modifying CTEs, each acting only on what the one
    before returned (the seat's row, the new place, her stamped row), so that none is written unless the
    ones before it were; the locks are taken in the usual order, the cohort's row then hers. Every
    application pays for these writes, and one round trip costs the worker a fraction of five. Whether the
    seat was taken and her record stamped comes back with the place. SQLite (which has no data-modifying
    CTEs) runs them one by one, with the same outcome."""
    marks = first_marks(counting)
    if db.engine.dialect.name == "postgresql":
        return write_open_place_at_once(trainee, cohort, stamp, counting, marks, source, now, event, messages)
    if not take_seat(cohort, Pool.OPEN, counting=counting, now=now, applying=True):
        return NotWritten.SEAT_GONE
    enrollment = insert_place(
        trainee, cohort, status=S.ENROLLED, source=source, applied_at=now, decided_at=now, pool=Pool.OPEN
    )
    if enrollment is None:  # the same application, sent twice at once: the other one made her place
        give_back_seat(cohort, counting, now)
        return NotWritten.HAS_PLACE
    if not stamp_trainee(trainee, stamp, dict.fromkeys(marks, enrollment.id)):
        db.session.delete(enrollment)
        give_back_seat(cohort, counting, now)
        return NotWritten.RECORD_CHANGED
    db.session.execute(insert(AuditEvent), [event | {"object_id": enrollment.id}])
    db.session.execute(insert(OutboxMessage), [message | {"enrollment_id": enrollment.id} for message in messages])
    return enrollment


def write_open_place_at_once(
    trainee: Trainee,
    cohort: Cohort,
    stamp: datetime,
    counting: dict[str, int],
    marks: tuple[str, ...],
    source: EnrollmentSource,
    now: datetime,
    event: dict,
    messages: list[dict],
) -> Enrollment | NotWritten:
    """``write_open_place`` on PostgreSQL, in one statement (``open_place_statement``)."""
    counters = tuple(sorted(name for name, delta in counting.items() if delta))
    place = with_defaults(
        Enrollment.__table__,
        {"trainee_id": trainee.id, "status": S.ENROLLED, "source": source, "applied_at": now, "decided_at": now}
        | {"pool": Pool.OPEN},
    )
    event = with_defaults(AuditEvent.__table__, event)
    messages = [with_defaults(OutboxMessage.__table__, message) for message in messages]
    place, event, *messages = (
        {**row, **dict.fromkeys(row.keys() & ROW_TIMES, now)} for row in (place, event, *messages)
    )
    # Every message has the same columns (``queued_rows``): one SMS, and an email when she gave an address.
    statement = open_place_statement(counters, marks, tuple(place), tuple(event), tuple(messages[0]), len(messages))
    parameters = {
        "cohort_id": cohort.id,
        "now": now,
        **{f"delta_{name}": counting[name] for name in counters},
        "trainee_id": trainee.id,
        "stamp": stamp,
        "stamped_at": utcnow(),
        **prefixed("place_", place),
        **prefixed("event_", event),
        **{
            key: value
            for number, message in enumerate(messages)
            for key, value in prefixed(f"message{number}_", message).items()
        },
    }
    row = db.session.execute(statement, parameters).one_or_none()
    db.session.expire(cohort, list(seat_statement(Pool.OPEN, False, counters, True)[1]))
    if row is None:  # the seat's UPDATE matched no row
        return NotWritten.SEAT_GONE
    place_id, stamped_at = row.place_id, row.stamped_at
    if place_id is None:  # the same application, sent twice at once: the other one made her place
        give_back_seat(cohort, counting, now)
        return NotWritten.HAS_PLACE
    if stamped_at is None:
        db.session.execute(delete(Enrollment).where(Enrollment.id == place_id))
        give_back_seat(cohort, counting, now)
        return NotWritten.RECORD_CHANGED
    for name, value in (dict.fromkeys(marks, place_id) | {"updated_at": stamped_at}).items():
        set_committed_value(trainee, name, value)
    # The place as written: the values sent, the database's own (its id, server defaults) as returned, and
    # nothing else (NULL). Made persistent as if read, so that it is neither read nor written again.
    values = dict.fromkeys(PLACE_COLUMNS) | place | {"cohort_id": cohort.id}
    values |= {key: getattr(row, f"place_{key}") for key in PLACE_RETURNED}
    enrollment = Enrollment(**values)
    make_transient_to_detached(enrollment)
    db.session.add(enrollment)
    return enrollment


PLACE_COLUMNS = tuple(column.key for column in Enrollment.__table__.columns)
# What the database gives a new place that the statement does not send: its id, and what only a server
# default sets (every column with a server default has a Python default too today, but one may come).
PLACE_RETURNED = tuple(
    column.key
    for column in Enrollment.__table__.columns
    if column.primary_key or (column.server_default is not None and column.default is None)
)


def with_defaults(table: Table, row: dict) -> dict:
    """``row`` with the Python-side defaults of ``table``'s columns it does not give (an INSERT written as a
    CTE gets none from the ORM)."""
    defaults = {}
    for column in table.columns:
        if column.key not in row and column.default is not None:
            default = column.default
            defaults[column.key] = default.arg(None) if default.is_callable else default.arg
    return row | defaults


def prefixed(prefix: str, row: dict) -> dict:
    """The parameters of ``row``'s values (its times are the statement's ``now``: ``ROW_TIMES``)."""
    return {f"{prefix}{name}": value for name, value in row.items() if name not in ROW_TIMES}


# The times of the new rows (the place's, its event's, its messages'): all the moment of the application, sent
# once. Fewer parameters and a shorter statement let psycopg keep it parsed (it does not above 4096 characters
# or 50 parameters), which saves the worker a re-parse of the statement's text on every application.
ROW_TIMES = frozenset({"applied_at", "decided_at", "updated_at", "occurred_at", "created_at"})


@functools.cache
def open_place_statement(
    counters: tuple[str, ...],
    marks: tuple[str, ...],
    place_columns: tuple[str, ...],
    event: tuple[str, ...],
    message_columns: tuple[str, ...],
    message_count: int,
) -> Select:
    """``write_open_place_at_once``'s statement for one shape of call, built once: the seat's UPDATE
    (``seat_statement``), the place's INSERT, her stamp's UPDATE, the event's and the messages' INSERTs, as
    CTEs each selecting from the one before, and a SELECT of the place and her new stamp from the seat's row
    (no row: no seat; no place: she had one; no stamp: her record changed). Parameters: those of
    ``seat_statement``, ``trainee_id``, ``stamp`` and ``stamped_at``, and ``place_<column>``,
    ``event_<column>`` and ``message<n>_<column>`` for the rows' columns."""
    now = bindparam("now", type_=UTCDateTime())
    seat_update, _ = seat_statement(Pool.OPEN, False, counters, True)
    # A CTE cannot have the ORM fill in ``onupdate`` values: the row's updated_at is given.
    seat = seat_update.values(updated_at=now).returning(Cohort.id).cte("seat")

    enrollment = Enrollment.__table__
    place = (
        rows_from(enrollment, ["place_"], place_columns, {"cohort_id": seat.c.id}, seat, true())
        .on_conflict_do_nothing(index_elements=[enrollment.c.trainee_id, enrollment.c.cohort_id])
        .returning(*(enrollment.c[key] for key in PLACE_RETURNED))
        .cte("place")
    )
    place_id = select(place.c.id).scalar_subquery()

    trainees = Trainee.__table__
    stamped = (
        update(trainees)
        .where(
            trainees.c.id == bindparam("trainee_id", type_=Integer()),
            trainees.c.updated_at == bindparam("stamp", type_=UTCDateTime()),
            exists(select(place.c.id)),
        )
        .values({**dict.fromkeys(marks, place_id), "updated_at": bindparam("stamped_at", type_=UTCDateTime())})
        .returning(trainees.c.updated_at)
        .cte("stamped")
    )
    after_stamp = exists(select(stamped.c.updated_at))
    event_rows = rows_from(AuditEvent.__table__, ["event_"], event, {"object_id": place.c.id}, place, after_stamp)
    # The messages in one INSERT, in their order (the SMS first, as ``queue_many`` writes them).
    prefixes = [f"message{number}_" for number in range(message_count)]
    message_rows = rows_from(
        OutboxMessage.__table__, prefixes, message_columns, {"enrollment_id": place.c.id}, place, after_stamp
    )
    writes = [
        event_rows.returning(AuditEvent.__table__.c.id).cte("event"),
        message_rows.returning(OutboxMessage.__table__.c.id).cte("messages"),
    ]
    answer = [*(place.c[key].label(f"place_{key}") for key in PLACE_RETURNED), stamped.c.updated_at.label("stamped_at")]
    return select(*answer).select_from(seat.outerjoin(place, true()).outerjoin(stamped, true())).add_cte(*writes)


def rows_from(table: Table, prefixes: list[str], columns: tuple[str, ...], derived: dict, source, where):
    """An INSERT into ``table`` of one row per prefix for each row of ``source`` where ``where`` holds: the
    ``derived`` columns from ``source``, the other ``columns`` from parameters named ``<prefix><column>`` (the
    ``ROW_TIMES`` from ``now``), in the order of ``prefixes``."""
    now = bindparam("now", type_=UTCDateTime())
    rows = []
    for prefix in prefixes:
        values = {
            name: now if name in ROW_TIMES else bindparam(f"{prefix}{name}", type_=table.c[name].type)
            for name in columns
        } | derived
        rows.append(select(*values.values()).select_from(source).where(where))
    query = rows[0] if len(rows) == 1 else union_all(*rows)
    return postgresql.insert(table).from_select(list(values), query, include_defaults=False)
