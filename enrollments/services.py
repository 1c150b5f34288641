"""The enrollment rules (DESIGN.md, "Enrollment rules"): the only code that changes enrollment state.

Every function takes the acting user, checks the rules before writing anything, raises a refusal a
person can read, writes one audit event per enrollment that changes (with the reason for staff
decisions), queues the trainee's notification in the same transaction, flushes, and never commits.

Concurrency. Seats are taken with one conditional UPDATE (``enrolled_count < seats``), so two
requests can never both take the last seat, on SQLite or PostgreSQL, and the database's CHECK
constraint backs it up. A trainee's limits (at most ``MAX_ACTIVE_PLACES`` active places, none
overlapping) span cohorts, so her row is locked before they are checked. On PostgreSQL rows are
locked with ``SELECT ... FOR UPDATE`` (re-read, never a stale copy); SQLite's ``BEGIN IMMEDIATE``
serialises writers anyway. Locks are always taken in one order: the cohort first, then trainees.
Every operation concerns exactly one cohort, so no two transactions can each hold a cohort the other
waits for; and a withdrawal that promotes the next in line never waits for a trainee while someone
holding that trainee waits for the cohort (the deadlock the concurrency tests found with the other
order).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from audit.events import record, record_many
from auth.models import UserAccount
from auth.permissions import can_manage_cohort, can_withdraw_enrollment
from centres.models import Centre
from courses.models import Cohort
from database import chunked, utcnow
from enrollments.counters import deltas as counter_deltas
from enrollments.eligibility import unmet_requirements
from enrollments.models import Enrollment, Trainee
from extensions import db
from language import long_date, message_language
from notifications.outbox import Message, queue, queue_many
from refusals import Refusal
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, Admission, CohortStatus, EnrollmentSource, EnrollmentStatus, Mode

S = EnrollmentStatus
# Cohorts whose freed seats go to the waitlist: those that have not started (nobody joins a course
# half-way). Completion happens only once a cohort runs, so enrolled + completed never exceed seats.
PROMOTING_STATUSES = (CohortStatus.OPEN, CohortStatus.CLOSED)
COMPLETING_STATUSES = (CohortStatus.RUNNING, CohortStatus.FINISHED)
# How many seats a cohort may have (``check_seat_count``), besides its centre's lab seats when on-site.
MIN_SEATS, MAX_SEATS = 1, 1000


# Refusals ------------------------------------------------------------------------------------------


class EnrollmentRefused(Refusal):
    """An enrollment action refused by the rules."""


class NotAllowed(EnrollmentRefused):
    code, status = "forbidden", 403


class ApplicationsClosed(EnrollmentRefused):
    code, status = "applications_closed", 409


class NotEligible(EnrollmentRefused):
    code, status = "not_eligible", 422


class TooManyPlaces(EnrollmentRefused):
    code, status = "too_many_places", 409


class OverlappingPlace(EnrollmentRefused):
    code, status = "overlapping_place", 409


class NotPossibleNow(EnrollmentRefused):
    """The enrollment (or cohort) is not in a state that allows this action."""

    code, status = "not_possible", 409


class ReasonRequired(EnrollmentRefused):
    code, status = "reason_required", 422

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Give a reason: the trainee will see it."), "reason")


@dataclass(frozen=True)
class Placement:
    """What ``apply``/``register`` did: the enrollment, and whether it is new (False: she had
    applied already and this is her existing place)."""

    enrollment: Enrollment
    created: bool


# Reading -------------------------------------------------------------------------------------------


def waitlist_position(enrollment: Enrollment) -> int | None:
    """Her place in line (1 = next to get a seat), or None when she is not waitlisted. Order of
    application: ``applied_at``, then id."""
    if enrollment.status is not S.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Enrollment.id)).where(
            Enrollment.cohort_id == enrollment.cohort_id,
            Enrollment.status == S.WAITLISTED,
            or_(
                Enrollment.applied_at < enrollment.applied_at,
                and_(Enrollment.applied_at == enrollment.applied_at, Enrollment.id < enrollment.id),
            ),
        )
    )
    return ahead + 1


def waitlist(cohort: Cohort) -> list[Enrollment]:
    """The cohort's waitlist in order (first = next to get a seat)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(Enrollment.applied_at, Enrollment.id)
        )
    )


def active_places(trainee: Trainee, *, excluding: Enrollment | None = None) -> list[Enrollment]:
    """Her pending, waitlisted and enrolled places (optionally not counting ``excluding``)."""
    stmt = select(Enrollment).where(
        Enrollment.trainee_id == trainee.id, Enrollment.status.in_(ACTIVE_ENROLLMENT_STATUSES)
    )
    if excluding is not None:
        stmt = stmt.where(Enrollment.id != excluding.id)
    return list(db.session.scalars(stmt))


def overlaps(first: Cohort, second: Cohort) -> bool:
    """Two cohorts clash when they share a shift and their dates overlap."""
    return first.shift == second.shift and first.starts_on <= second.ends_on and second.starts_on <= first.ends_on


def find_enrollment(trainee: Trainee, cohort: Cohort) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.trainee_id == trainee.id, Enrollment.cohort_id == cohort.id)
    )


def max_active_places() -> int:
    return current_app.config["MAX_ACTIVE_PLACES"]


def limits_refusal(
    trainee: Trainee, cohort: Cohort, *, excluding: Enrollment | None = None, to_trainee: bool = True
) -> Refusal | None:
    """Why ``trainee`` may not hold one more place in ``cohort`` (None: she may), said to her
    (``to_trainee``) or to the staff registering her."""
    return places_refusal(active_places(trainee, excluding=excluding), cohort, to_trainee=to_trainee)


def places_refusal(held: list[Enrollment], cohort: Cohort, *, to_trainee: bool = True) -> Refusal | None:
    """Why someone holding the active places ``held`` may not take one in ``cohort`` (None: she may):
    the most places anyone may hold at once, and no two with the same shift on overlapping dates."""
    if len(held) >= max_active_places():
        counts = {"held": format_number(len(held)), "most": format_number(max_active_places())}
        return TooManyPlaces(
            _(
                "You already hold %(held)s places (the most anyone may hold at once is %(most)s). "
                "Withdraw from one to apply here.",
                **counts,
            )
            if to_trainee
            else _(
                "She already holds %(held)s places (the most anyone may hold at once is %(most)s). "
                "She must leave one before she can be registered here.",
                **counts,
            )
        )
    for place in held:
        if overlaps(place.cohort, cohort):
            names = {
                "course": place.cohort.course.title,
                "code": place.cohort.code,
                "shift": cohort.shift.label.lower(),
            }
            return OverlappingPlace(
                _(
                    "This clashes with your place in %(course)s (%(code)s): same %(shift)s shift, overlapping dates.",
                    **names,
                )
                if to_trainee
                else _(
                    "This clashes with her place in %(course)s (%(code)s): same %(shift)s shift, overlapping dates.",
                    **names,
                )
            )
    return None


def closed_reason(cohort: Cohort, now: datetime) -> str | None:
    """Why ``cohort`` takes no applications at ``now`` (None: it does)."""
    if cohort.status is not CohortStatus.OPEN:
        return _("This cohort is not taking applications (%(status)s).", status=cohort.status.label.lower())
    if cohort.applications_open_at is not None and now < cohort.applications_open_at:
        return _("Applications have not opened yet.")
    if cohort.applications_close_at is not None and now > cohort.applications_close_at:
        return _("Applications have closed.")
    return None


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


# Locks and counters --------------------------------------------------------------------------------


def lock_cohort(cohort: Cohort) -> Cohort:
    """Lock the cohort's row until the transaction ends and re-read it (status, seats and counters as
    they are now). Always the first lock an operation takes."""
    return db.session.get(Cohort, cohort.id, with_for_update=True, populate_existing=True)


def lock_trainees(*trainee_ids: int) -> None:
    """Lock these trainees' rows, in id order, until the transaction ends; taken after the cohort's.
    Rows are re-read, so later checks see fresh data."""
    for trainee_id in sorted(set(trainee_ids)):
        db.session.get(Trainee, trainee_id, with_for_update=True, populate_existing=True)


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


def take_seat(cohort: Cohort) -> bool:
    """Take one seat if one is free: True when taken. Atomic on both databases."""
    result = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.enrolled_count < Cohort.seats)
        .values(enrolled_count=Cohort.enrolled_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, ["enrolled_count"])
    return result.rowcount == 1


def move(enrollment: Enrollment, to: EnrollmentStatus, *, now: datetime, reason: str = "") -> EnrollmentStatus:
    """Set the status, keep the cohort's counters in step (``enrollments.counters``: by status, and the
    report counters), and return the old status. Taking a seat for an enrollment that becomes
    ``enrolled`` is the caller's job, atomically, with ``take_seat``, which counts it."""
    before = enrollment.status
    changes = counter_deltas(before, to, enrollment.trainee)
    if to is S.ENROLLED:
        changes.pop("enrolled_count", None)  # counted by take_seat
    change_counters(enrollment.cohort, **changes)
    enrollment.status = to
    enrollment.decided_at = now
    if reason:
        enrollment.reason = reason
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


# Notifications -------------------------------------------------------------------------------------


def message_for(enrollment: Enrollment, kind: str, *, position: int | None = None) -> Message:
    """The message telling the trainee of ``enrollment`` about ``kind`` (``"waitlisted"`` names her
    place in line: ``position``, or read from the database when not given), written in her language
    (``trainee.language``), whoever's action caused it."""
    trainee = enrollment.trainee
    if kind == "waitlisted":
        position = position or waitlist_position(enrollment)
    with message_language(trainee.language):
        subject, body = message_text(enrollment, kind, position)
        subject = _("Markaz: %(subject)s", subject=subject)
    return Message(trainee, f"enrollment.{kind}", subject, body, enrollment.id)


def message_text(enrollment: Enrollment, kind: str, position: int | None) -> tuple[str, str]:
    """Subject and body of the message about ``kind``, in the current locale."""
    cohort = enrollment.cohort
    names = {
        "course": cohort.course.title,
        "centre": cohort.centre.name,
        "starts": long_date(cohort.starts_on),
        "reason": enrollment.reason,
    }
    where = _("%(course)s at %(centre)s, starting %(starts)s", **names)
    if kind == "waitlisted":
        return _("You are on the waitlist"), _(
            "%(course)s is full. You are number %(position)s on the waitlist for %(where)s; "
            "you will be told at once if a seat frees.",
            course=names["course"],
            position=format_number(position),
            where=where,
        )
    if kind == "enrolled":
        return _("You have a place"), _("You have a place in %(where)s.", where=where)
    if kind == "pending":
        return _("Application received"), _(
            "Your application for %(where)s is waiting for the centre's review.", where=where
        )
    if kind == "promoted":
        return _("A seat is yours"), _("A seat freed up: you now have a place in %(where)s.", where=where)
    if kind == "rejected":
        return _("Application not accepted"), _(
            "Your application for %(where)s was not accepted: %(reason)s", where=where, reason=names["reason"]
        )
    if kind == "withdrawn":
        return _("Place withdrawn"), _("Your place in %(where)s has been withdrawn.", where=where)
    if kind == "dropped":
        return _("Removed from the course"), _(
            "You have been removed from %(where)s: %(reason)s", where=where, reason=names["reason"]
        )
    if kind == "completed":
        return _("Course completed"), _("Congratulations: you have completed %(where)s.", where=where)
    if kind == "cancelled":
        return _("Cohort cancelled"), _(
            "%(where)s has been cancelled by the centre: %(reason)s", where=where, reason=names["reason"]
        )
    raise ValueError(f"no message for {kind!r}")


def tell(enrollment: Enrollment, kind: str) -> None:
    """Queue the message about ``kind`` for the trainee of ``enrollment``."""
    message = message_for(enrollment, kind)
    queue(message.trainee, message.kind, message.subject, message.body, enrollment=enrollment)


# Applying ------------------------------------------------------------------------------------------


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
    existing, held = lock_and_read_places(ordered, cohort)
    outcome, accepted = check_each(ordered, cohort, existing, held)
    if not accepted:
        return outcome
    statuses = statuses_in_order(accepted, cohort)
    first_position = cohort.waitlisted_count + 1  # read before the counters move
    take_places(cohort, accepted, statuses)
    enrollments = insert_enrollments(accepted, statuses, cohort, source=source, applied_at=applied_at)
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


def statuses_in_order(accepted: list[Trainee], cohort: Cohort) -> list[EnrollmentStatus]:
    """The status of each accepted trainee's new place: reviewed admission, all pending; first come, the
    free seats in list order (enrolled), the rest waitlisted."""
    if cohort.admission is Admission.REVIEWED:
        return [S.PENDING] * len(accepted)
    free = max(0, cohort.seats - cohort.enrolled_count)
    return [S.ENROLLED if index < free else S.WAITLISTED for index in range(len(accepted))]


def take_places(cohort: Cohort, accepted: list[Trainee], statuses: list[EnrollmentStatus]) -> None:
    """Move the cohort's counters for the new places in one UPDATE, guarded as ``take_seat`` is: never past
    the seat count (``NotPossibleNow`` if it would be)."""
    added: Counter[str] = Counter()
    for trainee, status in zip(accepted, statuses, strict=True):
        added.update(counter_deltas(None, status, trainee))
    taken = db.session.execute(
        update(Cohort)
        .where(Cohort.id == cohort.id, Cohort.enrolled_count + added["enrolled_count"] <= Cohort.seats)
        .values({getattr(Cohort, counter): getattr(Cohort, counter) + delta for counter, delta in added.items()})
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # cannot happen while the cohort is locked; never overbook if it does
        raise NotPossibleNow(_("The cohort's seats changed during the registration: try again."))
    db.session.expire(cohort, list(added))


def insert_enrollments(
    accepted: list[Trainee],
    statuses: list[EnrollmentStatus],
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
            }
            for trainee, status in zip(accepted, statuses, strict=True)
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


def require_manager(actor: UserAccount, cohort: Cohort) -> None:
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can decide on its enrollments."))


def require_status(enrollment: Enrollment, *allowed: EnrollmentStatus, action: str) -> None:
    if enrollment.status not in allowed:
        raise NotPossibleNow(cannot(action, enrollment.status.label.lower()))


def cannot(action: str, status: str) -> str:
    """Why ``action`` (approve, reject, withdraw, drop, complete) is refused on an application that is
    ``status``: one whole sentence per action, for word orders that differ."""
    if action == "approve":
        return _("You cannot approve an application that is %(status)s.", status=status)
    if action == "reject":
        return _("You cannot reject an application that is %(status)s.", status=status)
    if action == "withdraw":
        return _("You cannot withdraw an application that is %(status)s.", status=status)
    if action == "drop":
        return _("You cannot drop an application that is %(status)s.", status=status)
    if action == "complete":
        return _("You cannot complete an application that is %(status)s.", status=status)
    raise ValueError(f"no refusal for {action!r}")


def approve(enrollment: Enrollment, *, actor: UserAccount, now: datetime | None = None) -> Enrollment:
    """Pending → enrolled if a seat is free, else waitlisted (in application order)."""
    now = now or utcnow()
    require_manager(actor, enrollment.cohort)
    lock_cohort(enrollment.cohort)
    lock_trainees(enrollment.trainee_id)
    db.session.refresh(enrollment)
    require_status(enrollment, S.PENDING, action="approve")
    status = S.ENROLLED if take_seat(enrollment.cohort) else S.WAITLISTED
    before = move(enrollment, status, now=now)
    audit(actor, "enrollment.approve", enrollment, before)
    tell(enrollment, status.value)
    return enrollment


def reject(enrollment: Enrollment, *, actor: UserAccount, reason: str, now: datetime | None = None) -> Enrollment:
    """Pending or waitlisted → rejected, with a reason the trainee is told."""
    require_manager(actor, enrollment.cohort)
    if not (reason := (reason or "").strip()):
        raise ReasonRequired()
    lock_cohort(enrollment.cohort)
    db.session.refresh(enrollment)
    require_status(enrollment, S.PENDING, S.WAITLISTED, action="reject")
    before = move(enrollment, S.REJECTED, now=now or utcnow(), reason=reason)
    audit(actor, "enrollment.reject", enrollment, before, reason)
    tell(enrollment, "rejected")
    return enrollment


@dataclass(frozen=True)
class FreedPlace:
    """What a withdrawal or a drop did: the place that ended, and the waitlisted place that got its
    seat (None: it held no seat, or nobody in line could take it)."""

    enrollment: Enrollment
    promoted: Enrollment | None


def withdraw(
    enrollment: Enrollment, *, actor: UserAccount, reason: str = "", now: datetime | None = None
) -> Enrollment:
    """The trainee (or her centre's staff) withdraws a pending, waitlisted or enrolled place. A freed
    seat goes at once to the first eligible trainee on the waitlist. ``withdraw_place`` does the same
    and also says who got the seat."""
    return withdraw_place(enrollment, actor=actor, reason=reason, now=now).enrollment


def withdraw_place(
    enrollment: Enrollment, *, actor: UserAccount, reason: str = "", now: datetime | None = None
) -> FreedPlace:
    """``withdraw``, answering with the ended place and the one promoted into its seat."""
    if not can_withdraw_enrollment(actor, enrollment):
        raise NotAllowed(_("Only the trainee or her centre's staff can withdraw this place."))
    return free_place(enrollment, S.WITHDRAWN, actor=actor, reason=(reason or "").strip(), now=now or utcnow())


def drop(enrollment: Enrollment, *, actor: UserAccount, reason: str, now: datetime | None = None) -> Enrollment:
    """Staff remove an enrolled trainee, with a reason she is told; her seat goes to the waitlist.
    ``drop_place`` does the same and also says who got the seat."""
    return drop_place(enrollment, actor=actor, reason=reason, now=now).enrollment


def drop_place(enrollment: Enrollment, *, actor: UserAccount, reason: str, now: datetime | None = None) -> FreedPlace:
    """``drop``, answering with the ended place and the one promoted into its seat."""
    require_manager(actor, enrollment.cohort)
    if not (reason := (reason or "").strip()):
        raise ReasonRequired()
    require_status(enrollment, S.ENROLLED, action="drop")
    return free_place(enrollment, S.DROPPED, actor=actor, reason=reason, now=now or utcnow())


def free_place(enrollment: Enrollment, to: EnrollmentStatus, *, actor, reason: str, now: datetime) -> FreedPlace:
    """Withdraw or drop: end ``enrollment`` and, if it held a seat, give the seat to the waitlist."""
    cohort = lock_cohort(enrollment.cohort)
    candidates = next_in_line(cohort, limit=1)
    lock_trainees(enrollment.trainee_id, *(candidate.trainee_id for candidate in candidates))
    db.session.refresh(enrollment)
    allowed = (S.ENROLLED,) if to is S.DROPPED else ACTIVE_ENROLLMENT_STATUSES
    require_status(enrollment, *allowed, action="withdraw" if to is S.WITHDRAWN else "drop")
    before = move(enrollment, to, now=now, reason=reason)
    audit(actor, f"enrollment.{to.value}", enrollment, before, reason)
    tell(enrollment, to.value)
    promoted = promote_next(cohort, actor=actor, now=now) if before is S.ENROLLED else None
    return FreedPlace(enrollment, promoted)


def local_date(moment: datetime) -> date:
    """The calendar date in Pakistan at ``moment`` (course dates are Pakistan dates)."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def completable(cohort: Cohort, now: datetime | None = None) -> bool:
    """Whether its enrolled trainees can be marked as having completed: the cohort is running (or
    finished) and its first day has come, in Pakistan."""
    return cohort.status in COMPLETING_STATUSES and cohort.starts_on <= local_date(now or utcnow())


def complete(enrollment: Enrollment, *, actor: UserAccount, now: datetime | None = None) -> Enrollment:
    """Enrolled → completed, once the cohort is running (or finished)."""
    require_manager(actor, enrollment.cohort)
    cohort = lock_cohort(enrollment.cohort)
    db.session.refresh(enrollment)
    require_status(enrollment, S.ENROLLED, action="complete")
    now = now or utcnow()
    if not completable(cohort, now):
        raise NotPossibleNow(_("A trainee can complete a course only once it is running."))
    before = move(enrollment, S.COMPLETED, now=now)
    audit(actor, "enrollment.complete", enrollment, before)
    tell(enrollment, "completed")
    return enrollment


# The waitlist --------------------------------------------------------------------------------------


def next_in_line(cohort: Cohort, limit: int) -> list[Enrollment]:
    """The first ``limit`` waitlisted enrollments (read without locks: callers lock, then re-check)."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(Enrollment.applied_at, Enrollment.id)
            .limit(limit)
        )
    )


def promote_next(cohort: Cohort, *, actor: UserAccount | None, now: datetime | None = None) -> Enrollment | None:
    """Give a free seat of ``cohort`` to the first eligible trainee on its waitlist (one who has not
    since taken the maximum number of places or a clashing one). Returns her enrollment, or None when
    there is no free seat, no one eligible, or the cohort has finished or been cancelled."""
    now = now or utcnow()
    cohort = refresh_cohort(cohort)
    if cohort.status not in PROMOTING_STATUSES or cohort.enrolled_count >= cohort.seats:
        return None
    for candidate in whole_waitlist(cohort):
        lock_trainees(candidate.trainee_id)
        db.session.refresh(candidate)
        if candidate.status is not S.WAITLISTED:
            continue
        if limits_refusal(candidate.trainee, cohort, excluding=candidate) is not None:
            continue
        if not take_seat(cohort):
            return None
        before = move(candidate, S.ENROLLED, now=now)
        audit(actor, "enrollment.promote", candidate, before)
        tell(candidate, "promoted")
        return candidate
    return None


def whole_waitlist(cohort: Cohort, batch: int = 50):
    """The waitlist in order, read a batch at a time (a long line is never loaded whole)."""
    after: tuple | None = None
    while True:
        stmt = (
            select(Enrollment)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.WAITLISTED)
            .order_by(Enrollment.applied_at, Enrollment.id)
            .limit(batch)
        )
        if after is not None:
            stmt = stmt.where(
                or_(Enrollment.applied_at > after[0], and_(Enrollment.applied_at == after[0], Enrollment.id > after[1]))
            )
        rows = list(db.session.scalars(stmt))
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].applied_at, rows[-1].id)


# Cohorts -------------------------------------------------------------------------------------------


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
    enrollments."""
    require_manager(actor, cohort)
    cohort = lock_cohort(cohort)
    check_seats(cohort, seats)
    before = cohort.seats
    if seats == before:
        return []
    # Lock the people who will be promoted, after the cohort (see the module docstring).
    lock_trainees(*(candidate.trainee_id for candidate in next_in_line(cohort, limit=max(seats - before, 0))))
    db.session.execute(
        update(Cohort).where(Cohort.id == cohort.id).values(seats=seats).execution_options(synchronize_session=False)
    )
    db.session.expire(cohort, ["seats"])
    record(actor, "cohort.seats", cohort, before={"seats": before}, after={"seats": seats}, centre_id=cohort.centre_id)
    promoted = []
    while (enrollment := promote_next(cohort, actor=actor, now=now)) is not None:
        promoted.append(enrollment)
    return promoted


def end_waiting(cohort: Cohort, *, actor: UserAccount, now: datetime | None = None) -> int:
    """Once a cohort has started, nobody still waiting will get in: its waitlisted and pending places
    become ``cancelled`` (they no longer count against the trainees' limit) and each is told. Called
    when a cohort starts running or finishes. Returns how many places ended."""
    now = now or utcnow()
    cohort = lock_cohort(cohort)
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
    cohort = lock_cohort(cohort)
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
