"""Seat offers (DESIGN.md, "Selection"): in a cohort that offers seats, a seat given from the line is held
for the trainee until a deadline (``Cohort.offer_hours``, 72 by default). She accepts (``enrolled``) or
declines (``declined``); an offer past its deadline expires (``declined``, reason "expired") and the seat
goes to the next in line who qualifies for its pool. Every offer ends accepted, declined or expired.

Expiry happens whenever the cohort is touched (``waitlist.settle_due``) and from ``flask offers expire``
(a timer), which also sends each offer's reminder once, 24 hours before its deadline. The command may run
on several hosts at once: each cohort is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL
(SQLite serialises writers), and each offer is re-read under the lock, so nothing expires twice.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from auth.models import UserAccount
from auth.permissions import can_answer_offer
from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment
from enrollments.services.changes import audit, lock_cohort, move
from enrollments.services.messages import tell
from enrollments.services.rules import NotAllowed, NotPossibleNow
from enrollments.services.waitlist import promote_next
from extensions import db
from language import message_language
from vocabulary import CohortStatus, EnrollmentStatus

S = EnrollmentStatus
# How long an offer is held unless the cohort says otherwise (``Cohort.offer_hours``).
DEFAULT_OFFER_HOURS = 72
# The reminder goes this long before the deadline.
REMINDER_BEFORE = timedelta(hours=24)


def require_offer_answerer(enrollment: Enrollment, actor: UserAccount | None, *, by_link: bool) -> None:
    """The trainee herself (signed in, or holding the signed link sent to her) or her centre's staff."""
    if not by_link and not can_answer_offer(actor, enrollment):
        raise NotAllowed(_("Only the trainee or her centre's staff can answer this offer."))


def locked_offer(enrollment: Enrollment, now: datetime) -> Cohort:
    """Lock the cohort (which expires what is past its deadline) and re-read the offer; refuse unless it
    is still an open offer."""
    cohort = lock_cohort(enrollment.cohort, now)
    db.session.refresh(enrollment)
    if enrollment.status is not S.OFFERED:
        if enrollment.status is S.DECLINED and enrollment.reason == expired_reason(enrollment):
            raise NotPossibleNow(_("This offer expired: the seat has gone to the next in line."))
        raise NotPossibleNow(
            _("There is no open offer here: the place is %(status)s.", status=enrollment.status.label.lower())
        )
    return cohort


def accept(
    enrollment: Enrollment, *, actor: UserAccount | None, by_link: bool = False, now: datetime | None = None
) -> Enrollment:
    """She accepts the seat offered to her before its deadline: offered → enrolled (the seat was held, so
    it is hers whatever happened meanwhile). ``actor`` is she or her centre's staff; ``by_link``: the
    signed link of her SMS, checked by the caller (the holder may not be signed in). Refused when the
    offer has ended (``NotPossibleNow``: declined, expired). Records ``enrollment.accept`` and tells her."""
    now = now or utcnow()
    require_offer_answerer(enrollment, actor, by_link=by_link)
    locked_offer(enrollment, now)
    before = move(enrollment, S.ENROLLED, now=now)
    audit(actor, "enrollment.accept", enrollment, before)
    tell(enrollment, "accepted")
    return enrollment


def decline(
    enrollment: Enrollment, *, actor: UserAccount | None, by_link: bool = False, now: datetime | None = None
) -> Enrollment | None:
    """She declines the seat offered to her: offered → declined, and the seat goes at once to the next
    in line who qualifies for its pool (offered to her in turn). Who may: as ``accept``. Records
    ``enrollment.decline``. Returns the place the seat went to (None: nobody in line could take it)."""
    now = now or utcnow()
    require_offer_answerer(enrollment, actor, by_link=by_link)
    cohort = locked_offer(enrollment, now)
    before = move(enrollment, S.DECLINED, now=now)
    audit(actor, "enrollment.decline", enrollment, before)
    tell(enrollment, "declined")
    return promote_next(cohort, actor=actor, now=now)


def expired_reason(enrollment: Enrollment) -> str:
    """The reason an expired offer records, in her language (she reads it on her page)."""
    with message_language(enrollment.trainee.language):
        return _("The offer expired without an answer.")


def expire_due(cohort: Cohort, *, now: datetime) -> int:
    """Expire ``cohort``'s offers past their deadline at ``now`` (the cohort locked): each becomes
    ``declined`` with the reason "expired" (``enrollment.expire``, by the system), she is told, and the
    seat goes to the next in line who qualifies. Returns how many expired."""
    due = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.OFFERED, Enrollment.offer_expires_at <= now)
        .order_by(Enrollment.offer_expires_at, Enrollment.id)
        .execution_options(populate_existing=True)
    ).all()
    for enrollment in due:
        before = move(enrollment, S.DECLINED, now=now, reason=expired_reason(enrollment), expired=True)
        audit(None, "enrollment.expire", enrollment, before, enrollment.reason)
        tell(enrollment, "expired")
    for _seat in due:
        promote_next(cohort, actor=None, now=now)
    return len(due)


def claim_cohort(cohort_id: int) -> Cohort | None:
    """Lock a cohort for the timer, or None when another host holds it now (PostgreSQL's SKIP LOCKED;
    SQLite's writers wait their turn instead). Does not settle it: the caller does what is due."""
    stmt = select(Cohort).where(Cohort.id == cohort_id).execution_options(populate_existing=True)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    try:
        return db.session.scalar(stmt)
    except OperationalError:  # pragma: no cover - a lock timeout on a busy database: the next run retries
        db.session.rollback()
        return None


def due_cohorts(now: datetime) -> list[int]:
    """The cohorts the timer has work in at ``now`` (``flask offers expire``): offers past their deadline
    or due a reminder, reserved seats due for release, a line to end after the backfill window. Read
    without locks: ``settle_for_timer`` claims."""
    with_offers = db.session.scalars(
        select(Enrollment.cohort_id)
        .where(Enrollment.status == S.OFFERED, Enrollment.offer_expires_at <= now + REMINDER_BEFORE)
        .distinct()
    ).all()
    return sorted(set(with_offers) | set(cohorts_to_release(now)) | set(lines_to_end(now)))


def lines_to_end(now: datetime) -> list[int]:
    """Running cohorts past their backfill window with people still waiting (``waitlist.line_ended_due``)."""
    from enrollments.services.waitlist import line_ended_due  # the waitlist imports this module late

    candidates = db.session.scalars(
        select(Cohort).where(Cohort.status == CohortStatus.RUNNING, Cohort.waitlisted_count + Cohort.pending_count > 0)
    ).all()
    return [cohort.id for cohort in candidates if line_ended_due(cohort, now)]


def settle_for_timer(cohort_id: int, *, now: datetime) -> dict[str, int] | None:
    """What the timer does in one cohort: claim it (None when another host holds it now), expire the
    offers past their deadline and release reserved seats whose time has come (``settle_due``: the line
    moves), and send the reminders due. Idempotent. Returns what was done; the caller commits."""
    cohort = claim_cohort(cohort_id)
    if cohort is None:
        return None
    from enrollments.services.waitlist import settle_due

    done = settle_due(cohort, now=now)
    done["reminded"] = remind_due(cohort, now=now)
    return done


def cohorts_to_release(now: datetime) -> list[int]:
    """Cohorts still promoting whose reserved seats are due for release at ``now``."""
    from enrollments import pools
    from enrollments.services.waitlist import PROMOTING_STATUSES  # the waitlist imports this module late

    candidates = db.session.scalars(
        select(Cohort).where(
            Cohort.released_at.is_(None),
            Cohort.status.in_(PROMOTING_STATUSES),
            Cohort.reserved_women + Cohort.reserved_rural + Cohort.reserved_district + Cohort.reserved_disability > 0,
        )
    ).all()
    return [cohort.id for cohort in candidates if pools.release_due(cohort, now)]


def remind_due(cohort: Cohort, *, now: datetime) -> int:
    """Tell each trainee whose offer in ``cohort`` ends within 24 hours, once (``offer_reminded_at``):
    the conditional UPDATE claims the reminder, so two runs never send it twice."""
    due = db.session.scalars(
        select(Enrollment).where(
            Enrollment.cohort_id == cohort.id,
            Enrollment.status == S.OFFERED,
            Enrollment.offer_expires_at <= now + REMINDER_BEFORE,
            Enrollment.offer_reminded_at.is_(None),
        )
    ).all()
    sent = 0
    for enrollment in due:
        claimed = db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id, Enrollment.offer_reminded_at.is_(None))
            .values(offer_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            db.session.expire(enrollment, ["offer_reminded_at"])
            tell(enrollment, "reminder")
            sent += 1
    return sent
