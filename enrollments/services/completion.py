"""Completion by rule (DESIGN.md, "Attendance, assessment and certificates"): when a cohort finishes, every
trainee still enrolled is decided in the same transaction — attendance at or above the course's threshold and
a mark at or above its pass mark: ``completed``, and her certificate is issued; otherwise ``not_completed``,
with the reason (attendance first: below the threshold she could not sit the assessment; else marks: below the
pass mark, or no mark). Staff see what finishing will decide first (``preview_finish``), and may later
override one decision, with a written reason (``override``).

Attendance is the attendance package's own share (``enrollments.services.marks.attendance_met``): the class
days she was present or late of the class days held while she was enrolled, up to the end.

Concurrency. Finishing is the cohort's status change (``courses.cohorts.change_status``: one conditional
UPDATE from running to finished), so of two staff finishing at once only one decides; the other is refused
and writes nothing. ``decide_places`` then locks the cohort (the first lock of every change of its places)
before reading them, and the certificate's partial unique index allows one valid certificate per place.
"""

from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from audit.events import record
from auth.models import UserAccount
from auth.permissions import can_override_completion
from certificates.services import issue as issue_certificate
from certificates.services import revoke as revoke_certificate
from certificates.services import valid_certificate_of
from courses.models import Cohort, Course
from database import utcnow
from enrollments.counters import reason_deltas
from enrollments.models import Enrollment, Trainee
from enrollments.services.changes import lock_cohort, move
from enrollments.services.marks import attendance_met, attendance_percent, jsonable_mark, passed
from enrollments.services.messages import tell
from enrollments.services.rules import NotAllowed, NotPossibleNow, ReasonRequired
from extensions import db
from refusals import Refusal
from vocabulary import CohortStatus, EnrollmentStatus, NotCompletedReason

S = EnrollmentStatus
R = NotCompletedReason
# The end states the rule decides, and that an override moves between.
DECIDED = (S.COMPLETED, S.NOT_COMPLETED)
MAX_REASON_LENGTH = 500


def decision(enrollment: Enrollment, course: Course) -> tuple[EnrollmentStatus, NotCompletedReason | None]:
    """What the rule decides for an enrolled place of ``course``: completed (no reason), or not completed
    because of attendance (below the threshold: she could not sit the assessment) or marks (below the pass
    mark, or none)."""
    if not attendance_met(enrollment, course):
        return S.NOT_COMPLETED, R.ATTENDANCE
    if not passed(enrollment.mark, course):
        return S.NOT_COMPLETED, R.MARKS
    return S.COMPLETED, None


def enrolled_places(cohort: Cohort) -> list[Enrollment]:
    """The places of ``cohort`` still enrolled, with their trainees, by name."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .join(Enrollment.trainee)
            .where(Enrollment.cohort_id == cohort.id, Enrollment.status == S.ENROLLED)
            .options(selectinload(Enrollment.trainee))
            .order_by(Trainee.full_name, Enrollment.id)
        )
    )


@dataclass(frozen=True)
class FinishPreview:
    """What finishing ``cohort`` now would decide: how many complete, how many do not by each reason, and who
    is enrolled without a mark (she will not complete, unless marked first)."""

    completing: int
    not_completing: dict[NotCompletedReason, int] = field(default_factory=dict)
    unmarked: list[Enrollment] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.completing + sum(self.not_completing.values())


def preview_finish(cohort: Cohort) -> FinishPreview:
    """``FinishPreview`` of ``cohort``, read-only (the page that asks staff to confirm finishing)."""
    places = enrolled_places(cohort)
    reasons = Tally(reason for place in places if (reason := decision(place, cohort.course)[1]) is not None)
    return FinishPreview(
        completing=len(places) - sum(reasons.values()),
        not_completing={reason: reasons.get(reason, 0) for reason in R},
        unmarked=[place for place in places if place.mark is None],
    )


def decide_places(cohort: Cohort, *, actor: UserAccount | None, now: datetime | None = None) -> FinishPreview:
    """Decide every enrolled place of ``cohort`` (which has just become finished) by ``decision``, in the
    caller's transaction: each moves to completed or not completed (``not_completed_reason`` set), the
    cohort's counters follow (by status, and the not-completed ones by reason), one audit event per place
    (``enrollment.finish_completed`` or ``enrollment.finish_not_completed``, with her attendance and mark),
    a completed place's certificate is issued (``certificates.services.issue``: ``actor`` None for a timed
    job), and each trainee is told in her language. Returns what was decided."""
    now = now or utcnow()
    cohort = lock_cohort(cohort, now, settle=False)
    if cohort.status is not CohortStatus.FINISHED:
        raise NotPossibleNow(_("Results are decided when the cohort finishes."))
    course = cohort.course
    places = enrolled_places(cohort)
    reasons: Tally[NotCompletedReason] = Tally()
    for place in places:
        status, reason = decision(place, course)
        before = move_with_reason(place, status, reason, now=now)
        if reason is not None:
            reasons[reason] += 1
        record(
            actor,
            "enrollment.finish_completed" if status is S.COMPLETED else "enrollment.finish_not_completed",
            place,
            before={"status": before.value},
            after=result_state(place),
            centre_id=cohort.centre_id,
        )
        if status is S.COMPLETED:
            issue_certificate(place, actor=actor, now=now)
        tell(place, status.value)
    return FinishPreview(
        completing=len(places) - sum(reasons.values()),
        not_completing={reason: reasons.get(reason, 0) for reason in R},
        unmarked=[place for place in places if place.mark is None],
    )


# Cohorts finished before completion by rule (``flask completion decide``) -------------------------------


@dataclass(frozen=True)
class UndecidedCohort:
    """A finished cohort that still holds enrolled places (finished before completion by rule existed, when
    finishing decided nothing): how many, and how many of them have anything recorded to judge by (a class-day
    mark or an assessment mark)."""

    cohort_id: int
    code: str
    places: int
    recorded: int


def undecided_cohorts() -> list[UndecidedCohort]:
    """The finished cohorts with places still enrolled, by code. Read without locks: ``decide_places`` locks
    each cohort and reads its places again, so a cohort decided meanwhile decides nothing."""
    recorded = case(((Enrollment.days_marked > 0) | Enrollment.mark.is_not(None), 1), else_=0)
    rows = db.session.execute(
        select(Cohort.id, Cohort.code, func.count(Enrollment.id), func.sum(recorded))
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(Cohort.status == CohortStatus.FINISHED, Enrollment.status == S.ENROLLED)
        .group_by(Cohort.id, Cohort.code)
        .order_by(Cohort.code)
    )
    return [UndecidedCohort(cohort_id, code, places, int(marked or 0)) for cohort_id, code, places, marked in rows]


def decide_finished(cohort_id: int, *, dry_run: bool = False, now: datetime | None = None) -> FinishPreview:
    """Apply the rule to the places of a finished cohort still enrolled, as the system (no acting user: the
    audit events, certificates and messages are the ones finishing it would have made, with ``actor`` None).
    ``dry_run``: what it would decide, nothing written. In the caller's transaction; a cohort with nothing
    enrolled (decided already, by another run or by staff) decides nothing, so running it twice is running it
    once. Raises ``NotPossibleNow`` if the cohort is not finished."""
    cohort = db.session.get(Cohort, cohort_id)
    if dry_run:
        if cohort.status is not CohortStatus.FINISHED:
            raise NotPossibleNow(_("Results are decided when the cohort finishes."))
        return preview_finish(cohort)
    return decide_places(cohort, actor=None, now=now)


def move_with_reason(
    enrollment: Enrollment, to: EnrollmentStatus, reason: NotCompletedReason | None, *, now: datetime
) -> EnrollmentStatus:
    """``changes.move`` to ``to`` with ``not_completed_reason`` set to ``reason`` in the same flush: the
    database refuses a not-completed place without a reason, and any other with one, so nothing may flush
    in between (the counters' UPDATE would); the reason counters change in the same UPDATE as the status
    counters (the cohort's CHECK adds them up). Returns the old status."""
    before_reason = enrollment.not_completed_reason
    with db.session.no_autoflush:
        enrollment.not_completed_reason = reason
        return move(enrollment, to, now=now, counting=reason_deltas(before_reason, reason))


def result_state(enrollment: Enrollment) -> dict:
    """What a result's audit event keeps: the status, the reason, and the attendance and mark it rested on."""
    share = attendance_percent(enrollment)
    return {
        "status": enrollment.status.value,
        "reason": enrollment.not_completed_reason.value if enrollment.not_completed_reason else None,
        "attendance": None if share is None else f"{share:.1f}",
        "mark": jsonable_mark(enrollment.mark),
        "cohort": enrollment.cohort.code,
        "trainee_id": enrollment.trainee_id,
    }


def checked_override_reason(reason: str | None) -> str:
    """A written reason: required (``ReasonRequired``), at most 500 characters (``Refusal`` on "reason")."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Give a reason for overriding the rule: overseers read it in the audit log."))
    if len(reason) > MAX_REASON_LENGTH:
        raise Refusal(_("The reason is too long: at most %(count)d characters.", count=MAX_REASON_LENGTH), "reason")
    return reason


def override(enrollment: Enrollment, *, actor: UserAccount, reason: str, now: datetime | None = None) -> Enrollment:
    """Staff turn the rule's decision on one place of a finished cohort the other way, with a written reason
    (kept on the place as ``completion_override_reason``, shown on the roster and in the audit log, one
    ``enrollment.override`` event). Not completed → completed: her certificate is issued. Completed → not
    completed: her valid certificate is revoked with the same reason, and the place's reason is the one the
    rule would give (attendance, or marks), or marks where the rule would complete her. The trainee is told.

    Raises ``NotAllowed`` (not staff of the centre, nor an admin), ``ReasonRequired``/``Refusal`` on
    "reason", ``NotPossibleNow`` (the cohort has not finished, or the place was not decided by it)."""
    if not can_override_completion(actor, enrollment):
        raise NotAllowed(_("Only staff of this centre can change its trainees' results."))
    reason = checked_override_reason(reason)
    now = now or utcnow()
    cohort = lock_cohort(enrollment.cohort, now, settle=False)
    db.session.refresh(enrollment)
    if cohort.status is not CohortStatus.FINISHED or enrollment.status not in DECIDED:
        raise NotPossibleNow(
            _(
                "Only the result of a trainee of a finished cohort (completed or not completed) can be overridden; "
                "this place is %(status)s.",
                status=enrollment.status.label.lower(),
            )
        )
    old_reason = enrollment.not_completed_reason
    if enrollment.status is S.COMPLETED:
        to = S.NOT_COMPLETED
        # The rule's own reason where it would not complete her; where it would (staff know better: a mark
        # found wrong, say), marks: her written reason says why.
        new_reason = decision(enrollment, cohort.course)[1] or R.MARKS
    else:
        to, new_reason = S.COMPLETED, None
    enrollment.completion_override_reason = reason
    before = move_with_reason(enrollment, to, new_reason, now=now)
    record(
        actor,
        "enrollment.override",
        enrollment,
        before={"status": before.value, "reason": old_reason.value if old_reason else None},
        after=result_state(enrollment),
        reason=reason,
        centre_id=cohort.centre_id,
    )
    if to is S.COMPLETED:
        issue_certificate(enrollment, actor=actor, now=now)
        tell(enrollment, "completed")
    else:
        certificate = valid_certificate_of(enrollment)
        if certificate is not None:
            revoke_certificate(certificate, actor=actor, reason=reason, now=now)
        tell(enrollment, "certificate_revoked" if certificate is not None else "not_completed")
    return enrollment
