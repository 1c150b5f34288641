"""Completing a place the way Markaz does now (issue 17): by the rule, when its cohort finishes. Tests that
need a completed place (a certificate, a completed counter) give her attendance and a passing mark and finish
her cohort; there is no manual "complete" any more."""

from decimal import Decimal

from courses.cohorts import change_status
from enrollments.models import Enrollment
from enrollments.services import decide_places
from extensions import db
from vocabulary import CohortStatus


def meets_the_rule(enrollment: Enrollment, mark: Decimal | str = "80") -> None:
    """Give her full attendance on the class days marked (one day when none was) and ``mark``: what the rule
    completes. Sets her attendance counters as the registers would (tests of the rule take real registers)."""
    enrollment.days_marked = enrollment.days_marked or 1
    enrollment.days_present = enrollment.days_marked
    enrollment.mark = Decimal(mark)
    db.session.flush()


def complete_by_rule(enrollment: Enrollment, *, actor) -> Enrollment:
    """Complete ``enrollment`` (enrolled) by the rule: she meets it, and her cohort finishes (a running one) or
    has its enrolled places decided (one already finished). Other places enrolled in the cohort are decided
    too (not completed: no mark). Returns her place, completed, her certificate issued."""
    meets_the_rule(enrollment)
    cohort = enrollment.cohort
    if cohort.status is CohortStatus.FINISHED:
        decide_places(cohort, actor=actor)
    else:
        change_status(cohort, CohortStatus.FINISHED, actor=actor)
    db.session.refresh(enrollment)
    return enrollment
