"""The trainee export's rows (``oversight/exports.py``), read in keyset pages."""

from sqlalchemy import ColumnElement, Select, select

from centres.models import District, Province
from enrollments.models import Trainee
from extensions import db


def trainees_for_export(condition: ColumnElement[bool]) -> Select:
    """The trainees ``condition`` admits (``auth.permissions.viewable_trainees``), by id: the rows of the
    trainee export, read in keyset pages (``after_trainee``) so that a million of them never sit in memory
    at once. One table, ordered by its primary key: each page is a short walk of that index on both
    databases (the names of districts come from ``district_names``, not from a join per row)."""
    return (
        select(
            Trainee.id,
            Trainee.cnic,
            Trainee.full_name,
            Trainee.gender,
            Trainee.date_of_birth,
            Trainee.phone,
            Trainee.district_id,
            Trainee.area,
            Trainee.education,
            Trainee.disability,
            Trainee.created_at,
        )
        .where(condition)
        .order_by(Trainee.id)
    )


def district_names() -> dict[int, tuple[str, str]]:
    """Every district's province and own name, by district id (a few hundred rows)."""
    stmt = select(District.id, Province.name, District.name).join(District.province)
    return {district_id: (province, district) for district_id, province, district in db.session.execute(stmt)}


def after_trainee(stmt: Select, last_row) -> Select:
    """``trainees_for_export`` continued after the row ``last_row`` (its first column is the id)."""
    return stmt.where(Trainee.id > last_row[0])
