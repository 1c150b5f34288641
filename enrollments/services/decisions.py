"""Decisions on a place: staff approve, reject and drop; the trainee (or her centre's staff) withdraws.
A seat that frees goes to the waitlist at once (``promote_next``). Completion is no decision on one place:
``completion`` decides it by rule when the cohort finishes."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from auth.models import UserAccount
from auth.permissions import can_manage_cohort, can_withdraw_enrollment
from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment
from enrollments.services.changes import audit, lock_cohort, lock_trainees, move, seat_for
from enrollments.services.messages import tell
from enrollments.services.rules import NotAllowed, NotPossibleNow, ReasonRequired
from enrollments.services.waitlist import next_in_line, promote_next
from extensions import db
from vocabulary import ACTIVE_ENROLLMENT_STATUSES, HOLDING_STATUSES, Admission, EnrollmentStatus

S = EnrollmentStatus


def require_manager(actor: UserAccount, cohort: Cohort) -> None:
    if not can_manage_cohort(actor, cohort):
        raise NotAllowed(_("Only staff of this centre can decide on its enrollments."))


def require_status(enrollment: Enrollment, *allowed: EnrollmentStatus, action: str) -> None:
    if enrollment.status not in allowed:
        raise NotPossibleNow(cannot(action, enrollment.status.label.lower()))


def cannot(action: str, status: str) -> str:
    """Why ``action`` (approve, reject, withdraw, drop) is refused on an application that is
    ``status``: one whole sentence per action, for word orders that differ."""
    if action == "approve":
        return _("You cannot approve an application that is %(status)s.", status=status)
    if action == "reject":
        return _("You cannot reject an application that is %(status)s.", status=status)
    if action == "withdraw":
        return _("You cannot withdraw an application that is %(status)s.", status=status)
    if action == "drop":
        return _("You cannot drop an application that is %(status)s.", status=status)
    raise ValueError(f"no refusal for {action!r}")


def approve(enrollment: Enrollment, *, actor: UserAccount, now: datetime | None = None) -> Enrollment:
    """Pending → enrolled if a seat is free for her (open seats first, then a reserved pool she
    qualifies for), else waitlisted (in application order). Refused in a merit cohort (``NotPossibleNow``):
    its seats go by the published merit list (``merit.publish``), never one by one."""
    now = now or utcnow()
    require_manager(actor, enrollment.cohort)
    if enrollment.cohort.admission is Admission.MERIT:
        raise NotPossibleNow(
            _(
                "Seats in this cohort go by the merit list: enter the scores and publish the list instead of "
                "approving applications one by one."
            )
        )
    lock_cohort(enrollment.cohort, now)
    lock_trainees(enrollment.trainee_id)
    db.session.refresh(enrollment)
    require_status(enrollment, S.PENDING, action="approve")
    pool = seat_for(enrollment.trainee, enrollment.cohort, now=now)
    status = S.ENROLLED if pool is not None else S.WAITLISTED
    before = move(enrollment, status, now=now, seat=pool)
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
    """``withdraw``, answering with the ended place and the one promoted into its seat. A seat offered
    and withdrawn from is declined (``enrollment.decline``)."""
    if not can_withdraw_enrollment(actor, enrollment):
        raise NotAllowed(_("Only the trainee or the centre's staff can withdraw this place."))
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
    """Withdraw or drop: end ``enrollment`` and, if it held a seat (enrolled or offered), give the seat
    to the first in line who qualifies for its pool."""
    cohort = lock_cohort(enrollment.cohort, now)
    candidates = next_in_line(cohort, limit=1)
    lock_trainees(enrollment.trainee_id, *(candidate.trainee_id for candidate in candidates))
    db.session.refresh(enrollment)
    allowed = (S.ENROLLED,) if to is S.DROPPED else ACTIVE_ENROLLMENT_STATUSES
    require_status(enrollment, *allowed, action="withdraw" if to is S.WITHDRAWN else "drop")
    if enrollment.status is S.OFFERED:
        # Withdrawing from a seat offered is declining it: every offer ends accepted, declined or expired.
        before = move(enrollment, S.DECLINED, now=now, reason=reason)
        audit(actor, "enrollment.decline", enrollment, before, reason)
        tell(enrollment, "declined")
    else:
        before = move(enrollment, to, now=now, reason=reason)
        audit(actor, f"enrollment.{to.value}", enrollment, before, reason)
        tell(enrollment, to.value)
    promoted = promote_next(cohort, actor=actor, now=now) if before in HOLDING_STATUSES else None
    return FreedPlace(enrollment, promoted)
