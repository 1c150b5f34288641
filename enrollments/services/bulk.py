"""Decisions on many places at once (the roster's bulk actions): each person's decision is the one-person
service's (``decisions``), with its checks, its audit event and her message, all in the caller's one
transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth.models import UserAccount
from courses.models import Cohort
from database import utcnow
from enrollments.models import Enrollment
from enrollments.services.decisions import approve, reject, require_manager, withdraw
from enrollments.services.rules import ReasonRequired
from extensions import db
from listing import LARGEST_ID
from refusals import Refusal
from vocabulary import Admission, EnrollmentStatus

S = EnrollmentStatus
# The most places one bulk decision takes: a roster page at its largest (``MAX_PAGE_SIZE``).
MAX_BULK_PLACES = 100


@dataclass(frozen=True)
class BulkAction:
    """A decision the roster offers on many places: the status the places are in (the tab it is offered
    on), whether it needs a reason the trainees are told, and the one-person service that takes it."""

    key: str
    status: EnrollmentStatus
    needs_reason: bool
    decide: Callable[[Enrollment, UserAccount, str, datetime], Enrollment]


BULK_ACTIONS = {
    action.key: action
    for action in (
        BulkAction("approve", S.PENDING, False, lambda e, actor, reason, now: approve(e, actor=actor, now=now)),
        BulkAction(
            "reject", S.PENDING, True, lambda e, actor, reason, now: reject(e, actor=actor, reason=reason, now=now)
        ),
        # Taken off the waitlist: the place is withdrawn by the centre, as its one-person button does.
        BulkAction(
            "remove",
            S.WAITLISTED,
            False,
            lambda e, actor, reason, now: withdraw(e, actor=actor, reason=reason, now=now),
        ),
    )
}


def bulk_actions(cohort: Cohort, status: EnrollmentStatus, now: datetime | None = None) -> list[BulkAction]:
    """The bulk decisions offered on the places of ``cohort`` that are ``status``; approving never in a merit
    cohort (its seats go by the merit list). Completing is no bulk action: finishing the cohort decides it."""
    return [
        action
        for action in BULK_ACTIONS.values()
        if action.status is status and (action.key != "approve" or cohort.admission is not Admission.MERIT)
    ]


def chosen_places(cohort: Cohort, enrollment_ids: list[int]) -> list[Enrollment]:
    """The places of ``cohort`` with ``enrollment_ids``, with their trainees, in order of application
    (the order seats go in). Read-only; refused (field ``selected``): nobody chosen, more than
    ``MAX_BULK_PLACES``, an id that is not a place of ``cohort``."""
    wanted = set(enrollment_ids)
    if not wanted:
        raise Refusal(_("Choose at least one person on the list."), "selected")
    if len(wanted) > MAX_BULK_PLACES:
        raise Refusal(_("Choose at most %(most)s people at once.", most=format_number(MAX_BULK_PLACES)), "selected")
    not_ours = Refusal(_("Some of the people chosen are not on this cohort's roster."), "selected")
    if not all(0 < enrollment_id <= LARGEST_ID for enrollment_id in wanted):
        raise not_ours
    places = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(wanted), Enrollment.cohort_id == cohort.id)
            .options(selectinload(Enrollment.trainee))
            .order_by(Enrollment.applied_at, Enrollment.id)
        )
    )
    if len(places) != len(wanted):
        raise not_ours
    return places


@dataclass
class BulkOutcome:
    """What ``decide_many`` did: the places decided (in the order taken), and those refused, each with the
    refusal's words."""

    done: list[Enrollment] = field(default_factory=list)
    refused: list[tuple[Enrollment, str]] = field(default_factory=list)


def decide_many(
    cohort: Cohort,
    enrollment_ids: list[int],
    action: BulkAction,
    *,
    actor: UserAccount,
    reason: str = "",
    now: datetime | None = None,
) -> BulkOutcome:
    """Take ``action`` on each place of ``cohort`` with ``enrollment_ids`` (``chosen_places``), in order
    of application, so that seats go as they would one by one: each through the one-person service (its
    checks, one audit event, her message), each in a savepoint, so that a place refused on its own (it
    moved on meanwhile) is reported with the refusal's words and the
    others go on. Flushes, never commits.

    Refused for the whole list, nothing written: the actor does not manage ``cohort`` (``NotAllowed``),
    the choice itself (``chosen_places``), no reason for a decision that needs one (``ReasonRequired``)."""
    require_manager(actor, cohort)
    places = chosen_places(cohort, enrollment_ids)
    reason = (reason or "").strip()
    if action.needs_reason and not reason:
        raise ReasonRequired()
    now = now or utcnow()
    outcome = BulkOutcome()
    for enrollment in places:
        try:
            with db.session.begin_nested():
                action.decide(enrollment, actor, reason, now)
        except Refusal as refusal:
            outcome.refused.append((enrollment, refusal.message))
        else:
            outcome.done.append(enrollment)
    return outcome
