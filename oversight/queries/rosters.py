"""A cohort's roster as rows for its download (``enrollments.roster_files``): its places with their
trainees, read in keyset pages by enrollment id, so that a long waitlist never sits in memory at once."""

from sqlalchemy import ColumnElement, Select, select

from enrollments.models import Enrollment, Trainee
from vocabulary import EnrollmentStatus


def roster_for_export(
    cohort_id: int, statuses: tuple[EnrollmentStatus, ...], search: ColumnElement[bool] | None = None
) -> Select:
    """The places of the cohort with ``cohort_id`` that are in one of ``statuses`` (and whose trainee
    ``search`` finds, if given), by enrollment id (``after_place`` continues it)."""
    stmt = (
        select(
            Enrollment.id,
            Enrollment.status,
            Trainee.full_name,
            Trainee.cnic,
            Trainee.gender,
            Trainee.date_of_birth,
            Trainee.phone,
            Trainee.email,
            Trainee.district_id,
            Trainee.area,
            Trainee.education,
            Trainee.disability,
            Enrollment.source,
            Enrollment.applied_at,
            Enrollment.decided_at,
            Enrollment.reason,
        )
        .join(Trainee, Enrollment.trainee_id == Trainee.id)
        .where(Enrollment.cohort_id == cohort_id, Enrollment.status.in_(statuses))
        .order_by(Enrollment.id)
    )
    return stmt if search is None else stmt.where(search)


def roster_for_counting(
    cohort_id: int, statuses: tuple[EnrollmentStatus, ...], search: ColumnElement[bool] | None = None
) -> Select:
    """The rows of ``roster_for_export`` as one table, for counting them (``KeysetSource(counted=...)``):
    the trainees a search finds are a subquery rather than a join."""
    stmt = select(Enrollment.id).where(Enrollment.cohort_id == cohort_id, Enrollment.status.in_(statuses))
    return stmt if search is None else stmt.where(Enrollment.trainee_id.in_(select(Trainee.id).where(search)))


def after_place(stmt: Select, last_row) -> Select:
    """``roster_for_export`` continued after the row ``last_row`` (its first column is the id)."""
    return stmt.where(Enrollment.id > last_row[0])
