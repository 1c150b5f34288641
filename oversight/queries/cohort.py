"""One cohort as overseers read it (``/oversight/cohorts/<code>``): its figures come from ``cohort_figures``
(the cohort counters, like every other audit row); its roster from here."""

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import contains_eager

from enrollments.models import Enrollment, Trainee
from enrollments.services.rules import UNRANKED
from vocabulary import EnrollmentStatus as S

# The roster's order: who holds a place, who waits for a decision, who waits in line, then the rest.
ROSTER_ORDER = case(
    {S.ENROLLED: 0, S.COMPLETED: 1, S.PENDING: 2, S.WAITLISTED: 3},
    value=Enrollment.status,
    else_=4,
)


def cohort_roster(cohort_id: int) -> Select:
    """The places and applications of one cohort with their trainees (district loaded), grouped by status
    (holding a place, pending, waitlisted, then the ended ones), each group in the waitlist's order
    (application order; in a merit cohort, the merit list's rank first); for ``db.paginate``."""
    return (
        select(Enrollment)
        .join(Enrollment.trainee)
        .options(contains_eager(Enrollment.trainee).joinedload(Trainee.district))
        .where(Enrollment.cohort_id == cohort_id)
        .order_by(ROSTER_ORDER, func.coalesce(Enrollment.merit_rank, UNRANKED), Enrollment.applied_at, Enrollment.id)
    )
