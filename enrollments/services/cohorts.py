"""What a cohort's changes do to its places: how many seats it may have and changing them (raising them
fills seats from the waitlist), the start of the course ending the wait, and cancelling it."""

from datetime import datetime

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select, update

from audit.events import record
from auth.models import UserAccount
from centres.models import Centre
from clock import local_date
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.models import Enrollment
from enrollments.services.changes import audit, change_counters, filled_at, lock_cohort, lock_trainees, move
from enrollments.services.decisions import require_manager
from enrollments.services.messages import tell
from enrollments.services.rules import EnrollmentRefused, NotPossibleNow, ReasonRequired
from enrollments.services.waitlist import fill, next_in_line
from enrollments.tallies import copy_cohort_facts
from extensions import db
from language import long_date, message_language
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, RESERVED_POOLS, CohortStatus, EnrollmentStatus, Mode, Pool

S = EnrollmentStatus
# How many seats a cohort may have (``check_seat_count``), besides its centre's lab seats when on-site.
MIN_SEATS, MAX_SEATS = 1, 1000


def check_seat_count(seats: int | None, *, mode: Mode, centre: Centre) -> int:
    """The seats a cohort of ``centre`` taught in ``mode`` may have: 1 to 1,000, and no more than the
    centre's lab seats when on-site. The one rule for creating a cohort, changing its seats and changing
    its mode, on the pages and in the API. Raises ``EnrollmentRefused`` on "seats"; returns ``seats``."""
    if seats is None:
        raise EnrollmentRefused(_("Enter the number of seats."), "seats")
    if not MIN_SEATS <= seats <= MAX_SEATS:
        raise EnrollmentRefused(
            _(
                "A cohort has from %(fewest)s to %(most)s seats.",
                fewest=format_number(MIN_SEATS),
                most=format_number(MAX_SEATS),
            ),
            "seats",
        )
    if mode is Mode.ON_SITE and seats > centre.lab_seats:
        raise EnrollmentRefused(
            _(
                "%(centre)s has %(lab)s lab seats: an on-site cohort there can have at most %(lab)s.",
                centre=centre.code,
                lab=centre.lab_seats,
            ),
            "seats",
        )
    return seats


def check_seats(cohort: Cohort, seats: int | None) -> int:
    """Whether ``cohort`` may have ``seats`` seats from now on: the rule ``change_seats`` applies, also
    used to preview a change. A finished or cancelled cohort keeps its seats (``NotPossibleNow``);
    otherwise ``check_seat_count`` for its mode and centre, and never fewer than the seats held (enrolled,
    and completed: a trainee who completed kept her seat to the end). Reads the counters as they are
    (``change_seats`` locks the cohort first). Raises ``EnrollmentRefused`` on "seats"; returns ``seats``."""
    if cohort.status in (CohortStatus.FINISHED, CohortStatus.CANCELLED):
        raise NotPossibleNow(
            _("This cohort is %(status)s: its seats can no longer change.", status=cohort.status.label.lower()),
            "seats",
        )
    check_seat_count(seats, mode=cohort.mode, centre=cohort.centre)
    if seats < cohort.enrolled_count:
        raise EnrollmentRefused(
            _(
                "%(enrolled)s trainees are enrolled: seats cannot go below that. Withdraw or drop places first.",
                enrolled=format_number(cohort.enrolled_count),
            ),
            "seats",
        )
    if cohort.offered_count and seats < (held := cohort.enrolled_count + cohort.offered_count):
        raise EnrollmentRefused(
            _(
                "%(held)s seats are held (%(enrolled)s enrolled, %(offered)s offered): seats cannot go below that.",
                held=format_number(held),
                enrolled=format_number(cohort.enrolled_count),
                offered=format_number(cohort.offered_count),
            ),
            "seats",
        )
    if seats < (held := cohort.enrolled_count + cohort.completed_count):
        raise EnrollmentRefused(
            _(
                "%(held)s seats are held (%(enrolled)s enrolled, %(completed)s completed): seats cannot go below that.",
                held=format_number(held),
                enrolled=format_number(cohort.enrolled_count),
                completed=format_number(cohort.completed_count),
            ),
            "seats",
        )
    return seats


def change_seats(cohort: Cohort, seats: int, *, actor: UserAccount, now: datetime | None = None) -> list[Enrollment]:
    """Set the number of seats, by the rule of ``check_seats`` (pages and API alike); raising it promotes
    from the waitlist at once. The same number changes nothing (no audit event). Returns the promoted
    enrollments. (``change_capacity`` changes the reserved seats with it.)"""
    require_manager(actor, cohort)
    check_seats(lock_cohort(cohort, now), seats)
    return change_capacity(cohort, seats, actor=actor, now=now)


def check_each_reserve(reserved: dict[Pool, int]) -> None:
    """Each pool's reserved seats are a number from 0 (``EnrollmentRefused`` on "reserved_<pool>")."""
    for pool in RESERVED_POOLS:
        count = reserved[pool]
        if count is None or count < 0 or count > MAX_SEATS:
            raise EnrollmentRefused(
                _("Reserved seats are a number from 0 to the cohort's seats."), f"reserved_{pool.value}"
            )


def check_reserve_numbers(seats: int, reserved: dict[Pool, int]) -> dict[Pool, int]:
    """Reserved seats on their own: each pool's a number from 0, together no more than ``seats``. Raises
    ``EnrollmentRefused`` on "reserved_<pool>"; returns ``reserved``."""
    check_each_reserve(reserved)
    if (total := sum(reserved.values())) > seats:
        raise EnrollmentRefused(
            _(
                "%(reserved)s seats reserved, but the cohort has %(seats)s: reserve no more than its seats.",
                reserved=format_number(total),
                seats=format_number(seats),
            ),
            "reserved_women",
        )
    return reserved


def check_reserves(cohort: Cohort, seats: int, reserved: dict[Pool, int]) -> dict[Pool, int]:
    """Whether ``cohort`` may have ``seats`` seats of which ``reserved`` (pool → seats, every reserved
    pool) are reserved: each from 0, together no more than the seats; never fewer reserved seats of a
    pool than are held now, nor, before the release, fewer open seats than are held now; and none
    change once the reserved seats have been released. Raises ``EnrollmentRefused`` on "reserved_<pool>"
    (or "seats"); returns ``reserved``."""
    check_each_reserve(reserved)
    changed = any(reserved[pool] != pools.reserved(cohort, pool) for pool in RESERVED_POOLS)
    field = "reserved_women" if changed else "seats"  # what the staff changed is what is wrong
    if changed and cohort.released_at is not None:
        raise NotPossibleNow(
            _(
                "The reserved seats were released on %(day)s: they can no longer change.",
                day=long_date(local_date(cohort.released_at)),
            ),
            "reserved_women",
        )
    if (total := sum(reserved.values())) > seats:
        raise EnrollmentRefused(
            _(
                "%(reserved)s seats reserved, but the cohort has %(seats)s: reserve no more than its seats.",
                reserved=format_number(total),
                seats=format_number(seats),
            ),
            field,
        )
    for pool in RESERVED_POOLS:
        if reserved[pool] < (held := pools.held(cohort, pool)):
            raise EnrollmentRefused(
                _(
                    "%(held)s trainees hold seats of this kind: it cannot have fewer reserved seats than that.",
                    held=format_number(held),
                ),
                f"reserved_{pool.value}",
            )
    if cohort.released_at is None and seats - total < (held_open := pools.held(cohort, Pool.OPEN)):
        raise EnrollmentRefused(
            _(
                "%(held)s trainees hold open seats: with these reserved seats only %(open)s would be open. "
                "Add seats or reserve fewer.",
                held=format_number(held_open),
                open=format_number(seats - total),
            ),
            field,
        )
    return reserved


def current_reserves(cohort: Cohort) -> dict[Pool, int]:
    return {pool: pools.reserved(cohort, pool) for pool in RESERVED_POOLS}


def change_capacity(
    cohort: Cohort,
    seats: int,
    *,
    actor: UserAccount,
    reserved: dict[Pool, int] | None = None,
    now: datetime | None = None,
) -> list[Enrollment]:
    """Set the seats and the seats reserved per pool (None: as they are) together, by the rules of
    ``check_seats`` and ``check_reserves``, and give every seat now free for someone in line at once.
    Records ``cohort.seats`` and ``cohort.reserves`` for what changed (nothing when nothing did). Returns
    the places given from the line."""
    require_manager(actor, cohort)
    cohort = lock_cohort(cohort, now)
    reserved = {**current_reserves(cohort), **(reserved or {})}
    if seats != cohort.seats:
        check_seats(cohort, seats)
    check_reserves(cohort, seats, reserved)
    before_seats, before_reserved = cohort.seats, current_reserves(cohort)
    if seats == before_seats and reserved == before_reserved:
        return []
    # Lock the people who will be promoted, after the cohort (see the module docstring).
    lock_trainees(*(candidate.trainee_id for candidate in next_in_line(cohort, limit=max(seats - before_seats, 0))))
    db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id)
        .values(
            seats=seats,
            # Fewer seats may leave every one held: the cohort is full from now.
            full_at=filled_at(Cohort.enrolled_count + Cohort.offered_count, seats, now or utcnow()),
            **{f"reserved_{pool.value}": count for pool, count in reserved.items()},
        )
        .execution_options(synchronize_session=False)
    )
    db.session.expire(cohort)
    if seats != before_seats:
        record(
            actor,
            "cohort.seats",
            cohort,
            before={"seats": before_seats},
            after={"seats": seats},
            centre_id=cohort.centre_id,
        )
    if reserved != before_reserved:
        record(
            actor,
            "cohort.reserves",
            cohort,
            before={pool.value: count for pool, count in before_reserved.items()},
            after={pool.value: count for pool, count in reserved.items()},
            centre_id=cohort.centre_id,
        )
    return fill(cohort, actor=actor, now=now)


def start_training(cohort: Cohort) -> int:
    """The cohort has started running: every place enrolled now started training (``started_training``),
    so that it ends in one outcome (completed, left, or still open until staff resolve it) and the
    reports count it (``started_count``). One UPDATE; returns how many places were marked."""
    cohort = lock_cohort(cohort)
    marked = db.session.execute(
        update(Enrollment)
        .where(
            Enrollment.cohort_id == cohort.id,
            Enrollment.status == S.ENROLLED,
            Enrollment.started_training.is_(False),
        )
        .values(started_training=True)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    change_counters(cohort, started_count=marked)
    return marked


def end_waiting(cohort: Cohort, *, actor: UserAccount, now: datetime | None = None) -> int:
    """Once a cohort has started, nobody still waiting will get in: its waitlisted and pending places
    become ``cancelled`` (they no longer count against the trainees' limit) and each is told. Called
    when a cohort starts running or finishes. Returns how many places ended."""
    now = now or utcnow()
    cohort = lock_cohort(cohort, settle=False)
    waiting = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_((S.WAITLISTED, S.PENDING)))
        .order_by(Enrollment.id)
    ).all()
    for enrollment in waiting:
        # The reason is what she reads (in her message and on her page): written in her language.
        with message_language(enrollment.trainee.language):
            reason = _("The course started before a seat became free.")
        before = move(enrollment, S.CANCELLED, now=now, reason=reason)
        audit(actor, "enrollment.cancel", enrollment, before, reason)
        tell(enrollment, "cancelled")
    return len(waiting)


def cancel_cohort(cohort: Cohort, *, actor: UserAccount, reason: str, now: datetime | None = None) -> int:
    """Cancel a cohort that has not finished: every pending, waitlisted and enrolled place becomes
    ``cancelled`` and each trainee is told why. Returns how many places were cancelled."""
    require_manager(actor, cohort)
    if not (reason := (reason or "").strip()):
        raise ReasonRequired(_("Give a reason: every trainee with a place will be told it."))
    cohort = lock_cohort(cohort, settle=False)
    if cohort.status in (CohortStatus.FINISHED, CohortStatus.CANCELLED):
        raise NotPossibleNow(_("This cohort is %(status)s already.", status=cohort.status.label.lower()))
    now = now or utcnow()
    places = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES))
        .order_by(Enrollment.id)
    ).all()
    for enrollment in places:
        before = move(enrollment, S.CANCELLED, now=now, reason=reason)
        audit(actor, "enrollment.cancel", enrollment, before, reason)
        tell(enrollment, "cancelled")
    previous = cohort.status
    cohort.status = CohortStatus.CANCELLED
    db.session.flush()
    copy_cohort_facts(cohort.id)  # its tally rows copy the status
    record(
        actor,
        "cohort.cancel",
        cohort,
        before={"status": previous.value},
        after={"status": CohortStatus.CANCELLED.value},
        reason=reason,
        centre_id=cohort.centre_id,
    )
    return len(places)
