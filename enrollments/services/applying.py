"""Applying and registering: a trainee applies online (``apply``), staff register a walk-in (``register``),
by the same rules (a whole list: ``lists.register_many``); ``prospect`` tells a page what she can do."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from audit.events import event_common, event_row, record_many
from auth.models import UserAccount
from auth.permissions import can_manage_cohort
from courses.models import Cohort
from database import utcnow
from enrollments import pools
from enrollments.counters import deltas as counter_deltas
from enrollments.counters import first_marks, person_deltas
from enrollments.eligibility import unmet_requirements
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import (
    NotWritten,
    audit_state,
    change_counters,
    insert_place,
    lock_cohort,
    lock_trainees,
    place_state,
    stamp_trainee,
    take_seat,
    write_open_place,
)
from enrollments.services.messages import message_for, new_place_message
from enrollments.services.rules import (
    ApplicationsClosed,
    NotAllowed,
    NotEligible,
    NotPossibleNow,
    closed_reason,
    find_enrollment,
    limits_refusal,
    places_of,
    places_refusal,
    waitlist_position,
)
from extensions import db
from notifications.outbox import queue_many, queued_rows
from vocabulary import WAITING_ADMISSIONS, Admission, EnrollmentSource, EnrollmentStatus, Pool

S = EnrollmentStatus


@dataclass(frozen=True)
class Placement:
    """What ``apply``/``register`` did: the enrollment, and whether it is new (False: she had
    applied already and this is her existing place); a new place in line, her position in it."""

    enrollment: Enrollment
    created: bool
    waitlist_position: int | None = None  # of a new place in line (an existing one's: ``rules.waitlist_position``)


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
    if cohort.admission is Admission.FIRST_COME and pools.pool_for(trainee, cohort) is None:
        return Prospect("waitlist", waitlist_position=cohort.waitlisted_count + 1)
    return Prospect("apply")


def apply(
    trainee: Trainee,
    cohort: Cohort,
    *,
    actor: UserAccount,
    now: datetime | None = None,
    places: tuple[Enrollment | None, list[Enrollment]] | None = None,
) -> Placement:
    """A trainee applies online for herself. See ``place`` for the rules (and ``places``)."""
    if trainee.user_id is None or trainee.user_id != actor.id:
        raise NotAllowed(_("Only trainees can apply online, each for their own place."))
    return place(trainee, cohort, actor=actor, source=EnrollmentSource.ONLINE, now=now, places=places)


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
    trainee: Trainee,
    cohort: Cohort,
    *,
    actor: UserAccount,
    source: EnrollmentSource,
    now: datetime | None = None,
    places: tuple[Enrollment | None, list[Enrollment]] | None = None,
) -> Placement:
    """Give ``trainee`` a place (or a place in line) in ``cohort``.

    Refused (nothing written) when the cohort is not open or its window is closed (``ApplicationsClosed``),
    she is not eligible (``NotEligible``: women-only, age, education, residence), she holds the maximum
    number of active places (``TooManyPlaces``) or one whose dates and shift overlap (``OverlappingPlace``).
    If she applied to this cohort before, her existing enrollment is returned (``created=False``).
    Otherwise: reviewed or merit admission → ``pending``; first come → ``enrolled`` if a seat is free for her
    (open seats first, then a reserved pool she qualifies for: ``pools.pool_for``), else ``waitlisted``
    at the end of the line (``Placement.waitlist_position``). Writes one audit event and queues her
    notification; stamps her record (``Trainee.updated_at``: see ``place_in_open_seat``).

    Applications come by the thousand when a popular intake opens, all for the same few cohort rows: the
    common case, an open seat, is written without waiting for the cohort's lock (``place_in_open_seat``);
    the rest locks the cohort and decides on its counters as they are (``place_locked``).

    ``places``: her places as ``rules.places_of`` reads them, when the caller read them already (with the
    cohort, after her record: ``auth.permissions.get_cohort_and_places_or_404``); only the quick way uses them
    (see ``place_in_open_seat``), the locked way reads them again under the locks."""
    placement = place_in_open_seat(trainee, cohort, actor=actor, source=source, now=now, places=places)
    if placement is not None:
        return placement
    cohort = lock_cohort(cohort, now)
    # The time of application is read once the cohort is locked: applications are then timed in the
    # order they take seats, so the waitlist (ordered by it) and every position told are that order.
    now = now or utcnow()
    placement = place_locked(trainee, cohort, actor=actor, source=source, now=now)
    if placement is None:  # her record changed since it was read: lock it, and decide again
        lock_trainees(trainee.id)
        placement = place_locked(trainee, cohort, actor=actor, source=source, now=now)
    return placement


def place_locked(
    trainee: Trainee, cohort: Cohort, *, actor: UserAccount, source: EnrollmentSource, now: datetime
) -> Placement | None:
    """``place`` with the cohort locked: decide on its counters as they are, and write. Her own record is
    read as it was (unlocked: her row is locked only when it is written) and written only if unchanged
    since (``stamp_trainee``); None, having changed nothing, when it changed: the caller locks it and calls
    again."""
    stamp = trainee.updated_at  # read before her places: a place made for her since then changes it
    existing, held = places_of(trainee, cohort)
    if existing is not None:
        return Placement(existing, created=False)
    if (reason := closed_reason(cohort, now)) is not None:
        raise ApplicationsClosed(reason)
    if unmet := unmet_requirements(cohort, trainee):
        raise NotEligible(" ".join(requirement.refusal for requirement in unmet))
    to_trainee = trainee.user_id is not None and trainee.user_id == actor.id
    if (refusal := places_refusal(held, cohort, to_trainee=to_trainee)) is not None:
        raise refusal

    pool = None
    if cohort.admission in WAITING_ADMISSIONS:
        status = S.PENDING
    elif (pool := pools.pool_for(trainee, cohort)) is not None:
        status = S.ENROLLED
    else:
        status = S.WAITLISTED
    decided_at = now if status is S.ENROLLED else None
    enrollment = insert_place(
        trainee, cohort, status=status, source=source, applied_at=now, decided_at=decided_at, pool=pool
    )
    if enrollment is None:  # she has a place already, made by a transaction that did not lock the cohort
        return Placement(find_enrollment(trainee, cohort), created=False)
    changes = counter_deltas(None, status, trainee) | person_deltas(status, trainee)
    if not stamp_trainee(trainee, stamp, dict.fromkeys(first_marks(changes), enrollment.id)):
        db.session.delete(enrollment)
        db.session.flush()
        return None
    if status is S.ENROLLED:
        changes.pop("enrolled_count")  # counted by take_seat, with its pool
        # pool_for read the counters under the cohort's lock, so the seat is free; never overbook if not.
        if not take_seat(cohort, pool, counting=changes, now=now):
            raise NotPossibleNow(_("The cohort's seats changed during the application: try again."))
    else:
        change_counters(cohort, **changes)
    position = waitlist_position(enrollment)
    record_new_place(enrollment, actor=actor, source=source, position=position)
    return Placement(enrollment, created=True, waitlist_position=position)


def place_in_open_seat(
    trainee: Trainee,
    cohort: Cohort,
    *,
    actor: UserAccount,
    source: EnrollmentSource,
    now: datetime | None,
    places: tuple[Enrollment | None, list[Enrollment]] | None = None,
) -> Placement | None:
    """``place`` for the common case, without waiting for the cohort's lock until the seat is taken: a
    first-come cohort taking applications, an open seat free, nothing due on it (``waitlist.settle_due``),
    and she is eligible and may hold one more place. Returns None, having changed nothing, whenever the rules
    must decide under the locks (``place`` then does): any of that is not so, the open seat went meanwhile,
    or her record changed since it was read.

    Why this is as safe as the locked way. The seat is taken by one conditional UPDATE that holds only if an
    open seat is free, the cohort takes applications and admits first come at that moment (``take_seat``):
    never more seats than there are, and open seats go before reserved ones as ``pools.pool_for`` says
    (while an open seat is free nobody waits in line: a freed seat goes to the line at once). Her limits
    (places held, overlaps) were checked on her places as read; every place made for her stamps her record
    (``Trainee.updated_at``), and her record is written only if its stamp is still the one read before her
    places were (``places``, read by the caller, must have been read after her record too: with the cohort,
    after the token's statement read her record): a place made for her meanwhile sends her the locked way
    instead. Locks are taken in the
    usual order: the cohort's row (the seat), then hers (the stamp). Her message and the audit event are
    written with them, as ``place`` writes them: all five writes are ``changes.write_open_place`` (one
    statement on PostgreSQL), which writes nothing unless all are written. Her place's time is read before the
    seat is taken, but only a place in line needs its time to be in the order of the lock, and none is made
    here."""
    now = now or utcnow()
    if (
        cohort.admission is not Admission.FIRST_COME
        or pools.free(cohort, Pool.OPEN) <= 0
        or cohort.offered_count
        or pools.release_due(cohort, now)
    ):
        return None
    stamp = trainee.updated_at  # read before her places: a place made for her since then changes it
    existing, held = places if places is not None else places_of(trainee, cohort)
    if existing is not None:  # enrollments are never deleted: hers is there to stay
        return Placement(existing, created=False)
    to_trainee = trainee.user_id is not None and trainee.user_id == actor.id
    if (
        closed_reason(cohort, now) is not None
        or unmet_requirements(cohort, trainee)
        or places_refusal(held, cohort, to_trainee=to_trainee) is not None
    ):
        return None  # refused: the locked way says why, on what it reads under the locks
    changes = counter_deltas(None, S.ENROLLED, trainee) | person_deltas(S.ENROLLED, trainee)
    changes.pop("enrolled_count")  # counted by take_seat
    written = write_open_place(
        trainee,
        cohort,
        stamp=stamp,
        counting=changes,
        source=source,
        now=now,
        event=event_row(
            event_common(actor, application_action(source), Enrollment.__tablename__),
            new_place_change(trainee, cohort, S.ENROLLED),
        ),
        messages=queued_rows([new_place_message(trainee, cohort, S.ENROLLED.value)]),
    )
    if written is NotWritten.HAS_PLACE:  # the same application, sent twice at once: the other one made her place
        return Placement(find_enrollment(trainee, cohort), created=False)
    if isinstance(written, NotWritten):
        return None
    return Placement(written, created=True)


def application_action(source: EnrollmentSource) -> str:
    """The audit event's action for a new place: applied online, or registered by staff."""
    return "enrollment.apply" if source is EnrollmentSource.ONLINE else "enrollment.register"


def new_place_change(trainee: Trainee, cohort: Cohort, status: EnrollmentStatus) -> dict:
    """What the audit event of her new place in ``cohort`` keeps (as ``record_new_place`` writes it; its
    ``object_id``, the place, is filled in by whoever writes it)."""
    return {"after": place_state(status, cohort, trainee.id), "centre_id": cohort.centre_id}


def record_new_place(
    enrollment: Enrollment, *, actor: UserAccount, source: EnrollmentSource, position: int | None = None
) -> None:
    """The audit event of a new place and her message about it (``position``: in line), as ``audit`` and
    ``tell`` write them, each in one INSERT of its own (no unit of work to go through: every application
    writes them)."""
    after = {"object_id": enrollment.id, "after": audit_state(enrollment), "centre_id": enrollment.cohort.centre_id}
    record_many(actor, application_action(source), Enrollment.__tablename__, [after])
    queue_many([message_for(enrollment, enrollment.status.value, position=position)])
