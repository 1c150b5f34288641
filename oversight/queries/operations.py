"""Figures for the operators' monitoring (``/metrics``): applications by outcome from the cohort counters
(a sum over cohorts, never a scan of the enrollment table), offers waiting for an answer, and the outbox's
depth, age and failures (over its status index)."""

from datetime import datetime

from sqlalchemy import func, select

from courses.models import Cohort
from extensions import db
from notifications.models import OutboxMessage
from vocabulary import MessageStatus

# The outcome of an application → the cohort counter that holds how many applications have it now.
APPLICATION_OUTCOMES = {
    "pending": Cohort.pending_count,
    "waitlisted": Cohort.waitlisted_count,
    "offered": Cohort.offered_count,
    "enrolled": Cohort.enrolled_count,
    "completed": Cohort.completed_count,
    "not_completed": Cohort.not_completed_count,
    "dropped": Cohort.dropped_count,
}


def application_outcomes() -> dict[str, int]:
    """Applications now in each outcome, and ``all`` of them ever made (``applications_count``)."""
    columns = [*APPLICATION_OUTCOMES.values(), Cohort.applications_count]
    sums = db.session.execute(select(*(func.coalesce(func.sum(column), 0) for column in columns))).one()
    return dict(zip([*APPLICATION_OUTCOMES, "all"], (int(value) for value in sums), strict=True))


def outbox_figures(now: datetime) -> dict[str, float]:
    """Messages by status, and the age in seconds of the oldest message waiting (0 when none waits)."""
    by_status = select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    counts = dict(db.session.execute(by_status).all())
    oldest = db.session.scalar(
        select(OutboxMessage.created_at)
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    figures = {status.value: float(counts.get(status, 0)) for status in MessageStatus}
    figures["oldest_pending_seconds"] = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    return figures
